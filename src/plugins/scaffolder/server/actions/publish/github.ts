import type { JsonObject } from '../../../../../model/entity.ts';
import {
  createGithubRepository,
  type GithubProtectionSettings,
  type GithubRepoSettings,
  PROTECTION_PROPERTIES,
  protectBranch,
  REPO_SETTINGS_PROPERTIES,
} from '../github/github-repo.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { checkBranchName, commitAndPush } from './git-push.ts';
import { githubClient } from './github-client.ts';
import { COMMIT_INPUT_PROPERTIES, commitSettings, resolveSourceDir } from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';

interface PublishGithubInput extends JsonObject {
  repoUrl: string;
  defaultBranch?: string;
  sourcePath?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  token?: string;
}

export function createPublishGithubAction(deps: ActionDeps): TemplateAction<PublishGithubInput> {
  return {
    id: 'publish:github',
    description:
      'Creates a GitHub repository (organisation or user) and pushes the workspace (or sourcePath in it) to it.',
    examples: [
      {
        description: 'Publish to a new private repository',
        example: `steps:
  - id: publish
    action: publish:github
    name: Publish to GitHub
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      description: This is \${{ parameters.name }}
      defaultBranch: main
      repoVisibility: private
      topics: [service, node]
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl'],
        properties: {
          repoUrl: {
            title: 'Repository location',
            description: 'host?owner=<owner>&repo=<repo> (RepoUrlPicker format)',
            type: 'string',
          },
          defaultBranch: {
            title: 'Default branch',
            type: 'string',
            default: 'main',
          },
          ...COMMIT_INPUT_PROPERTIES,
          token: {
            title: 'Authentication token',
            description: 'Used instead of integrations.github[].token for this host',
            type: 'string',
          },
          ...REPO_SETTINGS_PROPERTIES,
          ...PROTECTION_PROPERTIES,
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['remoteUrl', 'repoContentsUrl', 'commitHash'],
        properties: {
          remoteUrl: { type: 'string', description: 'Clone URL of the new repository' },
          repoContentsUrl: {
            type: 'string',
            description: 'Web URL of the default branch (…/tree/<branch>)',
          },
          commitHash: { type: 'string', description: 'The commit pushed' },
        },
      },
    },
    supportsDryRun: false,
    async handler(ctx) {
      const { input, signal } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, signal);
      const branch = input.defaultBranch || 'main';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      const created = await createGithubRepository(
        gh,
        input as unknown as GithubRepoSettings,
        ctx.logger,
      );
      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(created.clone_url, 'clone_url'),
        policy: gh.policy,
        branch,
        ...commitSettings(deps.config, input),
        auth: { username: 'x-access-token', password: gh.token },
        signal,
        logger: ctx.logger,
      });
      await protectBranch(gh, branch, input as unknown as GithubProtectionSettings, ctx.logger);

      ctx.output('remoteUrl', created.clone_url);
      ctx.output('repoContentsUrl', `${created.html_url}/tree/${branch}`);
      ctx.output('commitHash', commitHash);
    },
  };
}
