import { Gitlab } from '@gitbeaker/rest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import { InputError } from '../../../../../core/errors.ts';
import type { ReadingPolicy } from '../../../../../core/reading/allow-list.ts';
import { parseRepoUrl } from '../../templating/index.ts';
import { allowListRequester } from './gitlab-requester.ts';
import { hostCredentials, type ScmApi, scmApiError } from './publish-common.ts';
import { retryAfterSeconds } from './rate-limit.ts';

export const GITLAB_API: ScmApi = {
  name: 'GitLab',
  tokenKey: 'integrations.gitlab[].token',
  refusalStatuses: [400, 422],
  alreadyExists: /has already been taken|already exists/i,
};

interface GitbeakerFailure {
  cause?: { response?: Response; description?: string };
}

/** The HTTP status of a GitLab client failure, if it got an answer. */
export function gitlabStatus(error: unknown): number | undefined {
  return (error as GitbeakerFailure).cause?.response?.status;
}

/** A GitLab client failure as a task error that says what was attempted on which host. */
export function gitlabError(
  error: unknown,
  doing: string,
  host: string,
  signal: AbortSignal,
): Error {
  if (error instanceof InputError) return error;
  if (signal.aborted) {
    const aborted = new Error(`Cancelled while ${doing}`);
    aborted.name = 'AbortError';
    return aborted;
  }
  const response = (error as GitbeakerFailure).cause?.response;
  return scmApiError(
    GITLAB_API,
    host,
    doing,
    response?.status,
    (error as Error)?.message ?? String(error),
    response ? { retryAfter: retryAfterSeconds(response.headers) } : {},
  );
}

export interface GitlabProjectClient {
  api: InstanceType<typeof Gitlab>;
  host: string;
  /** Project id or `group/subgroup/project` path, as the API takes it. */
  projectId: string;
  owner?: string;
  repo: string;
  token: string;
  fromInput: boolean;
  policy: ReadingPolicy;
  /** `error` as a task error saying what was being done. */
  error(error: unknown, doing: string): Error;
  /** Runs one API call, turning its failure into a task error (the client takes no signal: a cancel is honoured between calls). */
  call<T>(doing: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The GitLab client for a RepoUrlPicker value (`host?owner=group&repo=project`, or
 * `host?project=<id>`): as Backstage, a token from the input is an OAuth token, the configured
 * one a personal/project access token. Requests and redirects pass the reading allow list.
 */
export function gitlabClient(
  config: AtriumConfig,
  repoUrl: string,
  inputToken: string | undefined,
  signal: AbortSignal,
): GitlabProjectClient {
  const { host, owner, repo, project } = parseRepoUrl(repoUrl, config.integrations);
  const { apiBaseUrl, token, fromInput, policy } = hostCredentials(
    config,
    'gitlab',
    host,
    inputToken,
  );
  const gitlabHost = apiBaseUrl.replace(/\/api\/v4$/, '');
  const requesterFn = allowListRequester(policy);
  const api = fromInput
    ? new Gitlab({ host: gitlabHost, oauthToken: token, requesterFn })
    : new Gitlab({ host: gitlabHost, token, requesterFn });
  const error = (e: unknown, doing: string) => gitlabError(e, doing, host, signal);
  return {
    api,
    host,
    projectId: project ?? `${owner}/${repo}`,
    owner,
    repo,
    token,
    fromInput,
    policy,
    error,
    async call(doing, fn) {
      signal.throwIfAborted();
      try {
        return await fn();
      } catch (e) {
        throw error(e, doing);
      }
    },
  };
}
