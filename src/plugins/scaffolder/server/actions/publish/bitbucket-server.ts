import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { integrationForHost, parseRepoUrl } from '../../templating/index.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { checkBranchName, commitAndPush, type PushAuth } from './git-push.ts';
import {
  COMMIT_INPUT_PROPERTIES,
  commitSettings,
  providerPolicy,
  resolveSourceDir,
  type ScmApi,
  warnIgnoredInputs,
} from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';
import { basicAuth, ScmRestClient } from './rest-client.ts';

interface PublishBitbucketServerInput extends JsonObject {
  repoUrl: string;
  description?: string;
  defaultBranch?: string;
  repoVisibility?: 'private' | 'public';
  sourcePath?: string;
  enableLFS?: boolean;
  token?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
}

const BITBUCKET_SERVER_API: ScmApi = {
  name: 'Bitbucket Server',
  tokenKey: 'integrations.bitbucketServer[].token (or username and password)',
  refusalStatuses: [400, 409],
  alreadyExists: /already (exists|taken)/i,
};

interface BitbucketServerRepository {
  links: { clone: Array<{ name: string; href: string }>; self: Array<{ href: string }> };
}

/** `publish:bitbucketServer`: a new repository in a project, pushed with git. */
export function createPublishBitbucketServerAction(
  deps: ActionDeps,
): TemplateAction<PublishBitbucketServerInput> {
  return {
    id: 'publish:bitbucketServer',
    description:
      'Creates a Bitbucket Server (Data Center) repository and pushes the workspace (or sourcePath in it) to it.',
    examples: [
      {
        description: 'Publish to a project',
        example: `steps:
  - id: publish
    action: publish:bitbucketServer
    input:
      repoUrl: bitbucket.acme.test?project=PLAT&repo=\${{ parameters.name }}
      defaultBranch: main
      enableLFS: true
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
            description: '<host>?project=<project key>&repo=<repo>',
            type: 'string',
          },
          description: { title: 'Repository description', type: 'string' },
          repoVisibility: {
            title: 'Repository visibility',
            type: 'string',
            enum: ['private', 'public'],
            default: 'private',
          },
          defaultBranch: { title: 'Default branch', type: 'string', default: 'master' },
          ...COMMIT_INPUT_PROPERTIES,
          enableLFS: { title: 'Enable Git LFS', type: 'boolean', default: false },
          token: {
            title: 'Authentication token',
            description: 'HTTP access token used instead of integrations.bitbucketServer[]',
            type: 'string',
          },
          signCommit: { title: 'Sign commit', type: 'boolean' },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          remoteUrl: { type: 'string', title: 'Clone URL of the repository' },
          repoContentsUrl: { type: 'string', title: 'Web URL of the repository' },
          commitHash: { type: 'string', title: 'The commit pushed' },
        },
      },
    },
    async handler(ctx) {
      const { input, signal } = ctx;
      const { host, project, repo } = parseRepoUrl(input.repoUrl, deps.config.integrations);
      if (!project) throw new InputError(`repoUrl: '${input.repoUrl}' has no project`);
      const entry = deps.config.integrations.bitbucketServer.find(
        (e) => e.host.toLowerCase() === host.toLowerCase(),
      );
      if (!entry) {
        const other = integrationForHost(host, deps.config.integrations);
        throw new InputError(
          other
            ? `repoUrl: ${host} is configured as a ${other.type} host, not bitbucketServer`
            : `No matching integration configuration for host ${host}, please check your integrations config`,
        );
      }
      const branch = input.defaultBranch || 'master';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      warnIgnoredInputs(ctx, 'publish:bitbucketServer', ['signCommit']);
      const token = input.token ?? entry.token;
      let authorization: string;
      let auth: PushAuth;
      if (token) {
        authorization = `Bearer ${token}`;
        auth = { bearer: token };
      } else if (entry.username && entry.password) {
        authorization = basicAuth(entry.username, entry.password);
        auth = { username: entry.username, password: entry.password };
      } else {
        throw new InputError(
          `No credentials for ${host}: set integrations.bitbucketServer[].token (or username and password) in app-config.yaml, or pass the token input`,
        );
      }
      const policy = providerPolicy(deps.config, host, [entry.apiBaseUrl]);
      const client = new ScmRestClient({
        api: BITBUCKET_SERVER_API,
        host,
        baseUrl: entry.apiBaseUrl,
        authorization,
        policy,
        signal,
      });
      const created = (
        await client.request<BitbucketServerRepository>(
          'POST',
          `/projects/${encodeURIComponent(project)}/repos`,
          `creating repository ${project}/${repo}`,
          {
            body: {
              name: repo,
              description: input.description,
              defaultBranch: branch,
              public: input.repoVisibility === 'public',
            },
          },
        )
      ).body;
      const remoteUrl = created.links.clone.find((l) => l.name === 'http')?.href;
      if (!remoteUrl) {
        throw new Error(`Bitbucket Server at ${host} answered without an http clone link`);
      }
      const repoContentsUrl = created.links.self[0]?.href ?? '';
      ctx.logger.info(`Created repository ${repoContentsUrl}`);
      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(remoteUrl, 'links.clone'),
        policy,
        branch,
        ...commitSettings(deps.config, input),
        auth,
        signal,
        logger: ctx.logger,
      });
      if (input.enableLFS) {
        // The LFS admin API lives beside the REST API, at the server's root.
        const root = new URL(entry.apiBaseUrl).origin;
        await client.request(
          'PUT',
          `${root}/rest/git-lfs/admin/projects/${encodeURIComponent(project)}/repos/${encodeURIComponent(repo)}/enabled`,
          `enabling LFS on ${project}/${repo}`,
        );
        ctx.logger.info(`Enabled Git LFS on ${project}/${repo}`);
      }
      ctx.output('commitHash', commitHash);
      ctx.output('remoteUrl', remoteUrl);
      ctx.output('repoContentsUrl', repoContentsUrl);
    },
  };
}
