import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { InputError, NotAllowedError, NotFoundError } from '../errors.ts';
import {
  assertAllowedUrl,
  type GitProtocol,
  gitNetworkSettings,
  type ReadingAllowRule,
} from './allow-list.ts';
import { isInside } from './copy-tree.ts';
import type { GitTreeLocation } from './git-url.ts';
import { integrationForHost, type ScmIntegrationsConfig } from './integrations.ts';

/** What a git read needs from ReadTreeOptions. */
export interface GitReadOptions {
  /** `backend.reading.allow`; configured integration hosts (`integrations`) may be read too. */
  allow: ReadingAllowRule[];
  /** `integrations`: their hosts may be read, with their token. */
  integrations?: ScmIntegrationsConfig;
  /** A token for this read (e.g. a fetch action's `token` input); beats the integration's. */
  token?: string;
  signal?: AbortSignal;
  /** Where scratch folders are created (e.g. the task's temporary directory). Default: os.tmpdir(). */
  tmpDir?: string;
  /** Per network operation. Default 5 minutes for git, 60 s for a single HTTP file. */
  timeoutMs?: number;
}

/** The token to send to `url`: the explicit one, else the integration's for that host. */
export function tokenFor(
  url: URL,
  opts: GitReadOptions,
): { token: string; type?: string } | undefined {
  if (opts.token)
    return { token: opts.token, type: integrationForHost(url.host, opts.integrations)?.type };
  const integration = integrationForHost(url.host, opts.integrations);
  return integration?.token ? { token: integration.token, type: integration.type } : undefined;
}

export async function scratchDir(opts: { tmpDir?: string }, prefix: string): Promise<string> {
  const base = opts.tmpDir ?? tmpdir();
  await mkdir(base, { recursive: true });
  return mkdtemp(join(base, prefix));
}

interface GitRun {
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

function gitEnvironment(url: URL, opts: GitReadOptions): NodeJS.ProcessEnv {
  // No redirects (one could carry the auth header to another, unchecked host), and no other
  // transport than the URL's own.
  const network = gitNetworkSettings([url.protocol.replace(/:$/, '') as GitProtocol]);
  const config: [string, string][] = [
    ...network.config,
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
  ];
  const auth = tokenFor(url, opts);
  if (auth) {
    const user = auth.type === 'gitlab' ? 'oauth2' : 'x-access-token';
    const basic = Buffer.from(`${user}:${auth.token}`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    SSH_ASKPASS: 'true',
    GCM_INTERACTIVE: 'never',
    GIT_CONFIG_NOSYSTEM: '1',
    ...network.env,
    LC_ALL: 'C',
    // Passed through the environment, not argv, so the token does not show in `ps`.
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

function runGit(args: string[], run: GitRun): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, {
      env: run.env,
      signal: run.signal,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 16_384) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        fail(new Error('The git command is not installed; it is needed to read git-hosted URLs'));
      } else fail(error);
    });
    child.on('close', (code) => {
      if (code === 0) done();
      else fail(Object.assign(new Error(stderr.trim() || `git exited with ${code}`), { stderr }));
    });
  });
}

function gitFailure(target: string, location: GitTreeLocation, error: Error): Error {
  if (error.name === 'AbortError') {
    return new Error(`Reading ${target} was cancelled or timed out`);
  }
  const text = error.message;
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^(fatal|error): /, '').trim())
    .filter(Boolean);
  const last = lines.at(-1) ?? text;
  if (/couldn't find remote ref|Remote branch .* not found|not our ref/i.test(text)) {
    return new NotFoundError(
      `Could not read ${target}: branch, tag or commit '${location.ref}' not found in ${location.repoUrl}`,
    );
  }
  if (
    /Failed to connect|Could not resolve host|Connection refused|timed out|Couldn't connect/i.test(
      text,
    )
  ) {
    return new Error(
      `Could not reach ${new URL(location.cloneUrl).host} to read ${target}: ${last}`,
    );
  }
  if (/not found|404|does not appear to be a git repository/i.test(text)) {
    return new NotFoundError(
      `Could not read ${target}: repository ${location.cloneUrl} not found (or not readable with the configured token)`,
    );
  }
  if (/401|403|Authentication failed|could not read Username/i.test(text)) {
    return new NotAllowedError(
      `Could not read ${target}: ${location.repoUrl} refused access; configure a token for ${new URL(location.cloneUrl).host} under integrations, or pass token`,
    );
  }
  return new Error(`Could not read ${target} with git: ${last}`);
}

/** Fetches `location.ref` of the repository (shallow when the server allows) into a scratch folder. */
export async function gitCheckout(
  target: string,
  location: GitTreeLocation,
  opts: GitReadOptions,
): Promise<string> {
  const url = new URL(location.cloneUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${target}: only http(s) git repositories can be read`);
  }
  // Checked here too, not only by the callers: nothing reaches git that the policy refuses.
  assertAllowedUrl(url, { allow: opts.allow, integrations: opts.integrations }, target);
  const signal = AbortSignal.any([
    ...(opts.signal ? [opts.signal] : []),
    AbortSignal.timeout(opts.timeoutMs ?? 300_000),
  ]);
  const run: GitRun = { env: gitEnvironment(url, opts), signal };
  const dir = await scratchDir(opts, 'atrium-git-');
  try {
    await runGit(['init', '--quiet', dir], run);
    const fetch = (shallow: boolean) =>
      runGit(
        [
          '-C',
          dir,
          'fetch',
          '--quiet',
          '--no-tags',
          ...(shallow ? ['--depth', '1'] : []),
          location.cloneUrl,
          location.ref,
        ],
        run,
      );
    try {
      await fetch(true);
    } catch (error) {
      // Servers speaking the "dumb" HTTP protocol (static files) cannot serve shallow fetches.
      if (!/shallow|dumb http/i.test((error as Error).message)) throw error;
      await fetch(false);
    }
    await runGit(['-C', dir, 'checkout', '--quiet', 'FETCH_HEAD'], run);
    return dir;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw gitFailure(target, location, error as Error);
  }
}

/** The real path of `location.path` inside a checkout, refusing links that leave it. */
export async function pathInCheckout(
  target: string,
  checkout: string,
  location: GitTreeLocation,
): Promise<string> {
  const path = join(checkout, ...location.path.split('/').filter(Boolean));
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new NotFoundError(
      `Could not read ${target}: '${location.path || '/'}' does not exist at '${location.ref}' in ${location.repoUrl}`,
    );
  }
  if (!isInside(await realpath(checkout), real) || real.split(sep).includes('.git')) {
    throw new InputError(`Could not read ${target}: it leads outside the repository`);
  }
  return real;
}

function gitOutput(args: string[]): Promise<string | undefined> {
  return new Promise((done) => {
    execFile('git', args, { timeout: 10_000, maxBuffer: 1024 * 1024 }, (error, stdout) =>
      done(error ? undefined : stdout.trim()),
    );
  });
}

/**
 * The commit checked out in the git work tree holding `dir`, or undefined (not in a work tree,
 * git missing or refusing). With `clean`, also undefined when files under `dir` differ from
 * that commit: the commit would not say what was read.
 */
export async function gitHeadCommit(
  dir: string,
  options: { clean?: boolean } = {},
): Promise<string | undefined> {
  const head = await gitOutput(['-C', dir, 'rev-parse', '--verify', '--quiet', 'HEAD']);
  if (!head || !/^[0-9a-f]{40,64}$/.test(head)) return undefined;
  if (options.clean) {
    const changes = await gitOutput(['-C', dir, 'status', '--porcelain', '--', '.']);
    if (changes === undefined || changes !== '') return undefined;
  }
  return head;
}
