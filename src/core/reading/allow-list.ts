/**
 * The one rule for outbound requests that users can steer: `url` catalog locations and
 * `$text` placeholders, the scaffolder's fetch actions, the remotes and APIs of its publish
 * actions, TechDocs `url` sources. A URL may be requested when its host is
 *
 * - listed in `backend.reading.allow` (as in Backstage: exact host, with or without a port;
 *   `*.example.com` for every subdomain; optional `paths` prefixes), or
 * - a configured integration host (`integrations.github[].host`, …) or the host of that
 *   integration's `apiBaseUrl`.
 *
 * Redirects are never followed by the HTTP client: {@link fetchAllowed} follows them by hand
 * and checks every hop against the same rule, dropping credentials when a hop leaves the
 * origin. Git is told not to follow redirects at all (see `GIT_NETWORK_CONFIG`).
 */
import type { AtriumConfig, ReadingAllowRule } from '../config/index.ts';
import { InputError, NotAllowedError } from '../errors.ts';
import type { ScmIntegrationHost, ScmIntegrationsConfig } from './integrations.ts';

export type { ReadingAllowRule };

/** What decides whether a URL may be requested. */
export interface ReadingPolicy {
  /** `backend.reading.allow`. */
  allow: ReadingAllowRule[];
  /** `integrations`: their hosts, and the hosts of their `apiBaseUrl`, are allowed too. */
  integrations?: ScmIntegrationsConfig;
  /**
   * Hosts (`host` or `host:port`) allowed for this one use besides the above, e.g. the
   * built-in `github.com` a publish action was pointed at through its `repoUrl`.
   */
  hosts?: string[];
}

/** The policy the configuration sets: `backend.reading.allow` and `integrations`. */
export function readingPolicy(
  config: Pick<AtriumConfig, 'backend' | 'integrations'>,
): ReadingPolicy {
  return { allow: config.backend.reading.allow, integrations: config.integrations };
}

/** The error's advice: which config key admits `host`. */
export const ALLOW_ADVICE =
  'backend.reading.allow or configure it under integrations in app-config.yaml';

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ssh:': '22' };

/** `example.com:8080` → name and port; `[::1]:80` → `[::1]` and `80`; no port → undefined. */
function splitHostPort(host: string): { name: string; port?: string } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host.trim().toLowerCase());
  if (!match) return { name: host.trim().toLowerCase() };
  return { name: match[1]!.replace(/\.$/, ''), port: match[2] || undefined };
}

/**
 * Whether `url`'s host matches the pattern `host`: an exact name or `*.example.com` (every
 * subdomain, not example.com itself), with a port (that port only; a default port matches a
 * URL that names none) or without (any port).
 */
export function hostMatches(host: string, url: URL): boolean {
  const pattern = splitHostPort(host);
  const name = url.hostname.toLowerCase().replace(/\.$/, '');
  if (pattern.name.startsWith('*.')) {
    if (!name.endsWith(pattern.name.slice(1))) return false;
  } else if (pattern.name !== name) {
    return false;
  }
  if (pattern.port === undefined) return true;
  return pattern.port === (url.port || DEFAULT_PORTS[url.protocol]);
}

/** `backend.reading.allow` alone: host (see {@link hostMatches}) and, if given, path prefixes. */
export function isUrlAllowed(url: URL, allow: ReadingAllowRule[]): boolean {
  return allow.some(
    (rule) =>
      hostMatches(rule.host, url) &&
      (!rule.paths?.length || rule.paths.some((prefix) => url.pathname.startsWith(prefix))),
  );
}

/** Whether `url` is on a configured integration's host or on its API host. */
export function isIntegrationUrl(
  url: URL,
  integrations: ScmIntegrationsConfig | undefined,
): boolean {
  const host = url.host.toLowerCase();
  const entries = Object.values(integrations ?? {}) as Array<ScmIntegrationHost[] | undefined>;
  return entries.some((list) =>
    (list ?? []).some((entry) => {
      if (entry.host.toLowerCase() === host) return true;
      if (!entry.apiBaseUrl) return false;
      try {
        return new URL(entry.apiBaseUrl).host.toLowerCase() === host;
      } catch {
        return false;
      }
    }),
  );
}

/** Whether the policy lets `url` be requested (the protocol is the caller's concern). */
export function isAllowedUrl(url: URL, policy: ReadingPolicy): boolean {
  return (
    isUrlAllowed(url, policy.allow) ||
    isIntegrationUrl(url, policy.integrations) ||
    (policy.hosts ?? []).some((host) => hostMatches(host, url))
  );
}

/**
 * Refuses a URL the policy does not allow, with an error that names the host and where to
 * add it: `Reading <what> is not allowed: add <host> to backend.reading.allow …`.
 */
export function assertAllowedUrl(
  url: URL,
  policy: ReadingPolicy,
  what: string = url.href,
  verb = 'Reading',
): void {
  if (isAllowedUrl(url, policy)) return;
  throw new NotAllowedError(`${verb} ${what} is not allowed: add ${url.host} to ${ALLOW_ADVICE}`);
}

// ---------------------------------------------------------------------------------------------
// fetch with the policy applied to every hop

export interface FetchAllowedOptions {
  policy: ReadingPolicy;
  /** What is being read, for messages (default: the URL). */
  target?: string;
  /** Redirects followed at most. Default 5. */
  maxRedirects?: number;
  /**
   * Headers for one hop, merged over the request's own (e.g. the token of the host a
   * redirect leads to). Called for every request, the first included.
   */
  headersFor?(url: URL): Record<string, string> | undefined;
}

/** Request headers that carry credentials: never sent on to another origin by a redirect. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'private-token',
  'job-token',
  'x-api-key',
];

function httpUrl(input: string | URL, target: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new InputError(`${target} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${target}: only http and https URLs can be read`);
  }
  return url;
}

function isAbort(error: unknown): boolean {
  const name = (error as Error)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * `fetch` that requests only what the policy allows: the URL is checked before anything is
 * sent, redirects are followed by hand (at most `maxRedirects`), each hop checked the same way,
 * and credential headers are dropped when a hop leaves the first URL's origin. 303 (and 301/302
 * after a POST) continue as GET without a body, as browsers do. Returns the first response that
 * is not a redirect.
 *
 * Errors: a refused URL or hop is a NotAllowedError naming the host and the key to add it to;
 * a cancel or timeout keeps its name (`AbortError`/`TimeoutError`) with the message
 * `Reading <target> was cancelled or timed out`; a network failure says
 * `Could not reach <host> to read <target>: <code>`.
 */
export async function fetchAllowed(
  input: string | URL,
  init: RequestInit,
  options: FetchAllowedOptions,
): Promise<Response> {
  const target = options.target ?? String(input);
  const start = httpUrl(input, target);
  assertAllowedUrl(start, options.policy, target);
  const maxRedirects = options.maxRedirects ?? 5;
  let url = start;
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  for (let hop = 0; ; hop++) {
    const sent = new Headers(headers);
    for (const [name, value] of Object.entries(options.headersFor?.(url) ?? {})) {
      sent.set(name, value);
    }
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        method,
        body,
        headers: sent,
        redirect: 'manual',
      });
    } catch (error) {
      if (isAbort(error)) {
        const aborted = new Error(`Reading ${target} was cancelled or timed out`, { cause: error });
        aborted.name = (error as Error).name;
        throw aborted;
      }
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(
        `Could not reach ${url.host} to read ${target}: ${cause ?? (error as Error).message}`,
        { cause: error },
      );
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || response.status === 304 || !location) {
      return response;
    }
    await response.body?.cancel();
    if (hop >= maxRedirects) throw new Error(`Reading ${target}: too many redirects`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new Error(`Reading ${target}: the server redirects to an invalid URL`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new NotAllowedError(
        `Reading ${target} is not allowed: it redirects to ${next.protocol} URL, not http(s)`,
      );
    }
    assertAllowedUrl(next, options.policy, `${target} (redirected to ${next.href})`);
    if (next.origin !== start.origin) {
      for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    }
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      headers.delete('content-type');
      headers.delete('content-length');
    } else if (body instanceof ReadableStream) {
      throw new Error(`Reading ${target}: cannot repeat a streamed request body after a redirect`);
    }
    url = next;
  }
}

/**
 * A `fetch` function for HTTP clients that take one (Octokit's `request.fetch`, the GitLab
 * client's requester): every request goes through {@link fetchAllowed} with `policy`.
 */
export function allowListFetch(
  policy: ReadingPolicy,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init = {}) => {
    if (input instanceof Request) {
      const method = init.method ?? input.method;
      const hasBody = method !== 'GET' && method !== 'HEAD';
      return fetchAllowed(
        input.url,
        {
          method,
          headers: init.headers ?? input.headers,
          body: init.body ?? (hasBody ? await input.arrayBuffer() : undefined),
          signal: init.signal ?? input.signal,
        },
        { policy },
      );
    }
    return fetchAllowed(input, init, { policy });
  };
}

// ---------------------------------------------------------------------------------------------
// git

/** A transport git may use. */
export type GitProtocol = 'http' | 'https' | 'ssh' | 'file';

/**
 * Settings for git commands that may reach a remote: no redirects (one could lead to a host
 * that was never checked, credentials included) and no transport but `protocols`. `env` must be
 * set too: `GIT_ALLOW_PROTOCOL` overrides any `protocol.*` config, the server's own included.
 */
export function gitNetworkSettings(protocols: GitProtocol[]): {
  config: [string, string][];
  env: Record<string, string>;
} {
  return {
    config: [
      ['http.followRedirects', 'false'],
      ['protocol.allow', 'never'],
      ...protocols.map((p): [string, string] => [`protocol.${p}.allow`, 'always']),
    ],
    env: { GIT_ALLOW_PROTOCOL: protocols.join(':') },
  };
}

/**
 * A response body, read until `maxBytes` and no further: the download stops (and the
 * connection is released) as soon as the cap is passed, whatever Content-Length said.
 */
export async function readCappedBody(
  response: Response,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
