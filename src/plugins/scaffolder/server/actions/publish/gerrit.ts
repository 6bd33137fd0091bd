import { randomBytes } from 'node:crypto';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { parseRepoUrl } from '../../templating/index.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { checkBranchName, commitAndPush } from './git-push.ts';
import {
  COMMIT_INPUT_PROPERTIES,
  commitSettings,
  providerPolicy,
  resolveSourceDir,
  type ScmApi,
} from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';
import { basicAuth, ScmRestClient } from './rest-client.ts';

interface PublishGerritInput extends JsonObject {
  repoUrl: string;
  description?: string;
  defaultBranch?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  sourcePath?: string;
}

const GERRIT_API: ScmApi = {
  name: 'Gerrit',
  tokenKey: 'integrations.gerrit[].username and password',
  refusalStatuses: [400, 409],
  alreadyExists: /already exists/i,
};

/** `publish:gerrit`: a new Gerrit project under a parent project, pushed with git. */
export function createPublishGerritAction(deps: ActionDeps): TemplateAction<PublishGerritInput> {
  return {
    id: 'publish:gerrit',
    description:
      'Creates a Gerrit project and pushes the workspace (or sourcePath in it) to it, with a Change-Id.',
    examples: [
      {
        description: 'Publish under the parent project All-Projects',
        example: `steps:
  - id: publish
    action: publish:gerrit
    input:
      repoUrl: gerrit.acme.test?workspace=All-Projects&owner=platform&repo=\${{ parameters.name }}
      description: \${{ parameters.description }}
      defaultBranch: main
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
            description: '<host>?workspace=<parent project>&owner=<owner group>&repo=<project>',
            type: 'string',
          },
          description: { title: 'Project description', type: 'string' },
          defaultBranch: { title: 'Default branch', type: 'string', default: 'master' },
          ...COMMIT_INPUT_PROPERTIES,
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          remoteUrl: { type: 'string', title: 'Clone URL of the project' },
          repoContentsUrl: { type: 'string', title: 'Gitiles URL of the default branch' },
          commitHash: { type: 'string', title: 'The commit pushed' },
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const { input, signal } = ctx;
      const { host, owner, workspace, repo } = parseRepoUrl(
        input.repoUrl,
        deps.config.integrations,
      );
      const entry = deps.config.integrations.gerrit.find(
        (e) => e.host.toLowerCase() === host.toLowerCase(),
      );
      if (!entry) {
        throw new InputError(
          `No matching integration configuration for host ${host}, please check your integrations config`,
        );
      }
      if (!workspace) {
        throw new InputError(
          `repoUrl: '${input.repoUrl}' has no workspace (the parent project of the new project)`,
        );
      }
      const branch = input.defaultBranch || 'master';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      const remoteUrl = `${entry.cloneUrl}/a/${repo}`;
      const repoContentsUrl = `${entry.gitilesBaseUrl}/${repo}/+/refs/heads/${branch}`;
      const settings = commitSettings(deps.config, input);
      // Gerrit refuses commits without a Change-Id trailer.
      const commitMessage = `${settings.commitMessage}\n\nChange-Id: I${randomBytes(20).toString('hex')}`;
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would create ${repo} under ${workspace} on ${host}`);
        ctx.output('remoteUrl', remoteUrl);
        ctx.output('commitHash', 'abcd-dry-run-1234');
        ctx.output('repoContentsUrl', repoContentsUrl);
        return;
      }
      if (!entry.username || !entry.password) {
        throw new InputError(
          `No credentials for ${host}: set integrations.gerrit[].username and password in app-config.yaml`,
        );
      }
      const policy = providerPolicy(deps.config, host, [
        entry.baseUrl,
        entry.cloneUrl,
        entry.gitilesBaseUrl,
      ]);
      const client = new ScmRestClient({
        api: GERRIT_API,
        host,
        baseUrl: entry.baseUrl,
        authorization: basicAuth(entry.username, entry.password),
        policy,
        signal,
        stripPrefix: ")]}'",
      });
      await client.request(
        'PUT',
        `/a/projects/${encodeURIComponent(repo)}`,
        `creating project ${repo}`,
        {
          body: {
            parent: workspace,
            description: input.description ?? '',
            branches: [branch],
            owners: owner ? [owner] : [],
            create_empty_commit: false,
          },
          ok: [201],
        },
      );
      ctx.logger.info(`Created project ${repo} under ${workspace}`);
      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(remoteUrl, 'cloneUrl'),
        policy,
        branch,
        ...settings,
        commitMessage,
        auth: { username: entry.username, password: entry.password },
        signal,
        logger: ctx.logger,
      });
      ctx.output('remoteUrl', remoteUrl);
      ctx.output('commitHash', commitHash);
      ctx.output('repoContentsUrl', repoContentsUrl);
    },
  };
}
