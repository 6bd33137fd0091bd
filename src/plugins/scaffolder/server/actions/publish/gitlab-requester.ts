import {
  createRequesterFn,
  type FormattedResponse,
  GitbeakerRequestError,
} from '@gitbeaker/requester-utils';
import { fetchAllowed, type ReadingPolicy } from '../../../../../core/reading/allow-list.ts';
import { MAX_RATE_LIMIT_WAIT_SECONDS, retryAfterSeconds } from './rate-limit.ts';

/** What gitbeaker's options handler hands to the request handler. */
interface RequestOptions {
  method?: string;
  prefixUrl?: string;
  searchParams?: string;
  asStream?: boolean;
  headers?: Record<string, string>;
  body?: BodyInit;
  signal?: AbortSignal;
  rateLimiters?: unknown;
  agent?: unknown;
}

const RETRY_STATUSES = [429, 502];
const MAX_ATTEMPTS = 10;

async function parseResponse(response: Response, asStream: boolean): Promise<FormattedResponse> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (asStream) return { body: response.body as ReadableStream, headers, status: response.status };
  if (response.status === 204) return { body: null, headers, status: response.status };
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  let body: FormattedResponse['body'];
  if (type === 'application/json') body = (await response.json()) || {};
  else if (type.startsWith('text/')) body = (await response.text()) || '';
  else body = await response.blob();
  return { body, headers, status: response.status };
}

async function requestError(url: URL, method: string, response: Response): Promise<never> {
  const content = await response.text();
  let description = content;
  if (response.headers.get('content-type')?.includes('application/json')) {
    try {
      const output = JSON.parse(content) as { error?: unknown; message?: unknown };
      const property = output?.error || output?.message || '';
      description = typeof property === 'string' ? property : JSON.stringify(property);
    } catch {
      // not JSON after all: the text is the description
    }
  }
  throw new GitbeakerRequestError(description, {
    cause: { description, request: new Request(url, { method }), response },
  });
}

/**
 * The GitLab client's requester (`new Gitlab({ requesterFn })`) with every request sent through
 * the reading allow list (core/reading/allow-list.ts): the API URL and every redirect hop are
 * checked, and the token headers never follow a redirect to another origin (the stock requester
 * lets `fetch` follow redirects anywhere, `PRIVATE-TOKEN` included). Otherwise as
 * `@gitbeaker/rest`'s own: JSON/text/blob bodies, errors as GitbeakerRequestError with the
 * response as `cause`, retries with back-off on 429 and 502 (without its rate limiter), waiting
 * as long as a 429's Retry-After says when that is short and failing at once when it is long.
 */
export function allowListRequester(policy: ReadingPolicy) {
  return createRequesterFn(
    async (_service, options) => options,
    async (endpoint, raw) => {
      const {
        rateLimiters: _limiters,
        agent: _agent,
        asStream = false,
        prefixUrl,
        searchParams,
        method = 'GET',
        ...init
      } = (raw ?? {}) as RequestOptions;
      const base = prefixUrl && !prefixUrl.endsWith('/') ? `${prefixUrl}/` : prefixUrl;
      const url = new URL(endpoint, base);
      url.search = searchParams || '';
      let status = 0;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const response = await fetchAllowed(url, { ...init, method }, { policy });
        if (response.ok) return parseResponse(response, asStream);
        if (!RETRY_STATUSES.includes(response.status)) return requestError(url, method, response);
        // A rate limit that names a long wait is not sat out: the error says when to retry.
        const wait = retryAfterSeconds(response.headers);
        if (
          response.status === 429 &&
          wait !== undefined &&
          (wait > MAX_RATE_LIMIT_WAIT_SECONDS || attempt >= 3)
        ) {
          return requestError(url, method, response);
        }
        await response.body?.cancel();
        status = response.status;
        await new Promise((resolve) =>
          setTimeout(resolve, wait !== undefined ? wait * 1000 : 2 ** attempt * 250),
        );
      }
      throw new Error(
        `GitLab answered ${status} ${MAX_ATTEMPTS} times to ${method} ${url.pathname}; try again later`,
      );
    },
  );
}
