import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../database/database.ts';
import type { RouteInfo } from '../host-services.ts';

/** Backstage's legacy backend: `{"status":"ok"}` while the process answers. */
export const HEALTHCHECK_PATH = '/healthcheck';
/** Backstage's new backend system (`@backstage/backend-defaults`, rootHealth). */
export const LIVENESS_PATH = '/.backstage/health/v1/liveness';
export const READINESS_PATH = '/.backstage/health/v1/readiness';

/** A readiness probe's database check that takes longer than this answers 503. */
const DATABASE_CHECK_MS = 2000;

const noQuery = { type: 'object', properties: {}, additionalProperties: true } as const;
const statusBody = {
  type: 'object',
  properties: { status: { type: 'string' }, message: { type: 'string' } },
  required: ['status'],
} as const;

export interface HealthState {
  /** Every start hook has run: readiness answers 200 from now on. */
  started(): void;
  /** The server is stopping: readiness answers 503 so load balancers stop sending requests. */
  stopping(): void;
}

/**
 * The health routes orchestrators and load balancers probe, where Backstage has them. They are
 * public (a probe has no credentials) and need no identity or permission: they tell a stranger
 * only whether the process answers. They are listed in `routes` as public routes without a
 * permission, like the sign-in routes. Liveness never touches the database; readiness asks
 * it one tiny query through the read pool, once start-up has finished.
 */
export function registerHealthRoutes(
  server: FastifyInstance,
  database: Database,
  routes: RouteInfo[],
): HealthState {
  let phase: 'starting' | 'started' | 'stopping' = 'starting';
  const live = async () => ({ status: 'ok' });
  for (const url of [HEALTHCHECK_PATH, LIVENESS_PATH]) {
    server.get(url, { schema: { querystring: noQuery, response: { 200: statusBody } } }, live);
  }
  server.get(
    READINESS_PATH,
    { schema: { querystring: noQuery, response: { 200: statusBody, 503: statusBody } } },
    async (_request, reply) => {
      if (phase !== 'started') {
        reply.code(503);
        return {
          status: 'error',
          message: phase === 'starting' ? 'Atrium is starting' : 'Atrium is stopping',
        };
      }
      try {
        await withTimeout(sql`select 1`.execute(database.reader), DATABASE_CHECK_MS);
        return { status: 'ok' };
      } catch (error) {
        // The probe is public: the cause (paths, addresses) goes to the log, not to the caller.
        server.log.warn({ err: error }, 'readiness: the database does not answer');
        reply.code(503);
        return { status: 'error', message: 'The database does not answer' };
      }
    },
  );
  for (const url of [HEALTHCHECK_PATH, LIVENESS_PATH, READINESS_PATH]) {
    routes.push({
      plugin: 'host',
      method: 'GET',
      url,
      permission: null,
      public: true,
      changes: false,
    });
  }
  return {
    started: () => {
      if (phase === 'starting') phase = 'started';
    },
    stopping: () => {
      phase = 'stopping';
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
