import { readingPolicy } from '../../../../../core/reading/allow-list.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { integrationTypeForHost } from '../../templating/index.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { checkBranchName, commitAndPush } from './git-push.ts';
import { prepareLocalRepository, publishLocalContents } from './local-remote.ts';
import { COMMIT_INPUT_PROPERTIES, commitSettings, resolveSourceDir } from './publish-common.ts';
import {
  checkLocalRemoteRoot,
  checkRemoteAllowed,
  type GitRemote,
  parseGitRemote,
} from './remote-url.ts';

interface PublishGitInput extends JsonObject {
  remoteUrl: string;
  createIfMissing?: boolean;
  defaultBranch?: string;
  sourcePath?: string;
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  token?: string;
  tokenUsername?: string;
  repoContentsUrl?: string;
}

/** A browsable contents URL for well-known hosts (`…/tree/<branch>`), when none was given. */
function guessContentsUrl(remote: GitRemote, branch: string, deps: ActionDeps): string | undefined {
  if (remote.kind !== 'http') return undefined;
  const url = new URL(remote.url);
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`;
  const type = integrationTypeForHost(url.host, deps.config.integrations);
  if (type === 'github') return `${base}/tree/${branch}`;
  if (type === 'gitlab') return `${base}/-/tree/${branch}`;
  return undefined;
}

export function createPublishGitAction(deps: ActionDeps): TemplateAction<PublishGitInput> {
  return {
    id: 'publish:git',
    description:
      'Creates a new git repository from the workspace (or sourcePath in it) and pushes it to any git remote: https, ssh, or a local bare repository (created on request). Atrium-specific.',
    examples: [
      {
        description:
          'Publish to a local bare repository under scaffolder.localRepositoryRoots, creating it',
        example: `steps:
  - id: publish
    action: publish:git
    name: Publish
    input:
      remoteUrl: team/\${{ parameters.name }}.git
      createIfMissing: true
      defaultBranch: main
`,
      },
      {
        description: 'Publish to a git server over https with a token',
        example: `steps:
  - id: publish
    action: publish:git
    name: Publish
    input:
      remoteUrl: https://git.example.com/team/\${{ parameters.name }}.git
      token: \${{ secrets.gitToken }}
      repoContentsUrl: https://git.example.com/team/\${{ parameters.name }}/src/branch/main
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['remoteUrl'],
        properties: {
          remoteUrl: {
            title: 'Remote URL',
            description:
              'https://…, ssh://…, git@host:path, file://…, or a local bare repository: an absolute path, or a path relative to the first of scaffolder.localRepositoryRoots (local paths must be inside those folders). The host of an https or ssh remote must be listed in backend.reading.allow or be a configured integration host.',
            type: 'string',
          },
          createIfMissing: {
            title: 'Create a missing local repository',
            description:
              'For a local path that does not exist (or is an empty folder): create a bare repository there',
            type: 'boolean',
            default: false,
          },
          defaultBranch: {
            title: 'Default branch',
            description: 'Branch to create; the remote must not have it yet',
            type: 'string',
            default: 'main',
          },
          ...COMMIT_INPUT_PROPERTIES,
          token: {
            title: 'Token',
            description:
              'For https remotes: sent as HTTP basic password (never stored in git config or logged)',
            type: 'string',
          },
          tokenUsername: {
            title: 'Token user name',
            description: 'HTTP basic user name that goes with token',
            type: 'string',
            default: 'x-access-token',
          },
          repoContentsUrl: {
            title: 'Repository contents URL',
            description:
              'What to output as repoContentsUrl for a remote Atrium cannot derive it for (e.g. a web view of the branch)',
            type: 'string',
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['remoteUrl', 'commitHash'],
        properties: {
          remoteUrl: { type: 'string', description: 'The remote pushed to' },
          repoContentsUrl: {
            type: 'string',
            description:
              'Where the published files can be read: for a local bare repository the file: URL of a checkout kept inside it',
          },
          commitHash: { type: 'string', description: 'The commit pushed' },
        },
      },
    },
    supportsDryRun: false,
    async handler(ctx) {
      const { input } = ctx;
      const roots = deps.config.scaffolder.localRepositoryRoots;
      const remote = parseGitRemote(input.remoteUrl, 'remoteUrl', roots[0]);
      // Before anything else: a remote the allow list refuses never hears from us.
      const policy = readingPolicy(deps.config);
      if (remote.kind === 'local') checkLocalRemoteRoot(remote.path, roots);
      else checkRemoteAllowed(remote, policy);
      const branch = input.defaultBranch || 'main';
      await checkBranchName(branch, 'defaultBranch', ctx.signal);
      const sourceDir = await resolveSourceDir(ctx, input.sourcePath);
      if (remote.kind === 'local') {
        await prepareLocalRepository(remote.path, {
          createIfMissing: input.createIfMissing ?? false,
          branch,
          workspacePath: ctx.workspacePath,
          signal: ctx.signal,
          logger: ctx.logger,
        });
      }
      const { commitHash } = await commitAndPush({
        sourceDir,
        gitDir: await ctx.createTemporaryDirectory(),
        remote,
        policy,
        branch,
        ...commitSettings(deps.config, input),
        auth: input.token
          ? { username: input.tokenUsername || 'x-access-token', password: input.token }
          : undefined,
        signal: ctx.signal,
        logger: ctx.logger,
      });
      let repoContentsUrl = input.repoContentsUrl;
      if (remote.kind === 'local') {
        const contents = await publishLocalContents(remote.path, {
          branch,
          signal: ctx.signal,
          logger: ctx.logger,
        });
        repoContentsUrl ??= contents;
      }
      repoContentsUrl ??= guessContentsUrl(remote, branch, deps);
      ctx.output('remoteUrl', input.remoteUrl);
      if (repoContentsUrl) ctx.output('repoContentsUrl', repoContentsUrl);
      else
        ctx.logger.info(
          'No repoContentsUrl output: Atrium cannot tell where this remote shows its files; pass repoContentsUrl to set one',
        );
      ctx.output('commitHash', commitHash);
    },
  };
}
