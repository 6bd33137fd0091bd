import type { JsonObject } from '../../../../../model/entity.ts';
import { githubClient } from '../publish/github-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { REPO_URL, TOKEN } from './inputs.ts';

interface DispatchInput extends JsonObject {
  repoUrl: string;
  workflowId: string;
  branchOrTagName: string;
  workflowInputs?: Record<string, string>;
  token?: string;
}

/** `github:actions:dispatch`: runs a workflow that has a `workflow_dispatch` trigger. */
export function createGithubActionsDispatchAction(deps: ActionDeps): TemplateAction<DispatchInput> {
  return {
    id: 'github:actions:dispatch',
    description: 'Dispatches a GitHub Actions workflow for a given branch or tag.',
    examples: [
      {
        description: 'Run the deploy workflow on main',
        example: `steps:
  - id: deploy
    action: github:actions:dispatch
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      workflowId: deploy.yml
      branchOrTagName: main
      workflowInputs:
        environment: staging
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'workflowId', 'branchOrTagName'],
        properties: {
          repoUrl: REPO_URL,
          workflowId: {
            title: 'Workflow ID',
            description: 'The workflow file name (deploy.yml) or its numeric id',
            type: 'string',
          },
          branchOrTagName: {
            title: 'Branch or tag name',
            description: 'The ref the workflow runs on',
            type: 'string',
          },
          workflowInputs: {
            title: 'Workflow inputs',
            description: 'Inputs of the workflow_dispatch trigger (at most 10)',
            type: 'object',
            maxProperties: 10,
            additionalProperties: { type: 'string' },
          },
          token: TOKEN,
        },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, ctx.signal);
      const { owner, repo } = gh;
      ctx.logger.info(
        `Dispatching workflow ${input.workflowId} for ${owner}/${repo} on ${input.branchOrTagName}`,
      );
      try {
        await gh.octokit.rest.actions.createWorkflowDispatch({
          owner,
          repo,
          workflow_id: input.workflowId,
          ref: input.branchOrTagName,
          inputs: input.workflowInputs,
          request: gh.request,
        });
      } catch (error) {
        throw gh.error(error, `dispatching workflow ${input.workflowId} of ${owner}/${repo}`);
      }
      ctx.logger.info(`Workflow ${input.workflowId} dispatched successfully`);
    },
  };
}
