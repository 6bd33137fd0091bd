import { Octokit } from '@octokit/rest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import { InputError } from '../../../../../core/errors.ts';
import { allowListFetch, type ReadingPolicy } from '../../../../../core/reading/allow-list.ts';
import { parseRepoUrl } from '../../templating/index.ts';
import { hostCredentials, type ScmApi, scmApiError } from './publish-common.ts';
import { isRateLimited, rateLimitedFetch, retryAfterSeconds } from './rate-limit.ts';

interface GithubRequestError {
  status?: number;
  message?: string;
  response?: {
    headers?: Record<string, string | number | undefined>;
    data?: { message?: string; errors?: Array<{ message?: string; code?: string } | string> };
  };
}

export const GITHUB_API: ScmApi = {
  name: 'GitHub',
  tokenKey: 'integrations.github[].token',
  refusalStatuses: [422],
  alreadyExists: /already exists/i,
};

/** An Octokit failure as a task error that says what was attempted on which host. */
export function githubError(error: unknown, doing: string, host: string): Error {
  if (error instanceof InputError) return error;
  const e = error as GithubRequestError;
  if ((error as Error)?.name === 'AbortError') return error as Error;
  const data = e.response?.data;
  const details = [
    data?.message ?? e.message,
    ...(data?.errors ?? []).map((d) => (typeof d === 'string' ? d : (d.message ?? d.code))),
  ]
    .filter(Boolean)
    .join('; ');
  const headers = new Headers();
  for (const [name, value] of Object.entries(e.response?.headers ?? {})) {
    if (value !== undefined) headers.set(name, String(value));
  }
  // Without a status (a network failure) the error's own message says what happened.
  return scmApiError(
    GITHUB_API,
    host,
    doing,
    e.status,
    e.status ? details : ((error as Error)?.message ?? String(error)),
    e.status
      ? {
          rateLimited: isRateLimited(e.status, headers),
          retryAfter: retryAfterSeconds(headers),
        }
      : {},
  );
}

/** The HTTP status of an Octokit failure, if it got an answer. */
export function githubStatus(error: unknown): number | undefined {
  return (error as GithubRequestError)?.status;
}

export interface GithubRepoClient {
  octokit: Octokit;
  host: string;
  owner: string;
  repo: string;
  token: string;
  policy: ReadingPolicy;
  /** Octokit's per-request options: the task's abort signal. */
  request: { signal: AbortSignal };
  /** `error` as a task error saying what was being done. */
  error(error: unknown, doing: string): Error;
}

/**
 * The GitHub client for a RepoUrlPicker value (`host?owner=o&repo=r`): the host must be a
 * GitHub integration (or github.com); the token is the input's, else the integration's. Every
 * request and redirect passes the reading allow list, and short rate limits are waited out.
 */
export function githubClient(
  config: AtriumConfig,
  repoUrl: string,
  token: string | undefined,
  signal: AbortSignal,
): GithubRepoClient {
  const { host, owner, repo } = parseRepoUrl(repoUrl, config.integrations);
  if (!owner) throw new InputError(`repoUrl: '${repoUrl}' has no owner`);
  const credentials = hostCredentials(config, 'github', host, token);
  const octokit = new Octokit({
    auth: credentials.token,
    baseUrl: credentials.apiBaseUrl,
    log: silentLog,
    request: { fetch: rateLimitedFetch(allowListFetch(credentials.policy)) },
  });
  return {
    octokit,
    host,
    owner,
    repo,
    token: credentials.token,
    policy: credentials.policy,
    request: { signal },
    error: (error, doing) => githubError(error, doing, host),
  };
}

// Octokit logs deprecations and failed requests to the console; the task log says what matters.
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
