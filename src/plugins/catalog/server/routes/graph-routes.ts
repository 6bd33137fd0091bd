import type { FastifyRequest } from 'fastify';
import type { Database, PluginEnvironment, RouteContext } from '../../../../core/plugin-api.ts';
import { InputError, NotFoundError } from '../../../../core/errors.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/index.ts';
import {
  DEFAULT_GRAPH_RELATIONS,
  GRAPH_DEFAULTS,
  type GraphDirection,
  GraphQuery,
  type GraphResponse,
  type GraphRollup,
  RelationCatalog,
} from '../graph/graph-query.ts';
import { type Deps, P, readFilter, strict, strings } from './shared.ts';

/** What the graph is asked for: `GET /graph`'s query, and the `get-entity-relations` action's input. */
export interface GraphParams {
  root: string;
  relations?: string[];
  /** Followed from the root only; when given without `relations`, nothing is followed further. */
  nearRelations?: string[];
  depth?: number;
  direction?: GraphDirection;
  limit?: number;
  rollup?: GraphRollup;
}

export const graphQuerySchema = strict(
  {
    root: { type: 'string', minLength: 1 },
    relations: strings,
    nearRelations: strings,
    depth: { type: 'integer', minimum: 1, maximum: GRAPH_DEFAULTS.maxDepth },
    direction: { type: 'string', enum: ['both', 'outgoing'] },
    limit: { type: 'integer', minimum: 1, maximum: GRAPH_DEFAULTS.maxLimit },
    rollup: { type: 'string', enum: ['none', 'system', 'domain'] },
  },
  ['root'],
);

/**
 * The relation graph around one entity as the caller may see it (see graph/graph-query.ts for
 * traversal, limits, canonical edges and roll-up): entities the caller may not read leave it
 * with their edges, and a root the caller may not read is not found.
 */
export function entityGraphReader(database: Database, deps: Deps) {
  const relations = RelationCatalog.fromRegistry(deps.registry);
  const graph = new GraphQuery(database.reader, database.dialect, relations, deps.registry);
  return async (ctx: RouteContext, q: GraphParams): Promise<GraphResponse> => {
    let root: string;
    try {
      root = stringifyEntityRef(parseEntityRef(q.root));
    } catch (error) {
      throw new InputError(`Invalid root entity ref '${q.root}'`, error);
    }
    const known = (names: readonly string[]) =>
      new Set(
        names.map((name) => {
          const type = relations.lookup(name);
          if (!type) throw new InputError(`Unknown relation type '${name}'`);
          return type;
        }),
      );
    const near = known(q.nearRelations ?? []);
    const types = known(
      q.relations?.length ? q.relations : near.size ? [] : DEFAULT_GRAPH_RELATIONS,
    );
    const result = await graph.graph({
      root,
      relations: [...types],
      nearRelations: [...near].filter((type) => !types.has(type)),
      depth: q.depth ?? GRAPH_DEFAULTS.depth,
      direction: q.direction ?? 'both',
      limit: q.limit ?? GRAPH_DEFAULTS.limit,
      rollup: q.rollup ?? 'none',
    });
    const notFound = () => new NotFoundError(`No entity with ref '${root}' found`);
    if (!result) throw notFound();
    const filter = await readFilter(ctx, deps);
    if (!filter) return result;
    // Entities the caller may not read leave the graph with their edges; the root among
    // them answers 404 as a missing one would.
    const stored = result.nodes.filter((n) => !n.missing).map((n) => n.ref);
    const visible = await deps.query.matchingRefs(stored, filter);
    if (!visible.has(result.root)) throw notFound();
    const missing = new Set(result.nodes.filter((n) => n.missing).map((n) => n.ref));
    const shown = (ref: string) => visible.has(ref) || missing.has(ref);
    return {
      ...result,
      nodes: result.nodes.filter((n) => shown(n.ref)),
      edges: result.edges.filter((e) => shown(e.source) && shown(e.target)),
    };
  };
}

/** `GET /graph`: the relation graph around one entity, for the web app's dependency graph. */
export function registerGraphRoutes(env: PluginEnvironment, deps: Deps) {
  const read = entityGraphReader(env.database, deps);
  env.route({
    method: 'GET',
    url: '/graph',
    permission: P.read,
    schema: { querystring: graphQuerySchema },
    async handler(request: FastifyRequest, _reply, ctx) {
      return read(ctx, request.query as GraphParams);
    },
  });
}
