import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { checkBranchName, commitAndPush } from './git-push.ts';
import { gitlabClient, gitlabStatus } from './gitlab-client.ts';
import {
  COMMIT_INPUT_PROPERTIES,
  commitSettings,
  resolveSourceDir,
  warnIgnoredInputs,
} from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';

interface PublishGitlabInput extends JsonObject {
  repoUrl: string;
  repoVisibility?: 'private' | 'internal' | 'public';
  defaultBranch?: string;
  sourcePath?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  topics?: string[];
  settings?: JsonObject;
  skipExisting?: boolean;
  token?: string;
}

/** Inputs of Backstage's publish:gitlab that Atrium's does not act on (yet). */
const UNSUPPORTED_INPUTS = [
  'signCommit',
  'setUserAsOwner',
  'ownerUsername',
  'branches',
  'projectVariables',
];

interface GitlabProject {
  id: number;
  http_url_to_repo: string;
}

export function createPublishGitlabAction(deps: ActionDeps): TemplateAction<PublishGitlabInput> {
  return {
    id: 'publish:gitlab',
    description:
      'Creates a GitLab project in a group or user namespace and pushes the workspace (or sourcePath in it) to it.',
    examples: [
      {
        description: 'Publish to a new project in a group',
        example: `steps:
  - id: publish
    action: publish:gitlab
    name: Publish to GitLab
    input:
      repoUrl: gitlab.com?owner=acme/backend&repo=\${{ parameters.name }}
      repoVisibility: internal
      defaultBranch: main
      topics: [service]
      settings:
        ci_config_path: .gitlab-ci.yml
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
            description: 'host?owner=<group or user path>&repo=<project> (RepoUrlPicker format)',
            type: 'string',
          },
          repoVisibility: {
            title: 'Repository visibility',
            type: 'string',
            enum: ['private', 'public', 'internal'],
            default: 'private',
          },
          defaultBranch: { title: 'Default branch', type: 'string', default: 'master' },
          ...COMMIT_INPUT_PROPERTIES,
          topics: { title: 'Topic labels', type: 'array', items: { type: 'string' } },
          settings: {
            title: 'Project settings',
            description:
              'More attributes for the create-project API call (snake_case, as GitLab names them)',
            type: 'object',
          },
          skipExisting: {
            title: 'Skip an existing project',
            description: 'When the project exists, output it (created: false) instead of failing',
            type: 'boolean',
            default: false,
          },
          token: {
            title: 'Authentication token',
            description: 'OAuth token used instead of integrations.gitlab[].token for this host',
            type: 'string',
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['remoteUrl', 'repoContentsUrl', 'projectId', 'created'],
        properties: {
          remoteUrl: { type: 'string', description: 'URL of the project (without .git)' },
          repoContentsUrl: {
            type: 'string',
            description: 'Web URL of the default branch (…/-/tree/<branch>)',
          },
          projectId: { type: 'number', description: 'Id of the project' },
          commitHash: { type: 'string', description: 'The commit pushed' },
          created: { type: 'boolean', description: 'Whether the project was created by this step' },
        },
      },
    },
    supportsDryRun: false,
    async handler(ctx) {
      const { input, signal } = ctx;
      const gl = gitlabClient(deps.config, input.repoUrl, input.token, signal);
      const { api, host, owner, repo, token } = gl;
      if (!owner) throw new InputError(`repoUrl: '${input.repoUrl}' has no owner`);
      const branch = input.defaultBranch || 'master';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      warnIgnoredInputs(ctx, 'publish:gitlab', UNSUPPORTED_INPUTS);
      const path = `${owner}/${repo}`;
      const outputsFor = (project: GitlabProject) => {
        const remoteUrl = project.http_url_to_repo.replace(/\.git$/, '');
        ctx.output('remoteUrl', remoteUrl);
        ctx.output('repoContentsUrl', `${remoteUrl}/-/tree/${branch}`);
        ctx.output('projectId', project.id);
      };

      if (input.skipExisting) {
        try {
          const existing = (await api.Projects.show(path)) as unknown as GitlabProject;
          ctx.logger.info(`Project ${path} exists on ${host}; skipping (skipExisting)`);
          outputsFor(existing);
          ctx.output('created', false);
          return;
        } catch (error) {
          if (gitlabStatus(error) !== 404) throw gl.error(error, `looking up project ${path}`);
        }
      }

      // The GitLab client takes no abort signal; a cancel is honoured between calls.
      signal.throwIfAborted();
      let namespaceId: number;
      try {
        namespaceId = (await api.Namespaces.show(owner)).id;
      } catch (error) {
        if (gitlabStatus(error) === 404) {
          throw new InputError(
            `repoUrl: the namespace ${owner} does not exist on ${host}, or the token cannot see it`,
          );
        }
        throw gl.error(error, `looking up namespace ${owner}`);
      }

      signal.throwIfAborted();
      let project: GitlabProject;
      try {
        project = (await api.Projects.create({
          namespaceId,
          name: repo,
          path: repo,
          visibility: input.repoVisibility ?? 'private',
          ...(input.topics?.length ? { topics: input.topics } : {}),
          ...(input.settings ?? {}),
        })) as unknown as GitlabProject;
      } catch (error) {
        throw gl.error(error, `creating project ${path}`);
      }
      ctx.logger.info(`Created project ${path} (id ${project.id})`);

      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(project.http_url_to_repo, 'http_url_to_repo'),
        policy: gl.policy,
        branch,
        ...commitSettings(deps.config, input),
        auth: { username: 'oauth2', password: token },
        signal,
        logger: ctx.logger,
      });
      outputsFor(project);
      ctx.output('commitHash', commitHash);
      ctx.output('created', true);
    },
  };
}
