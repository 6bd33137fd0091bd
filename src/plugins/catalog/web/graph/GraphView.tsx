/**
 * The dependency graph around an entity: settings mirrored in the URL query string (over the
 * entity kind's defaults, model.ts), the graph from `GET /api/catalog/graph`, laid out to the
 * canvas's shape (layout.ts) and drawn with React Flow (GraphCanvas.tsx). Loaded lazily by
 * GraphTab.
 */
import '@xyflow/react/dist/style.css';
import './graph.css';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import type { EntityContentProps } from '../../../../web/plugin-api.ts';
import { entityPath, ErrorState, Loading } from '../shared.tsx';
import { drawnEdges, type Family } from './edges.ts';
import { GraphCanvas } from './GraphCanvas.tsx';
import { GraphFooter, GraphToolbar } from './GraphToolbar.tsx';
import { drawingArea, FIT_PADDING, layoutGraph, type Size } from './layout.ts';
import {
  defaultSettings,
  fetchGraph,
  followsAny,
  type GraphSettings,
  readSettings,
  writeSettings,
} from './model.ts';

const FAMILY_ORDER: Array<Family | 'other'> = [
  'dependency',
  'api',
  'ownership',
  'partof',
  'membership',
  'hierarchy',
  'other',
];

let layouts = 0;

/** The element's size, kept current; the layout is shaped to it. */
function useSize(element: HTMLElement | null): Size | undefined {
  const [size, setSize] = useState<Size>();
  useLayoutEffect(() => {
    if (!element) return;
    const measure = () => {
      const r = element.getBoundingClientRect();
      // Whole 8 px steps: a scrollbar coming and going does not lay the graph out again.
      const next = { width: Math.floor(r.width / 8) * 8, height: Math.floor(r.height / 8) * 8 };
      setSize((old) =>
        old && old.width === next.width && old.height === next.height ? old : next,
      );
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return size;
}

/** The graph tab's body (default export for React.lazy). */
export default function GraphView({ entity }: EntityContentProps) {
  const root = stringifyEntityRef(entity);
  const kind = entity.kind;
  const [params, setParams] = useSearchParams();
  const settings = readSettings(params, kind);
  const defaults = useMemo(() => defaultSettings(kind), [kind]);
  const query = useQuery({
    queryKey: ['graph', root, settings],
    queryFn: ({ signal }) => fetchGraph(root, settings, signal),
    enabled: followsAny(settings),
    placeholderData: keepPreviousData,
  });
  const graph = query.data;
  const edges = useMemo(() => (graph ? drawnEdges(graph.edges) : []), [graph]);
  const families = useMemo(() => {
    const present = new Set(edges.map((e) => e.family));
    return FAMILY_ORDER.filter((f) => present.has(f));
  }, [edges]);

  const [canvasElement, setCanvasElement] = useState<HTMLDivElement | null>(null);
  const canvas = useSize(canvasElement);
  const laid = useMemo(() => {
    if (!graph || !canvas || graph.nodes.length <= 1) return undefined;
    const layout = layoutGraph(graph.nodes, edges, graph.root, drawingArea(canvas), FIT_PADDING);
    layouts += 1;
    return { id: layouts, graph, layout, sinceArrival: performance.now() - graph.receivedAt };
  }, [graph, edges, canvas]);
  const ready = laid !== undefined;

  // On opening, the graph takes the screen: its card scrolls up under the top bar.
  const section = useRef<HTMLElement>(null);
  const scrolled = useRef(false);
  useLayoutEffect(() => {
    if (!ready || scrolled.current || !section.current) return;
    scrolled.current = true;
    if (section.current.getBoundingClientRect().bottom > window.innerHeight) {
      section.current.scrollIntoView({ block: 'start' });
    }
  }, [ready]);

  // How long from the data's arrival until React Flow had drawn every node.
  const [drawn, setDrawn] = useState<{ id: number; ms: number }>();
  const onDrawn = useCallback(() => {
    if (laid) setDrawn({ id: laid.id, ms: performance.now() - laid.graph.receivedAt });
  }, [laid]);
  const drawnMs = drawn && drawn.id === laid?.id ? drawn.ms : undefined;

  const onChange = (next: GraphSettings) => setParams(writeSettings(next, kind));

  let body: React.ReactNode;
  if (!followsAny(settings)) {
    body = <div className="state">Choose at least one relation type.</div>;
  } else if (query.isError && !graph) {
    body = <ErrorState error={query.error} retry={() => query.refetch()} />;
  } else if (graph && graph.nodes.length <= 1) {
    body = (
      <div className="state" data-testid="graph-empty">
        No relations of the chosen types around{' '}
        <strong>{entity.metadata.title ?? entity.metadata.name}</strong>. Choose more relation types
        or raise the depth.
      </div>
    );
  }

  return (
    <section
      ref={section}
      className="card graph"
      aria-label="Dependency graph"
      data-testid="graph"
      data-state={ready ? 'ready' : 'pending'}
      data-node-count={ready ? laid.graph.nodes.length : undefined}
      data-edge-count={ready ? edges.length : undefined}
      data-columns={ready ? laid.layout.columns : undefined}
      data-layout-ms={ready ? laid.sinceArrival.toFixed(1) : undefined}
      data-drawn-ms={drawnMs?.toFixed(1)}
    >
      <GraphToolbar
        settings={settings}
        defaults={defaults}
        onChange={onChange}
        fetching={query.isFetching}
      />
      {graph?.truncated && (
        <div className="graph-notice" role="note" data-testid="graph-truncated">
          Showing {graph.nodes.length} of more nodes — raise the limit or lower the depth.
        </div>
      )}
      {graph && query.isError && <ErrorState error={query.error} retry={() => query.refetch()} />}
      {body ?? (
        <div className="graph-canvas" ref={setCanvasElement}>
          {laid ? (
            <GraphCanvas
              // A new layout starts a new view (React Flow reads the viewport once).
              key={laid.id}
              nodes={laid.graph.nodes}
              edges={edges}
              root={laid.graph.root}
              layout={laid.layout}
              canvas={canvas!}
              rollup={settings.rollup !== 'none'}
              onDrawn={onDrawn}
            />
          ) : (
            <Loading what="the graph" />
          )}
        </div>
      )}
      {ready && (
        <GraphFooter
          families={families}
          counts={{ nodes: laid.graph.nodes.length, edges: edges.length }}
        />
      )}
      {ready && (
        <details className="graph-list">
          <summary>The nodes as a list</summary>
          <ul className="plain">
            {laid.graph.nodes.map((n) => (
              <li key={n.ref}>
                <Link to={entityPath(n.ref)}>{n.ref}</Link>
                {n.count !== undefined && settings.rollup !== 'none' ? ` (${n.count})` : ''}
                {n.missing ? ' — not in the catalog' : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
