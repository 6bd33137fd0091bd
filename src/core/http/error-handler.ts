import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AtriumError, InputError, type SerializedError, serializeError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Backstage's error body (COMPAT.md §5.1): the catalog client parses exactly this. */
export interface ErrorBody {
  error: SerializedError;
  request: { method: string; url: string };
  response: { statusCode: number };
}

function pluginRelativeUrl(url: string): string {
  const match = /^\/api\/[^/?]+(.*)$/.exec(url);
  return match ? match[1] || '/' : url;
}

/** Turns fastify's own errors (schema, body parsing) into the Backstage error classes. */
function normalise(error: FastifyError | Error): { status: number; error: Error } {
  if (error instanceof AtriumError) return { status: error.statusCode, error };
  const fe = error as FastifyError;
  if (fe.validation) {
    const where = fe.validationContext ?? 'request';
    const detail = fe.validation
      .map((v) => {
        const field = `${where}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}`;
        if (v.keyword === 'additionalProperties') {
          return `${field} has unknown property '${(v.params as { additionalProperty: string }).additionalProperty}'`;
        }
        return `${field} ${v.message}`;
      })
      .join(', ');
    return { status: 400, error: new InputError(`Request validation failed: ${detail}`) };
  }
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return { status: 400, error: new InputError('Empty request body') };
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      status: 400,
      error: new InputError('Illegal Content-Type, expected application/json'),
    };
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, error: new InputError(fe.message) };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const e = new InputError(fe.message);
    return { status: fe.statusCode, error: e };
  }
  return { status: 500, error };
}

/**
 * Logs an unexpected error under a fresh id and answers what the caller may see of it: the id
 * only (the stack and message can hold paths and data the caller must not read).
 */
export function hideInternalError(
  logger: Logger,
  what: string,
  fields: Record<string, unknown>,
  error: unknown,
): string {
  const logId = Math.random().toString(36).slice(2, 10);
  const e = error as Error | undefined;
  logger.error(what, { logId, ...fields, error: e?.stack ?? e?.message ?? String(error) });
  return `An internal error occurred logId=${logId}`;
}

export function makeErrorHandler(logger: Logger) {
  return (raw: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { status, error } = normalise(raw);
    let serialized = serializeError(error);
    if (status >= 500) {
      const message = hideInternalError(
        logger,
        'Request failed',
        { method: request.method, url: request.url },
        raw,
      );
      serialized = { name: 'Error', message };
    }
    const body: ErrorBody = {
      error: serialized,
      request: { method: request.method, url: pluginRelativeUrl(request.url) },
      response: { statusCode: status },
    };
    reply.status(status).type('application/json').send(body);
  };
}
