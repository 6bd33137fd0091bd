import type { JsonObject } from '../../../../../model/entity.ts';
import { gitlabClient } from '../publish/gitlab-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { COMMON_GITLAB_PROPERTIES } from './inputs.ts';

interface EnsureGroupInput extends JsonObject {
  repoUrl: string;
  token?: string;
  path: Array<string | { name: string; slug: string }>;
}

/** `gitlab:group:ensureExists`: creates each missing group of a path, outermost first. */
export function createGitlabGroupEnsureExistsAction(
  deps: ActionDeps,
): TemplateAction<EnsureGroupInput> {
  return {
    id: 'gitlab:group:ensureExists',
    description: 'Ensures a GitLab group (and its parents) exists.',
    examples: [
      {
        description: 'Make sure acme/platform/services exists',
        example: `steps:
  - id: group
    action: gitlab:group:ensureExists
    input:
      repoUrl: gitlab.com?owner=acme&repo=x
      path: [acme, platform, { name: Services, slug: services }]
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'path'],
        properties: {
          ...COMMON_GITLAB_PROPERTIES,
          path: {
            title: 'Group path',
            description: 'Group names, or {name, slug} objects, from the outermost group in',
            type: 'array',
            minItems: 1,
            items: {
              oneOf: [
                { type: 'string', minLength: 1 },
                {
                  type: 'object',
                  required: ['name', 'slug'],
                  additionalProperties: false,
                  properties: {
                    name: { type: 'string', minLength: 1 },
                    slug: { type: 'string', minLength: 1 },
                  },
                },
              ],
            },
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { groupId: { type: 'number', title: 'Id of the innermost group' } },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      if (ctx.isDryRun) {
        ctx.output('groupId', 42);
        return;
      }
      const { input } = ctx;
      const gl = gitlabClient(deps.config, input.repoUrl, input.token, ctx.signal);
      let current = '';
      let parentId: number | undefined;
      for (const element of input.path) {
        const slug = typeof element === 'string' ? element : element.slug;
        const name = typeof element === 'string' ? element : element.name;
        const fullPath = current ? `${current}/${slug}` : slug;
        const found = (await gl.call(`searching group ${fullPath}`, () =>
          gl.api.Groups.search(fullPath),
        )) as unknown as Array<{ id: number; full_path: string }>;
        const group = found.find((g) => g.full_path === fullPath);
        if (group) {
          parentId = group.id;
        } else {
          ctx.logger.info(`Creating missing group ${fullPath}`);
          const created = (await gl.call(`creating group ${fullPath}`, () =>
            gl.api.Groups.create(name, slug, parentId ? { parentId } : {}),
          )) as unknown as { id: number };
          parentId = created.id;
        }
        current = fullPath;
      }
      if (parentId !== undefined) ctx.output('groupId', parentId);
    },
  };
}
