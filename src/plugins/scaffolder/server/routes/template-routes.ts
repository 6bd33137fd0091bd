import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../../../core/errors.ts';
import type { PluginEnvironment, RouteContext } from '../../../../core/plugin-api.ts';
import type { Entity, JsonObject } from '../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import { parseFilterParams } from '../../../catalog/server/query/predicate.ts';
import type {
  DryRunRequest,
  ParameterSchemaResponse,
  TemplateListResponse,
  TemplatingExtensions,
} from '../../common/api-types.ts';
import { dryRun } from '../dry-run/dry-run.ts';
import { BACKSTAGE_FILTER_DOCS } from '../templating/index.ts';
import { templateSummary } from '../templates.ts';
import { parameterPages } from '../validation/task-request.ts';
import {
  P,
  type RouteDeps,
  readableTemplate,
  secretsSchema,
  strict,
  withValidationErrors,
} from './shared.ts';

const DEFAULT_PAGE_TITLE = 'Please enter the following information';

/** Every Template the caller may read (filtered in the catalog's query), by title then ref. */
export async function readableTemplates(catalog: CatalogApi, ctx: RouteContext): Promise<Entity[]> {
  const templates = parseFilterParams(['kind=template'])!;
  const readable = await catalog.readFilter(ctx);
  const items: Entity[] = [];
  for await (const page of catalog.query.listAll({
    filter: readable ? { $all: [templates, readable] } : templates,
  })) {
    items.push(...(page as Entity[]));
  }
  const title = (e: Entity) => e.metadata.title ?? e.metadata.name;
  return items
    .map((entity) => ({ entity, ref: stringifyEntityRef(entity) }))
    .sort((a, b) => title(a.entity).localeCompare(title(b.entity)) || a.ref.localeCompare(b.ref))
    .map((t) => t.entity);
}

/** Templates, actions, templating extensions and dry runs (COMPAT.md §6.4, plus the list). */
export function registerTemplateRoutes(env: PluginEnvironment, deps: RouteDeps) {
  const { catalog, registry, service } = deps;

  /** Atrium: every Template in the catalog, for the "Create" page. */
  env.route({
    method: 'GET',
    url: '/v2/templates',
    permission: P.catalogRead,
    schema: { querystring: strict({}) },
    async handler(_request, _reply, ctx): Promise<TemplateListResponse> {
      return { items: (await readableTemplates(catalog, ctx)).map(templateSummary) };
    },
  });

  env.route({
    method: 'GET',
    url: '/v2/templates/:namespace/:kind/:name/parameter-schema',
    permission: P.templateParameterRead,
    schema: {
      params: strict(
        {
          namespace: { type: 'string', minLength: 1 },
          kind: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
        },
        ['namespace', 'kind', 'name'],
      ),
    },
    async handler(request: FastifyRequest, _reply, ctx): Promise<ParameterSchemaResponse> {
      const p = request.params as { namespace: string; kind: string; name: string };
      if (p.kind.toLowerCase() !== 'template') {
        throw new InputError(
          `Only templates have a parameter schema; kind '${p.kind}' was asked for`,
        );
      }
      const ref = `${p.kind}:${p.namespace}/${p.name}`.toLowerCase();
      const template = await readableTemplate(catalog, ctx, ref);
      const spec = template.spec as JsonObject;
      return {
        title: template.metadata.title ?? template.metadata.name,
        ...(template.metadata.description ? { description: template.metadata.description } : {}),
        ...(spec.presentation ? { presentation: spec.presentation as JsonObject } : {}),
        ...(spec['ui:options'] ? { 'ui:options': spec['ui:options'] as JsonObject } : {}),
        steps: parameterPages(template).map((schema) => ({
          title: typeof schema.title === 'string' ? schema.title : DEFAULT_PAGE_TITLE,
          ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
          schema,
        })),
        ...(Array.isArray(spec.formDecorators)
          ? { formDecorators: spec.formDecorators as ParameterSchemaResponse['formDecorators'] }
          : {}),
      };
    },
  });

  env.route({
    method: 'GET',
    url: '/v2/actions',
    permission: P.actionRead,
    schema: { querystring: strict({}) },
    async handler() {
      return registry.list();
    },
  });

  env.route({
    method: 'GET',
    url: '/v2/templating-extensions',
    permission: P.actionRead,
    schema: { querystring: strict({}) },
    async handler(): Promise<TemplatingExtensions> {
      return {
        filters: Object.fromEntries(
          Object.entries(BACKSTAGE_FILTER_DOCS).map(([name, doc]) => [
            name,
            {
              description: doc.description,
              examples: doc.examples,
              ...(doc.schema ? { schema: doc.schema as JsonObject } : {}),
            },
          ]),
        ),
        globals: {
          functions: {
            always: {
              description:
                'In a step `if`: true, and makes the step run even after an earlier step failed.',
              examples: [{ example: '${{ always() }}' }],
            },
            failure: {
              description:
                'In a step `if`: true when an earlier step failed; such a step runs only then.',
              examples: [{ example: '${{ failure() }}' }],
            },
          },
          values: {},
        },
      };
    },
  });

  env.route({
    method: 'POST',
    url: '/v2/dry-run',
    permission: P.dryRun,
    changesNothing: true,
    schema: {
      body: strict(
        {
          template: { type: 'object' },
          values: { type: 'object' },
          secrets: secretsSchema,
          directoryContents: {
            type: 'array',
            maxItems: 10_000,
            items: strict(
              {
                path: { type: 'string', minLength: 1, maxLength: 4096 },
                base64Content: { type: 'string' },
                executable: { type: 'boolean' },
              },
              ['path', 'base64Content'],
            ),
          },
        },
        ['template', 'values'],
      ),
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      await ctx.require(P.taskCreate);
      const body = request.body as DryRunRequest;
      const closed = new AbortController();
      reply.raw.on('close', () => closed.abort());
      return withValidationErrors(reply, async () =>
        dryRun(
          deps.dryRun,
          { ...body, directoryContents: body.directoryContents ?? [] },
          await service.userOf(ctx.identity.userEntityRef),
          closed.signal,
          { authorize: (permission, resource) => ctx.require(permission, resource) },
        ),
      );
    },
  });

  env.route({
    method: 'POST',
    url: '/v2/autocomplete/:provider/:resource',
    permission: P.actionRead,
    schema: {
      params: strict({ provider: { type: 'string' }, resource: { type: 'string' } }, [
        'provider',
        'resource',
      ]),
      body: strict({ token: { type: 'string' }, context: { type: 'object' } }),
    },
    async handler(request: FastifyRequest) {
      const { provider, resource } = request.params as { provider: string; resource: string };
      // Listing repositories needs the SCM host's API; no provider is built in yet.
      throw new InputError(
        `Unsupported autocomplete provider '${provider}' (resource '${resource}')`,
      );
    },
  });
}
