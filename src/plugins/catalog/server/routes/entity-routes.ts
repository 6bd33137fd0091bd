import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PluginEnvironment, RouteContext } from '../../../../core/plugin-api.ts';
import type { EntityRow } from '../store/entity-store.ts';
import type { Entity } from '../../../../model/entity.ts';
import { InputError, NotFoundError } from '../../../../core/errors.ts';
import { parseOrderParam } from '../query/entity-query.ts';
import { parseFilterParams } from '../query/predicate.ts';
import { parseFields } from '../query/projection.ts';
import { StarredStore } from '../store/starred-store.ts';
import { starredOnly } from './starred-routes.ts';
import {
  and,
  type Deps,
  entityRefOf,
  jsonArray,
  locationJson,
  nameParams,
  P,
  strict,
  strings,
  toPredicateBody,
  entityNotFound,
  rowByNameOr404,
  MAX_PAGE_NUMBER,
  pageNumber,
  pageNumbers,
  readFilter,
  mayRead,
} from './shared.ts';

/** What Fastify sends for an object; a route answering JSON text names it itself. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** Entity reads, facets, deletion and refresh (Backstage's catalog API, COMPAT.md §5.2). */
export function registerEntityRoutes(env: PluginEnvironment, deps: Deps) {
  const { service, store, locations, query } = deps;
  const starred = new StarredStore(env.database);
  /** Atrium's `starred=true`: only the caller's starred entities, with their read filter. */
  const listFilter = async (ctx: RouteContext, onlyStarred: boolean | undefined) =>
    and(await readFilter(ctx, deps), onlyStarred ? await starredOnly(starred, ctx) : undefined);
  /** The entity the path names, assembled, or 404 when missing or not readable by the caller. */
  const readable = async (ctx: RouteContext, row: EntityRow | undefined, notFound: () => Error) => {
    if (!row) throw notFound();
    const [entity] = await store.assemble([row]);
    if (!entity || !(await mayRead(ctx, entity, row.entity_ref))) throw notFound();
    return entity;
  };
  env.route({
    method: 'GET',
    url: '/entities',
    permission: P.read,
    schema: {
      querystring: strict({
        filter: strings,
        fields: strings,
        order: strings,
        offset: pageNumber(0),
        limit: pageNumber(1),
        after: { type: 'string' },
      }),
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const q = request.query as {
        filter?: string[];
        fields?: string[];
        order?: string[];
        offset?: number;
        limit?: number;
        after?: string;
      };
      let { limit, offset } = pageNumbers(q);
      if (q.after) {
        let after: { limit?: unknown; offset?: unknown };
        try {
          after = JSON.parse(Buffer.from(q.after, 'base64').toString('utf8'));
        } catch {
          throw new InputError('Malformed after cursor');
        }
        const valid = (n: unknown, min: number) =>
          Number.isInteger(n) && (n as number) >= min && (n as number) <= MAX_PAGE_NUMBER;
        if (!valid(after.limit, 1) || !valid(after.offset, 0))
          throw new InputError('Malformed after cursor');
        limit = after.limit as number;
        offset = after.offset as number;
      }
      const filter = and(parseFilterParams(q.filter), await readFilter(ctx, deps));
      const fields = parseFields(q.fields);
      const order = q.order?.map((o) => parseOrderParam(o, 'colon'));
      if (limit === undefined && offset === undefined) {
        reply.type('application/json; charset=utf-8');
        return Readable.from(jsonArray(query.listAll({ filter, fields, order })));
      }
      const result = await query.list({ filter, fields, order, limit, offset });
      if (result.hasMore && limit !== undefined) {
        const after = Buffer.from(
          JSON.stringify({ limit, offset: (offset ?? 0) + limit }),
        ).toString('base64');
        const params = new URLSearchParams();
        for (const f of q.filter ?? []) params.append('filter', f);
        for (const f of q.fields ?? []) params.append('fields', f);
        for (const o of q.order ?? []) params.append('order', o);
        params.set('after', after);
        reply.header('link', `</entities?${params.toString()}>; rel="next"`);
      }
      return result.items;
    },
  });

  env.route({
    method: 'GET',
    url: '/entities/by-query',
    permission: P.read,
    schema: {
      querystring: strict({
        filter: strings,
        fields: strings,
        orderField: strings,
        fullTextFilterTerm: { type: 'string' },
        fullTextFilterFields: strings,
        limit: pageNumber(0),
        offset: pageNumber(0),
        cursor: { type: 'string' },
        totalItems: { type: 'string', enum: ['include', 'exclude'] },
        starred: { type: 'boolean' },
      }),
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const q = request.query as {
        starred?: boolean;
        filter?: string[];
        fields?: string[];
        orderField?: string[];
        fullTextFilterTerm?: string;
        fullTextFilterFields?: string[];
        limit?: number;
        offset?: number;
        cursor?: string;
        totalItems?: 'include' | 'exclude';
      };
      pageNumbers(q);
      const fullTextFields = parseFields(q.fullTextFilterFields);
      // Written as JSON text from the stored entities (EntityQuery.byQueryJson).
      reply.type(JSON_TYPE);
      return query.byQueryJson({
        cursor: q.cursor,
        filter: parseFilterParams(q.filter),
        orderField: q.orderField?.[0] ? parseOrderParam(q.orderField[0], 'comma') : undefined,
        fullTextFilter: q.fullTextFilterTerm
          ? { term: q.fullTextFilterTerm, fields: fullTextFields }
          : undefined,
        fields: parseFields(q.fields),
        limit: q.limit,
        offset: q.offset,
        totalItems: q.totalItems !== 'exclude',
        readFilter: await listFilter(ctx, q.starred),
      });
    },
  });

  env.route({
    method: 'POST',
    url: '/entities/by-query',
    permission: P.read,
    schema: {
      body: strict({
        query: { type: 'object' },
        orderBy: {
          type: 'array',
          items: strict(
            { field: { type: 'string' }, order: { type: 'string', enum: ['asc', 'desc'] } },
            ['field'],
          ),
        },
        fullTextFilter: strict({ term: { type: 'string' }, fields: strings }, ['term']),
        fields: strings,
        limit: pageNumber(0),
        offset: pageNumber(0),
        totalItems: {
          anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['include', 'exclude'] }],
        },
        cursor: { type: 'string' },
      }),
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const b = request.body as {
        query?: unknown;
        orderBy?: Array<{ field: string; order?: 'asc' | 'desc' }>;
        fullTextFilter?: { term: string; fields?: string[] };
        fields?: string[];
        limit?: number;
        offset?: number;
        totalItems?: boolean | 'include' | 'exclude';
        cursor?: string;
      };
      pageNumbers(b);
      const order = b.orderBy?.[0];
      reply.type(JSON_TYPE);
      return query.byQueryJson({
        cursor: b.cursor,
        filter: toPredicateBody(b.query, 'query'),
        orderField: order ? { field: order.field, order: order.order ?? 'asc' } : undefined,
        fullTextFilter: b.fullTextFilter,
        fields: b.fields,
        limit: b.limit,
        offset: b.offset,
        totalItems: b.totalItems !== false && b.totalItems !== 'exclude',
        viaPost: true,
        readFilter: await readFilter(ctx, deps),
      });
    },
  });

  env.route({
    method: 'POST',
    url: '/entities/by-refs',
    permission: P.read,
    schema: {
      querystring: strict({ filter: strings }),
      body: strict({ entityRefs: strings, fields: strings, query: { type: 'object' } }, [
        'entityRefs',
      ]),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const b = request.body as { entityRefs: string[]; fields?: string[]; query?: unknown };
      const q = request.query as { filter?: string[] };
      const filter = and(
        and(parseFilterParams(q.filter), toPredicateBody(b.query, 'query')),
        await readFilter(ctx, deps),
      );
      return { items: await query.byRefs(b.entityRefs, b.fields, filter) };
    },
  });

  env.route({
    method: 'GET',
    url: '/entities/by-uid/:uid',
    permission: P.read,
    schema: { params: strict({ uid: { type: 'string' } }, ['uid']) },
    async handler(request: FastifyRequest, _reply, ctx) {
      const { uid } = request.params as { uid: string };
      const row = await store.rowByUid(uid);
      return readable(ctx, row, () => new NotFoundError(`No entity with uid ${uid}`));
    },
  });

  env.route({
    method: 'DELETE',
    url: '/entities/by-uid/:uid',
    permission: P.delete,
    schema: { params: strict({ uid: { type: 'string' } }, ['uid']) },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const { uid } = request.params as { uid: string };
      const row = await store.rowByUid(uid);
      if (row) {
        const entity = await readable(
          ctx,
          row,
          () => new NotFoundError(`No entity with uid ${uid}`),
        );
        await ctx.require(P.delete, { ref: row.entity_ref, resource: entity });
        ctx.audit({
          action: P.delete.name,
          resourceRef: row.entity_ref,
          outcome: 'success',
          details: { uid, location: row.location_id },
        });
      }
      await store.deleteByUid(uid, { type: 'delete', actor: ctx.identity.userEntityRef });
      reply.status(204);
      return reply.send();
    },
  });

  env.route({
    method: 'GET',
    url: '/entities/by-name/:kind/:namespace/:name',
    permission: P.read,
    schema: { params: nameParams },
    async handler(request: FastifyRequest, _reply, ctx) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const ref = entityRefOf(p);
      const entity = await query.entityByRef(ref);
      if (!entity || !(await mayRead(ctx, entity, ref))) throw entityNotFound(p);
      return entity;
    },
  });

  /** Atrium's ingestion status of one entity: where it comes from, when, and its problems. */
  env.route({
    method: 'GET',
    url: '/entities/by-name/:kind/:namespace/:name/status',
    permission: P.read,
    schema: { params: nameParams },
    async handler(request: FastifyRequest, _reply, ctx) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const row = await rowByNameOr404(store, p);
      await readable(ctx, row, () => entityNotFound(p));
      const location = row.location_id ? await locations.get(row.location_id) : undefined;
      return {
        entityRef: row.entity_ref,
        location: location ? locationJson(location) : null,
        lastReadAt: location?.last_read_at ?? null,
        updatedAt: row.updated_at,
        contentHash: row.hash,
        orphan: Boolean(row.orphan),
        items: row.problems ? JSON.parse(row.problems) : [],
      };
    },
  });

  env.route({
    method: 'GET',
    url: '/entities/by-name/:kind/:namespace/:name/ancestry',
    permission: P.read,
    schema: { params: nameParams },
    async handler(request: FastifyRequest, _reply, ctx) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const items: Array<{ entity: Entity; parentEntityRefs: string[] }> = [];
      let ref: string | null = entityRefOf(p);
      const seen = new Set<string>();
      while (ref && !seen.has(ref)) {
        seen.add(ref);
        const row = await store.rowByRef(ref);
        if (!row) {
          if (!items.length) throw entityNotFound(p);
          break;
        }
        const [entity] = await store.assemble([row]);
        // An ancestor the caller may not read ends the chain, as a missing one does.
        if (!entity || !(await mayRead(ctx, entity, row.entity_ref))) {
          if (!items.length) throw entityNotFound(p);
          break;
        }
        items.push({ entity: entity!, parentEntityRefs: row.parent_ref ? [row.parent_ref] : [] });
        ref = row.parent_ref;
      }
      return { rootEntityRef: entityRefOf(p), items };
    },
  });

  env.route({
    method: 'GET',
    url: '/entity-facets',
    permission: P.read,
    schema: {
      querystring: strict({ facet: strings, filter: strings, starred: { type: 'boolean' } }, [
        'facet',
      ]),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as { facet: string[]; filter?: string[]; starred?: boolean };
      const filter = and(parseFilterParams(q.filter), await listFilter(ctx, q.starred));
      return { facets: await query.facets(q.facet, filter) };
    },
  });

  env.route({
    method: 'POST',
    url: '/entity-facets',
    permission: P.read,
    schema: {
      body: strict({ facets: { ...strings, minItems: 1 }, query: { type: 'object' } }, ['facets']),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const b = request.body as { facets: string[]; query?: unknown };
      const filter = and(toPredicateBody(b.query, 'query'), await readFilter(ctx, deps));
      return { facets: await query.facets(b.facets, filter) };
    },
  });

  env.route({
    method: 'POST',
    url: '/refresh',
    permission: P.refresh,
    schema: {
      body: strict(
        { entityRef: { type: 'string', minLength: 1 }, authorizationToken: { type: 'string' } },
        ['entityRef'],
      ),
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const { entityRef } = request.body as { entityRef: string };
      const ref = entityRef.toLowerCase();
      const row = await store.rowByRef(ref);
      if (row) {
        const entity = await readable(ctx, row, () => new NotFoundError(`No entity ${ref}`));
        await ctx.require(P.refresh, { ref, resource: entity });
      }
      await service.refreshEntity(ref);
      reply.status(200);
      return reply.send();
    },
  });

  /** Atrium: recently changed entities, newest first. */
  env.route({
    method: 'GET',
    url: '/entities/recent',
    permission: P.read,
    schema: {
      querystring: strict({
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        filter: strings,
      }),
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const q = request.query as { limit?: number; filter?: string[] };
      const filter = and(parseFilterParams(q.filter), await readFilter(ctx, deps));
      return { items: await query.recent(q.limit ?? 20, filter) };
    },
  });
}
