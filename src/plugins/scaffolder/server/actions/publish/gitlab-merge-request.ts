import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { type FileAction, repositoryFolder, ScratchRepository } from './git-branch.ts';
import { checkBranchName } from './git-push.ts';
import { type GitlabProjectClient, gitlabClient } from './gitlab-client.ts';
import { resolveSourceDir } from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';

interface GitlabMergeRequestInput extends JsonObject {
  repoUrl: string;
  title: string;
  description?: string;
  branchName: string;
  targetBranchName?: string;
  sourcePath?: string;
  targetPath?: string;
  token?: string;
  commitAction?: FileAction;
  projectid?: string;
  removeSourceBranch?: boolean;
  assignee?: string;
  reviewers?: string[];
  assignReviewersFromApprovalRules?: boolean;
  labels?: string | string[];
}

interface GitlabProject {
  id: number;
  default_branch?: string;
  http_url_to_repo: string;
}

/** The GitLab id of each username (users GitLab does not know are skipped with a warning). */
export async function gitlabUserIds(
  gl: GitlabProjectClient,
  usernames: string[],
  warn: (message: string) => void,
): Promise<number[]> {
  const ids: number[] = [];
  for (const username of usernames) {
    try {
      const [user] = (await gl.api.Users.all({ username })) as Array<{ id: number }>;
      if (!user) throw new Error('no such user');
      ids.push(user.id);
    } catch (error) {
      warn(
        `Failed to find the GitLab user id of ${username}: ${gl.error(error, `looking up ${username}`).message}. Proceeding without them.`,
      );
    }
  }
  return ids;
}

/**
 * `publish:gitlab:merge-request`, with Backstage's inputs and outputs: the files of the
 * workspace (or `sourcePath`) are committed over the target branch (into `targetPath`) as
 * `commitAction` says, pushed with git to `branchName`, and a merge request is opened.
 */
export function createPublishGitlabMergeRequestAction(
  deps: ActionDeps,
): TemplateAction<GitlabMergeRequestInput> {
  return {
    id: 'publish:gitlab:merge-request',
    description:
      'Commits the workspace (or sourcePath in it) to a branch of an existing GitLab project and opens a merge request.',
    examples: [
      {
        description: 'Add the rendered files to a folder of an existing project',
        example: `steps:
  - id: mr
    action: publish:gitlab:merge-request
    name: Open a merge request
    input:
      repoUrl: gitlab.com?owner=acme/platform&repo=infrastructure
      branchName: add-\${{ parameters.name }}
      title: Add \${{ parameters.name }}
      description: Created from a template
      targetPath: services/\${{ parameters.name }}
      reviewers: [jane]
      labels: [scaffolder]
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'title', 'branchName'],
        properties: {
          repoUrl: {
            title: 'Repository location',
            description:
              'host?owner=<group>&repo=<project> or host?project=<id> (RepoUrlPicker format)',
            type: 'string',
          },
          title: { type: 'string', title: 'Merge request title' },
          description: { type: 'string', title: 'Merge request description' },
          branchName: { type: 'string', title: 'Source branch of the merge request' },
          targetBranchName: {
            type: 'string',
            title: 'Target branch',
            description: "Default: the project's default branch",
          },
          sourcePath: {
            type: 'string',
            title: 'Working subdirectory',
            description:
              'Folder of the workspace whose files are committed (when absent, targetPath is used, as in Backstage; `.` for the whole workspace)',
          },
          targetPath: {
            type: 'string',
            title: 'Repository subdirectory',
            description: 'Folder of the repository the files are written to',
          },
          token: {
            title: 'Authentication token',
            description: 'OAuth token used instead of integrations.gitlab[].token for this host',
            type: 'string',
          },
          commitAction: {
            type: 'string',
            enum: ['create', 'delete', 'update', 'skip', 'auto'],
            title: 'Commit action',
            description:
              'create (new files only), update (existing files only), delete, skip (commit nothing) or auto (create or update; default)',
          },
          projectid: {
            type: 'string',
            title: 'Project id',
            description: 'Deprecated: pass ?project=<id> in repoUrl',
          },
          removeSourceBranch: {
            type: 'boolean',
            title: 'Delete the source branch when merged',
            default: false,
          },
          assignee: { type: 'string', title: 'Assignee (username)' },
          reviewers: {
            type: 'array',
            items: { type: 'string' },
            title: 'Reviewers (usernames)',
          },
          assignReviewersFromApprovalRules: {
            type: 'boolean',
            title: "Add the approval rules' eligible approvers as reviewers (CODEOWNERS included)",
          },
          labels: {
            title: 'Labels',
            oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          targetBranchName: { type: 'string', title: 'Target branch of the merge request' },
          projectid: { type: 'string', title: 'Project id or path' },
          projectPath: { type: 'string', title: 'Project path' },
          mergeRequestUrl: { type: 'string', title: 'Web URL of the merge request' },
        },
      },
    },
    supportsDryRun: false,
    async handler(ctx) {
      const { input, signal } = ctx;
      const gl = gitlabClient(deps.config, input.repoUrl, input.token, signal);
      const projectId = gl.projectId;
      await checkBranchName(input.branchName, 'branchName', signal);
      if (input.targetBranchName) {
        await checkBranchName(input.targetBranchName, 'targetBranchName', signal);
      }
      // As Backstage: without sourcePath, targetPath names the workspace folder too.
      const sourceDir = await resolveSourceDir(
        ctx,
        input.sourcePath || input.targetPath || undefined,
        input.sourcePath || !input.targetPath ? 'sourcePath' : 'targetPath',
      );
      const folder = repositoryFolder(input.targetPath);
      const action = input.commitAction ?? 'auto';

      const project = await gl.call(`reading project ${projectId}`, async () => {
        return (await gl.api.Projects.show(projectId)) as unknown as GitlabProject;
      });
      const targetBranch = input.targetBranchName || project.default_branch;
      if (!targetBranch) {
        throw new InputError(
          `targetBranchName: not given, and project ${projectId} has no default branch (is it empty?)`,
        );
      }
      const warn = (message: string) => ctx.logger.warn(message);
      const [assigneeId] = input.assignee ? await gitlabUserIds(gl, [input.assignee], warn) : [];
      // Undefined rather than []: an empty list would clear reviewers GitLab adds itself.
      const reviewerIds = input.reviewers
        ? await gitlabUserIds(gl, input.reviewers, warn)
        : undefined;

      const remote = parseGitRemote(project.http_url_to_repo, 'http_url_to_repo');
      const scratch = await ScratchRepository.create({
        gitDir: await ctx.createTemporaryDirectory(),
        policy: gl.policy,
        auth: { username: 'oauth2', password: gl.token },
        signal,
        logger: ctx.logger,
      });
      const base = await scratch.fetch(remote, targetBranch);
      const staged = await scratch.stage({ base, sourceDir, folder, action });
      const existing = await scratch.remoteHead(remote, input.branchName);
      if (existing) {
        if (staged.changed) {
          const open = (await gl
            .call('looking for merge requests of the branch', () =>
              gl.api.MergeRequests.all({ projectId, sourceBranch: input.branchName }),
            )
            .catch(() => [])) as Array<{ web_url?: string }>;
          throw new InputError(
            `branchName: the branch '${input.branchName}' exists already in ${projectId}${open[0]?.web_url ? `, with the merge request ${open[0].web_url}` : ''}; choose another branchName`,
          );
        }
        ctx.logger.info(`Using existing branch ${input.branchName} without modification.`);
      } else {
        const commit = staged.changed
          ? await scratch.commit({
              tree: staged.tree,
              parent: base,
              message: input.title,
              author: deps.config.scaffolder.defaultAuthor,
            })
          : base;
        await scratch.push(remote, commit, input.branchName, undefined);
      }

      const mergeRequest = await gl.call(
        `creating a merge request from ${input.branchName} into ${targetBranch}`,
        async () =>
          (await gl.api.MergeRequests.create(
            projectId,
            input.branchName,
            targetBranch,
            input.title,
            {
              description: input.description,
              removeSourceBranch: input.removeSourceBranch ?? false,
              assigneeId,
              reviewerIds,
              labels: input.labels,
            },
          )) as unknown as { iid: number; web_url: string },
      );
      ctx.logger.info(`Created merge request ${mergeRequest.web_url}`);

      if (input.assignReviewersFromApprovalRules) {
        try {
          const rules = (await gl.api.MergeRequestApprovals.allApprovalRules(projectId, {
            mergerequestIId: mergeRequest.iid,
          })) as unknown as Array<{ eligible_approvers?: Array<{ id: number }> }>;
          const eligible = rules.flatMap((r) => (r.eligible_approvers ?? []).map((u) => u.id));
          if (eligible.length) {
            await gl.api.MergeRequests.edit(projectId, mergeRequest.iid, {
              reviewerIds: [...new Set([...eligible, ...(reviewerIds ?? [])])],
            });
          }
        } catch (error) {
          ctx.logger.warn(
            `Failed to assign reviewers from approval rules: ${gl.error(error, 'reading approval rules').message}`,
          );
        }
      }

      ctx.output('projectid', projectId);
      ctx.output('targetBranchName', targetBranch);
      ctx.output('projectPath', projectId);
      ctx.output('mergeRequestUrl', mergeRequest.web_url);
    },
  };
}
