import type { FastifyReply, FastifyRequest } from 'fastify';
import { AtriumError, InputError } from '../../../../core/errors.ts';
import {
  type Logger,
  openEventStream,
  type PluginEnvironment,
} from '../../../../core/plugin-api.ts';
import { type BuildLogLine, type BuildsResponse, formatLogLine } from '../../common/api-types.ts';
import { BuildFailed } from '../sync/docs-sync.ts';
import type { RunningSync } from '../sync/running-builds.ts';
import {
  entityOr404,
  noQuery,
  P,
  type RouteDeps,
  type TripletParams,
  tripletParams,
} from './shared.ts';

/** What a client may be told about a failed sync: docs problems in full, crashes by id only. */
function clientMessage(error: unknown, logger: Logger): string {
  if (error instanceof BuildFailed || error instanceof AtriumError) return error.message;
  const logId = Math.random().toString(36).slice(2, 10);
  logger.error('Docs sync failed', { logId, error: (error as Error)?.stack ?? String(error) });
  return `Building the docs failed: ${(error as Error)?.message ?? String(error)} (logId=${logId})`;
}

/** Streams a running sync as Server-Sent Events until it ends or the client leaves. */
function streamSync(reply: FastifyReply, sync: RunningSync, logger: Logger): Promise<void> {
  const stream = openEventStream(reply);
  const send = (event: string, data: unknown) => stream.send(event, data);
  // Comments keep proxies from closing a stream that waits on a long build.
  const keepAlive = setInterval(() => stream.comment('keep-alive'), 15_000);
  const unfollow = sync.follow((line: BuildLogLine) => send('log', formatLogLine(line)));
  reply.raw.on('close', unfollow);
  return sync.outcome
    .then(
      (outcome) => send('finish', { updated: outcome.updated }),
      (error) => send('error', clientMessage(error, logger)),
    )
    .finally(() => {
      clearInterval(keepAlive);
      unfollow();
      stream.end();
    });
}

/** Building: the SSE sync of Backstage, a forced rebuild, and the last build's status and log. */
export function registerSyncRoutes(env: PluginEnvironment, deps: RouteDeps) {
  const { logger } = env;

  async function buildStatus(entityRef: string): Promise<BuildsResponse> {
    const record = await deps.records.get(entityRef);
    const building = deps.sync.isBuilding(entityRef) || (await deps.records.isLocked(entityRef));
    return {
      ...(record ?? { entityRef, status: 'never', problems: [], log: [] }),
      building,
      builder: deps.builder,
    };
  }

  env.route({
    method: 'GET',
    url: '/sync/:namespace/:kind/:name',
    permission: P.read,
    schema: { params: tripletParams, querystring: noQuery },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const { entity, triplet, entityRef } = await entityOr404(
        deps,
        ctx,
        request.params as TripletParams,
      );
      // Errors of the annotation are the request's fault: answered before the stream starts.
      const source = deps.resolveSource(entity);
      const sync = deps.sync.sync({ entity, entityRef, triplet, source });
      await streamSync(reply, sync, logger);
    },
  });

  env.route({
    method: 'POST',
    url: '/build/:namespace/:kind/:name',
    permission: P.rebuild,
    schema: { params: tripletParams, querystring: noQuery },
    async handler(request: FastifyRequest, _reply, ctx) {
      if (deps.builder === 'external') {
        throw new InputError(
          "techdocs.builder is 'external': docs are built and published by CI, not by this server",
        );
      }
      const { entity, triplet, entityRef } = await entityOr404(
        deps,
        ctx,
        request.params as TripletParams,
      );
      // The route's check passes conditions on the entity through; they are checked here.
      await ctx.require(P.rebuild, { ref: entityRef, resource: entity });
      const source = deps.resolveSource(entity);
      let updated = false;
      try {
        const sync = await deps.sync.rebuild({ entity, entityRef, triplet, source });
        updated = (await sync.outcome).updated;
      } catch (error) {
        // The failure is recorded and shown in the build status below.
        if (!(error instanceof BuildFailed) && !(error instanceof AtriumError)) throw error;
      }
      return { updated, build: await buildStatus(entityRef) };
    },
  });

  env.route({
    method: 'GET',
    url: '/builds/:namespace/:kind/:name',
    permission: P.read,
    schema: { params: tripletParams, querystring: noQuery },
    async handler(request: FastifyRequest, _reply, ctx) {
      const { entityRef } = await entityOr404(deps, ctx, request.params as TripletParams);
      return buildStatus(entityRef);
    },
  });
}
