import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../../core/errors.ts';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { contentTypeOf } from './content-types.ts';
import { entityOr404, P, type RouteDeps, type TripletParams } from './shared.ts';

const segment = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^/\\\\]+$' };

/**
 * `GET /static/docs/:namespace/:kind/:name/<path>`: files of a published site. A mixed-case
 * triplet is redirected to the lowercase one (Backstage's local publisher does the same).
 */
export function registerStaticRoutes(env: PluginEnvironment, deps: RouteDeps) {
  env.route({
    method: 'GET',
    url: '/static/docs/:namespace/:kind/:name/*',
    permission: P.read,
    schema: {
      params: {
        type: 'object',
        properties: {
          namespace: segment,
          kind: segment,
          name: segment,
          '*': { type: 'string', maxLength: 1024 },
        },
        required: ['namespace', 'kind', 'name', '*'],
        additionalProperties: false,
      },
      // Cache busters (`?v=…`) are harmless; nothing else is read.
      querystring: { type: 'object', additionalProperties: { type: 'string' } },
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const p = request.params as TripletParams & { '*': string };
      const lower = [p.namespace, p.kind, p.name].map((s) => s.toLowerCase());
      if (lower.join('/') !== [p.namespace, p.kind, p.name].join('/')) {
        const rest = p['*']
          .split('/')
          .map((s) => encodeURIComponent(s))
          .join('/');
        const location = `${env.baseUrl.replace(/^[a-z]+:\/\/[^/]+/i, '')}/static/docs/${lower
          .map((s) => encodeURIComponent(s))
          .join('/')}/${rest}`;
        return reply.redirect(location, 301);
      }
      const path = p['*'];
      const parts = path.split('/');
      if (path.includes('\0') || parts.some((s) => s === '..' || s === '.')) {
        throw new NotFoundError(`Not found: ${path}`);
      }
      const { triplet } = await entityOr404(deps, ctx, p);
      // A folder URL means its index page, as a static web server would answer.
      const file = path === '' || path.endsWith('/') ? `${path}index.html` : path;
      const body = await deps.storage.readFile(triplet, file);
      if (!body) {
        throw new NotFoundError(
          `No file '${file}' in the docs of ${triplet.namespace}/${triplet.kind}/${triplet.name}`,
        );
      }
      reply
        .header('content-type', contentTypeOf(file))
        .header('x-content-type-options', 'nosniff')
        // Opened directly, a file still cannot run anything or frame the portal.
        .header(
          'content-security-policy',
          "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
        )
        .header('cache-control', 'no-cache');
      return reply.send(body);
    },
  });
}
