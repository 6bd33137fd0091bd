import type { ActionContribution } from '../types.ts';
import { createGitlabGroupEnsureExistsAction } from './group-ensure-exists.ts';
import { createGitlabPipelineTriggerAction } from './pipeline-trigger.ts';
import { createGitlabProjectVariableAction } from './project-variable-create.ts';
import { createGitlabRepoPushAction } from './repo-push.ts';

/**
 * Backstage's gitlab:* actions (@backstage/plugin-scaffolder-backend-module-gitlab), on the
 * GitLab client publish:gitlab uses (publish/gitlab-client.ts).
 */
export const gitlabActions: ActionContribution[] = [
  createGitlabRepoPushAction,
  createGitlabGroupEnsureExistsAction,
  createGitlabProjectVariableAction,
  createGitlabPipelineTriggerAction,
];
