import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, type PluginEnvironment } from '../../../../core/plugin-api.ts';
import type { ProvidersResponse } from '../../common/providers.ts';
import { P, parseBool, strict } from '../routes/shared.ts';
import type { ProviderRunner } from './runner.ts';

const idParams = strict({ id: { type: 'string', minLength: 1, maxLength: 128 } }, ['id']);

/** Discovery providers: their status, a scan on demand, and the held removals. */
export function registerProviderRoutes(env: PluginEnvironment, runner: ProviderRunner) {
  env.route({
    method: 'GET',
    url: '/providers',
    permission: P.locationRead,
    async handler(): Promise<ProvidersResponse> {
      return { items: await runner.statuses() };
    },
  });

  env.route({
    method: 'POST',
    url: '/providers/:id/refresh',
    // A scan creates (and may remove) locations, like registering them.
    permission: P.locationCreate,
    schema: {
      params: idParams,
      querystring: strict({ wait: { type: 'string', enum: ['true', 'false'] } }),
    },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const { id } = request.params as { id: string };
      const wait = parseBool((request.query as { wait?: string }).wait);
      const start = await runner.startScan(id, 'manual');
      if (!start.started)
        throw new ConflictError(`Provider ${id} was not scanned: ${start.reason}`);
      if (!wait) {
        reply.status(202);
        return { started: true };
      }
      await start.done;
      const provider = (await runner.statuses()).find((p) => p.id === id);
      return { started: true, provider };
    },
  });

  env.route({
    method: 'POST',
    url: '/providers/:id/removals/confirm',
    permission: P.locationDelete,
    schema: { params: idParams },
    async handler(request: FastifyRequest) {
      const { id } = request.params as { id: string };
      return runner.confirmRemoval(id);
    },
  });

  env.route({
    method: 'POST',
    url: '/providers/:id/removals/dismiss',
    permission: P.locationDelete,
    schema: { params: idParams },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const { id } = request.params as { id: string };
      await runner.dismissRemoval(id);
      reply.status(204);
      return reply.send();
    },
  });
}
