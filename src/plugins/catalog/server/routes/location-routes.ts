import { InputError, NotAllowedError, NotFoundError } from '../../../../core/errors.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { toStatus } from '../store/location-store.ts';
import {
  type Deps,
  entityNotFound,
  locationJson,
  mayRead,
  nameParams,
  P,
  parseBool,
  strict,
  rowByNameOr404,
  pageNumber,
} from './shared.ts';

/** Registered locations and their ingestion status. */
export function registerLocationRoutes(env: PluginEnvironment, deps: Deps) {
  const { service, store, locations } = deps;
  const guardWritable = () => {
    if (deps.readonly)
      throw new NotAllowedError('This catalog is read-only (catalog.readonly: true)');
  };

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
        limit: pageNumber(0),
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
    async handler(request: FastifyRequest, _reply, ctx) {
      const p = request.params as { kind: string; namespace: string; name: string };
      const row = await rowByNameOr404(store, p);
      // Where an entity comes from tells that it exists: only for callers who may read it.
      const [entity] = await store.assemble([row]);
      if (!entity || !(await mayRead(ctx, entity, row.entity_ref))) throw entityNotFound(p);
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
}
