/**
 * GitLab REST (v4) requests of the GitLab providers, through the shared {@link ScmHttpClient}
 * (ETags, rate limits, budget, allow list): JSON GETs, pages followed by `Link: rel="next"`
 * (offset and keyset pagination alike) or `x-next-page`, and raw file reads.
 */
import type { ScmHttpClient, ScmResponse } from '../../../../../core/reading/scm-http.ts';
import type { GitlabTarget } from './config.ts';

/** A GitLab answer that is neither a success nor a 404 the caller expects. */
export class GitlabApiError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    detail: string,
  ) {
    super(`GitLab answered ${status} to GET ${url}${detail ? `: ${detail}` : ''}`);
    this.name = 'GitlabApiError';
  }
}

function detailOf(response: ScmResponse): string {
  try {
    const body = response.json<{ message?: unknown; error?: unknown }>();
    const message = body?.message ?? body?.error;
    if (message !== undefined)
      return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    // Not JSON: the text itself, shortened.
  }
  return response.text.slice(0, 200).trim();
}

/** The `rel="next"` URL of a `Link` header. */
function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (match) return match[1];
  }
  return undefined;
}

export class GitlabApi {
  constructor(
    readonly target: GitlabTarget,
    readonly client: ScmHttpClient,
  ) {}

  private headers(): Record<string, string> {
    return this.target.token ? { 'PRIVATE-TOKEN': this.target.token } : {};
  }

  url(path: string, query: Record<string, string | number | boolean | undefined> = {}): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const search = params.toString();
    return `${this.target.apiBaseUrl}${path}${search ? `?${search}` : ''}`;
  }

  async request(url: string, signal?: AbortSignal): Promise<ScmResponse> {
    return this.client.request(url, { headers: this.headers(), signal });
  }

  /** A JSON GET; undefined on 404; other failures throw a {@link GitlabApiError}. */
  async get<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
    signal?: AbortSignal,
  ): Promise<T | undefined> {
    const url = this.url(path, query);
    const response = await this.request(url, signal);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new GitlabApiError(response.status, url, detailOf(response));
    return response.json<T>();
  }

  /**
   * Every page of a list, one array per page. The next page is the `Link` header's `rel="next"`
   * when it stays on the API's origin (keyset pagination has only that), else `x-next-page`.
   * A 404 on the first page throws: the group or path does not exist.
   */
  async *pages<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ): AsyncGenerator<T[]> {
    const origin = new URL(this.target.apiBaseUrl).origin;
    let url: string | undefined = this.url(path, { per_page: 100, ...query });
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url)) throw new Error(`GitLab sent the page ${url} twice; stopping`);
      seen.add(url);
      const response = await this.request(url, signal);
      if (response.status !== 200)
        throw new GitlabApiError(response.status, url, detailOf(response));
      yield response.json<T[]>();
      const link: string | undefined = nextLink(response.headers.get('link'));
      const nextPage: string | null = response.headers.get('x-next-page');
      if (link && new URL(link, url).origin === origin) {
        url = new URL(link, url).toString();
      } else if (nextPage) {
        const next: URL = new URL(url);
        next.searchParams.set('page', nextPage);
        url = next.toString();
      } else {
        url = undefined;
      }
    }
  }

  /** Every item of a list (see {@link pages}). */
  async all<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages<T>(path, query, signal)) out.push(...page);
    return out;
  }

  /**
   * A file's text at `ref` (`/repository/files/:path/raw`), conditional on the ETag of the last
   * read; undefined when the project, ref or file does not exist. `version` is the blob id.
   */
  async rawFile(
    project: string | number,
    file: string,
    ref: string,
    signal?: AbortSignal,
  ): Promise<{ content: string; version: string; notModified: boolean } | undefined> {
    const url = this.url(
      `/projects/${encodeURIComponent(String(project))}/repository/files/${encodeURIComponent(file)}/raw`,
      { ref },
    );
    const response = await this.request(url, signal);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new GitlabApiError(response.status, url, detailOf(response));
    const version =
      response.headers.get('x-gitlab-blob-id') ??
      response.headers.get('etag')?.replace(/^W\//, '').replace(/"/g, '') ??
      '';
    return { content: response.text, version, notModified: response.notModified };
  }
}

/**
 * Runs `work` over `items`, at most `limit` at a time; the first failure stops the others from
 * starting more and is thrown once the ones running have finished.
 */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const results = await Promise.allSettled(runners);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}
