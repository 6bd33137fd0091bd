import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Script may come only from this server: with entity descriptions, links and API
 * definitions rendered from user YAML, this stops an injected script even if escaping failed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the built web app (`dist/web`) on the same port as the API. Paths outside `/api`
 * that name no file get `index.html`, so every client-side route is a deep link.
 */
export async function serveWebApp(server: FastifyInstance, root: string): Promise<boolean> {
  const index = join(root, 'index.html');
  if (!existsSync(index)) return false;
  await server.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: false });
  server.addHook('onSend', async (_request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
    }
    return payload;
  });
  server.get('/*', (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    if (path.startsWith('api/') || path === 'api') {
      return reply.callNotFound();
    }
    if (/\.[a-z0-9]+$/i.test(path) && !path.endsWith('.html')) {
      // A missing asset is a 404, not the app shell.
      return reply.callNotFound();
    }
    return reply.type('text/html; charset=utf-8').sendFile('index.html', { cacheControl: false });
  });
  return true;
}
