import { execFile } from 'node:child_process';
import { type GitProtocol, gitNetworkSettings } from '../../../../../core/reading/allow-list.ts';

/** What a failed git command reports; `output` has secrets replaced by `***`. */
export class GitCommandError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitRunOptions {
  cwd?: string;
  /** Extra environment (merged over the sanitised process environment). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Values to replace by `***` in anything git prints (tokens and their encodings). */
  secrets?: string[];
  /**
   * The transports git may use: those of a remote this command reaches (checked against the
   * reading allow list first, see remote-url.ts). Default `file` only: local repositories.
   */
  protocols?: GitProtocol[];
  /** Written to git's standard input (e.g. `update-index --index-info`). */
  input?: string;
}

// Variables that would point git at another repository than the one a command names.
const REPOSITORY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
];

function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !REPOSITORY_VARIABLES.includes(key)) env[key] = value;
  }
  // A server has nobody to answer a prompt: fail at once instead of hanging the task.
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_ASKPASS = '';
  env.SSH_ASKPASS = '';
  if (!env.GIT_SSH_COMMAND && !env.GIT_SSH) env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  env.LC_ALL = 'C';
  return env;
}

// Settings that a user's or the system's git config could set and that would break or
// subvert an unattended commit: signing prompts, the `ext::` command transport. (They reach
// a local remote's receive-pack too, so hooks are switched off per command, not here: a
// local repository's own hooks should run when Atrium pushes to it.)
const SAFE_SETTINGS = [
  '-c',
  'commit.gpgSign=false',
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'core.autocrlf=false',
  '-c',
  'core.fsmonitor=false',
];

export function redact(text: string, secrets: string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * Runs git without a shell (arguments are never parsed by one), with prompts disabled and
 * the task's abort signal: a cancelled task kills the running git at once.
 */
export function runGit(args: string[], options: GitRunOptions = {}): Promise<string> {
  // No redirects (they could lead to a host nobody checked) and no transport but the remote's.
  const network = gitNetworkSettings(options.protocols ?? ['file']);
  const env = { ...baseEnvironment(), ...options.env, ...network.env };
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      [...SAFE_SETTINGS, ...network.config.flatMap(([k, v]) => ['-c', `${k}=${v}`]), ...args],
      {
        cwd: options.cwd,
        env,
        signal: options.signal,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolvePromise(stdout);
          return;
        }
        const output = redact(`${stderr}${stdout}`.trim(), options.secrets);
        if (options.signal?.aborted) {
          const aborted = new GitCommandError(`git ${args[0]} was cancelled`, output, null);
          aborted.name = 'AbortError';
          reject(aborted);
          return;
        }
        const code = typeof error.code === 'number' ? error.code : null;
        reject(new GitCommandError(output || redact(error.message, options.secrets), output, code));
      },
    );
    child.stdin?.on('error', () => {
      // git may exit before reading all of its input; the exit status says what happened
    });
    child.stdin?.end(options.input ?? '');
  });
}
