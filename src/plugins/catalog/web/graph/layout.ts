/**
 * Positions for the graph's nodes, by ELK's layered algorithm (left to right from the root).
 *
 * ELK's cost grows with the edges that span several layers (each becomes a chain of dummy
 * nodes): 300 nodes with 900 edges take seconds, 50 with 120 about half a second. So a small graph is laid out with all its
 * edges, and a larger one with a spanning tree of them, one edge from each node to a node a
 * level nearer the root (1,000 nodes then take about half a second); every edge is still
 * drawn. Above `ELK_MAX_NODES` nodes, a plain layout computed here puts one column per depth.
 */
import type { ELK, ElkNode } from 'elkjs/lib/elk-api.js';
import elkModule from 'elkjs/lib/elk.bundled.js';
import type { GraphEdge, GraphNode } from './model.ts';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 58;
/** Above this many nodes the depth-column layout is used instead of ELK. */
export const ELK_MAX_NODES = 2000;
/** Above this many edges ELK lays out a spanning tree of them. */
export const ELK_MAX_EDGES = 80;

export interface Position {
  x: number;
  y: number;
}

export interface GraphLayout {
  positions: Map<string, Position>;
  method: 'elk' | 'elk-tree' | 'columns';
  millis: number;
}

type ElkConstructor = new () => ELK;
// The bundled build is CommonJS (`module.exports = ELK`): a bundler's default import is the
// constructor, while TypeScript types it as the module object with a `default`.
const ElkClass = ((elkModule as unknown as { default?: ElkConstructor }).default ??
  elkModule) as unknown as ElkConstructor;

let elk: ELK | undefined;

const ELK_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '24',
  'elk.layered.spacing.nodeNodeBetweenLayers': '90',
  'elk.layered.thoroughness': '1',
  'elk.edgeRouting': 'POLYLINE',
};

/** ELK's layered layout (left to right, following the edges). */
export async function elkLayout(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
): Promise<Map<string, Position>> {
  elk ??= new ElkClass();
  const ids = new Set(nodes.map((n) => n.ref));
  const graph: ElkNode = {
    id: '__root',
    layoutOptions: ELK_OPTIONS,
    children: nodes.map((n) => ({ id: n.ref, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target)
      .map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  };
  const out = await elk.layout(graph);
  const positions = new Map<string, Position>();
  for (const child of out.children ?? []) {
    positions.set(child.id, { x: child.x ?? 0, y: child.y ?? 0 });
  }
  return positions;
}

/** One column per depth, the root's first; each column sorted by kind and name. */
export function columnLayout(nodes: readonly GraphNode[]): Map<string, Position> {
  const columns = new Map<number, GraphNode[]>();
  for (const node of nodes) {
    const column = columns.get(node.depth);
    if (column) column.push(node);
    else columns.set(node.depth, [node]);
  }
  const positions = new Map<string, Position>();
  const tallest = Math.max(0, ...[...columns.values()].map((c) => c.length));
  for (const [depth, column] of columns) {
    column.sort((a, b) => a.kind.localeCompare(b.kind) || a.ref.localeCompare(b.ref));
    // Centre each column on the tallest one.
    const offset = ((tallest - column.length) * (NODE_HEIGHT + 16)) / 2;
    column.forEach((node, i) => {
      positions.set(node.ref, {
        x: depth * (NODE_WIDTH + 120),
        y: offset + i * (NODE_HEIGHT + 16),
      });
    });
  }
  return positions;
}

/** One edge per node towards a node a level nearer the root, pointing away from the root. */
export function spanningTree(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
): GraphEdge[] {
  const depth = new Map(nodes.map((n) => [n.ref, n.depth]));
  const parent = new Map<string, GraphEdge>();
  for (const edge of edges) {
    const s = depth.get(edge.source);
    const t = depth.get(edge.target);
    if (s === undefined || t === undefined) continue;
    if (t === s + 1 && !parent.has(edge.target)) parent.set(edge.target, edge);
    else if (s === t + 1 && !parent.has(edge.source)) {
      parent.set(edge.source, { source: edge.target, type: edge.type, target: edge.source });
    }
  }
  return [...parent.values()];
}

export async function layoutGraph(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  limits: { maxNodes?: number; maxEdges?: number } = {},
): Promise<GraphLayout> {
  const started = performance.now();
  const done = (positions: Map<string, Position>, method: GraphLayout['method']) => ({
    positions,
    method,
    millis: performance.now() - started,
  });
  if (nodes.length > (limits.maxNodes ?? ELK_MAX_NODES))
    return done(columnLayout(nodes), 'columns');
  if (edges.length <= (limits.maxEdges ?? ELK_MAX_EDGES)) {
    return done(await elkLayout(nodes, edges), 'elk');
  }
  return done(await elkLayout(nodes, spanningTree(nodes, edges)), 'elk-tree');
}
