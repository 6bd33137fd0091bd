/**
 * The drawn graph: React Flow with the positions from layout.ts, entity nodes with their kind's
 * icon and colour, one edge per pair of nodes, and a node's neighbourhood highlighted (the rest
 * dimmed) while the pointer is on it or it has keyboard focus.
 */
import {
  Background,
  BaseEdge,
  ControlButton,
  Controls,
  type Edge,
  type EdgeProps,
  EdgeLabelRenderer,
  Handle,
  MarkerType,
  MiniMap,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
  ViewportPortal,
} from '@xyflow/react';
import { Map as MapIcon } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { KindIcon, kindLook } from '../../../../web/plugin-api.ts';
import { entityPath } from '../shared.tsx';
import type { DrawnEdge } from './edges.ts';
import {
  drawingArea,
  edgeCurve,
  edgeSides,
  FIT_PADDING,
  fitZoom,
  type GraphLayout,
  LEGIBLE_ZOOM,
  NODE_HEIGHT,
  NODE_WIDTH,
  type Side,
  type Size,
  startViewport,
} from './layout.ts';
import type { GraphNode } from './model.ts';

/** The highlighted node's edge labels sit this far along the edge from its neighbour. */
const LABEL_AT = 0.3;

const SIDES: Record<Side, Position> = {
  top: Position.Top,
  bottom: Position.Bottom,
  left: Position.Left,
  right: Position.Right,
};

type EntityNodeData = {
  node: GraphNode;
  root: boolean;
  rollup: boolean;
  sources: Side[];
  targets: Side[];
};
type EntityFlowNode = Node<EntityNodeData, 'entity'>;

function EntityNode({ data }: NodeProps<EntityFlowNode>) {
  const { node, root, rollup } = data;
  const classes = ['graph-node', 'kind-tinted'];
  if (root) classes.push('graph-node-root');
  if (node.missing) classes.push('graph-node-missing');
  return (
    <div
      className={classes.join(' ')}
      data-testid="graph-node"
      data-ref={node.ref}
      data-root={root || undefined}
      data-kind={kindLook(node.kind).id}
      title={node.ref}
    >
      {data.targets.map((side) => (
        <Handle
          key={`t-${side}`}
          id={`t-${side}`}
          type="target"
          position={SIDES[side]}
          isConnectable={false}
        />
      ))}
      <KindIcon kind={node.kind} size={16} className="graph-node-icon" />
      <span className="graph-node-text">
        <span className="graph-node-kind">
          {node.kind}
          {node.type ? ` · ${node.type}` : ''}
          {node.missing ? ' · not in the catalog' : ''}
          {rollup && node.count !== undefined && (
            <>
              {' · '}
              <span className="graph-node-count" data-testid="graph-node-count">
                {node.count} {node.count === 1 ? 'entity' : 'entities'}
              </span>
            </>
          )}
        </span>
        <span className="graph-node-title">{node.title ?? node.name}</span>
      </span>
      {data.sources.map((side) => (
        <Handle
          key={`s-${side}`}
          id={`s-${side}`}
          type="source"
          position={SIDES[side]}
          isConnectable={false}
        />
      ))}
    </div>
  );
}

type RelationEdgeData = { drawn: DrawnEdge; focus?: string; dim?: boolean };
type RelationFlowEdge = Edge<RelationEdgeData, 'relation'>;

function RelationEdge(props: EdgeProps<RelationFlowEdge>) {
  const { drawn, focus, dim } = props.data!;
  const curve = edgeCurve(
    { x: props.sourceX, y: props.sourceY },
    props.sourcePosition as Side,
    { x: props.targetX, y: props.targetY },
    props.targetPosition as Side,
  );
  const count = drawn.relations.length;
  const lit = focus !== undefined;
  // Near the neighbour's end, so the labels of a node's many edges spread out with them.
  const at = curve.at(!lit ? 0.5 : focus === drawn.source ? 1 - LABEL_AT : LABEL_AT);
  const place = { transform: `translate(-50%, -50%) translate(${at.x}px, ${at.y}px)` };
  return (
    <>
      <BaseEdge
        id={props.id}
        path={curve.path}
        markerEnd={props.markerEnd}
        markerStart={props.markerStart}
        className="graph-edge-path"
      />
      {/* The highlighted node's labels go above the nodes; a count badge under them. */}
      {lit ? (
        <ViewportPortal>
          <div
            className="graph-edge-label"
            data-family={drawn.family}
            data-testid="graph-edge-label"
            style={place}
          >
            {drawn.label}
          </div>
        </ViewportPortal>
      ) : count > 1 ? (
        <EdgeLabelRenderer>
          <div
            className={`graph-edge-count${dim ? ' graph-dim' : ''}`}
            data-family={drawn.family}
            data-testid="graph-edge-count"
            title={drawn.label}
            style={place}
          >
            {count}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}

const NODE_TYPES = { entity: EntityNode };
const EDGE_TYPES = { relation: RelationEdge };

/** Each node's neighbours, either way round. */
export function neighbourMap(edges: readonly DrawnEdge[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (from: string, to: string) => {
    const set = out.get(from);
    if (set) set.add(to);
    else out.set(from, new Set([to]));
  };
  for (const e of edges) {
    add(e.source, e.target);
    add(e.target, e.source);
  }
  return out;
}

/**
 * Calls `onDrawn` once React Flow has put the nodes on screen and, its handles measured, the
 * edges: checked each animation frame from the first commit.
 */
function useDrawnSignal(
  container: React.RefObject<HTMLDivElement | null>,
  hasEdges: boolean,
  onDrawn: () => void,
) {
  useEffect(() => {
    let frame = 0;
    const check = () => {
      const el = container.current;
      const drawn =
        el?.querySelector('.react-flow__node') &&
        (!hasEdges || el.querySelector('.react-flow__edge-path'));
      if (drawn) onDrawn();
      else frame = requestAnimationFrame(check);
    };
    frame = requestAnimationFrame(check);
    return () => cancelAnimationFrame(frame);
  }, [container, hasEdges, onDrawn]);
}

export function GraphCanvas({
  nodes: graphNodes,
  edges: drawn,
  root,
  layout,
  canvas,
  rollup,
  onDrawn,
}: {
  nodes: readonly GraphNode[];
  edges: readonly DrawnEdge[];
  root: string;
  layout: GraphLayout;
  canvas: Size;
  rollup: boolean;
  onDrawn: () => void;
}) {
  const navigate = useNavigate();
  const [focus, setFocus] = useState<string>();

  // Everything but the highlight: rebuilt only when the graph or its layout changes.
  const base = useMemo(() => {
    const at = (ref: string) => layout.positions.get(ref) ?? { x: 0, y: 0 };
    const sources = new Map<string, Set<Side>>();
    const targets = new Map<string, Set<Side>>();
    const add = (map: Map<string, Set<Side>>, ref: string, side: Side) => {
      const set = map.get(ref);
      if (set) set.add(side);
      else map.set(ref, new Set([side]));
    };
    const edges = drawn.map((d): RelationFlowEdge => {
      const { from, to } = edgeSides(at(d.source), at(d.target));
      add(sources, d.source, from);
      add(targets, d.target, to);
      const colour = `var(--graph-edge-${d.family})`;
      return {
        id: d.id,
        type: 'relation',
        source: d.source,
        target: d.target,
        sourceHandle: `s-${from}`,
        targetHandle: `t-${to}`,
        markerEnd: { type: MarkerType.ArrowClosed, color: colour, width: 14, height: 14 },
        markerStart: d.relations.some((r) => r.backwards)
          ? { type: MarkerType.ArrowClosed, color: colour, width: 14, height: 14 }
          : undefined,
        data: { drawn: d },
        className: `graph-edge graph-edge-${d.family}`,
        ariaLabel: `${d.source} ${d.label} ${d.target}`,
        domAttributes: {
          'data-testid': 'graph-edge',
          'data-relations': d.relations.map((r) => r.type).join(' '),
          'data-count': String(d.relations.length),
          'data-label': d.label,
        } as Record<string, string>,
        focusable: false,
      };
    });
    const nodes = graphNodes
      .map(
        (node): EntityFlowNode => ({
          id: node.ref,
          type: 'entity',
          position: at(node.ref),
          data: {
            node,
            root: node.ref === root,
            rollup,
            sources: [...(sources.get(node.ref) ?? [])],
            targets: [...(targets.get(node.ref) ?? [])],
          },
          width: NODE_WIDTH,
          height: NODE_HEIGHT,
          connectable: false,
          draggable: false,
          ariaLabel: `${node.kind} ${node.title ?? node.name}`,
        }),
      )
      // Tab moves through the nodes in reading order.
      .sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x);
    return { nodes, edges };
  }, [graphNodes, drawn, layout, root, rollup]);
  const neighbours = useMemo(() => neighbourMap(drawn), [drawn]);

  const { nodes, edges } = useMemo(() => {
    if (!focus) return base;
    const near = neighbours.get(focus) ?? new Set<string>();
    return {
      nodes: base.nodes.map((n) => ({
        ...n,
        className: n.id === focus ? 'graph-focus' : near.has(n.id) ? 'graph-lit' : 'graph-dim',
        // Above its neighbours, so its whole title shows.
        zIndex: n.id === focus ? 10 : undefined,
      })),
      edges: base.edges.map((e) => {
        const lit = e.source === focus || e.target === focus;
        return {
          ...e,
          className: `${e.className} ${lit ? 'graph-edge-lit' : 'graph-dim'}`,
          zIndex: lit ? 1 : 0,
          data: { ...e.data!, focus: lit ? focus : undefined, dim: !lit },
        };
      }),
    };
  }, [base, neighbours, focus]);

  const viewport = useMemo(() => startViewport(layout, canvas, root), [layout, canvas, root]);
  // The overview map is open from the start only when the view does not show everything.
  const [overview, setOverview] = useState(
    () => fitZoom(layout.size, drawingArea(canvas), FIT_PADDING) < LEGIBLE_ZOOM,
  );
  const large = nodes.length > 200;
  const container = useRef<HTMLDivElement>(null);
  useDrawnSignal(container, drawn.length > 0, onDrawn);
  const nodeAt = (target: EventTarget | null) =>
    (target as HTMLElement | null)?.closest?.('.react-flow__node')?.getAttribute('data-id') ??
    undefined;

  return (
    <div className="graph-flow" data-focus={focus} ref={container}>
      <ReactFlow
        // Keyboard focus highlights like the pointer does; Enter opens the node's page.
        onFocus={(e) => setFocus(nodeAt(e.target))}
        onBlur={(e) => {
          if (!nodeAt(e.relatedTarget)) setFocus(undefined);
        }}
        onKeyDown={(e) => {
          const ref = nodeAt(e.target);
          if (ref && e.key === 'Enter') navigate(entityPath(ref));
        }}
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodeClick={(_, node) => navigate(entityPath(node.id))}
        onNodeMouseEnter={(_, node) => setFocus(node.id)}
        onNodeMouseLeave={() => setFocus(undefined)}
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable={false}
        onlyRenderVisibleElements={large}
        defaultViewport={viewport}
        minZoom={0.05}
        maxZoom={2}
        proOptions={{ hideAttribution: false }}
      >
        <Background />
        <Controls showInteractive={false} fitViewOptions={{ padding: 0.04 }}>
          <ControlButton
            onClick={() => setOverview(!overview)}
            aria-pressed={overview}
            aria-label="Overview map"
            title={overview ? 'Hide the overview map' : 'Show the overview map'}
            data-testid="graph-overview-toggle"
          >
            <MapIcon size={14} aria-hidden />
          </ControlButton>
        </Controls>
        {overview && (
          <MiniMap
            pannable
            zoomable
            ariaLabel="Graph overview"
            nodeColor={(n) => `var(--kind-${kindLook((n.data as EntityNodeData).node.kind).id})`}
            nodeStrokeWidth={0}
          />
        )}
      </ReactFlow>
    </div>
  );
}
