import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { parseRepoUrl } from '../../templating/index.ts';
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

interface PublishBitbucketCloudInput extends JsonObject {
  repoUrl: string;
  description?: string;
  defaultBranch?: string;
  repoVisibility?: 'private' | 'public';
  gitCommitMessage?: string;
  sourcePath?: string;
  token?: string;
}

const BITBUCKET_CLOUD_API: ScmApi = {
  name: 'Bitbucket Cloud',
  tokenKey: 'integrations.bitbucketCloud[] (username with appPassword or token)',
  refusalStatuses: [400],
  alreadyExists: /already exists/i,
};

interface BitbucketRepository {
  links: { clone: Array<{ name: string; href: string }>; html: { href: string } };
}

/** `publish:bitbucketCloud`: a new repository in a workspace's project, pushed with git. */
export function createPublishBitbucketCloudAction(
  deps: ActionDeps,
): TemplateAction<PublishBitbucketCloudInput> {
  return {
    id: 'publish:bitbucketCloud',
    description:
      'Creates a Bitbucket Cloud repository and pushes the workspace (or sourcePath in it) to it.',
    examples: [
      {
        description: 'Publish to a project of a workspace',
        example: `steps:
  - id: publish
    action: publish:bitbucketCloud
    input:
      repoUrl: bitbucket.org?workspace=acme&project=PLAT&repo=\${{ parameters.name }}
      repoVisibility: private
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
            description: 'bitbucket.org?workspace=<workspace>&project=<project key>&repo=<repo>',
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
          token: {
            title: 'Authentication token',
            description: 'Access token used instead of integrations.bitbucketCloud[]',
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
          repoContentsUrl: { type: 'string', title: 'Web URL of the default branch' },
          commitHash: { type: 'string', title: 'The commit pushed' },
        },
      },
    },
    async handler(ctx) {
      const { input, signal } = ctx;
      const { host, workspace, project, repo } = parseRepoUrl(
        input.repoUrl,
        deps.config.integrations,
      );
      if (!workspace) throw new InputError(`repoUrl: '${input.repoUrl}' has no workspace`);
      if (!project) throw new InputError(`repoUrl: '${input.repoUrl}' has no project`);
      const entry = deps.config.integrations.bitbucketCloud[0] ?? {
        host: 'bitbucket.org',
        apiBaseUrl: 'https://api.bitbucket.org/2.0',
      };
      const branch = input.defaultBranch || 'master';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      warnIgnoredInputs(ctx, 'publish:bitbucketCloud', ['signCommit']);

      // As Backstage: a token input is a bearer token (git: x-token-auth); the configured
      // username goes with its app password or API token.
      let authorization: string;
      let auth: PushAuth;
      if (input.token) {
        authorization = `Bearer ${input.token}`;
        auth = { username: 'x-token-auth', password: input.token };
      } else if (entry.username && (entry.appPassword || entry.token)) {
        const secret = (entry.appPassword ?? entry.token)!;
        authorization = basicAuth(entry.username, secret);
        auth = { username: entry.username, password: secret };
      } else if (entry.token) {
        authorization = `Bearer ${entry.token}`;
        auth = { username: 'x-token-auth', password: entry.token };
      } else {
        throw new InputError(
          'No credentials for Bitbucket Cloud: set integrations.bitbucketCloud[].username with appPassword or token in app-config.yaml, or pass the token input',
        );
      }
      const policy = providerPolicy(deps.config, host, [entry.apiBaseUrl]);
      const client = new ScmRestClient({
        api: BITBUCKET_CLOUD_API,
        host,
        baseUrl: entry.apiBaseUrl,
        authorization,
        policy,
        signal,
      });
      const created = (
        await client.request<BitbucketRepository>(
          'POST',
          `/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(repo)}`,
          `creating repository ${workspace}/${repo}`,
          {
            body: {
              scm: 'git',
              description: input.description,
              is_private: (input.repoVisibility ?? 'private') === 'private',
              project: { key: project },
            },
          },
        )
      ).body;
      const remoteUrl = created.links.clone.find((l) => l.name === 'https')?.href;
      if (!remoteUrl) {
        throw new Error(`Bitbucket Cloud at ${host} answered without an https clone link`);
      }
      ctx.logger.info(`Created repository ${created.links.html.href}`);
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
      ctx.output('commitHash', commitHash);
      ctx.output('remoteUrl', remoteUrl);
      // Bitbucket Cloud makes the first pushed branch the main branch.
      ctx.output('repoContentsUrl', `${created.links.html.href}/src/${branch}`);
    },
  };
}
