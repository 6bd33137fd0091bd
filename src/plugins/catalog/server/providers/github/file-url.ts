/**
 * Reading a GitHub blob URL (`https://github.com/org/repo/blob/main/catalog-info.yaml`, what
 * GitHub discovery and Backstage write as location targets) through the contents API instead
 * of the HTML page: `GET /repos/:owner/:repo/contents/:path?ref=` with
 * `Accept: application/vnd.github.raw` and the integration's token, or the installation token
 * of the GitHub App installed for the repository's owner.
 */
import type { GithubCredentials } from '../../../../../core/reading/github-credentials.ts';
import type { ScmIntegrationsConfig } from '../../../../../core/reading/integrations.ts';

export interface GithubBlobUrl {
  owner: string;
  repo: string;
  ref: string;
  /** Path of the file in the repository, without a leading slash. */
  path: string;
}

/**
 * The repository, ref and file of a blob URL (`/blob/` or `/raw/`). The ref is the first segment
 * after `/blob/`, as Backstage's parseGitUrl takes it; undefined when the URL is not a blob URL.
 */
export function parseGithubBlobUrl(url: URL): GithubBlobUrl | undefined {
  const match = /^\/([^/]+)\/([^/]+)\/(?:blob|raw)\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (!match) return undefined;
  try {
    const path = decodeURIComponent(match[4]!).replace(/^\/+/, '');
    if (!path || path.endsWith('/')) return undefined;
    return {
      owner: decodeURIComponent(match[1]!),
      repo: decodeURIComponent(match[2]!).replace(/\.git$/, ''),
      ref: decodeURIComponent(match[3]!),
      path,
    };
  } catch {
    return undefined;
  }
}

/** The REST base of a GitHub host: the integration's `apiBaseUrl`, else GitHub's defaults. */
export function githubApiBaseUrl(host: string, apiBaseUrl?: string): string {
  if (apiBaseUrl) return apiBaseUrl.replace(/\/+$/, '');
  return host.toLowerCase() === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`;
}

/** The GraphQL endpoint beside a REST base: `…/api/v3` → `…/api/graphql`, api.github.com → `/graphql`. */
export function githubGraphqlUrl(apiBaseUrl: string): string {
  const base = apiBaseUrl.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base.replace(/\/v3$/, '/graphql') : `${base}/graphql`;
}

/** Path segments encoded one by one: `/` stays a separator. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The API request that reads `target`, when it is a blob URL on a configured
 * `integrations.github` host (or github.com); undefined for anything else (then the plain fetch).
 */
export function githubFileRequest(
  target: string,
  integrations: ScmIntegrationsConfig | undefined,
): { url: string; headers: Record<string, string> } | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.host.toLowerCase();
  const entry = integrations?.github?.find((e) => e.host.toLowerCase() === host);
  if (!entry && host !== 'github.com') return undefined;
  const blob = parseGithubBlobUrl(url);
  if (!blob) return undefined;
  const base = githubApiBaseUrl(url.host, entry?.apiBaseUrl);
  return {
    url: `${base}/repos/${encodeURIComponent(blob.owner)}/${encodeURIComponent(blob.repo)}/contents/${encodePath(blob.path)}?ref=${encodeURIComponent(blob.ref)}`,
    headers: {
      accept: 'application/vnd.github.raw',
      ...(entry?.token ? { authorization: `Bearer ${entry.token}` } : {}),
    },
  };
}

/** A contents API request, and how to ask again with a fresh token after a 401. */
export interface GithubFileRequest {
  url: string;
  headers: Record<string, string>;
  retry?: () => Promise<GithubFileRequest | undefined>;
}

/**
 * {@link githubFileRequest} with the owner's credentials from `credentials`: an installation
 * token when the host has GitHub Apps (throws, naming the reason, when none may serve the
 * owner), else the integration's token.
 */
export async function githubFileRequestFor(
  target: string,
  integrations: ScmIntegrationsConfig | undefined,
  credentials: GithubCredentials,
): Promise<GithubFileRequest | undefined> {
  const plain = githubFileRequest(target, integrations);
  if (!plain) return undefined;
  const url = new URL(target);
  const owner = parseGithubBlobUrl(url)!.owner;
  const token = await credentials.tokenFor(url.host, owner);
  if (!token) return plain;
  const request: GithubFileRequest = {
    url: plain.url,
    headers: { ...plain.headers, authorization: `Bearer ${token.token}` },
  };
  if (token.source === 'app') {
    request.retry = async () => {
      credentials.invalidate(token.token);
      const fresh = await credentials.tokenFor(url.host, owner);
      return fresh
        ? { url: plain.url, headers: { ...plain.headers, authorization: `Bearer ${fresh.token}` } }
        : undefined;
    };
  }
  return request;
}
