import { Octokit } from '@octokit/rest';
import { InputError } from '../../../../../core/errors.ts';
import { allowListFetch } from '../../../../../core/reading/allow-list.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { parseRepoUrl } from '../../templating/index.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { checkBranchName, commitAndPush } from './git-push.ts';
import {
  COMMIT_INPUT_PROPERTIES,
  commitSettings,
  hostCredentials,
  resolveSourceDir,
  type ScmApi,
  scmApiError,
  warnIgnoredInputs,
} from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';

interface PublishGithubInput extends JsonObject {
  repoUrl: string;
  description?: string;
  homepage?: string;
  defaultBranch?: string;
  repoVisibility?: 'private' | 'public' | 'internal';
  sourcePath?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  topics?: string[];
  token?: string;
  hasWiki?: boolean;
  hasIssues?: boolean;
  hasProjects?: boolean;
  deleteBranchOnMerge?: boolean;
  allowMergeCommit?: boolean;
  allowSquashMerge?: boolean;
  allowRebaseMerge?: boolean;
  allowAutoMerge?: boolean;
  protectDefaultBranch?: boolean;
  protectEnforceAdmins?: boolean;
  requireCodeOwnerReviews?: boolean;
  requiredApprovingReviewCount?: number;
  dismissStaleReviews?: boolean;
  requiredStatusCheckContexts?: string[];
  requireBranchesToBeUpToDate?: boolean;
  requiredConversationResolution?: boolean;
  requireLastPushApproval?: boolean;
  requiredLinearHistory?: boolean;
}

/** Inputs of Backstage's publish:github that Atrium's does not act on (yet). */
const UNSUPPORTED_INPUTS = [
  'access',
  'collaborators',
  'bypassPullRequestAllowances',
  'restrictions',
  'allowUpdateBranch',
  'squashMergeCommitTitle',
  'squashMergeCommitMessage',
  'repoVariables',
  'secrets',
  'oidcCustomization',
  'requiredCommitSigning',
  'customProperties',
  'subscribe',
];

interface GithubRequestError {
  status?: number;
  message?: string;
  response?: { data?: { message?: string; errors?: Array<{ message?: string; code?: string }> } };
}

const GITHUB_API: ScmApi = {
  name: 'GitHub',
  tokenKey: 'integrations.github[].token',
  refusalStatuses: [422],
  alreadyExists: /already exists/i,
};

/** An API failure as a task error that says what was attempted on which repository. */
function githubError(error: unknown, doing: string, host: string): Error {
  const e = error as GithubRequestError;
  if ((error as Error)?.name === 'AbortError') return error as Error;
  const data = e.response?.data;
  const details = [
    data?.message ?? e.message,
    ...(data?.errors ?? []).map((d) => d.message ?? d.code),
  ]
    .filter(Boolean)
    .join('; ');
  // Without a status (a network failure) the error's own message says what happened.
  return scmApiError(
    GITHUB_API,
    host,
    doing,
    e.status,
    e.status ? details : ((error as Error)?.message ?? String(error)),
  );
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
          description: { title: 'Repository description', type: 'string' },
          homepage: { title: 'Repository homepage', type: 'string' },
          defaultBranch: {
            title: 'Default branch',
            type: 'string',
            default: 'main',
          },
          repoVisibility: {
            title: 'Repository visibility',
            type: 'string',
            enum: ['private', 'public', 'internal'],
            default: 'private',
          },
          ...COMMIT_INPUT_PROPERTIES,
          topics: { title: 'Topics', type: 'array', items: { type: 'string' } },
          token: {
            title: 'Authentication token',
            description: 'Used instead of integrations.github[].token for this host',
            type: 'string',
          },
          hasWiki: { type: 'boolean', title: 'Enable the wiki' },
          hasIssues: { type: 'boolean', title: 'Enable issues' },
          hasProjects: { type: 'boolean', title: 'Enable projects' },
          deleteBranchOnMerge: { type: 'boolean', title: 'Delete head branches on merge' },
          allowMergeCommit: { type: 'boolean', title: 'Allow merge commits' },
          allowSquashMerge: { type: 'boolean', title: 'Allow squash merges' },
          allowRebaseMerge: { type: 'boolean', title: 'Allow rebase merges' },
          allowAutoMerge: { type: 'boolean', title: 'Allow auto-merge' },
          protectDefaultBranch: {
            type: 'boolean',
            title: 'Protect the default branch',
            description:
              'Failing to protect it (e.g. private repositories on a free plan) is a warning',
            default: true,
          },
          protectEnforceAdmins: {
            type: 'boolean',
            title: 'Enforce protection for admins',
            default: true,
          },
          requireCodeOwnerReviews: {
            type: 'boolean',
            title: 'Require code owner reviews',
            default: false,
          },
          requiredApprovingReviewCount: {
            type: 'integer',
            title: 'Required approving reviews',
            minimum: 0,
            maximum: 6,
            default: 1,
          },
          dismissStaleReviews: { type: 'boolean', title: 'Dismiss stale reviews', default: false },
          requiredStatusCheckContexts: {
            type: 'array',
            items: { type: 'string' },
            title: 'Required status checks',
          },
          requireBranchesToBeUpToDate: {
            type: 'boolean',
            title: 'Require branches to be up to date before merging',
            default: true,
          },
          requiredConversationResolution: {
            type: 'boolean',
            title: 'Require conversation resolution',
            default: false,
          },
          requireLastPushApproval: {
            type: 'boolean',
            title: 'Require approval of the last push',
            default: false,
          },
          requiredLinearHistory: {
            type: 'boolean',
            title: 'Require linear history',
            default: false,
          },
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
      const { host, owner, repo } = parseRepoUrl(input.repoUrl, deps.config.integrations);
      if (!owner) throw new InputError(`repoUrl: '${input.repoUrl}' has no owner`);
      const { apiBaseUrl, token, policy } = hostCredentials(
        deps.config,
        'github',
        host,
        input.token,
      );
      const branch = input.defaultBranch || 'main';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      warnIgnoredInputs(ctx, 'publish:github', UNSUPPORTED_INPUTS);
      const visibility = input.repoVisibility ?? 'private';
      const octokit = new Octokit({
        auth: token,
        baseUrl: apiBaseUrl,
        log: silentLog,
        // Every API request and redirect is checked against the allow list.
        request: { fetch: allowListFetch(policy) },
      });
      const request = { signal };
      const name = `${owner}/${repo}`;

      let ownerType: string;
      try {
        ownerType = (await octokit.rest.users.getByUsername({ username: owner, request })).data
          .type;
      } catch (error) {
        if ((error as GithubRequestError).status === 404) {
          throw new InputError(`repoUrl: no user or organisation '${owner}' on ${host}`);
        }
        throw githubError(error, `looking up owner ${owner}`, host);
      }
      const settings = {
        name: repo,
        private: visibility === 'private',
        description: input.description,
        homepage: input.homepage,
        has_wiki: input.hasWiki,
        has_issues: input.hasIssues,
        has_projects: input.hasProjects,
        delete_branch_on_merge: input.deleteBranchOnMerge,
        allow_merge_commit: input.allowMergeCommit,
        allow_squash_merge: input.allowSquashMerge,
        allow_rebase_merge: input.allowRebaseMerge,
        allow_auto_merge: input.allowAutoMerge,
        request,
      };
      let created: { clone_url: string; html_url: string };
      try {
        if (ownerType === 'Organization') {
          // `internal` (GitHub Enterprise) is missing from the client's types, not from the API.
          created = (
            await octokit.rest.repos.createInOrg({
              org: owner,
              visibility: visibility as 'private' | 'public',
              ...settings,
            })
          ).data;
        } else {
          const login = (await octokit.rest.users.getAuthenticated({ request })).data.login;
          if (login.toLowerCase() !== owner.toLowerCase()) {
            throw new InputError(
              `repoUrl: ${owner} is a user, and GitHub creates user repositories only for the token's own user (${login})`,
            );
          }
          if (visibility === 'internal') {
            throw new InputError(
              'repoVisibility: internal repositories exist in organisations only',
            );
          }
          created = (await octokit.rest.repos.createForAuthenticatedUser(settings)).data;
        }
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw githubError(error, `creating repository ${name}`, host);
      }
      ctx.logger.info(`Created ${visibility} repository ${created.html_url}`);

      if (input.topics?.length) {
        try {
          await octokit.rest.repos.replaceAllTopics({ owner, repo, names: input.topics, request });
        } catch (error) {
          throw githubError(error, `setting topics of ${name}`, host);
        }
      }

      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(created.clone_url, 'clone_url'),
        policy,
        branch,
        ...commitSettings(deps.config, input),
        auth: { username: 'x-access-token', password: token },
        signal,
        logger: ctx.logger,
      });

      if (input.protectDefaultBranch ?? true) {
        try {
          await octokit.rest.repos.updateBranchProtection({
            owner,
            repo,
            branch,
            required_status_checks: {
              strict: input.requireBranchesToBeUpToDate ?? true,
              contexts: input.requiredStatusCheckContexts ?? [],
            },
            enforce_admins: input.protectEnforceAdmins ?? true,
            required_pull_request_reviews: {
              required_approving_review_count: input.requiredApprovingReviewCount ?? 1,
              require_code_owner_reviews: input.requireCodeOwnerReviews ?? false,
              dismiss_stale_reviews: input.dismissStaleReviews ?? false,
              require_last_push_approval: input.requireLastPushApproval ?? false,
            },
            restrictions: null,
            required_linear_history: input.requiredLinearHistory ?? false,
            required_conversation_resolution: input.requiredConversationResolution ?? false,
            request,
          });
          ctx.logger.info(`Protected branch ${branch}`);
        } catch (error) {
          // As in Backstage: the repository exists and is pushed; protection is best effort.
          ctx.logger.warn(
            `Skipping default branch protection on ${name}: ${githubError(error, `protecting ${branch}`, host).message}`,
          );
        }
      }

      ctx.output('remoteUrl', created.clone_url);
      ctx.output('repoContentsUrl', `${created.html_url}/tree/${branch}`);
      ctx.output('commitHash', commitHash);
    },
  };
}

// Octokit logs deprecations and failed requests to the console; the task log says what matters.
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
