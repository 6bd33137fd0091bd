import type { JsonObject } from '../../../../../model/entity.ts';
import { githubClient } from '../publish/github-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { REPO_URL, TOKEN } from './inputs.ts';

interface LabelInput extends JsonObject {
  repoUrl: string;
  number: number;
  labels: string[];
  token?: string;
}

/** `github:issues:label`: adds labels to an issue or pull request. */
export function createGithubIssuesLabelAction(deps: ActionDeps): TemplateAction<LabelInput> {
  return {
    id: 'github:issues:label',
    description: 'Adds labels to a pull request or issue on GitHub.',
    examples: [
      {
        description: 'Label the pull request a previous step opened',
        example: `steps:
  - id: label
    action: github:issues:label
    input:
      repoUrl: github.com?owner=acme&repo=infra
      number: \${{ steps.pr.output.pullRequestNumber }}
      labels: [scaffolder, needs-review]
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'number', 'labels'],
        properties: {
          repoUrl: REPO_URL,
          number: { title: 'Issue or pull request number', type: 'number' },
          labels: { title: 'Labels', type: 'array', items: { type: 'string' } },
          token: TOKEN,
        },
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, ctx.signal);
      const { owner, repo } = gh;
      ctx.logger.info(`Adding labels to #${input.number} of ${owner}/${repo}`);
      try {
        await gh.octokit.rest.issues.addLabels({
          owner,
          repo,
          issue_number: input.number,
          labels: input.labels,
          request: gh.request,
        });
      } catch (error) {
        throw gh.error(error, `adding labels to #${input.number} of ${owner}/${repo}`);
      }
    },
  };
}
