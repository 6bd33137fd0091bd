/**
 * HTTP for the APIs of source hosts (GitHub REST and GraphQL, GitLab REST) when a scan or a
 * read makes many requests: conditional requests with the ETags seen before (a 304 is free on
 * GitHub), the host's rate-limit headers obeyed (wait for the reset or `Retry-After`, with
 * exponential backoff and jitter, bounded by retries, total wait and the caller's signal), a
 * request budget per run, and the counters a provider reports on its status. Every request
 * goes through {@link fetchAllowed}, so the allow list and redirect rules apply unchanged.
 */
import type { Logger } from '../logger.ts';
import {
  assertAllowedUrl,
  fetchAllowed,
  type ReadingPolicy,
  readCappedBody,
} from './allow-list.ts';

/** What the requests of a run cost (the shape of the catalog providers' `ScanCost`). */
export interface ScanCost {
  /** HTTP requests sent (REST + GraphQL), 304s and retries included. */
  requests: number;
  /** Requests answered 304 Not Modified. */
  notModified: number;
  /** The lowest `X-RateLimit-Remaining` / `RateLimit-Remaining` seen, if any. */
  rateLimitRemaining?: number;
  /** GraphQL rate-limit points spent (`rateLimit { cost }` in the answer, else 1 per query). */
  graphqlCost?: number;
}

export interface ScmResponse {
  status: number;
  headers: Headers;
  text: string;
  /** True when the server answered 304 and `text` is the cached body. */
  notModified: boolean;
  json<T = unknown>(): T;
}

export interface ScmRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Use (and fill) the ETag cache. Default true for GET. */
  cache?: boolean;
}

/** Waiting for the rate limit would take longer than allowed (or more retries than allowed). */
export class RateLimitError extends Error {
  /** When the host said the limit resets, if it said. */
  readonly resetAt?: Date;
  constructor(message: string, resetAt?: Date) {
    super(message);
    this.name = 'RateLimitError';
    this.resetAt = resetAt;
  }
}

/** The run's request budget is spent: the caller stops and reports an incomplete result. */
export class BudgetExceededError extends Error {
  readonly budget: number;
  constructor(budget: number) {
    super(`The budget of ${budget} requests for this run is spent`);
    this.name = 'BudgetExceededError';
    this.budget = budget;
  }
}

export interface ScmHttpClientOptions {
  policy: () => ReadingPolicy;
  /**
   * Requests allowed between two {@link ScmHttpClient.resetCost} calls, 304s not counted (they
   * do not spend the host's limit); unlimited if absent.
   */
  budget?: number;
  /** Retries of one request after a rate-limit answer or a 502/503/504. Default 5. */
  maxRetries?: number;
  /** Total time one request may spend waiting (rate limits and backoff). Default 60 s. */
  maxWaitMs?: number;
  logger?: Logger;
  /** First backoff step when the host gives no time to wait. Default 1 s. */
  backoffMs?: number;
  /** ETag cache bounds. Defaults 20,000 entries, 64 MiB of bodies. */
  cacheEntries?: number;
  cacheBytes?: number;
  /** Largest body read. Default 32 MiB. */
  maxBodyBytes?: number;
  /** For tests: the clock and the sleep. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface CachedEntry {
  etag: string;
  status: number;
  headers: [string, string][];
  text: string;
}

/** The rate-limit state last seen for one bucket (host, REST or GraphQL). */
interface LimitState {
  remaining: number;
  resetMs?: number;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);
/** Added to a reset time: the host's clock and ours differ by a little. */
const RESET_MARGIN_MS = 1000;

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('The request was cancelled');
  error.name = 'AbortError';
  return error;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function numberHeader(headers: Headers, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null && value.trim() !== '' && Number.isFinite(Number(value))) {
      return Number(value);
    }
  }
  return undefined;
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from `now`. */
function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => {
    pairs.push([name, value]);
  });
  return pairs;
}

function isGraphqlUrl(url: URL): boolean {
  return /\/graphql\/?$/.test(url.pathname);
}

export class ScmHttpClient {
  private readonly options: ScmHttpClientOptions;
  private readonly cache = new Map<string, CachedEntry>();
  private cacheSize = 0;
  private readonly limits = new Map<string, LimitState>();
  private counters: ScanCost = { requests: 0, notModified: 0 };
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: ScmHttpClientOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Conditional GET with the cached ETag (304 → cached body, notModified true); counts requests;
   * waits for `Retry-After` / `X-RateLimit-Reset` when remaining is 0 or on 403/429 rate-limit
   * answers (exponential backoff with jitter, bounded by maxRetries/maxWaitMs and the signal).
   * Answers other than rate limits (404, 401, …) are returned, not thrown.
   */
  async request(url: string, init: ScmRequestInit = {}): Promise<ScmResponse> {
    const method = (init.method ?? 'GET').toUpperCase();
    const parsed = new URL(url);
    const bucket = `${parsed.host.toLowerCase()}${isGraphqlUrl(parsed) ? ' graphql' : ''}`;
    const useCache = (init.cache ?? true) && method === 'GET';
    const headers: Record<string, string> = { ...init.headers };
    const cacheKey = useCache ? this.cacheKey(url, headers) : undefined;
    const maxRetries = this.options.maxRetries ?? 5;
    const maxWaitMs = this.options.maxWaitMs ?? 60_000;
    let waited = 0;

    const waitFor = async (ms: number, why: string, resetAt?: Date) => {
      if (waited + ms > maxWaitMs) {
        throw new RateLimitError(
          `${why} for ${parsed.host}: waiting ${Math.ceil(ms / 1000)} s more would exceed the ${Math.ceil(maxWaitMs / 1000)} s allowed` +
            (resetAt ? ` (the limit resets at ${resetAt.toISOString()})` : ''),
          resetAt,
        );
      }
      this.options.logger?.warn(`${why}; waiting before the next request`, {
        host: parsed.host,
        waitMs: Math.round(ms),
      });
      waited += ms;
      await this.sleep(ms, init.signal);
    };

    for (let attempt = 0; ; attempt++) {
      if (init.signal?.aborted) throw abortError(init.signal);
      // Remaining 0 seen before: wait for the reset instead of spending a request on a refusal.
      const known = this.limits.get(bucket);
      if (known && known.remaining <= 0 && known.resetMs !== undefined) {
        const until = known.resetMs + RESET_MARGIN_MS - this.now();
        if (until > 0) {
          await waitFor(until, 'Rate limit exhausted', new Date(known.resetMs));
        }
        this.limits.delete(bucket);
      }
      // 304s are free on GitHub, so they do not spend the budget either.
      const spent = this.counters.requests - this.counters.notModified;
      if (this.options.budget !== undefined && spent >= this.options.budget) {
        throw new BudgetExceededError(this.options.budget);
      }
      const cached = cacheKey ? this.cache.get(cacheKey) : undefined;
      const sent = { ...headers };
      if (cached) sent['if-none-match'] = cached.etag;

      const policy = this.options.policy();
      // Checked here too so that a refused URL is not counted as a request sent.
      assertAllowedUrl(parsed, policy, url);
      this.counters.requests++;
      const response = await fetchAllowed(
        parsed,
        { method, headers: sent, body: init.body, signal: init.signal },
        { policy },
      );
      this.observeLimits(bucket, response.headers);

      if (response.status === 304 && cached) {
        await response.body?.cancel();
        this.counters.notModified++;
        if (cacheKey) this.touch(cacheKey, cached);
        const merged = new Headers(cached.headers);
        response.headers.forEach((value, name) => {
          merged.set(name, value);
        });
        return this.response(cached.status, merged, cached.text, true);
      }

      let wait = this.rateLimitWait(response, attempt);
      let text: string | undefined;
      if (wait === undefined && response.status === 403) {
        // GitHub's secondary limits may come without headers, named only in the message.
        text = await this.readText(response, parsed);
        if (/secondary rate limit|abuse detection|rate limit exceeded/i.test(text)) {
          wait = { ms: this.backoff(attempt) };
        }
      }
      if (wait !== undefined || RETRYABLE_STATUS.has(response.status)) {
        if (text === undefined) await response.body?.cancel();
        if (attempt >= maxRetries) {
          throw new RateLimitError(
            `${parsed.host} answered ${response.status} to ${method} ${parsed.pathname} ${attempt + 1} times; giving up`,
            wait?.resetAt,
          );
        }
        const ms = wait?.ms ?? this.backoff(attempt);
        await waitFor(
          ms,
          wait ? `Rate limited (HTTP ${response.status})` : `HTTP ${response.status}`,
          wait?.resetAt,
        );
        // The wait above was for this refusal; the retry needs no second wait for the reset.
        this.limits.delete(bucket);
        continue;
      }

      text ??= await this.readText(response, parsed);
      if (isGraphqlUrl(parsed) && response.ok) this.countGraphql(text);
      const etag = response.headers.get('etag');
      if (cacheKey && etag && response.status === 200) {
        this.store(cacheKey, {
          etag,
          status: response.status,
          headers: headerPairs(response.headers),
          text,
        });
      }
      return this.response(response.status, response.headers, text, false);
    }
  }

  /** Counters since construction or the last {@link resetCost}. */
  cost(): ScanCost {
    return { ...this.counters };
  }

  /** Starts a new run: counters (and the budget) from zero; the ETag cache stays. */
  resetCost(): void {
    this.counters = { requests: 0, notModified: 0 };
  }

  private response(status: number, headers: Headers, text: string, notModified: boolean) {
    return {
      status,
      headers,
      text,
      notModified,
      json<T = unknown>(): T {
        return JSON.parse(text) as T;
      },
    };
  }

  private async readText(response: Response, url: URL): Promise<string> {
    const body = await readCappedBody(
      response,
      this.options.maxBodyBytes ?? 32 * 1024 * 1024,
      () => new Error(`The answer of ${url.host} to ${url.pathname} is too large`),
    );
    return body.toString('utf8');
  }

  private cacheKey(url: string, headers: Record<string, string>): string {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    // The same URL answers differently per media type and per identity.
    return `${url}\n${lower.accept ?? ''}\n${lower.authorization ?? lower['private-token'] ?? ''}`;
  }

  private observeLimits(bucket: string, headers: Headers): void {
    const remaining = numberHeader(headers, 'x-ratelimit-remaining', 'ratelimit-remaining');
    if (remaining === undefined) return;
    if (
      this.counters.rateLimitRemaining === undefined ||
      remaining < this.counters.rateLimitRemaining
    ) {
      this.counters.rateLimitRemaining = remaining;
    }
    const reset = numberHeader(headers, 'x-ratelimit-reset', 'ratelimit-reset');
    this.limits.set(bucket, { remaining, resetMs: reset === undefined ? undefined : reset * 1000 });
  }

  /**
   * How long to wait before retrying, when `response` is a rate-limit refusal: 429, or 403 with
   * remaining 0, a `Retry-After`, or GitHub's "secondary rate limit" wording. Undefined otherwise.
   */
  private rateLimitWait(
    response: Response,
    attempt: number,
  ): { ms: number; resetAt?: Date } | undefined {
    if (response.status !== 429 && response.status !== 403) return undefined;
    const headers = response.headers;
    const now = this.now();
    const remaining = numberHeader(headers, 'x-ratelimit-remaining', 'ratelimit-remaining');
    const reset = numberHeader(headers, 'x-ratelimit-reset', 'ratelimit-reset');
    const after = retryAfterMs(headers, now);
    const limited = response.status === 429 || remaining === 0 || after !== undefined;
    if (!limited) return undefined;
    const resetAt = reset !== undefined ? new Date(reset * 1000) : undefined;
    if (after !== undefined) return { ms: Math.max(after, 0), resetAt };
    if (remaining === 0 && reset !== undefined) {
      return { ms: Math.max(reset * 1000 + RESET_MARGIN_MS - now, 0), resetAt };
    }
    return { ms: this.backoff(attempt), resetAt };
  }

  /** Exponential backoff with jitter: half the step fixed, half random. */
  private backoff(attempt: number): number {
    const step = (this.options.backoffMs ?? 1000) * 2 ** attempt;
    return step / 2 + Math.random() * (step / 2);
  }

  private countGraphql(text: string): void {
    let cost = 1;
    try {
      const parsed = JSON.parse(text) as { data?: { rateLimit?: { cost?: unknown } } };
      const reported = parsed?.data?.rateLimit?.cost;
      if (typeof reported === 'number') cost = reported;
    } catch {
      // Not JSON: counted as one point, the least a query costs.
    }
    this.counters.graphqlCost = (this.counters.graphqlCost ?? 0) + cost;
  }

  private store(key: string, entry: CachedEntry): void {
    const size = entry.text.length;
    const maxBytes = this.options.cacheBytes ?? 64 * 1024 * 1024;
    if (size > maxBytes) return;
    this.drop(key);
    this.cache.set(key, entry);
    this.cacheSize += size;
    const maxEntries = this.options.cacheEntries ?? 20_000;
    // Map order is insertion order, refreshed on use: the first key is the least recently used.
    while (this.cache.size > maxEntries || this.cacheSize > maxBytes) {
      const oldest = this.cache.keys().next().value as string;
      this.drop(oldest);
    }
  }

  private touch(key: string, entry: CachedEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
  }

  private drop(key: string): void {
    const entry = this.cache.get(key);
    if (!entry) return;
    this.cache.delete(key);
    this.cacheSize -= entry.text.length;
  }
}
