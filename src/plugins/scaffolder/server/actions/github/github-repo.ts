import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { GithubRepoClient } from '../publish/github-client.ts';
import type { TaskLogger } from '../types.ts';
import { sealSecret } from './sealed-secret.ts';

/** The repository settings github:repo:create and publish:github share (Backstage's names). */
export interface GithubRepoSettings {
  description?: string;
  homepage?: string;
  repoVisibility?: 'private' | 'public' | 'internal';
  access?: string;
  collaborators?: Array<{ access: string; user?: string; team?: string; username?: string }>;
  hasWiki?: boolean;
  hasIssues?: boolean;
  hasProjects?: boolean;
  deleteBranchOnMerge?: boolean;
  allowMergeCommit?: boolean;
  allowSquashMerge?: boolean;
  allowRebaseMerge?: boolean;
  allowAutoMerge?: boolean;
  allowUpdateBranch?: boolean;
  squashMergeCommitTitle?: 'PR_TITLE' | 'COMMIT_OR_PR_TITLE';
  squashMergeCommitMessage?: 'PR_BODY' | 'COMMIT_MESSAGES' | 'BLANK';
  topics?: string[];
  repoVariables?: Record<string, string>;
  secrets?: Record<string, string>;
  oidcCustomization?: { useDefault: boolean; includeClaimKeys?: string[] };
  customProperties?: Record<string, string>;
  subscribe?: boolean;
}

/** The branch protection settings github:repo:push and publish:github share. */
export interface GithubProtectionSettings {
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
  requiredCommitSigning?: boolean;
  bypassPullRequestAllowances?: { users?: string[]; teams?: string[]; apps?: string[] };
  restrictions?: { users?: string[]; teams?: string[]; apps?: string[] };
}

const stringList = { type: 'array', items: { type: 'string' } };
const principals = {
  type: 'object',
  additionalProperties: false,
  properties: { users: stringList, teams: stringList, apps: stringList },
};

/** Input schema properties of {@link GithubRepoSettings}. */
export const REPO_SETTINGS_PROPERTIES: JsonObject = {
  description: { title: 'Repository description', type: 'string' },
  homepage: { title: 'Repository homepage', type: 'string' },
  repoVisibility: {
    title: 'Repository visibility',
    type: 'string',
    enum: ['private', 'public', 'internal'],
    default: 'private',
  },
  access: {
    title: 'Repository access',
    description:
      'An admin collaborator: a user other than the owner, or a team as `<owner>/<team-slug>`',
    type: 'string',
  },
  collaborators: {
    title: 'Collaborators',
    description: 'Users or teams (entity refs or names) given access to the repository',
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['access'],
      properties: {
        access: { type: 'string', description: 'pull, triage, push, maintain or admin' },
        user: { type: 'string' },
        team: { type: 'string' },
        username: { type: 'string', description: 'Deprecated: use team' },
      },
      oneOf: [{ required: ['user'] }, { required: ['team'] }, { required: ['username'] }],
    },
  },
  hasWiki: { type: 'boolean', title: 'Enable the wiki' },
  hasIssues: { type: 'boolean', title: 'Enable issues' },
  hasProjects: { type: 'boolean', title: 'Enable projects' },
  deleteBranchOnMerge: { type: 'boolean', title: 'Delete head branches on merge', default: false },
  allowMergeCommit: { type: 'boolean', title: 'Allow merge commits', default: true },
  allowSquashMerge: { type: 'boolean', title: 'Allow squash merges', default: true },
  allowRebaseMerge: { type: 'boolean', title: 'Allow rebase merges', default: true },
  allowAutoMerge: { type: 'boolean', title: 'Allow auto-merge', default: false },
  allowUpdateBranch: { type: 'boolean', title: 'Suggest updating pull request branches' },
  squashMergeCommitTitle: {
    type: 'string',
    enum: ['PR_TITLE', 'COMMIT_OR_PR_TITLE'],
    title: 'Default squash merge commit title',
  },
  squashMergeCommitMessage: {
    type: 'string',
    enum: ['PR_BODY', 'COMMIT_MESSAGES', 'BLANK'],
    title: 'Default squash merge commit message',
  },
  topics: { title: 'Topics', type: 'array', items: { type: 'string' } },
  repoVariables: {
    title: 'Repository variables',
    description: 'GitHub Actions variables of the repository',
    type: 'object',
    additionalProperties: { type: 'string' },
  },
  secrets: {
    title: 'Repository secrets',
    description: 'GitHub Actions secrets of the repository (sent encrypted to its public key)',
    type: 'object',
    additionalProperties: { type: 'string' },
  },
  oidcCustomization: {
    title: 'OIDC subject claim template',
    type: 'object',
    additionalProperties: false,
    required: ['useDefault'],
    properties: {
      useDefault: { type: 'boolean' },
      includeClaimKeys: stringList,
    },
  },
  customProperties: {
    title: 'Custom repository properties',
    description: 'Organisation repositories only',
    type: 'object',
    additionalProperties: { type: 'string' },
  },
  subscribe: { type: 'boolean', title: 'Watch the repository as the token user' },
};

/** Input schema properties of {@link GithubProtectionSettings}. */
export const PROTECTION_PROPERTIES: JsonObject = {
  protectDefaultBranch: {
    type: 'boolean',
    title: 'Protect the default branch',
    description: 'Failing to protect it (e.g. private repositories on a free plan) is a warning',
    default: true,
  },
  protectEnforceAdmins: { type: 'boolean', title: 'Enforce protection for admins', default: true },
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
  requiredStatusCheckContexts: { ...stringList, title: 'Required status checks' },
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
  requiredLinearHistory: { type: 'boolean', title: 'Require linear history', default: false },
  requiredCommitSigning: { type: 'boolean', title: 'Require signed commits', default: false },
  bypassPullRequestAllowances: {
    ...principals,
    title: 'Who may bypass pull request requirements',
  },
  restrictions: { ...principals, title: 'Who may push to the protected branch' },
};

/** `group:default/team-a` → `team-a`: Backstage accepts entity refs where GitHub wants names. */
function refName(ref: string): string {
  return ref.replace(/^[^:/]+:/, '').replace(/^[^/]+\//, '');
}

/**
 * Creates `owner/repo` (in the organisation, or for the token's own user) with `settings`, then
 * its access, collaborators, topics, variables, secrets, OIDC template, custom properties and
 * subscription, as Backstage's github:repo:create does. Returns the repository's URLs.
 */
export async function createGithubRepository(
  gh: GithubRepoClient,
  settings: GithubRepoSettings,
  logger: TaskLogger,
): Promise<{ clone_url: string; html_url: string }> {
  const { octokit, owner, repo, request } = gh;
  const name = `${owner}/${repo}`;
  let ownerType: string;
  try {
    ownerType = (await octokit.rest.users.getByUsername({ username: owner, request })).data.type;
  } catch (error) {
    if ((error as { status?: number }).status === 404) {
      throw new InputError(`repoUrl: no user or organisation '${owner}' on ${gh.host}`);
    }
    throw gh.error(error, `looking up owner ${owner}`);
  }
  const org = ownerType === 'Organization';
  const teamAccess = settings.access?.startsWith(`${owner}/`) ? settings.access : undefined;
  if (teamAccess) {
    try {
      await octokit.rest.teams.getByName({
        org: owner,
        team_slug: teamAccess.split('/')[1]!,
        request,
      });
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        throw new InputError(`access: no team '${teamAccess}' on ${gh.host}`);
      }
      throw gh.error(error, `looking up team ${teamAccess}`);
    }
  }
  const visibility = settings.repoVisibility ?? 'private';
  const common = {
    name: repo,
    private: visibility === 'private',
    description: settings.description,
    homepage: settings.homepage,
    has_wiki: settings.hasWiki,
    has_issues: settings.hasIssues,
    has_projects: settings.hasProjects,
    delete_branch_on_merge: settings.deleteBranchOnMerge,
    allow_merge_commit: settings.allowMergeCommit,
    allow_squash_merge: settings.allowSquashMerge,
    allow_rebase_merge: settings.allowRebaseMerge,
    allow_auto_merge: settings.allowAutoMerge,
    allow_update_branch: settings.allowUpdateBranch,
    squash_merge_commit_title: settings.squashMergeCommitTitle,
    squash_merge_commit_message: settings.squashMergeCommitMessage,
    request,
  };
  let created: { clone_url: string; html_url: string };
  try {
    if (org) {
      created = (
        await octokit.rest.repos.createInOrg({
          org: owner,
          // `internal` (GitHub Enterprise) is missing from the client's types, not from the API.
          visibility: visibility as 'private' | 'public',
          ...(settings.customProperties ? { custom_properties: settings.customProperties } : {}),
          ...common,
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
        throw new InputError('repoVisibility: internal repositories exist in organisations only');
      }
      created = (await octokit.rest.repos.createForAuthenticatedUser(common)).data;
    }
  } catch (error) {
    throw gh.error(error, `creating repository ${name}`);
  }
  logger.info(`Created ${visibility} repository ${created.html_url}`);

  if (teamAccess) {
    await call(gh, `giving team ${teamAccess} admin access to ${name}`, () =>
      octokit.rest.teams.addOrUpdateRepoPermissionsInOrg({
        org: owner,
        team_slug: teamAccess.split('/')[1]!,
        owner,
        repo,
        permission: 'admin',
        request,
      }),
    );
  } else if (settings.access && settings.access !== owner) {
    await call(gh, `giving ${settings.access} admin access to ${name}`, () =>
      octokit.rest.repos.addCollaborator({
        owner,
        repo,
        username: settings.access!,
        permission: 'admin',
        request,
      }),
    );
  }
  for (const collaborator of settings.collaborators ?? []) {
    const team = collaborator.team ?? collaborator.username;
    const who = collaborator.user ?? team ?? '';
    try {
      if (collaborator.user) {
        await octokit.rest.repos.addCollaborator({
          owner,
          repo,
          username: refName(collaborator.user),
          permission: collaborator.access,
          request,
        });
      } else {
        await octokit.rest.teams.addOrUpdateRepoPermissionsInOrg({
          org: owner,
          team_slug: refName(team!),
          owner,
          repo,
          permission: collaborator.access as 'pull',
          request,
        });
      }
    } catch (error) {
      // As in Backstage: the repository exists; a collaborator that cannot be added is a warning.
      logger.warn(
        `Skipping ${collaborator.access} access for ${who}: ${gh.error(error, `adding ${who}`).message}`,
      );
    }
  }
  if (settings.topics?.length) {
    try {
      await octokit.rest.repos.replaceAllTopics({
        owner,
        repo,
        names: settings.topics.map((t) => t.toLowerCase()),
        request,
      });
    } catch (error) {
      logger.warn(
        `Skipping topics ${settings.topics.join(' ')}: ${gh.error(error, 'setting topics').message}`,
      );
    }
  }
  for (const [key, value] of Object.entries(settings.repoVariables ?? {})) {
    await call(gh, `creating variable ${key} of ${name}`, () =>
      octokit.rest.actions.createRepoVariable({ owner, repo, name: key, value, request }),
    );
  }
  if (settings.secrets && Object.keys(settings.secrets).length) {
    const publicKey = await call(gh, `reading the Actions public key of ${name}`, () =>
      octokit.rest.actions.getRepoPublicKey({ owner, repo, request }),
    );
    for (const [key, value] of Object.entries(settings.secrets)) {
      const encrypted = await sealSecret(publicKey.data.key, value);
      await call(gh, `creating secret ${key} of ${name}`, () =>
        octokit.rest.actions.createOrUpdateRepoSecret({
          owner,
          repo,
          secret_name: key,
          encrypted_value: encrypted,
          key_id: publicKey.data.key_id,
          request,
        }),
      );
    }
  }
  if (settings.oidcCustomization) {
    await call(gh, `setting the OIDC subject claim template of ${name}`, () =>
      octokit.request('PUT /repos/{owner}/{repo}/actions/oidc/customization/sub', {
        owner,
        repo,
        use_default: settings.oidcCustomization!.useDefault,
        include_claim_keys: settings.oidcCustomization!.includeClaimKeys,
        request,
      }),
    );
  }
  if (settings.subscribe) {
    await call(gh, `subscribing to ${name}`, () =>
      octokit.rest.activity.setRepoSubscription({
        owner,
        repo,
        subscribed: true,
        ignored: false,
        request,
      }),
    );
  }
  return created;
}

/**
 * Protects `branch` as Backstage's publish actions do: best effort, since a private repository
 * on a free plan cannot be protected and the repository is already pushed; a failure is a
 * warning in the log.
 */
export async function protectBranch(
  gh: GithubRepoClient,
  branch: string,
  s: GithubProtectionSettings,
  logger: TaskLogger,
): Promise<void> {
  if (!(s.protectDefaultBranch ?? true)) return;
  const { octokit, owner, repo, request } = gh;
  try {
    await octokit.rest.repos.updateBranchProtection({
      owner,
      repo,
      branch,
      required_status_checks: {
        strict: s.requireBranchesToBeUpToDate ?? true,
        contexts: s.requiredStatusCheckContexts ?? [],
      },
      enforce_admins: s.protectEnforceAdmins ?? true,
      required_pull_request_reviews: {
        required_approving_review_count: s.requiredApprovingReviewCount ?? 1,
        require_code_owner_reviews: s.requireCodeOwnerReviews ?? false,
        dismiss_stale_reviews: s.dismissStaleReviews ?? false,
        require_last_push_approval: s.requireLastPushApproval ?? false,
        ...(s.bypassPullRequestAllowances
          ? { bypass_pull_request_allowances: s.bypassPullRequestAllowances }
          : {}),
      },
      restrictions: s.restrictions
        ? {
            users: s.restrictions.users ?? [],
            teams: s.restrictions.teams ?? [],
            apps: s.restrictions.apps ?? [],
          }
        : null,
      required_linear_history: s.requiredLinearHistory ?? false,
      required_conversation_resolution: s.requiredConversationResolution ?? false,
      request,
    });
    if (s.requiredCommitSigning) {
      await octokit.rest.repos.createCommitSignatureProtection({ owner, repo, branch, request });
    }
    logger.info(`Protected branch ${branch}`);
  } catch (error) {
    logger.warn(
      `Skipping default branch protection on ${owner}/${repo}: ${gh.error(error, `protecting ${branch}`).message}`,
    );
  }
}

async function call<T>(gh: GithubRepoClient, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw gh.error(error, doing);
  }
}
