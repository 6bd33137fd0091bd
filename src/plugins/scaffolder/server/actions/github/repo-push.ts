import type { JsonObject } from '../../../../../model/entity.ts';
import { checkBranchName, commitAndPush } from '../publish/git-push.ts';
import { githubClient } from '../publish/github-client.ts';
import {
  COMMIT_INPUT_PROPERTIES,
  commitSettings,
  resolveSourceDir,
} from '../publish/publish-common.ts';
import { parseGitRemote } from '../publish/remote-url.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import {
  type GithubProtectionSettings,
  PROTECTION_PROPERTIES,
  protectBranch,
} from './github-repo.ts';
import { REPO_URL, TOKEN } from './inputs.ts';

interface RepoPushInput extends JsonObject {
  repoUrl: string;
  defaultBranch?: string;
  sourcePath?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  token?: string;
}

/**
 * `github:repo:push`: the first commit of the workspace (or sourcePath) into an existing, empty
 * GitHub repository (github:repo:create makes one), then the default branch's protection.
 */
export function createGithubRepoPushAction(deps: ActionDeps): TemplateAction<RepoPushInput> {
  return {
    id: 'github:repo:push',
    description:
      'Pushes the workspace (or sourcePath in it) as the first commit of an existing GitHub repository and protects its default branch.',
    examples: [
      {
        description: 'Push to a repository github:repo:create made',
        example: `steps:
  - id: push
    action: github:repo:push
    input:
      repoUrl: github.com?owner=acme&repo=\${{ parameters.name }}
      defaultBranch: main
      protectDefaultBranch: false
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl'],
        properties: {
          repoUrl: REPO_URL,
          defaultBranch: { title: 'Default branch', type: 'string', default: 'master' },
          ...COMMIT_INPUT_PROPERTIES,
          token: TOKEN,
          ...PROTECTION_PROPERTIES,
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          remoteUrl: { type: 'string', title: 'Clone URL of the repository' },
          repoContentsUrl: { type: 'string', title: 'Web URL of the default branch' },
          commitHash: { type: 'string', title: 'The commit pushed' },
        },
      },
    },
    async handler(ctx) {
      const { input, signal } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, signal);
      const branch = input.defaultBranch || 'master';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      const { owner, repo } = gh;
      const target = await gh.octokit.rest.repos
        .get({ owner, repo, request: gh.request })
        .catch((error) => {
          throw gh.error(error, `reading repository ${owner}/${repo}`);
        });
      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(target.data.clone_url, 'clone_url'),
        policy: gh.policy,
        branch,
        ...commitSettings(deps.config, input),
        auth: { username: 'x-access-token', password: gh.token },
        signal,
        logger: ctx.logger,
      });
      await protectBranch(gh, branch, input as unknown as GithubProtectionSettings, ctx.logger);
      ctx.output('remoteUrl', target.data.clone_url);
      ctx.output('repoContentsUrl', `${target.data.html_url}/blob/${branch}`);
      ctx.output('commitHash', commitHash);
    },
  };
}
