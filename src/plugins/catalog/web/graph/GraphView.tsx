/**
 * The dependency graph around an entity: controls mirrored in the URL query string, the
 * graph from `GET /api/catalog/graph`, laid out by ELK (see layout.ts) and drawn with React
 * Flow. Loaded lazily by GraphTab.
 */
import '@xyflow/react/dist/style.css';
import './graph.css';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  MiniMap,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import { type EntityContentProps, KindIcon, kindLook } from '../../../../web/plugin-api.ts';
import { entityPath, ErrorState, Loading } from '../shared.tsx';
import { ELK_MAX_NODES, type GraphLayout, layoutGraph, NODE_HEIGHT, NODE_WIDTH } from './layout.ts';
import {
  DEPTHS,
  type Direction,
  fetchGraph,
  type GraphNode,
  type GraphResponse,
  type GraphSettings,
  LIMITS,
  RELATION_GROUPS,
  type RelationGroupId,
  type Rollup,
  readSettings,
  writeSettings,
} from './model.ts';

type EntityNodeData = { node: GraphNode; root: boolean; rollup: boolean };
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
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <KindIcon kind={node.kind} size={18} className="graph-node-icon" />
      <span className="graph-node-text">
        <span className="graph-node-kind">
          {node.kind}
          {node.type ? ` · ${node.type}` : ''}
          {node.missing ? ' · not in the catalog' : ''}
        </span>
        <span className="graph-node-title">{node.title ?? node.name}</span>
        {rollup && node.count !== undefined && (
          <span className="graph-node-count" data-testid="graph-node-count">
            {node.count} {node.count === 1 ? 'entity' : 'entities'}
          </span>
        )}
      </span>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

const NODE_TYPES = { entity: EntityNode };

/**
 * What a reader needs to know about the layout: only that a large graph is drawn in plain
 * columns. Which engine ran and how long it took are on the graph's data attributes.
 */
function layoutNote(layout: GraphLayout): string {
  return layout.method === 'columns'
    ? ` Above ${ELK_MAX_NODES} nodes the graph is drawn in columns by distance from this entity.`
    : '';
}

function Controls_({
  settings,
  onChange,
  fetching,
}: {
  settings: GraphSettings;
  onChange: (next: GraphSettings) => void;
  fetching: boolean;
}) {
  const toggle = (id: RelationGroupId, on: boolean) =>
    onChange({
      ...settings,
      groups: RELATION_GROUPS.map((g) => g.id).filter((g) =>
        g === id ? on : settings.groups.includes(g),
      ),
    });
  return (
    <form
      className="graph-controls"
      aria-label="Graph settings"
      onSubmit={(e) => e.preventDefault()}
    >
      <fieldset>
        <legend>Relations</legend>
        {RELATION_GROUPS.map((g) => (
          <label key={g.id}>
            <input
              type="checkbox"
              name={`rel-${g.id}`}
              checked={settings.groups.includes(g.id)}
              onChange={(e) => toggle(g.id, e.currentTarget.checked)}
            />{' '}
            {g.label}
          </label>
        ))}
      </fieldset>
      <label>
        Depth{' '}
        <select
          name="depth"
          value={settings.depth}
          onChange={(e) => onChange({ ...settings, depth: Number(e.currentTarget.value) })}
        >
          {DEPTHS.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label>
        Direction{' '}
        <select
          name="direction"
          value={settings.direction}
          onChange={(e) => onChange({ ...settings, direction: e.currentTarget.value as Direction })}
        >
          <option value="both">Both ways</option>
          <option value="outgoing">Outgoing only</option>
        </select>
      </label>
      <label>
        Roll up{' '}
        <select
          name="rollup"
          value={settings.rollup}
          onChange={(e) => onChange({ ...settings, rollup: e.currentTarget.value as Rollup })}
        >
          <option value="none">None</option>
          <option value="system">By system</option>
          <option value="domain">By domain</option>
        </select>
      </label>
      <label>
        Node limit{' '}
        <select
          name="limit"
          value={settings.limit}
          onChange={(e) => onChange({ ...settings, limit: Number(e.currentTarget.value) })}
        >
          {[...new Set([...LIMITS, settings.limit])]
            .sort((a, b) => a - b)
            .map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
        </select>
      </label>
      {fetching && (
        <span className="muted" role="status">
          Updating…
        </span>
      )}
    </form>
  );
}

function GraphCanvas({
  graph,
  layout,
  rollup,
}: {
  graph: GraphResponse;
  layout: GraphLayout;
  rollup: boolean;
}) {
  const navigate = useNavigate();
  const { nodes, edges } = useMemo(() => {
    const nodes: EntityFlowNode[] = graph.nodes.map((node) => ({
      id: node.ref,
      type: 'entity',
      position: layout.positions.get(node.ref) ?? { x: 0, y: 0 },
      data: { node, root: node.ref === graph.root, rollup },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      connectable: false,
    }));
    const edges: Edge[] = graph.edges.map((e) => ({
      id: `${e.source}|${e.type}|${e.target}`,
      source: e.source,
      target: e.target,
      label: e.type,
      markerEnd: { type: MarkerType.ArrowClosed },
    }));
    return { nodes, edges };
  }, [graph, layout, rollup]);
  const large = nodes.length > 200;
  return (
    <div className="graph-canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodeClick={(_, node) => navigate(entityPath(node.id))}
        nodesConnectable={false}
        onlyRenderVisibleElements={large}
        fitView
        // Tall graphs would fit at an unreadable zoom; keep labels readable and let people pan.
        fitViewOptions={{ padding: 0.1, maxZoom: 1.2, minZoom: 0.45 }}
        minZoom={0.05}
        maxZoom={2}
      >
        <Background />
        <Controls showInteractive={false} />
        {!large && <MiniMap pannable zoomable ariaLabel="Graph overview" />}
      </ReactFlow>
    </div>
  );
}

/** The graph tab's body (default export for React.lazy). */
export default function GraphView({ entity }: EntityContentProps) {
  const root = stringifyEntityRef(entity);
  const [params, setParams] = useSearchParams();
  const settings = readSettings(params);
  const query = useQuery({
    queryKey: ['graph', root, settings],
    queryFn: ({ signal }) => fetchGraph(root, settings, signal),
    enabled: settings.groups.length > 0,
    placeholderData: keepPreviousData,
  });
  const graph = query.data;
  const [laid, setLaid] = useState<
    { graph: GraphResponse; layout: GraphLayout } | { graph: GraphResponse; error: unknown }
  >();
  useEffect(() => {
    if (!graph) return;
    let live = true;
    layoutGraph(graph.nodes, graph.edges).then(
      (layout) => live && setLaid({ graph, layout }),
      (error: unknown) => live && setLaid({ graph, error }),
    );
    return () => {
      live = false;
    };
  }, [graph]);

  const onChange = (next: GraphSettings) => setParams(writeSettings(next));
  const current = laid && laid.graph === graph ? laid : undefined;

  let body: React.ReactNode;
  if (settings.groups.length === 0) {
    body = <div className="state">Choose at least one relation type.</div>;
  } else if (query.isError && !graph) {
    body = <ErrorState error={query.error} retry={() => query.refetch()} />;
  } else if (!graph) {
    body = <Loading what="the graph" />;
  } else if (graph.nodes.length <= 1) {
    body = (
      <div className="state" data-testid="graph-empty">
        No relations of the chosen types around{' '}
        <strong>{entity.metadata.title ?? entity.metadata.name}</strong>. Tick more relation types
        or raise the depth.
      </div>
    );
  } else if (!current) {
    body = <Loading what={`the layout of ${graph.nodes.length} nodes`} />;
  } else if ('error' in current) {
    body = <ErrorState error={current.error} />;
  } else {
    body = (
      <>
        {graph.truncated && (
          <div className="graph-notice" role="note" data-testid="graph-truncated">
            Showing {graph.nodes.length} of more nodes — raise the limit or lower the depth.
          </div>
        )}
        {query.isError && <ErrorState error={query.error} retry={() => query.refetch()} />}
        <p className="muted graph-info" data-testid="graph-info">
          {graph.nodes.length} nodes, {graph.edges.length} edges.
          {layoutNote(current.layout)} Click a node to open its page.
        </p>
        <GraphCanvas graph={graph} layout={current.layout} rollup={settings.rollup !== 'none'} />
        <details className="graph-list">
          <summary>The nodes as a list</summary>
          <ul className="plain">
            {graph.nodes.map((n) => (
              <li key={n.ref}>
                <Link to={entityPath(n.ref)}>{n.ref}</Link>
                {n.count !== undefined && settings.rollup !== 'none' ? ` (${n.count})` : ''}
                {n.missing ? ' — not in the catalog' : ''}
              </li>
            ))}
          </ul>
        </details>
      </>
    );
  }

  return (
    <section
      className="card graph"
      aria-label="Dependency graph"
      data-testid="graph"
      data-state={current && 'layout' in current ? 'ready' : 'pending'}
      data-node-count={current && 'layout' in current ? graph?.nodes.length : undefined}
      data-layout={current && 'layout' in current ? current.layout.method : undefined}
      data-layout-ms={
        current && 'layout' in current ? Math.round(current.layout.millis) : undefined
      }
    >
      <Controls_ settings={settings} onChange={onChange} fetching={query.isFetching} />
      {body}
    </section>
  );
}
