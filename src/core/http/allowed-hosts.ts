import type { FastifyInstance } from 'fastify';
import { AtriumError } from '../errors.ts';

/** 421: the request names a host this server does not serve (`backend.allowedHosts`). */
export class MisdirectedRequestError extends AtriumError {
  override readonly statusCode = 421;
}

export interface HostCheckOptions {
  /** `backend.allowedHosts`: `host`, `host:port`, `*.example.com`, `*`. */
  allowedHosts: string[];
  /**
   * The environment (`NODE_ENV`): anything but `production` also accepts `localhost`,
   * `127.0.0.1` and `[::1]` on any port. A parameter, so tests need not change the process's.
   */
  environment: string | undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const DEFAULT_PORTS = new Set(['80', '443']);

/** A `Host` header value (or a list entry) as lowercased name and port; undefined if malformed. */
function parseHost(value: string | undefined): { name: string; port?: string } | undefined {
  const match =
    /^(\[[0-9a-f:.]+\]|(?:\*\.)?[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?\.?)(?::(\d{1,5}))?$/i.exec(
      value?.trim() ?? '',
    );
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase().replace(/\.$/, ''), port: match[2] };
}

function entryMatches(entry: string, host: { name: string; port?: string }): boolean {
  const allowed = parseHost(entry);
  if (!allowed) return false;
  const nameOk = allowed.name.startsWith('*.')
    ? host.name.endsWith(allowed.name.slice(1))
    : host.name === allowed.name;
  if (!nameOk) return false;
  if (allowed.port === undefined) return true;
  // `Host: example.com` means the scheme's default port.
  return host.port === undefined ? DEFAULT_PORTS.has(allowed.port) : host.port === allowed.port;
}

/** Whether a request with this `Host` header is served (see {@link HostCheckOptions}). */
export function isHostAllowed(hostHeader: string | undefined, options: HostCheckOptions): boolean {
  if (options.allowedHosts.includes('*')) return true;
  const host = parseHost(hostHeader);
  if (!host || host.name.startsWith('*.')) return false;
  if (options.environment !== 'production' && LOOPBACK.has(host.name)) return true;
  return options.allowedHosts.some((entry) => entryMatches(entry, host));
}

/**
 * Answers requests for hosts outside `backend.allowedHosts` with 421 Misdirected Request (in
 * the error body every other error has), before any route, static file or 404 handler runs;
 * and marks every response `X-Content-Type-Options: nosniff`, streamed (hijacked) ones included.
 */
export function registerHostCheck(server: FastifyInstance, options: HostCheckOptions): void {
  server.addHook('onRequest', async (request, reply) => {
    // On the raw response, so that responses written past Fastify (event streams) carry it too.
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    const host = request.headers.host;
    if (!isHostAllowed(host, options)) {
      const shown = JSON.stringify((host ?? '').slice(0, 200));
      throw new MisdirectedRequestError(
        `This server does not serve the host ${shown}: add it to backend.allowedHosts in app-config.yaml`,
      );
    }
  });
  // Responses that never passed onRequest (e.g. a malformed URL) get it here.
  server.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
}
