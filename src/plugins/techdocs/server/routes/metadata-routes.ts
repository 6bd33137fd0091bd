import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../../core/errors.ts';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import {
  entityOr404,
  noQuery,
  P,
  type RouteDeps,
  type TripletParams,
  tripletParams,
} from './shared.ts';

/** Backstage's metadata routes (COMPAT.md §7). */
export function registerMetadataRoutes(env: PluginEnvironment, deps: RouteDeps) {
  env.route({
    method: 'GET',
    url: '/metadata/techdocs/:namespace/:kind/:name',
    permission: P.read,
    schema: { params: tripletParams, querystring: noQuery },
    async handler(request: FastifyRequest, _reply, ctx) {
      const p = request.params as TripletParams;
      const notFound = (ref: string) => `Unable to get metadata for '${ref}'`;
      const { triplet, entityRef } = await entityOr404(deps, ctx, p, notFound);
      const metadata = await deps.storage.getMetadata(triplet);
      if (!metadata) {
        throw new NotFoundError(
          `${notFound(entityRef)}: no docs site is published for it yet (open the docs to build them)`,
        );
      }
      return metadata;
    },
  });

  env.route({
    method: 'GET',
    url: '/metadata/entity/:namespace/:kind/:name',
    permission: P.read,
    schema: { params: tripletParams, querystring: noQuery },
    async handler(request: FastifyRequest, _reply, ctx) {
      const { entity } = await entityOr404(deps, ctx, request.params as TripletParams);
      const source = deps.resolveSource(entity);
      return { ...entity, locationMetadata: { type: source.type, target: source.target } };
    },
  });
}
