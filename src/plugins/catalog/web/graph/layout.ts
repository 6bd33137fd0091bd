/**
 * Positions for the graph's nodes: bands from top to bottom, wrapped to the canvas's shape.
 *
 * Each node gets a band by how it is reached from the root (breadth first): following an
 * edge forward goes one band down, against it one band up. So what depends on the root sits
 * above it and what it depends on below, and every edge of the search tree points down. The
 * nodes are short and wide, so a band holds many of them side by side; a band too wide for the
 * canvas is wrapped into rows, and the row width is the one that lets the whole graph fit the
 * canvas at the largest zoom. A band's order follows its neighbours nearer the root, which
 * keeps lines short and mostly vertical.
 *
 * A layered engine (ELK) drew a 51-node service graph as a column five screens tall and took
 * seconds for 300 nodes; this is linear in nodes and edges (300 nodes: a few milliseconds),
 * so it runs on the main thread.
 */
import type { DrawnEdge } from './edges.ts';
import type { GraphNode } from './model.ts';

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 36;
const COLUMN_GAP = 16;
const ROW_GAP = 10;
/** Added between two bands, so that a band's rows read as one. */
const BAND_GAP = 24;
/** Added between two layers of one band. */
const LAYER_GAP = 12;
/** Zoom beyond this is no easier to read: a wider row that fits at it is preferred. */
const ENOUGH_ZOOM = 1;
const PITCH_X = NODE_WIDTH + COLUMN_GAP;
const PITCH_Y = NODE_HEIGHT + ROW_GAP;

export interface Position {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export interface GraphLayout {
  positions: Map<string, Position>;
  /** Band of each node: 0 the root's, negative above, positive below. */
  bands: Map<string, number>;
  /** The laid-out graph's extent; positions start at (0, 0). */
  size: Size;
  /** Most nodes side by side in a band's row. */
  columns: number;
  millis: number;
}

const FAMILY_ORDER = ['dependency', 'api', 'ownership', 'partof', 'membership', 'hierarchy'];
const familyRank = (family: string) => {
  const i = FAMILY_ORDER.indexOf(family);
  return i < 0 ? FAMILY_ORDER.length : i;
};

interface Link {
  other: string;
  /** The edge points from this node to `other`. */
  forward: boolean;
  edge: DrawnEdge;
}

/** Band of every node, and the order nodes were reached in (grouped by relation). */
function assignBands(
  nodes: readonly GraphNode[],
  root: string,
  links: Map<string, Link[]>,
): { band: Map<string, number>; reached: Map<string, number> } {
  const band = new Map<string, number>();
  const reached = new Map<string, number>();
  const queue: string[] = [];
  const visit = (ref: string, b: number) => {
    band.set(ref, b);
    reached.set(ref, reached.size);
    queue.push(ref);
  };
  if (nodes.some((n) => n.ref === root)) visit(root, 0);
  for (let i = 0; i < queue.length; i++) {
    const ref = queue[i]!;
    const b = band.get(ref)!;
    for (const link of links.get(ref) ?? []) {
      if (!band.has(link.other)) visit(link.other, link.forward ? b + 1 : b - 1);
    }
  }
  // Only a node the server could not connect (none today) is left: below, by its depth.
  for (const node of nodes) if (!band.has(node.ref)) visit(node.ref, Math.max(1, node.depth));
  return { band, reached };
}

/** Rows a layer of `n` nodes takes at `columns` per row, and the columns it then uses. */
function wrap(n: number, columns: number): { rows: number; cols: number } {
  const rows = Math.ceil(n / columns);
  return { rows, cols: Math.ceil(n / rows) };
}

/**
 * A band's nodes in layers of their own, when edges run inside the band (a system's parts
 * using each other): each such node a layer below those it is reached from, so these edges
 * point down too. Nodes with no edge inside the band are `loose` and fill gaps later.
 */
interface Band {
  id: number;
  layers: string[][];
  loose: string[];
}

function splitBand(id: number, refs: readonly string[], edges: readonly DrawnEdge[]): Band {
  const inside = new Set(refs);
  const next = new Map<string, string[]>();
  const linked = new Set<string>();
  for (const e of edges) {
    if (!inside.has(e.source) || !inside.has(e.target)) continue;
    const list = next.get(e.source);
    if (list) list.push(e.target);
    else next.set(e.source, [e.target]);
    linked.add(e.source);
    linked.add(e.target);
  }
  // Longest path from a node with no edge into it; an edge closing a cycle is ignored.
  const level = new Map<string, number>();
  const into = new Map<string, number>();
  for (const list of next.values()) for (const t of list) into.set(t, (into.get(t) ?? 0) + 1);
  const starts = refs.filter((r) => linked.has(r) && !into.get(r));
  const onPath = new Set<string>();
  const walk = (ref: string, depth: number) => {
    if ((level.get(ref) ?? -1) >= depth || onPath.has(ref)) return;
    level.set(ref, depth);
    onPath.add(ref);
    for (const t of next.get(ref) ?? []) walk(t, depth + 1);
    onPath.delete(ref);
  };
  for (const ref of starts) walk(ref, 0);
  // Nodes only on cycles.
  for (const ref of refs) if (linked.has(ref) && !level.has(ref)) walk(ref, 0);
  const layers: string[][] = [];
  for (const ref of refs) {
    const l = level.get(ref);
    if (l === undefined) continue;
    while (layers.length <= l) layers.push([]);
    layers[l]!.push(ref);
  }
  return { id, layers, loose: refs.filter((r) => !linked.has(r)) };
}

/**
 * The band's layers at `columns` per row, loose nodes added where a layer's last row has room
 * (else to the layer nearest the root), so that they cost no extra row when they can.
 */
function fill(band: Band, columns: number): string[][] {
  const layers = band.layers.map((l) => [...l]);
  if (!layers.length) layers.push([]);
  // Above the root its nearest layer is the last one.
  const nearest = band.id < 0 ? layers.length - 1 : 0;
  const byNearness = layers
    .map((_, i) => i)
    .sort((a, b) => Math.abs(a - nearest) - Math.abs(b - nearest));
  for (const ref of band.loose) {
    const room = byNearness.find((i) => layers[i]!.length % columns !== 0);
    layers[room ?? nearest]!.push(ref);
  }
  return layers.filter((l) => l.length);
}

/** Extent of the layout with its bands filled at `columns`. */
function extent(bands: readonly Band[], columns: number): Size & { rows: number } {
  let rows = 0;
  let cols = 1;
  let layers = 0;
  for (const band of bands) {
    for (const layer of fill(band, columns)) {
      const w = wrap(layer.length, columns);
      rows += w.rows;
      cols = Math.max(cols, w.cols);
      layers += 1;
    }
  }
  return {
    rows,
    width: cols * PITCH_X - COLUMN_GAP,
    height:
      rows * PITCH_Y -
      ROW_GAP +
      (bands.length - 1) * BAND_GAP +
      (layers - bands.length) * LAYER_GAP,
  };
}

/**
 * The row width that draws the graph largest in the canvas, up to a zoom that is large
 * enough; among those that reach it, the one with the fewest rows (shorter edges).
 */
function bestColumns(bands: readonly Band[], canvas: Size, padding: number): number {
  let best = { columns: 1, zoom: -1, rows: Number.POSITIVE_INFINITY };
  const widest = Math.max(1, ...bands.map((b) => b.loose.length + b.layers.flat().length));
  for (let c = 1; c <= widest; c++) {
    const e = extent(bands, c);
    const zoom = Math.min(ENOUGH_ZOOM, fitZoom(e, canvas, padding));
    if (zoom > best.zoom + 1e-9 || (zoom > best.zoom - 1e-9 && e.rows < best.rows)) {
      best = { columns: c, zoom, rows: e.rows };
    }
  }
  return best.columns;
}

/** The zoom at which a layout of `size` fills `canvas` (less `padding` all round). */
export function fitZoom(size: Size, canvas: Size, padding: number): number {
  return Math.min(
    (canvas.width - 2 * padding) / Math.max(size.width, 1),
    (canvas.height - 2 * padding) / Math.max(size.height, 1),
  );
}

export function layoutGraph(
  nodes: readonly GraphNode[],
  edges: readonly DrawnEdge[],
  root: string,
  canvas: Size,
  /** Kept free around the graph when it is fitted to the canvas. */
  padding = 0,
): GraphLayout {
  const started = performance.now();
  const byRef = new Map(nodes.map((n) => [n.ref, n]));
  const links = new Map<string, Link[]>();
  const link = (from: string, l: Link) => {
    const list = links.get(from);
    if (list) list.push(l);
    else links.set(from, [l]);
  };
  for (const edge of edges) {
    if (!byRef.has(edge.source) || !byRef.has(edge.target)) continue;
    link(edge.source, { other: edge.target, forward: true, edge });
    link(edge.target, { other: edge.source, forward: false, edge });
  }
  const sortKey = (l: Link) => {
    const n = byRef.get(l.other)!;
    return [familyRank(l.edge.family), l.edge.label, n.kind, n.title ?? n.name, n.ref] as const;
  };
  for (const list of links.values()) {
    list.sort((a, b) => {
      const ka = sortKey(a);
      const kb = sortKey(b);
      for (let i = 0; i < ka.length; i++) {
        if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
      }
      return 0;
    });
  }

  const { band, reached } = assignBands(nodes, root, links);
  const members = new Map<number, string[]>();
  for (const [ref, b] of band) {
    const list = members.get(b);
    if (list) list.push(ref);
    else members.set(b, [ref]);
  }
  const bands = [...members.keys()]
    .sort((a, b) => a - b)
    .map((id) =>
      // The root's band is not split: the root stays in the middle of it.
      id === 0
        ? { id, layers: [], loose: members.get(id)! }
        : splitBand(id, members.get(id)!, edges),
    );
  const columns = bestColumns(bands, canvas, padding);

  // Layers are placed outwards from the root's, each ordered by where its neighbours already
  // placed (nearer the root) are.
  const layersOf = new Map(bands.map((b) => [b.id, fill(b, columns)]));
  const bandX = new Map<string, number>();
  const cell = new Map<string, { col: number; row: number }>();
  const rowsOf = new Map<string[], number>();
  const nearness = (b: Band, i: number) =>
    Math.abs(b.id) * 1000 + (b.id < 0 ? layersOf.get(b.id)!.length - 1 - i : i);
  const order = bands
    .flatMap((b) => layersOf.get(b.id)!.map((layer, i) => ({ b, layer, rank: nearness(b, i) })))
    .sort((p, q) => p.rank - q.rank || q.b.id - p.b.id);
  for (const { b, layer: refs } of order) {
    const wish = new Map<string, number>();
    for (const ref of refs) {
      let sum = 0;
      let count = 0;
      for (const l of links.get(ref) ?? []) {
        const x = bandX.get(l.other);
        if (x === undefined) continue;
        sum += x;
        count += 1;
      }
      wish.set(ref, count ? sum / count : 0);
    }
    if (b.id === 0) {
      // The root in the middle of its band, the nodes beside it split to either side.
      const others = refs.filter((r) => r !== root);
      const half = Math.floor(others.length / 2);
      refs.splice(0, refs.length, ...others.slice(0, half), root, ...others.slice(half));
    } else {
      refs.sort((p, q) => wish.get(p)! - wish.get(q)! || reached.get(p)! - reached.get(q)!);
    }
    const { rows, cols } = wrap(refs.length, columns);
    rowsOf.set(refs, rows);
    // Column by column, so that the left-to-right order survives the wrapping.
    refs.forEach((ref, i) => {
      const col = Math.floor(i / rows);
      bandX.set(ref, (col - (cols - 1) / 2) * PITCH_X);
      cell.set(ref, { col, row: i % rows });
    });
  }

  // Rows to y: bands top to bottom, and each band's layers top to bottom.
  const top = new Map<string, number>();
  let y = 0;
  bands.forEach((b, i) => {
    if (i > 0) y += BAND_GAP - LAYER_GAP;
    for (const layer of layersOf.get(b.id)!) {
      for (const ref of layer) top.set(ref, y);
      y += rowsOf.get(layer)! * PITCH_Y + LAYER_GAP;
    }
  });
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  for (const x of bandX.values()) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
  }
  const positions = new Map<string, Position>();
  for (const [ref, c] of cell) {
    positions.set(ref, { x: bandX.get(ref)! - minX, y: top.get(ref)! + c.row * PITCH_Y });
  }
  return {
    positions,
    bands: band,
    size: {
      width: cell.size ? maxX - minX + NODE_WIDTH : 0,
      height: cell.size ? y - LAYER_GAP - ROW_GAP : 0,
    },
    columns,
    millis: performance.now() - started,
  };
}

/** Kept free around the graph when it is fitted to the canvas. */
export const FIT_PADDING = 10;
/** Kept free on the canvas's left for the zoom buttons. */
export const CONTROLS_GUTTER = 40;

/** The part of the canvas the graph is fitted into: all but the zoom buttons' strip. */
export function drawingArea(canvas: Size): Size {
  return { width: Math.max(1, canvas.width - CONTROLS_GUTTER), height: canvas.height };
}
/** Below this zoom a node's smaller line (13 px) is under 12 px: the view starts at the root. */
export const LEGIBLE_ZOOM = 12 / 13;
const MAX_START_ZOOM = 1.25;

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** Where the view starts: the whole graph if it fits legibly, else the root at full size. */
export function startViewport(layout: GraphLayout, canvas: Size, root: string): Viewport {
  const area = drawingArea(canvas);
  const fit = fitZoom(layout.size, area, FIT_PADDING);
  if (fit >= LEGIBLE_ZOOM) {
    const zoom = Math.min(fit, MAX_START_ZOOM);
    return {
      zoom,
      x: CONTROLS_GUTTER + (area.width - layout.size.width * zoom) / 2,
      y: (area.height - layout.size.height * zoom) / 2,
    };
  }
  const at = layout.positions.get(root) ?? { x: 0, y: 0 };
  return {
    zoom: 1,
    x: canvas.width / 2 - (at.x + NODE_WIDTH / 2),
    y: canvas.height / 2 - (at.y + NODE_HEIGHT / 2),
  };
}

export type Side = 'top' | 'bottom' | 'left' | 'right';

/** Where an edge leaves its source and enters its target: across rows, or along one row. */
export function edgeSides(source: Position, target: Position): { from: Side; to: Side } {
  const dy = target.y - source.y;
  if (Math.abs(dy) >= NODE_HEIGHT) {
    return dy > 0 ? { from: 'bottom', to: 'top' } : { from: 'top', to: 'bottom' };
  }
  return target.x >= source.x ? { from: 'right', to: 'left' } : { from: 'left', to: 'right' };
}

const OUTWARD: Record<Side, readonly [number, number]> = {
  top: [0, -1],
  bottom: [0, 1],
  left: [-1, 0],
  right: [1, 0],
};

/**
 * An edge's curve, leaving and entering straight out of the nodes' sides: its SVG path, and
 * `at(t)`, the point a fraction `t` along it (where a label goes).
 */
export function edgeCurve(
  source: Position,
  from: Side,
  target: Position,
  to: Side,
): { path: string; at(t: number): Position } {
  const vertical = from === 'top' || from === 'bottom';
  const span = vertical ? Math.abs(target.y - source.y) : Math.abs(target.x - source.x);
  const reach = Math.max(20, span / 2);
  const [fx, fy] = OUTWARD[from];
  const [tx, ty] = OUTWARD[to];
  const c1 = { x: source.x + fx * reach, y: source.y + fy * reach };
  const c2 = { x: target.x + tx * reach, y: target.y + ty * reach };
  return {
    path: `M${source.x},${source.y} C${c1.x},${c1.y} ${c2.x},${c2.y} ${target.x},${target.y}`,
    at(t) {
      const u = 1 - t;
      const a = u * u * u;
      const b = 3 * u * u * t;
      const c = 3 * u * t * t;
      const d = t * t * t;
      return {
        x: a * source.x + b * c1.x + c * c2.x + d * target.x,
        y: a * source.y + b * c1.y + c * c2.y + d * target.y,
      };
    },
  };
}
