import { AuthenticationError, ConflictError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { repositoryFolder, ScratchRepository } from './git-branch.ts';
import { checkBranchName } from './git-push.ts';
import { githubClient } from './github-client.ts';
import { resolveSourceDir } from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';

interface GithubPullRequestInput extends JsonObject {
  repoUrl: string;
  branchName: string;
  targetBranchName?: string;
  title: string;
  description: string;
  draft?: boolean;
  sourcePath?: string;
  targetPath?: string;
  token?: string;
  reviewers?: string[];
  teamReviewers?: string[];
  commitMessage?: string;
  update?: boolean;
  forceFork?: boolean;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  forceEmptyGitAuthor?: boolean;
  createWhenEmpty?: boolean;
}

interface PullRequest {
  number: number;
  html_url: string;
  base: { ref: string };
}

/**
 * `publish:github:pull-request`, with Backstage's inputs and outputs: the files of the workspace
 * (or `sourcePath`) are committed over the target branch (into `targetPath`) on `branchName`,
 * pushed with git (to a fork when `forceFork` or when the token may not push), and a pull
 * request is opened, or, with `update`, the open one of that branch is updated.
 */
export function createPublishGithubPullRequestAction(
  deps: ActionDeps,
): TemplateAction<GithubPullRequestInput> {
  return {
    id: 'publish:github:pull-request',
    description:
      'Commits the workspace (or sourcePath in it) to a branch of an existing GitHub repository and opens a pull request.',
    examples: [
      {
        description: 'Add the rendered files to a folder of an existing repository',
        example: `steps:
  - id: pr
    action: publish:github:pull-request
    name: Open a pull request
    input:
      repoUrl: github.com?owner=acme&repo=infrastructure
      branchName: add-\${{ parameters.name }}
      title: Add \${{ parameters.name }}
      description: Created from a template
      targetPath: services/\${{ parameters.name }}
      reviewers: [jane]
      teamReviewers: [platform]
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'title', 'description', 'branchName'],
        properties: {
          repoUrl: {
            title: 'Repository location',
            description: 'host?owner=<owner>&repo=<repo> (RepoUrlPicker format)',
            type: 'string',
          },
          branchName: { type: 'string', title: 'Branch name', description: 'The new branch' },
          targetBranchName: {
            type: 'string',
            title: 'Target branch name',
            description: "The branch to merge into (default: the repository's default branch)",
          },
          title: { type: 'string', title: 'Pull request title' },
          description: { type: 'string', title: 'Pull request description' },
          draft: { type: 'boolean', title: 'Create as draft' },
          sourcePath: {
            type: 'string',
            title: 'Working subdirectory',
            description: 'Folder of the workspace whose files are committed',
          },
          targetPath: {
            type: 'string',
            title: 'Repository subdirectory',
            description: 'Folder of the repository the files are written to',
          },
          token: {
            title: 'Authentication token',
            description: 'Used instead of integrations.github[].token for this host',
            type: 'string',
          },
          reviewers: {
            title: 'Reviewers',
            type: 'array',
            items: { type: 'string' },
            description: 'Users asked to review the pull request',
          },
          teamReviewers: {
            title: 'Team reviewers',
            type: 'array',
            items: { type: 'string' },
            description: 'Teams (slugs) asked to review the pull request',
          },
          commitMessage: {
            type: 'string',
            title: 'Commit message',
            description: 'Default: the title',
          },
          update: {
            type: 'boolean',
            title: 'Update',
            description: "Update the branch's open pull request when there is one",
          },
          forceFork: {
            type: 'boolean',
            title: 'Force fork',
            description: "Push to the token user's fork and open the pull request from it",
          },
          gitAuthorName: {
            type: 'string',
            title: 'Author name',
            description: 'Default: scaffolder.defaultAuthor.name',
          },
          gitAuthorEmail: {
            type: 'string',
            title: 'Author email',
            description: 'Default: scaffolder.defaultAuthor.email',
          },
          forceEmptyGitAuthor: {
            type: 'boolean',
            title: 'Author is the token user',
            description: "Commit as the token's GitHub user instead of the configured author",
          },
          createWhenEmpty: {
            type: 'boolean',
            title: 'Create when empty',
            description:
              'Open the pull request even when the files change nothing (default true); when false and nothing changes, there are no outputs',
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          targetBranchName: { type: 'string', title: 'Target branch of the pull request' },
          remoteUrl: { type: 'string', title: 'Web URL of the pull request' },
          pullRequestNumber: { type: 'number', title: 'Number of the pull request' },
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const { input, signal } = ctx;
      const gh = githubClient(deps.config, input.repoUrl, input.token, signal);
      const { octokit, owner, repo, request } = gh;
      await checkBranchName(input.branchName, 'branchName', signal);
      if (input.targetBranchName) {
        await checkBranchName(input.targetBranchName, 'targetBranchName', signal);
      }
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      const folder = repositoryFolder(input.targetPath);
      const name = `${owner}/${repo}`;

      if (ctx.isDryRun) {
        // As Backstage's dry run: nothing is sent; the outputs show their shape.
        ctx.logger.info(
          `Dry run: would open a pull request from ${input.branchName} in ${name} on ${gh.host}`,
        );
        ctx.output('targetBranchName', input.targetBranchName ?? input.branchName);
        ctx.output('remoteUrl', input.repoUrl);
        ctx.output('pullRequestNumber', 43);
        return;
      }

      const repository = await octokit.rest.repos.get({ owner, repo, request }).catch((error) => {
        throw gh.error(error, `reading repository ${name}`);
      });
      const permissions = repository.data.permissions;
      if (!permissions) {
        throw new AuthenticationError(
          `GitHub at ${gh.host} answered for ${name} without permissions: the request was not authenticated; check integrations.github[].token or the token input`,
        );
      }
      const base = input.targetBranchName || repository.data.default_branch;
      const upstream = parseGitRemote(repository.data.clone_url, 'clone_url');

      let headOwner = owner;
      let pushRemote = upstream;
      // As octokit-plugin-create-pull-request: a user token (it has OAuth scopes) that may not
      // push works on a fork; app tokens cannot fork.
      const isUserToken = Boolean(repository.headers['x-oauth-scopes']);
      if (input.forceFork || (isUserToken && !permissions.push)) {
        const login = (
          await octokit.rest.users.getAuthenticated({ request }).catch((error) => {
            throw gh.error(error, 'reading the token user');
          })
        ).data.login;
        const forks = await octokit.rest.repos
          .listForks({ owner, repo, request })
          .catch((error) => {
            throw gh.error(error, `listing forks of ${name}`);
          });
        let fork = forks.data.find((f) => f.owner?.login === login);
        if (!fork) {
          fork = (
            await octokit.rest.repos.createFork({ owner, repo, request }).catch((error) => {
              throw gh.error(error, `forking ${name}`);
            })
          ).data as unknown as typeof fork;
          ctx.logger.info(`Forked ${name} to ${login}/${repo}`);
        }
        headOwner = login;
        pushRemote = parseGitRemote(fork!.clone_url as string, 'clone_url');
      }

      const scratch = await ScratchRepository.create({
        gitDir: await ctx.createTemporaryDirectory(),
        policy: gh.policy,
        auth: { username: 'x-access-token', password: gh.token },
        signal,
        logger: ctx.logger,
      });
      // A fork may lack recent commits of the base: fetch its history so the push carries them.
      const baseCommit = await scratch.fetch(upstream, base, pushRemote !== upstream);
      const staged = await scratch.stage({ base: baseCommit, sourceDir, folder, action: 'auto' });
      if (!staged.changed && input.createWhenEmpty === false) {
        ctx.logger.info('No changes to commit, pull request was not created');
        return;
      }
      const author = await commitAuthor();
      const commit = await scratch.commit({
        tree: staged.tree,
        parent: baseCommit,
        message: input.commitMessage || input.title,
        author,
      });
      ctx.logger.info(
        `Committed ${staged.paths.length} file${staged.paths.length === 1 ? '' : 's'} on ${base} of ${name} as ${commit.slice(0, 12)}`,
      );

      const existingHead = await scratch.remoteHead(pushRemote, input.branchName);
      let pullRequest: PullRequest | undefined;
      if (existingHead) {
        if (!input.update) {
          throw new ConflictError(
            `The branch '${input.branchName}' exists already in ${headOwner}/${repo}; set update: true to update it and its pull request, or choose another branchName`,
          );
        }
        const open = await octokit.rest.pulls
          .list({ owner, repo, head: `${headOwner}:${input.branchName}`, state: 'open', request })
          .catch((error) => {
            throw gh.error(error, `looking for the open pull request of ${input.branchName}`);
          });
        pullRequest = open.data[0] as PullRequest | undefined;
      }
      await scratch.push(pushRemote, commit, input.branchName, existingHead);

      if (pullRequest) {
        pullRequest = (
          await octokit.rest.pulls
            .update({
              owner,
              repo,
              pull_number: pullRequest.number,
              title: input.title,
              body: input.description,
              request,
            })
            .catch((error) => {
              throw gh.error(error, `updating pull request #${pullRequest!.number} of ${name}`);
            })
        ).data as PullRequest;
        ctx.logger.info(`Updated pull request ${pullRequest.html_url}`);
      } else {
        pullRequest = (
          await octokit.rest.pulls
            .create({
              owner,
              repo,
              head: `${headOwner}:${input.branchName}`,
              base,
              title: input.title,
              body: input.description,
              draft: input.draft ?? false,
              request,
            })
            .catch((error) => {
              throw gh.error(
                error,
                `creating a pull request from ${input.branchName} into ${base}`,
              );
            })
        ).data as PullRequest;
        ctx.logger.info(`Created pull request ${pullRequest.html_url}`);
      }

      if (input.reviewers?.length || input.teamReviewers?.length) {
        try {
          const result = await octokit.rest.pulls.requestReviewers({
            owner,
            repo,
            pull_number: pullRequest.number,
            reviewers: input.reviewers ?? [],
            team_reviewers: input.teamReviewers ? [...new Set(input.teamReviewers)] : [],
            request,
          });
          const users = (result.data.requested_reviewers ?? []).map((u) => u.login).join(', ');
          const teams = (result.data.requested_teams ?? []).map((t) => t.slug).join(', ');
          ctx.logger.info(
            `Added users [${users}] and teams [${teams}] as reviewers to pull request ${pullRequest.number}`,
          );
        } catch (error) {
          // As in Backstage: the pull request exists; reviewers that cannot be asked are logged.
          ctx.logger.error(
            `Failure when adding reviewers to pull request ${pullRequest.number}: ${gh.error(error, 'requesting reviewers').message}`,
          );
        }
      }

      ctx.output('targetBranchName', pullRequest.base.ref);
      ctx.output('remoteUrl', pullRequest.html_url);
      ctx.output('pullRequestNumber', pullRequest.number);

      async function commitAuthor(): Promise<{ name: string; email: string }> {
        if (!input.forceEmptyGitAuthor) {
          return {
            name: input.gitAuthorName || deps.config.scaffolder.defaultAuthor.name,
            email: input.gitAuthorEmail || deps.config.scaffolder.defaultAuthor.email,
          };
        }
        // Backstage lets GitHub fill in the token's user; a git push must name one, so it is
        // that user (with GitHub's no-reply address when the email is private).
        try {
          const user = (await octokit.rest.users.getAuthenticated({ request })).data;
          return {
            name: user.name || user.login,
            email: user.email || `${user.id}+${user.login}@users.noreply.github.com`,
          };
        } catch (error) {
          throw gh.error(error, 'reading the token user (forceEmptyGitAuthor)');
        }
      }
    },
  };
}
