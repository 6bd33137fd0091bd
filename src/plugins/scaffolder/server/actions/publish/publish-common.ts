import { stat } from 'node:fs/promises';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '../../../../../core/errors.ts';
import { type ReadingPolicy, readingPolicy } from '../../../../../core/reading/allow-list.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { integrationForHost } from '../../templating/index.ts';
import type { ActionContext } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';

/** The folder to publish: the workspace, or `sourcePath` inside it. */
export async function resolveSourceDir(
  ctx: ActionContext,
  sourcePath?: string,
  field = 'sourcePath',
): Promise<string> {
  const dir = resolveSafeChildPath(ctx.workspacePath, sourcePath ?? '.', field);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new InputError(`${field}: '${sourcePath}' is not a directory in the workspace`);
  }
  return dir;
}

export interface CommitInput {
  gitCommitMessage?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
}

export function commitSettings(config: AtriumConfig, input: CommitInput) {
  return {
    commitMessage: input.gitCommitMessage || config.scaffolder.defaultCommitMessage,
    author: {
      name: input.gitAuthorName || config.scaffolder.defaultAuthor.name,
      email: input.gitAuthorEmail || config.scaffolder.defaultAuthor.email,
    },
  };
}

/** The commit inputs every publish action shares (names as in Backstage). */
export const COMMIT_INPUT_PROPERTIES: JsonObject = {
  sourcePath: {
    title: 'Source path',
    description: 'Folder of the workspace to publish (default: the whole workspace)',
    type: 'string',
  },
  gitCommitMessage: {
    title: 'Git commit message',
    description: 'Message of the first commit (default: scaffolder.defaultCommitMessage)',
    type: 'string',
  },
  gitAuthorName: {
    title: 'Git author name',
    description: 'Author of the first commit (default: scaffolder.defaultAuthor.name)',
    type: 'string',
  },
  gitAuthorEmail: {
    title: 'Git author email',
    description: 'Author email of the first commit (default: scaffolder.defaultAuthor.email)',
    type: 'string',
  },
};

const DEFAULT_API: Record<'github' | 'gitlab', (host: string) => string> = {
  github: (host) => (host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`),
  gitlab: (host) => `https://${host}/api/v4`,
};

/**
 * The API base and token for `host`, which must be a `type` integration (configured, or the
 * built-in github.com / gitlab.com). An input token wins over the configured one.
 *
 * `policy` is what the action's requests (API calls, their redirects, the clone URL the API
 * answers with) may reach: the repository's host and its API host, plus what
 * `backend.reading.allow` and the configured integrations allow (core/reading/allow-list.ts).
 */
export function hostCredentials(
  config: AtriumConfig,
  type: 'github' | 'gitlab',
  host: string,
  inputToken: string | undefined,
): { apiBaseUrl: string; token: string; fromInput: boolean; policy: ReadingPolicy } {
  const entry = integrationForHost(host, config.integrations);
  if (entry && entry.type !== type) {
    throw new InputError(`repoUrl: ${host} is configured as a ${entry.type} host, not ${type}`);
  }
  const apiBaseUrl = (entry?.apiBaseUrl ?? DEFAULT_API[type](host)).replace(/\/+$/, '');
  const token = inputToken || entry?.token;
  if (!token) {
    throw new InputError(
      `No token for ${host}: set integrations.${type}[].token in app-config.yaml or pass the token input`,
    );
  }
  const api = new URL(apiBaseUrl);
  if (api.protocol !== 'https:' && api.protocol !== 'http:') {
    throw new InputError(`integrations.${type}[].apiBaseUrl of ${host} is not an http(s) URL`);
  }
  const policy: ReadingPolicy = { ...readingPolicy(config), hosts: [host, api.host] };
  return { apiBaseUrl, token, fromInput: Boolean(inputToken), policy };
}

/** Inputs Backstage's action takes that Atrium's does not act on: said in the log, not dropped silently. */
export function warnIgnoredInputs(ctx: ActionContext, actionId: string, names: string[]): void {
  const given = names.filter((name) => ctx.input[name] !== undefined);
  if (given.length) {
    ctx.logger.warn(
      `Ignored input${given.length > 1 ? 's' : ''} ${given.join(', ')}: Atrium's ${actionId} does not support ${given.length > 1 ? 'them' : 'it'} yet`,
    );
  }
}

/** How one hosting service's API reports the failures `scmApiError` tells apart. */
export interface ScmApi {
  name: 'GitHub' | 'GitLab' | 'Bitbucket Cloud' | 'Bitbucket Server' | 'Azure DevOps' | 'Gerrit';
  /** Where its token is configured, for the 401 message. */
  tokenKey: string;
  /** Statuses with which it refuses a request's content. */
  refusalStatuses: number[];
  /** How a refusal says the repository exists already. */
  alreadyExists: RegExp;
}

/** What a failed response said besides its status (see rate-limit.ts). */
export interface ScmErrorExtra {
  /** A 403 that is a rate limit (GitHub's exhausted quota), not a refusal. */
  rateLimited?: boolean;
  /** Seconds the server asked to wait (Retry-After, x-ratelimit-reset). */
  retryAfter?: number;
}

/** An API failure as a task error that says what was attempted (`doing`) on which host. */
export function scmApiError(
  api: ScmApi,
  host: string,
  doing: string,
  status: number | undefined,
  details: string,
  extra: ScmErrorExtra = {},
): Error {
  const where = `${api.name} at ${host}`;
  if (status === 429 || extra.rateLimited) {
    const when =
      extra.retryAfter !== undefined
        ? `try again in ${extra.retryAfter} second${extra.retryAfter === 1 ? '' : 's'} (Retry-After)`
        : 'try again later';
    return new ServiceUnavailableError(
      `${where} is rate-limiting requests (${status}: ${details}) while ${doing}; ${when}, or use a token with a higher limit (${api.tokenKey})`,
    );
  }
  if (status === 401) {
    return new AuthenticationError(
      `${where} rejected the token while ${doing} (401: ${details}); check ${api.tokenKey} or the token input`,
    );
  }
  if (status === 403) {
    return new NotAllowedError(
      `${where} refused ${doing} (403: ${details}); the token lacks the permission: check its scopes and the account's role`,
    );
  }
  if (status === 404) {
    return new NotFoundError(
      `${where} found nothing while ${doing} (404: ${details}); check the name, and that the token can see it`,
    );
  }
  if (status !== undefined && api.refusalStatuses.includes(status)) {
    if (api.alreadyExists.test(details)) {
      return new ConflictError(
        `Cannot create ${doing.replace(/^creating /, '')}: it already exists on ${host} (${details})`,
      );
    }
    return new InputError(`${where} refused ${doing} (${status}: ${details})`);
  }
  return new Error(
    `${where} failed while ${doing}${status ? ` (${status}: ${details})` : `: ${details}`}`,
  );
}

/**
 * What a provider action's requests may reach: its host and the hosts of the URLs its
 * integration names (API, clone, web), plus `backend.reading.allow` and configured integrations.
 */
export function providerPolicy(config: AtriumConfig, host: string, urls: string[]): ReadingPolicy {
  const hosts = [host];
  for (const url of urls) {
    try {
      hosts.push(new URL(url).host);
    } catch {
      // not a URL: nothing to allow
    }
  }
  return { ...readingPolicy(config), hosts };
}
