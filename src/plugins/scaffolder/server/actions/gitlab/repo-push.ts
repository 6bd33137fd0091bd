import type { JsonObject } from '../../../../../model/entity.ts';
import { type FileAction, repositoryFolder, ScratchRepository } from '../publish/git-branch.ts';
import { checkBranchName } from '../publish/git-push.ts';
import { gitlabClient } from '../publish/gitlab-client.ts';
import { resolveSourceDir } from '../publish/publish-common.ts';
import { parseGitRemote } from '../publish/remote-url.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { COMMON_GITLAB_PROPERTIES } from './inputs.ts';

interface RepoPushInput extends JsonObject {
  repoUrl: string;
  branchName: string;
  commitMessage: string;
  sourcePath?: string;
  targetPath?: string;
  token?: string;
  commitAction?: 'create' | 'update' | 'delete';
}

interface GitlabProject {
  default_branch?: string;
  http_url_to_repo: string;
}

/**
 * `gitlab:repo:push`: one commit of the workspace (or sourcePath) files on `branchName` of an
 * existing project (the branch is made from the default branch when missing), pushed with git.
 */
export function createGitlabRepoPushAction(deps: ActionDeps): TemplateAction<RepoPushInput> {
  return {
    id: 'gitlab:repo:push',
    description:
      'Commits the workspace (or sourcePath in it) to a branch of an existing GitLab project.',
    examples: [
      {
        description: 'Add generated files to a branch',
        example: `steps:
  - id: push
    action: gitlab:repo:push
    input:
      repoUrl: gitlab.com?owner=acme&repo=infrastructure
      branchName: add-\${{ parameters.name }}
      commitMessage: Add \${{ parameters.name }}
      targetPath: services/\${{ parameters.name }}
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['repoUrl', 'branchName', 'commitMessage'],
        properties: {
          ...COMMON_GITLAB_PROPERTIES,
          branchName: { type: 'string', title: 'Branch the commit goes to' },
          commitMessage: { type: 'string', title: 'Commit message' },
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
          commitAction: {
            type: 'string',
            enum: ['create', 'update', 'delete'],
            title: 'Commit action',
            description:
              'create (default: the files must be new), update (they must exist) or delete',
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          projectid: { type: 'string', title: 'Project id or path' },
          projectPath: { type: 'string', title: 'Project path' },
          commitHash: { type: 'string', title: 'The commit pushed' },
        },
      },
    },
    async handler(ctx) {
      const { input, signal } = ctx;
      const gl = gitlabClient(deps.config, input.repoUrl, input.token, signal);
      const projectId = gl.projectId;
      await checkBranchName(input.branchName, 'branchName', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      const folder = repositoryFolder(input.targetPath);
      const project = await gl.call(`reading project ${projectId}`, async () => {
        return (await gl.api.Projects.show(projectId)) as unknown as GitlabProject;
      });
      const remote = parseGitRemote(project.http_url_to_repo, 'http_url_to_repo');
      const scratch = await ScratchRepository.create({
        gitDir: await ctx.createTemporaryDirectory(),
        policy: gl.policy,
        auth: { username: 'oauth2', password: gl.token },
        signal,
        logger: ctx.logger,
      });
      const head = await scratch.remoteHead(remote, input.branchName);
      let base: string | undefined;
      if (head) {
        base = await scratch.fetch(remote, input.branchName);
      } else if (
        project.default_branch &&
        (await scratch.remoteHead(remote, project.default_branch))
      ) {
        ctx.logger.info(`Creating branch ${input.branchName} from ${project.default_branch}`);
        base = await scratch.fetch(remote, project.default_branch);
      }
      const staged = await scratch.stage({
        base,
        sourceDir,
        folder,
        action: (input.commitAction ?? 'create') as FileAction,
      });
      const commit = await scratch.commit({
        tree: staged.tree,
        parent: base,
        message: input.commitMessage,
        author: deps.config.scaffolder.defaultAuthor,
      });
      await scratch.push(remote, commit, input.branchName, head);
      ctx.output('projectid', projectId);
      ctx.output('projectPath', projectId);
      ctx.output('commitHash', commit);
    },
  };
}
