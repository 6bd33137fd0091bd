import { fetchAllowed, type ReadingPolicy } from '../../../../../core/reading/allow-list.ts';
import { isRateLimited, rateLimitedFetch, retryAfterSeconds } from './rate-limit.ts';
import { type ScmApi, scmApiError } from './publish-common.ts';

export interface RestResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A JSON client for the providers Atrium talks to without an SDK (Bitbucket Cloud and Server,
 * Azure DevOps, Gerrit): every request passes the reading allow list, short rate limits are
 * waited out, and a failure becomes the task error scmApiError makes of it.
 */
export class ScmRestClient {
  private readonly fetch: ReturnType<typeof rateLimitedFetch>;

  constructor(
    private readonly options: {
      api: ScmApi;
      host: string;
      baseUrl: string;
      /** The Authorization header value. */
      authorization?: string;
      policy: ReadingPolicy;
      signal: AbortSignal;
      /** Gerrit prefixes JSON answers with `)]}'` against XSSI. */
      stripPrefix?: string;
    },
  ) {
    const { policy } = options;
    this.fetch = rateLimitedFetch((input, init) =>
      fetchAllowed(input instanceof Request ? input.url : input, init ?? {}, { policy }),
    );
  }

  /**
   * Sends `method path` (relative to the base URL, or absolute) and returns the parsed answer;
   * a status outside `ok` (default: any 2xx) throws an error that says what was being done.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    doing: string,
    options: { body?: unknown; ok?: number[]; headers?: Record<string, string> } = {},
  ): Promise<RestResponse<T>> {
    const url = /^https?:\/\//.test(path) ? path : `${this.options.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.options.authorization) headers.authorization = this.options.authorization;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: this.options.signal,
    });
    let text = await response.text();
    if (this.options.stripPrefix && text.startsWith(this.options.stripPrefix)) {
      text = text.slice(this.options.stripPrefix.length);
    }
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the text is the body
    }
    const ok = options.ok
      ? options.ok.includes(response.status)
      : response.status >= 200 && response.status < 300;
    if (!ok) {
      throw scmApiError(
        this.options.api,
        this.options.host,
        doing,
        response.status,
        errorDetails(body) || response.statusText,
        {
          rateLimited: isRateLimited(response.status, response.headers),
          retryAfter: retryAfterSeconds(response.headers),
        },
      );
    }
    return { status: response.status, body: body as T, headers: response.headers };
  }
}

/** The message in a provider's error body: Bitbucket's `error.message`, `errors[].message`, Azure's `message`, or text. */
function errorDetails(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 500);
  if (!body || typeof body !== 'object') return '';
  const b = body as {
    message?: unknown;
    error?: { message?: unknown } | string;
    errors?: Array<{ message?: unknown }>;
  };
  const parts = [
    typeof b.error === 'string' ? b.error : b.error?.message,
    b.message,
    ...(Array.isArray(b.errors) ? b.errors.map((e) => e?.message) : []),
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.join('; ');
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
