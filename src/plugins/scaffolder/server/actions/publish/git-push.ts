import { ConflictError, InputError } from '../../../../../core/errors.ts';
import type { ReadingPolicy } from '../../../../../core/reading/allow-list.ts';
import type { TaskLogger } from '../types.ts';
import { GitCommandError, runGit } from './git-command.ts';
import { checkRemoteAllowed, type GitRemote, remoteProtocols } from './remote-url.ts';

/**
 * Credentials for an http(s) remote: basic (e.g. `x-access-token` + a GitHub token), or a
 * bearer token (Bitbucket Server's HTTP access tokens).
 */
export type PushAuth = { username: string; password: string } | { bearer: string };

export interface CommitAndPushOptions {
  /** Absolute path of the folder whose contents become the repository (inside the workspace). */
  sourceDir: string;
  /**
   * A scratch folder for the repository metadata. Kept out of the workspace so the workspace
   * gains no `.git` and no config from the workspace (a skeleton could ship `.git/config`)
   * is ever read by git.
   */
  gitDir: string;
  remote: GitRemote;
  /**
   * What network remotes may be reached (`backend.reading.allow` and integrations, see
   * core/reading/allow-list.ts); checked before git runs.
   */
  policy: ReadingPolicy;
  branch: string;
  commitMessage: string;
  author: { name: string; email: string };
  auth?: PushAuth;
  signal: AbortSignal;
  logger: TaskLogger;
}

/** Fails with an InputError naming the field when `branch` is not a valid branch name. */
export async function checkBranchName(branch: string, field: string, signal?: AbortSignal) {
  try {
    await runGit(['check-ref-format', '--branch', branch], { signal });
  } catch (error) {
    if (error instanceof GitCommandError && error.name !== 'AbortError')
      throw new InputError(`${field}: '${branch}' is not a valid git branch name`);
    throw error;
  }
}

/**
 * Git configuration (passed through the environment, so it shows neither in the process list
 * nor in any config file) that sends the credentials to this remote's origin only.
 */
export function authEnvironment(
  remote: GitRemote,
  auth: PushAuth | undefined,
): Record<string, string> {
  if (!auth || remote.kind !== 'http') return {};
  const header =
    'bearer' in auth
      ? `Bearer ${auth.bearer}`
      : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${remote.origin}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: ${header}`,
  };
}

export function secretsOf(auth: PushAuth | undefined): string[] {
  if (!auth) return [];
  if ('bearer' in auth) return [auth.bearer, encodeURIComponent(auth.bearer)];
  return [
    auth.password,
    Buffer.from(`${auth.username}:${auth.password}`).toString('base64'),
    encodeURIComponent(auth.password),
  ];
}

/**
 * Makes a new repository of `sourceDir` with one commit on `branch` and pushes it to a remote
 * that must not have that branch yet (publishing creates repositories, it never updates one).
 * The one git code path every publish action uses.
 */
export async function commitAndPush(
  options: CommitAndPushOptions,
): Promise<{ commitHash: string }> {
  const { remote, branch, signal, logger } = options;
  checkRemoteAllowed(remote, options.policy);
  const protocols = remoteProtocols(remote);
  const secrets = secretsOf(options.auth);
  const repo = ['--git-dir', options.gitDir, '--work-tree', options.sourceDir];
  const authorEnv = {
    GIT_AUTHOR_NAME: options.author.name,
    GIT_AUTHOR_EMAIL: options.author.email,
    GIT_COMMITTER_NAME: options.author.name,
    GIT_COMMITTER_EMAIL: options.author.email,
  };
  await checkBranchName(branch, 'defaultBranch', signal);
  // `--template=` leaves hooks and other template files out of the new repository.
  await runGit(
    ['init', '--quiet', '--bare', '--template=', `--initial-branch=${branch}`, options.gitDir],
    {
      signal,
    },
  );
  await runGit([...repo, 'add', '--all'], { cwd: options.sourceDir, signal });
  await runGit(
    [
      '-c',
      'core.hooksPath=/dev/null',
      ...repo,
      'commit',
      '--quiet',
      '--allow-empty',
      '--no-verify',
      '-m',
      options.commitMessage,
    ],
    { cwd: options.sourceDir, env: authorEnv, signal },
  );
  const commitHash = (await runGit([...repo, 'rev-parse', 'HEAD'], { signal })).trim();
  const files = (await runGit([...repo, 'ls-files', '-z'], { cwd: options.sourceDir, signal }))
    .split('\0')
    .filter(Boolean).length;
  logger.info(`Committed ${files} file${files === 1 ? '' : 's'} on ${branch} as ${commitHash}`);

  if (options.auth && remote.kind !== 'http') {
    logger.info('The token is used for http(s) remotes only; pushing without it');
  }
  const env = authEnvironment(remote, options.auth);
  let existing: string;
  try {
    existing = await runGit(['ls-remote', '--heads', remote.url, `refs/heads/${branch}`], {
      env,
      signal,
      secrets,
      cwd: options.gitDir,
      protocols,
    });
  } catch (error) {
    if (error instanceof GitCommandError && error.name !== 'AbortError') {
      throw new GitCommandError(
        `Could not read the remote ${remote.url}: ${error.message}`,
        error.output,
        error.exitCode,
      );
    }
    throw error;
  }
  if (existing.trim()) {
    throw new ConflictError(
      `The remote ${remote.url} already has a branch '${branch}'; publishing creates a new repository and never overwrites one`,
    );
  }
  try {
    await runGit(
      [
        '--git-dir',
        options.gitDir,
        'push',
        '--quiet',
        remote.url,
        `refs/heads/${branch}:refs/heads/${branch}`,
      ],
      {
        env,
        signal,
        secrets,
        protocols,
      },
    );
  } catch (error) {
    if (error instanceof GitCommandError && error.name !== 'AbortError') {
      throw new GitCommandError(
        `Pushing ${branch} to ${remote.url} failed: ${error.message}`,
        error.output,
        error.exitCode,
      );
    }
    throw error;
  }
  logger.info(`Pushed ${branch} to ${remote.url}`);
  return { commitHash };
}
