import type { ActionContribution } from '../types.ts';
import { createPublishGithubAction } from './github.ts';
import { createPublishGitlabAction } from './gitlab.ts';
import { createPublishGitAction } from './publish-git.ts';

/**
 * `publish:git` (Atrium's: any git remote, including a local bare repository),
 * `publish:github` and `publish:gitlab`; all push through the same git code (git-push.ts).
 */
export const publishActions: ActionContribution[] = [
  createPublishGitAction,
  createPublishGithubAction,
  createPublishGitlabAction,
];
