import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Entity } from '../../../model/entity.ts';
import { type KindRegistry, parseLocationRef, validateEntity } from '../../../model/index.ts';
import { InputError, NotAllowedError, NotFoundError } from '../../../core/errors.ts';
import type { PluginEnvironment, Permission } from '../../../core/plugin-api.ts';
import type { CatalogService } from './catalog-service.ts';
import { generatedLocationRef } from './ingest/ingest-location.ts';
import { type EntityQuery, parseOrderParam } from './query/entity-query.ts';
import { parseFilterParams, type Predicate, validatePredicate } from './query/predicate.ts';
import { parseFields } from './query/projection.ts';
import type { EntityStore } from './store/entity-store.ts';
import type { LocationRow, LocationStore } from './store/location-store.ts';
import { toStatus } from './store/location-store.ts';

const P = {
  read: {
    name: 'catalog.entity.read',
    attributes: { action: 'read' },
    resourceType: 'catalog-entity',
  },
  create: { name: 'catalog.entity.create', attributes: { action: 'create' } },
  delete: {
    name: 'catalog.entity.delete',
    attributes: { action: 'delete' },
    resourceType: 'catalog-entity',
  },
  refresh: {
    name: 'catalog.entity.refresh',
    attributes: { action: 'update' },
    resourceType: 'catalog-entity',
  },
  validate: { name: 'catalog.entity.validate' },
  locationRead: { name: 'catalog.location.read', attributes: { action: 'read' } },
  locationCreate: { name: 'catalog.location.create', attributes: { action: 'create' } },
  locationDelete: { name: 'catalog.location.delete', attributes: { action: 'delete' } },
  analyze: { name: 'catalog.location.analyze' },
} satisfies Record<string, Permission>;

const strings = { type: 'array', items: { type: 'string' } } as const;
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

interface Deps {
  service: CatalogService;
  store: EntityStore;
  locations: LocationStore;
  query: EntityQuery;
  registry: KindRegistry;
  readonly: boolean;
}

/** Serialises pages of entities as one JSON array, a page at a time. */
async function* jsonArray(pages: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of pages) {
    for (const item of page) {
      yield `${first ? '' : ','}${JSON.stringify(item)}`;
      first = false;
    }
  }
  yield ']';
}

function locationJson(row: LocationRow) {
  return {
    id: row.id,
    type: row.type,
    target: row.target,
    entityRef: generatedLocationRef(row.type, row.target),
  };
}

function entityRefOf(params: { kind: string; namespace: string; name: string }) {
  return `${params.kind}:${params.namespace}/${params.name}`.toLowerCase();
}

function toPredicateBody(value: unknown, path: string): Predicate | undefined {
  return value === undefined ? undefined : validatePredicate(value, path);
}

function and(a: Predicate | undefined, b: Predicate | undefined): Predicate | undefined {
  if (a && b) return { $all: [a, b] };
  return a ?? b;
}

function parseBool(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|y|1)$/i.test(value.trim());
}

export function registerCatalogRoutes(env: PluginEnvironment, deps: Deps) {
  const { service, store, locations, query } = deps;
  const guardWritable = () => {
    if (deps.readonly)
      throw new NotAllowedError('This catalog is read-only (catalog.readonly: true)');
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
        offset: { type: 'integer', minimum: 0 },
        limit: { type: 'integer', minimum: 1 },
        after: { type: 'string' },
      }),
    },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const q = request.query as {
        filter?: string[];
        fields?: string[];
        order?: string[];
        offset?: number;
        limit?: number;
        after?: string;
      };
      let { limit, offset } = q;
      if (q.after) {
        let after: { limit?: unknown; offset?: unknown };
        try {
          after = JSON.parse(Buffer.from(q.after, 'base64').toString('utf8'));
        } catch {
          throw new InputError('Malformed after cursor');
        }
        if (typeof after.limit !== 'number' || typeof after.offset !== 'number')
          throw new InputError('Malformed after cursor');
        limit = after.limit;
        offset = after.offset;
      }
      const filter = parseFilterParams(q.filter);
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
        limit: { type: 'integer', minimum: 0 },
        offset: { type: 'integer', minimum: 0 },
        cursor: { type: 'string' },
        totalItems: { type: 'string', enum: ['include', 'exclude'] },
      }),
    },
    async handler(request: FastifyRequest) {
      const q = request.query as {
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
      const fullTextFields = parseFields(q.fullTextFilterFields);
      return query.byQuery({
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
        limit: { type: 'integer', minimum: 0 },
        offset: { type: 'integer', minimum: 0 },
        totalItems: {
          anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['include', 'exclude'] }],
        },
        cursor: { type: 'string' },
      }),
    },
    async handler(request: FastifyRequest) {
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
      const order = b.orderBy?.[0];
      return query.byQuery({
        cursor: b.cursor,
        filter: toPredicateBody(b.query, 'query'),
        orderField: order ? { field: order.field, order: order.order ?? 'asc' } : undefined,
        fullTextFilter: b.fullTextFilter,
        fields: b.fields,
        limit: b.limit,
        offset: b.offset,
        totalItems: b.totalItems !== false && b.totalItems !== 'exclude',
        viaPost: true,
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
    async handler(request: FastifyRequest) {
      const b = request.body as { entityRefs: string[]; fields?: string[]; query?: unknown };
      const q = request.query as { filter?: string[] };
      const filter = and(parseFilterParams(q.filter), toPredicateBody(b.query, 'query'));
      return { items: await query.byRefs(b.entityRefs, b.fields, filter) };
    },
  });

  env.route({
    method: 'GET',
    url: '/entities/by-uid/:uid',
    permission: P.read,
    schema: { params: strict({ uid: { type: 'string' } }, ['uid']) },
    async handler(request: FastifyRequest) {
      const { uid } = request.params as { uid: string };
      const row = await store.rowByUid(uid);
      if (!row) throw new NotFoundError(`No entity with uid ${uid}`);
      return (await store.assemble([row]))[0];
    },
  });

  env.route({
    method: 'DELETE',
    url: '/entities/by-uid/:uid',
    permission: P.delete,
    schema: { params: strict({ uid: { type: 'string' } }, ['uid']) },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const { uid } = request.params as { uid: string };
      await store.deleteByUid(uid);
      reply.status(204);
      return reply.send();
    },
  });

  const nameParams = strict(
    { kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } },
    ['kind', 'namespace', 'name'],
  );

  env.route({
    method: 'GET',
    url: '/entities/by-name/:kind/:namespace/:name',
    permission: P.read,
    schema: { params: nameParams },
    async handler(request: FastifyRequest) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const row = await store.rowByRef(entityRefOf(p));
      if (!row)
        throw new NotFoundError(
          `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
        );
      return (await store.assemble([row]))[0];
    },
  });

  /** Atrium's ingestion status of one entity: where it comes from, when, and its problems. */
  env.route({
    method: 'GET',
    url: '/entities/by-name/:kind/:namespace/:name/status',
    permission: P.read,
    schema: { params: nameParams },
    async handler(request: FastifyRequest) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const row = await store.rowByRef(entityRefOf(p));
      if (!row) {
        throw new NotFoundError(
          `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
        );
      }
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
    async handler(request: FastifyRequest) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const items: Array<{ entity: Entity; parentEntityRefs: string[] }> = [];
      let ref: string | null = entityRefOf(p);
      const seen = new Set<string>();
      while (ref && !seen.has(ref)) {
        seen.add(ref);
        const row = await store.rowByRef(ref);
        if (!row) {
          if (!items.length)
            throw new NotFoundError(
              `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
            );
          break;
        }
        const [entity] = await store.assemble([row]);
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
    schema: { querystring: strict({ facet: strings, filter: strings }, ['facet']) },
    async handler(request: FastifyRequest) {
      const q = request.query as { facet: string[]; filter?: string[] };
      return { facets: await query.facets(q.facet, parseFilterParams(q.filter)) };
    },
  });

  env.route({
    method: 'POST',
    url: '/entity-facets',
    permission: P.read,
    schema: {
      body: strict({ facets: { ...strings, minItems: 1 }, query: { type: 'object' } }, ['facets']),
    },
    async handler(request: FastifyRequest) {
      const b = request.body as { facets: string[]; query?: unknown };
      return { facets: await query.facets(b.facets, toPredicateBody(b.query, 'query')) };
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
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const { entityRef } = request.body as { entityRef: string };
      await service.refreshEntity(entityRef.toLowerCase());
      reply.status(200);
      return reply.send();
    },
  });

  env.route({
    method: 'POST',
    url: '/locations',
    permission: P.locationCreate,
    schema: {
      querystring: strict({
        dryRun: { type: 'string' },
        onConflict: { type: 'string', enum: ['reject', 'refresh'] },
      }),
      body: strict(
        {
          type: { type: 'string', minLength: 1 },
          target: { type: 'string', minLength: 1 },
          presence: { type: 'string', enum: ['optional', 'required'] },
        },
        ['type', 'target'],
      ),
    },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const q = request.query as { dryRun?: string; onConflict?: 'reject' | 'refresh' };
      const b = request.body as { type: string; target: string };
      const dryRun = parseBool(q.dryRun);
      if (!dryRun) guardWritable();
      const result = await service.addLocation(b, { dryRun, onConflict: q.onConflict });
      reply.status(201);
      return result;
    },
  });

  env.route({
    method: 'GET',
    url: '/locations',
    permission: P.locationRead,
    async handler() {
      return (await locations.list()).map((row) => ({ data: locationJson(row) }));
    },
  });

  env.route({
    method: 'POST',
    url: '/locations/by-query',
    permission: P.locationRead,
    schema: {
      body: strict({
        query: { type: 'object' },
        limit: { type: 'integer', minimum: 0 },
        cursor: { type: 'string' },
      }),
    },
    async handler(request: FastifyRequest) {
      const b = request.body as {
        query?: Record<string, unknown>;
        limit?: number;
        cursor?: string;
      };
      const limit = b.limit ?? 1000;
      let offset = 0;
      if (b.cursor) {
        try {
          offset = Number(JSON.parse(Buffer.from(b.cursor, 'base64').toString('utf8')).offset);
        } catch {
          throw new InputError('Malformed cursor');
        }
        if (!Number.isInteger(offset) || offset < 0) throw new InputError('Malformed cursor');
      }
      const all = (await locations.list())
        .map(locationJson)
        .filter((l) =>
          Object.entries(b.query ?? {}).every(
            ([k, v]) =>
              typeof v !== 'object' &&
              String((l as Record<string, unknown>)[k] ?? '').toLowerCase() ===
                String(v).toLowerCase(),
          ),
        );
      const items = all.slice(offset, offset + limit);
      const next =
        offset + limit < all.length
          ? Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64')
          : undefined;
      return { items, totalItems: all.length, pageInfo: next ? { nextCursor: next } : {} };
    },
  });

  env.route({
    method: 'GET',
    url: '/locations/by-entity/:kind/:namespace/:name',
    permission: P.locationRead,
    schema: { params: nameParams },
    async handler(request: FastifyRequest) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const row = await store.rowByRef(entityRefOf(p));
      if (!row)
        throw new NotFoundError(
          `No entity named '${p.name}' found, with kind '${p.kind}' in namespace '${p.namespace}'`,
        );
      const location = row.location_id ? await locations.get(row.location_id) : undefined;
      if (!location) throw new NotFoundError(`Found no location for entity ${row.entity_ref}`);
      return locationJson(location);
    },
  });

  /** Every location with its last read and errors: the catalog health page reads this. */
  env.route({
    method: 'GET',
    url: '/locations/status',
    permission: P.locationRead,
    async handler() {
      return { items: (await locations.list()).map(toStatus) };
    },
  });

  env.route({
    method: 'GET',
    url: '/locations/:id',
    permission: P.locationRead,
    schema: { params: strict({ id: { type: 'string' } }, ['id']) },
    async handler(request: FastifyRequest) {
      const { id } = request.params as { id: string };
      const row = await locations.get(id);
      if (!row) throw new NotFoundError(`Found no location with ID ${id}`);
      return locationJson(row);
    },
  });

  env.route({
    method: 'GET',
    url: '/locations/:id/status',
    permission: P.locationRead,
    schema: { params: strict({ id: { type: 'string' } }, ['id']) },
    async handler(request: FastifyRequest) {
      const { id } = request.params as { id: string };
      return service.locationStatus(id);
    },
  });

  env.route({
    method: 'PUT',
    url: '/locations/:id',
    permission: P.locationCreate,
    schema: {
      params: strict({ id: { type: 'string' } }, ['id']),
      body: strict(
        { type: { type: 'string', minLength: 1 }, target: { type: 'string', minLength: 1 } },
        ['type', 'target'],
      ),
    },
    async handler(request: FastifyRequest) {
      guardWritable();
      const { id } = request.params as { id: string };
      const b = request.body as { type: string; target: string };
      const row = await service.updateLocation(id, b);
      return locationJson(row);
    },
  });

  env.route({
    method: 'DELETE',
    url: '/locations/:id',
    permission: P.locationDelete,
    schema: { params: strict({ id: { type: 'string' } }, ['id']) },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      guardWritable();
      const { id } = request.params as { id: string };
      await service.removeLocation(id);
      reply.status(204);
      return reply.send();
    },
  });

  env.route({
    method: 'POST',
    url: '/validate-entity',
    permission: P.validate,
    schema: { body: { type: 'object', properties: { entity: {}, location: { type: 'string' } } } },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const b = request.body as { entity?: unknown; location?: unknown };
      const errors: Array<{ name: string; message: string; field?: string }> = [];
      if (b.entity === undefined || typeof b.location !== 'string') {
        errors.push({
          name: 'InputError',
          message: 'Malformed request body: expected { entity, location }',
        });
      } else {
        try {
          if (parseLocationRef(b.location).type !== 'url') {
            errors.push({
              name: 'InputError',
              message: `Invalid location ref ${b.location}, only 'url:<target>' is supported`,
            });
          }
        } catch (error) {
          errors.push({ name: 'InputError', message: (error as Error).message });
        }
        const { problems } = validateEntity(b.entity, deps.registry);
        for (const p of problems.filter((x) => x.level === 'error')) {
          errors.push({
            name: p.name ?? 'InputError',
            message: p.path ? `${p.path}: ${p.message}` : p.message,
            ...(p.path ? { field: p.path } : {}),
          });
        }
      }
      if (errors.length) {
        reply.status(400);
        return { errors };
      }
      reply.status(200);
      return reply.send();
    },
  });

  env.route({
    method: 'POST',
    url: '/analyze-location',
    permission: P.analyze,
    schema: {
      body: strict(
        {
          location: strict({ type: { type: 'string' }, target: { type: 'string' } }, [
            'type',
            'target',
          ]),
          catalogFilename: { type: 'string' },
        },
        ['location'],
      ),
    },
    async handler(request: FastifyRequest) {
      const b = request.body as {
        location: { type: string; target: string };
        catalogFilename?: string;
      };
      return service.analyzeLocation(b.location, b.catalogFilename);
    },
  });
}
