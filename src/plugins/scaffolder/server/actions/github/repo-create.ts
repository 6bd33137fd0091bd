import type { JsonObject } from '../../../../../model/entity.ts';
import { githubClient } from '../publish/github-client.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import {
  createGithubRepository,
  type GithubRepoSettings,
  REPO_SETTINGS_PROPERTIES,
} from './github-repo.ts';
import { REPO_URL, TOKEN } from './inputs.ts';

interface RepoCreateInput extends JsonObject {
  repoUrl: string;
  token?: string;
}

/** `github:repo:create`: the repository and its settings, without pushing (github:repo:push does). */
export function createGithubRepoCreateAction(deps: ActionDeps): TemplateAction<RepoCreateInput> {
  return {
    id: 'github:repo:create',
    description: 'Creates a GitHub repository (without content; github:repo:push pushes it).',
    examples: [
      {
        description: 'Create a repository, then push to it',
        example: `steps:
  - id: create
    action: github:repo:create
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      repoVisibility: internal
      collaborators: [{ team: platform, access: push }]
  - id: push
    action: github:repo:push
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      defaultBranch: main
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl'],
        properties: { repoUrl: REPO_URL, ...REPO_SETTINGS_PROPERTIES, token: TOKEN },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          remoteUrl: { type: 'string', title: 'Clone URL of the repository' },
          repoContentsUrl: { type: 'string', title: 'Web URL of the repository' },
        },
      },
    },
    async handler(ctx) {
      const gh = githubClient(deps.config, ctx.input.repoUrl, ctx.input.token, ctx.signal);
      const created = await createGithubRepository(
        gh,
        ctx.input as unknown as GithubRepoSettings,
        ctx.logger,
      );
      ctx.output('remoteUrl', created.clone_url);
      ctx.output('repoContentsUrl', created.html_url);
    },
  };
}
