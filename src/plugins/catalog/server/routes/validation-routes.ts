import { parseLocationRef, validateEntity } from '../../../../model/index.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { type Deps, P, strict } from './shared.ts';

/** Checking entities and locations without storing anything. */
export function registerValidationRoutes(env: PluginEnvironment, deps: Deps) {
  const { service } = deps;
  env.route({
    method: 'POST',
    url: '/validate-entity',
    permission: P.validate,
    changesNothing: true,
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
    changesNothing: true,
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

  /** Atrium: validate a pasted catalog file (all documents, with lines), storing nothing. */
  env.route({
    method: 'POST',
    url: '/validate-file',
    permission: P.validate,
    changesNothing: true,
    schema: {
      body: strict(
        {
          content: { type: 'string', maxLength: 10 * 1024 * 1024 },
          name: { type: 'string', minLength: 1, maxLength: 200 },
        },
        ['content'],
      ),
    },
    async handler(request: FastifyRequest) {
      const b = request.body as { content: string; name?: string };
      const { entities, problems } = await service.validateText(
        b.content,
        b.name ?? 'catalog-info.yaml',
      );
      return {
        valid: !problems.some((p) => p.level === 'error'),
        entities: entities.map((e) =>
          `${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`.toLowerCase(),
        ),
        problems,
      };
    },
  });
}
