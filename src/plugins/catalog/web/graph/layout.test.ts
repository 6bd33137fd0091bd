import { describe, expect, it } from 'vitest';
import type { GraphEdge, GraphNode } from '../../common/graph.ts';
import { drawnEdges } from './edges.ts';
import {
  CONTROLS_GUTTER,
  drawingArea,
  edgeCurve,
  edgeSides,
  FIT_PADDING,
  fitZoom,
  type GraphLayout,
  LEGIBLE_ZOOM,
  layoutGraph,
  NODE_HEIGHT,
  NODE_WIDTH,
  startViewport,
} from './layout.ts';

const ROOT = 'component:default/root';
/** The canvas of the graph tab at a 1280×800 window. */
const CANVAS = { width: 992, height: 640 };

function node(ref: string, depth: number): GraphNode {
  const [kind, rest] = ref.split(':') as [string, string];
  const name = rest.split('/')[1]!;
  return { ref, kind, namespace: 'default', name, depth };
}

/** A root with `up` dependents, `down` dependencies, and `chains` of two more levels below. */
function star(up: number, down: number) {
  const nodes = [node(ROOT, 0)];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < up; i++) {
    const ref = `component:default/user-${i}`;
    nodes.push(node(ref, 1));
    edges.push({ source: ref, type: 'dependsOn', target: ROOT });
  }
  for (let i = 0; i < down; i++) {
    const ref = `api:default/api-${i}`;
    nodes.push(node(ref, 1));
    edges.push({ source: ROOT, type: 'consumesApi', target: ref });
  }
  return { nodes, edges };
}

function overlaps(layout: GraphLayout): string[] {
  const boxes = [...layout.positions];
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i]!;
      const [b, q] = boxes[j]!;
      if (Math.abs(p.x - q.x) < NODE_WIDTH && Math.abs(p.y - q.y) < NODE_HEIGHT) {
        out.push(`${a} ${b}`);
      }
    }
  }
  return out;
}

describe('the graph layout', () => {
  it('puts dependents above the root and dependencies below, without overlaps', () => {
    const { nodes, edges } = star(3, 4);
    const layout = layoutGraph(nodes, drawnEdges(edges), ROOT, CANVAS);
    const y = (ref: string) => layout.positions.get(ref)!.y;
    expect(layout.bands.get(ROOT)).toBe(0);
    for (let i = 0; i < 3; i++) expect(y(`component:default/user-${i}`)).toBeLessThan(y(ROOT));
    for (let i = 0; i < 4; i++) expect(y(`api:default/api-${i}`)).toBeGreaterThan(y(ROOT));
    expect(overlaps(layout)).toEqual([]);
    // Small bands stay one row each.
    expect(new Set([...layout.positions.values()].map((p) => p.y)).size).toBe(3);
  });

  it('wraps a 51-node star to the canvas so that it fits at a legible zoom', () => {
    const { nodes, edges } = star(26, 24);
    const layout = layoutGraph(nodes, drawnEdges(edges), ROOT, drawingArea(CANVAS), FIT_PADDING);
    expect(overlaps(layout)).toEqual([]);
    expect(layout.columns).toBeGreaterThan(3);
    expect(layout.size.width / layout.size.height).toBeGreaterThan(1);
    expect(fitZoom(layout.size, drawingArea(CANVAS), FIT_PADDING)).toBeGreaterThanOrEqual(
      LEGIBLE_ZOOM,
    );
    for (const p of layout.positions.values()) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.x + NODE_WIDTH).toBeLessThanOrEqual(layout.size.width + 0.001);
      expect(p.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.size.height + 0.001);
    }
    // The whole graph is in view, centred.
    const view = startViewport(layout, CANVAS, ROOT);
    expect(view.zoom).toBeGreaterThanOrEqual(LEGIBLE_ZOOM);
    // Clear of the zoom buttons on the left.
    expect(view.x).toBeGreaterThanOrEqual(CONTROLS_GUTTER + FIT_PADDING - 0.001);
    expect(view.x + layout.size.width * view.zoom).toBeLessThanOrEqual(CANVAS.width);
    expect(view.y + layout.size.height * view.zoom).toBeLessThanOrEqual(CANVAS.height);
  });

  it('lays edges inside a band out as layers, so they point down too', () => {
    // A system with its parts: a service uses an API that a library provides.
    const system = 'system:default/sys';
    const parts = ['component:default/svc', 'api:default/api', 'component:default/lib'];
    const nodes = [node(system, 0), ...parts.map((p) => node(p, 1))];
    const edges: GraphEdge[] = [
      ...parts.map((p) => ({ source: p, type: 'partOf', target: system })),
      { source: parts[0]!, type: 'consumesApi', target: parts[1]! },
      { source: parts[2]!, type: 'providesApi', target: parts[1]! },
    ];
    const layout = layoutGraph(nodes, drawnEdges(edges), system, CANVAS);
    const y = (ref: string) => layout.positions.get(ref)!.y;
    expect(y(parts[0]!)).toBeLessThan(y(parts[1]!));
    expect(y(parts[1]!)).toBeLessThan(y(parts[2]!));
    expect(y(parts[2]!)).toBeLessThan(y(system));
    expect(overlaps(layout)).toEqual([]);
  });

  it('starts a graph too large to read whole at full size on the root', () => {
    const { nodes, edges } = star(150, 149);
    const started = performance.now();
    const layout = layoutGraph(nodes, drawnEdges(edges), ROOT, CANVAS, FIT_PADDING);
    // Linear work: 300 nodes take milliseconds (ELK took seconds).
    expect(performance.now() - started).toBeLessThan(200);
    expect(layout.positions.size).toBe(300);
    expect(overlaps(layout)).toEqual([]);
    expect(fitZoom(layout.size, CANVAS, FIT_PADDING)).toBeLessThan(LEGIBLE_ZOOM);
    const view = startViewport(layout, CANVAS, ROOT);
    expect(view.zoom).toBe(1);
    const root = layout.positions.get(ROOT)!;
    expect(view.x + root.x + NODE_WIDTH / 2).toBeCloseTo(CANVAS.width / 2);
    expect(view.y + root.y + NODE_HEIGHT / 2).toBeCloseTo(CANVAS.height / 2);
  });

  it('leaves and enters nodes through the sides that face each other', () => {
    expect(edgeSides({ x: 0, y: 0 }, { x: 50, y: 200 })).toEqual({ from: 'bottom', to: 'top' });
    expect(edgeSides({ x: 0, y: 200 }, { x: 0, y: 0 })).toEqual({ from: 'top', to: 'bottom' });
    expect(edgeSides({ x: 0, y: 0 }, { x: 300, y: 0 })).toEqual({ from: 'right', to: 'left' });
    expect(edgeSides({ x: 300, y: 0 }, { x: 0, y: 0 })).toEqual({ from: 'left', to: 'right' });
    const curve = edgeCurve({ x: 0, y: 0 }, 'bottom', { x: 100, y: 100 }, 'top');
    expect(curve.path).toBe('M0,0 C0,50 100,50 100,100');
    expect(curve.at(0)).toEqual({ x: 0, y: 0 });
    expect(curve.at(0.5)).toEqual({ x: 50, y: 50 });
    expect(curve.at(1)).toEqual({ x: 100, y: 100 });
  });
});
