import type { JsonObject } from '../../../../../model/entity.ts';
import { gitlabClient } from '../publish/gitlab-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { COMMON_GITLAB_PROPERTIES } from './inputs.ts';

interface ProjectVariableInput extends JsonObject {
  repoUrl: string;
  token?: string;
  projectId: number | string;
  key: string;
  value: string;
  variableType: string;
  variableProtected?: boolean;
  masked?: boolean;
  raw?: boolean;
  environmentScope?: string;
}

/** `gitlab:projectVariable:create`: a CI/CD variable of a project. */
export function createGitlabProjectVariableAction(
  deps: ActionDeps,
): TemplateAction<ProjectVariableInput> {
  return {
    id: 'gitlab:projectVariable:create',
    description: 'Creates a CI/CD variable of a GitLab project.',
    examples: [
      {
        description: 'A masked variable for the project a previous step created',
        example: `steps:
  - id: variable
    action: gitlab:projectVariable:create
    input:
      repoUrl: gitlab.com?owner=acme&repo=\${{ parameters.name }}
      projectId: \${{ steps.publish.output.projectId }}
      key: DEPLOY_TOKEN
      value: \${{ secrets.deployToken }}
      variableType: env_var
      masked: true
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'projectId', 'key', 'value', 'variableType'],
        properties: {
          ...COMMON_GITLAB_PROPERTIES,
          projectId: { title: 'Project id or path', type: ['number', 'string'] },
          key: {
            title: 'Key',
            description: 'At most 255 characters of A-Z, a-z, 0-9 and _',
            type: 'string',
            pattern: '^[A-Za-z0-9_]{1,255}$',
          },
          value: { title: 'Value', type: 'string' },
          variableType: {
            title: 'Variable type',
            type: 'string',
            enum: ['env_var', 'file'],
          },
          variableProtected: { title: 'Protected', type: 'boolean', default: false },
          masked: { title: 'Masked', type: 'boolean', default: false },
          raw: { title: 'Raw (not expanded)', type: 'boolean', default: false },
          environmentScope: { title: 'Environment scope', type: 'string', default: '*' },
        },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const gl = gitlabClient(deps.config, input.repoUrl, input.token, ctx.signal);
      await gl.call(`creating variable ${input.key} of project ${input.projectId}`, () =>
        gl.api.ProjectVariables.create(input.projectId, input.key, input.value, {
          variableType: input.variableType as 'env_var',
          protected: input.variableProtected ?? false,
          masked: input.masked ?? false,
          raw: input.raw ?? false,
          environmentScope: input.environmentScope ?? '*',
        }),
      );
      ctx.logger.info(`Created variable ${input.key} of project ${input.projectId}`);
    },
  };
}
