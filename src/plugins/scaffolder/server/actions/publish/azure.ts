import { InputError } from '../../../../../core/errors.ts';
import type { AzureIntegrationConfig } from '../../../../../core/config/index.ts';
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
  warnIgnoredInputs,
} from './publish-common.ts';
import { parseGitRemote } from './remote-url.ts';
import { basicAuth, ScmRestClient } from './rest-client.ts';

interface PublishAzureInput extends JsonObject {
  repoUrl: string;
  description?: string;
  defaultBranch?: string;
  sourcePath?: string;
  token?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
}

const AZURE_API: ScmApi = {
  name: 'Azure DevOps',
  tokenKey: 'integrations.azure[].credentials[].personalAccessToken',
  refusalStatuses: [400, 409],
  alreadyExists: /already exists/i,
};

/** The Git REST API version the requests name (Azure DevOps Services and Server 2022). */
const API_VERSION = '7.1';

/** The personal access token for `organization`: the first credential listing it, else one listing none, else `token`. */
export function azureToken(
  entry: AzureIntegrationConfig | undefined,
  organization: string,
): string | undefined {
  if (!entry) return undefined;
  const wanted = organization.toLowerCase();
  const listed = entry.credentials.find((c) =>
    c.organizations?.some((o) => o.toLowerCase() === wanted),
  );
  return (
    listed?.personalAccessToken ??
    entry.credentials.find((c) => !c.organizations?.length)?.personalAccessToken ??
    entry.token
  );
}

/** `publish:azure`: a new Azure DevOps Git repository in a project, pushed with git. */
export function createPublishAzureAction(deps: ActionDeps): TemplateAction<PublishAzureInput> {
  return {
    id: 'publish:azure',
    description:
      'Creates an Azure DevOps repository and pushes the workspace (or sourcePath in it) to it.',
    examples: [
      {
        description: 'Publish to a project of an organisation',
        example: `steps:
  - id: publish
    action: publish:azure
    input:
      repoUrl: dev.azure.com?organization=acme&project=platform&repo=\${{ parameters.name }}
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
            description: '<host>?organization=<organization>&project=<project>&repo=<repo>',
            type: 'string',
          },
          description: { title: 'Repository description', type: 'string' },
          defaultBranch: { title: 'Default branch', type: 'string', default: 'master' },
          ...COMMIT_INPUT_PROPERTIES,
          token: {
            title: 'Authentication token',
            description: 'Personal access token used instead of integrations.azure[]',
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
          repositoryId: { type: 'string', title: 'Id of the repository' },
          commitHash: { type: 'string', title: 'The commit pushed' },
        },
      },
    },
    async handler(ctx) {
      const { input, signal } = ctx;
      const { host, organization, project, repo } = parseRepoUrl(
        input.repoUrl,
        deps.config.integrations,
      );
      if (!organization) {
        throw new InputError(`repoUrl: '${input.repoUrl}' has no organization`);
      }
      const entry = deps.config.integrations.azure.find(
        (e) => e.host.toLowerCase() === host.toLowerCase(),
      );
      const apiBaseUrl = entry?.apiBaseUrl ?? `https://${host}`;
      const token = input.token ?? azureToken(entry, organization);
      if (!token) {
        throw new InputError(
          `No credentials for ${apiBaseUrl}/${organization}: set integrations.azure[].credentials (personalAccessToken) in app-config.yaml, or pass the token input`,
        );
      }
      const branch = input.defaultBranch || 'master';
      await checkBranchName(branch, 'defaultBranch', signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      warnIgnoredInputs(ctx, 'publish:azure', ['signCommit']);
      const policy = providerPolicy(deps.config, host, [apiBaseUrl]);
      const client = new ScmRestClient({
        api: AZURE_API,
        host,
        baseUrl: `${apiBaseUrl}/${encodeURIComponent(organization)}`,
        // A personal access token goes as the password of basic auth, as Azure DevOps wants it.
        authorization: basicAuth('PAT', token),
        policy,
        signal,
      });
      const created = (
        await client.request<{ id?: string; remoteUrl?: string; webUrl?: string }>(
          'POST',
          `/${encodeURIComponent(project!)}/_apis/git/repositories?api-version=${API_VERSION}`,
          `creating repository ${repo} in ${organization}/${project}`,
          { body: { name: repo } },
        )
      ).body;
      if (!created?.remoteUrl || !created.id || !created.webUrl) {
        throw new Error(
          `Azure DevOps at ${host} created ${repo} but answered without its remoteUrl, id or webUrl`,
        );
      }
      ctx.logger.info(`Created repository ${created.webUrl}`);
      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote: parseGitRemote(created.remoteUrl, 'remoteUrl'),
        policy,
        branch,
        ...commitSettings(deps.config, input),
        auth: { username: 'notempty', password: token },
        signal,
        logger: ctx.logger,
      });
      ctx.output('commitHash', commitHash);
      ctx.output('remoteUrl', created.remoteUrl);
      ctx.output('repoContentsUrl', created.webUrl);
      ctx.output('repositoryId', created.id);
    },
  };
}
