import type { ActionContribution } from '../types.ts';
import { createGithubActionsDispatchAction } from './actions-dispatch.ts';
import { createGithubEnvironmentAction } from './environment-create.ts';
import { createGithubIssuesLabelAction } from './issues-label.ts';
import { createGithubPagesEnableAction } from './pages-enable.ts';
import { createGithubRepoCreateAction } from './repo-create.ts';
import { createGithubRepoPushAction } from './repo-push.ts';
import { createGithubWebhookAction } from './webhook.ts';

/**
 * Backstage's github:* actions (@backstage/plugin-scaffolder-backend-module-github), on the
 * GitHub client publish:github uses (publish/github-client.ts).
 */
export const githubActions: ActionContribution[] = [
  createGithubRepoCreateAction,
  createGithubRepoPushAction,
  createGithubWebhookAction,
  createGithubActionsDispatchAction,
  createGithubEnvironmentAction,
  createGithubPagesEnableAction,
  createGithubIssuesLabelAction,
];
