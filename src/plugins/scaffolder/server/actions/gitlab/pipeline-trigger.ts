import type { JsonObject } from '../../../../../model/entity.ts';
import { gitlabClient } from '../publish/gitlab-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { COMMON_GITLAB_PROPERTIES } from './inputs.ts';

interface PipelineTriggerInput extends JsonObject {
  repoUrl: string;
  token?: string;
  projectId: number;
  tokenDescription: string;
  branch: string;
  variables?: Record<string, string>;
}

/**
 * `gitlab:pipeline:trigger`: as Backstage, a pipeline trigger token is made for the run and
 * deleted afterwards, whatever happened in between.
 */
export function createGitlabPipelineTriggerAction(
  deps: ActionDeps,
): TemplateAction<PipelineTriggerInput> {
  return {
    id: 'gitlab:pipeline:trigger',
    description: 'Triggers a GitLab pipeline.',
    examples: [
      {
        description: 'Run the pipeline of main with a variable',
        example: `steps:
  - id: pipeline
    action: gitlab:pipeline:trigger
    input:
      repoUrl: gitlab.com?owner=acme&repo=\${{ parameters.name }}
      projectId: \${{ steps.publish.output.projectId }}
      tokenDescription: Triggered by Atrium
      branch: main
      variables: { DEPLOY: "true" }
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'projectId', 'tokenDescription', 'branch'],
        properties: {
          ...COMMON_GITLAB_PROPERTIES,
          projectId: { title: 'Project id', type: 'number' },
          tokenDescription: { title: 'Description of the trigger token', type: 'string' },
          branch: { title: 'Branch', type: 'string' },
          variables: {
            title: 'Pipeline variables',
            type: 'object',
            additionalProperties: { type: 'string' },
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { pipelineUrl: { type: 'string', title: 'Web URL of the pipeline' } },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const gl = gitlabClient(deps.config, input.repoUrl, input.token, ctx.signal);
      const { projectId } = input;
      const trigger = (await gl.call(`creating a trigger token for project ${projectId}`, () =>
        gl.api.PipelineTriggerTokens.create(projectId, input.tokenDescription),
      )) as unknown as { id: number; token: string };
      ctx.logger.info(`Pipeline trigger token ${trigger.id} created for project ${projectId}`);
      try {
        const pipeline = (await gl.call(
          `triggering the pipeline of ${input.branch} in project ${projectId}`,
          () =>
            gl.api.PipelineTriggerTokens.trigger(projectId, input.branch, trigger.token, {
              variables: input.variables,
            }),
        )) as unknown as { id: number; web_url: string };
        ctx.logger.info(`Pipeline ${pipeline.id} of project ${projectId} triggered`);
        ctx.output('pipelineUrl', pipeline.web_url);
      } finally {
        try {
          await gl.api.PipelineTriggerTokens.remove(projectId, trigger.id);
          ctx.logger.info(`Deleted pipeline trigger token ${trigger.id}`);
        } catch (error) {
          ctx.logger.error(
            `Failed to delete pipeline trigger token ${trigger.id}: ${gl.error(error, 'deleting the trigger token').message}`,
          );
        }
      }
    },
  };
}
