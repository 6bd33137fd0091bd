import type { ActionContribution } from '../types.ts';
import { createPublishAzureAction } from './azure.ts';
import { createPublishBitbucketCloudAction } from './bitbucket-cloud.ts';
import { createPublishBitbucketServerAction } from './bitbucket-server.ts';
import { createPublishGerritAction } from './gerrit.ts';
import { createPublishGithubAction } from './github.ts';
import { createPublishGithubPullRequestAction } from './github-pull-request.ts';
import { createPublishGitlabAction } from './gitlab.ts';
import { createPublishGitlabMergeRequestAction } from './gitlab-merge-request.ts';
import { createPublishGitAction } from './publish-git.ts';

/**
 * `publish:git` (Atrium's: any git remote, including a local bare repository), and Backstage's
 * publish actions for the hosting services; all push through git (git-push.ts for new
 * repositories, git-branch.ts for branches of existing ones).
 */
export const publishActions: ActionContribution[] = [
  createPublishGitAction,
  createPublishGithubAction,
  createPublishGithubPullRequestAction,
  createPublishGitlabAction,
  createPublishGitlabMergeRequestAction,
  createPublishBitbucketCloudAction,
  createPublishBitbucketServerAction,
  createPublishAzureAction,
  createPublishGerritAction,
];
