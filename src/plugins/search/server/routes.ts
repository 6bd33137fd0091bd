import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../../core/errors.ts';
import type { Permission, PluginEnvironment, RouteContext } from '../../../core/plugin-api.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { SearchResult, SearchResultSet } from '../common/types.ts';
import type { SearchEngine } from './engine/index.ts';
import { encodeCursor, type ParsedQuery, parseQuery, querySchema } from './query-params.ts';
import type { Reindexer, ReindexProgress } from './reindex.ts';

export const SEARCH_PERMISSIONS = {
  query: { name: 'search.query', attributes: { action: 'read' } },
  reindex: { name: 'search.reindex', attributes: { action: 'update' } },
} satisfies Record<string, Permission>;

export const DEFAULT_PAGE_LIMIT = 25;

/** Backstage drops results that would link somewhere other than the portal or the web. */
function linkable(location: unknown): boolean {
  return (
    typeof location === 'string' && (/^\/(?!\/)/.test(location) || /^https?:\/\//i.test(location))
  );
}

export interface SearchRouteDeps {
  engine: SearchEngine & { hasType(type: string): Promise<boolean> };
  reindexer: Reindexer;
  /** Results about an entity are found only by callers who may read the entity. */
  catalog: Pick<CatalogApi, 'readFilter' | 'query'>;
}

/**
 * One page of results for the caller: the caller's read conditions filter inside the
 * engine's query, so that pages are full and `numberOfResults` counts only what the caller
 * may see. Matches are highlighted between the given tags.
 */
export async function searchFor(
  deps: SearchRouteDeps,
  ctx: RouteContext,
  q: ParsedQuery,
  tags: { preTag: string; postTag: string },
): Promise<SearchResultSet> {
  const { engine, reindexer, catalog } = deps;
  for (const type of q.types) {
    if (!reindexer.collators.has(type) && !(await engine.hasType(type))) {
      const known = [...new Set([...reindexer.collators.keys(), ...(await engine.types())])];
      throw new InputError(
        `querystring.types: unknown search type '${type}' (known types: ${known.sort().join(', ')})`,
      );
    }
  }
  const offset = q.page * q.pageLimit;
  const readable = await catalog.readFilter(ctx);
  const page = await engine.query({
    term: q.term,
    types: q.types,
    filters: q.filters,
    offset,
    limit: q.pageLimit,
    tags,
    ...(readable ? { entityRefs: catalog.query.refsMatching(readable) } : {}),
  });
  const results: SearchResult[] = [];
  page.hits.forEach((hit) => {
    if (!linkable(hit.document.location)) return;
    const { authorization: _hidden, ...document } = hit.document;
    const result: SearchResult = {
      type: hit.type,
      document: document as SearchResult['document'],
      rank: hit.rank,
    };
    if (hit.highlight) result.highlight = { ...tags, fields: hit.highlight };
    results.push(result);
  });
  const out: SearchResultSet = { results, numberOfResults: page.total };
  if (!page.exact) out.numberOfResultsIsLowerBound = true;
  if (offset + page.hits.length < page.total) out.nextPageCursor = encodeCursor(q.page + 1);
  if (q.page > 0) out.previousPageCursor = encodeCursor(q.page - 1);
  return out;
}

export function registerSearchRoutes(env: PluginEnvironment, deps: SearchRouteDeps) {
  const { reindexer } = deps;
  const limits = env.config.search;

  env.route({
    method: 'GET',
    url: '/query',
    permission: SEARCH_PERMISSIONS.query,
    schema: { querystring: querySchema(limits) },
    async handler(request: FastifyRequest, _reply, ctx): Promise<SearchResultSet> {
      const q = parseQuery(
        request.query as Record<string, unknown>,
        Math.min(DEFAULT_PAGE_LIMIT, limits.maxPageLimit),
      );
      const tag = randomUUID();
      return searchFor(deps, ctx, q, { preTag: `<${tag}>`, postTag: `</${tag}>` });
    },
  });

  env.route({
    method: 'POST',
    url: '/reindex',
    permission: SEARCH_PERMISSIONS.reindex,
    schema: {
      body: {
        type: 'object',
        properties: { types: { type: 'array', items: { type: 'string', minLength: 1 } } },
        additionalProperties: false,
      },
    },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const types = (request.body as { types?: string[] } | undefined)?.types;
      const stream = /application\/x-ndjson/.test(String(request.headers.accept ?? ''));
      if (!stream) return reindexer.reindex(types);
      // Checked before the 200 goes out, so a bad type is still a 400.
      reindexer.resolveTypes(types);
      reply.type('application/x-ndjson');
      return Readable.from(progressLines(reindexer, types));
    },
  });
}

/** One JSON line per progress report, then `{"done": summary}` or `{"error": message}`. */
async function* progressLines(reindexer: Reindexer, types: string[] | undefined) {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const push = (line: unknown) => {
    queue.push(`${JSON.stringify(line)}\n`);
    wake?.();
  };
  reindexer
    .reindex(types, (p: ReindexProgress) => push({ progress: p }))
    .then((summary) => push({ done: summary }))
    .catch((error: Error) => push({ error: error.message }))
    .finally(() => {
      finished = true;
      wake?.();
    });
  while (true) {
    while (queue.length) yield queue.shift()!;
    if (finished) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
}
