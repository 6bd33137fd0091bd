/**
 * How the provider clients treat a rate limit: a short wait that the server names (Retry-After,
 * or GitHub's x-ratelimit-reset) is waited out and the request sent again; a long one is not
 * (a task would hang for an hour), and the response goes back to the caller, whose error then
 * says when to try again (scmApiError).
 */

/** Longest wait, in seconds, a step sits out before sending a rate-limited request again. */
export const MAX_RATE_LIMIT_WAIT_SECONDS = 10;
const MAX_RETRIES = 3;

/** Whether `status` with these headers is a rate limit rather than a refusal. */
export function isRateLimited(status: number, headers: Headers): boolean {
  if (status === 429) return true;
  // GitHub answers an exhausted quota with 403 and x-ratelimit-remaining: 0 (primary limit) or
  // a Retry-After (secondary limit).
  return (
    status === 403 && (headers.get('x-ratelimit-remaining') === '0' || headers.has('retry-after'))
  );
}

/** Seconds the server asks to wait (Retry-After in seconds or as a date, or x-ratelimit-reset). */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim());
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - now) / 1000));
  }
  const reset = headers.get('x-ratelimit-reset');
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) - Math.floor(now / 1000));
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * `fetch` that waits out short rate limits (at most {@link MAX_RATE_LIMIT_WAIT_SECONDS} per
 * wait, {@link MAX_RETRIES} times) and otherwise returns the rate-limited response as it came.
 * Request bodies are strings or buffers here (the clients serialise JSON), so they can be sent
 * again.
 */
export function rateLimitedFetch(inner: FetchFn): FetchFn {
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      const response = await inner(input, init);
      if (!isRateLimited(response.status, response.headers) || attempt >= MAX_RETRIES) {
        return response;
      }
      const wait = retryAfterSeconds(response.headers);
      if (wait === undefined || wait > MAX_RATE_LIMIT_WAIT_SECONDS) return response;
      await response.body?.cancel();
      await sleep(wait * 1000, init?.signal);
    }
  };
}
