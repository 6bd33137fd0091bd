import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type RecordingServer,
  startRecordingServer,
} from '../../../test/helpers/recording-server.ts';
import type { ReadingPolicy } from './allow-list.ts';
import {
  BudgetExceededError,
  RateLimitError,
  ScmHttpClient,
  type ScmHttpClientOptions,
} from './scm-http.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Answers each request with the next scripted handler; the last one repeats. */
let script: Handler[] = [];
let served = 0;
let server: RecordingServer;

beforeAll(async () => {
  server = await startRecordingServer((request, response) => {
    const handler = script[Math.min(served, script.length - 1)]!;
    served++;
    handler(request, response);
  });
});
afterAll(() => server.close());
beforeEach(() => {
  script = [];
  served = 0;
  server.requests.length = 0;
});

const NOW = 1_700_000_000_000;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
};

function client(options: Partial<ScmHttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const policy: ReadingPolicy = { allow: [{ host: server.host }] };
  const http = new ScmHttpClient({
    policy: () => policy,
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    backoffMs: 100,
    ...options,
  });
  return { http, sleeps };
}

describe('ScmHttpClient', () => {
  it('sends the cached ETag and answers a 304 with the cached body', async () => {
    script = [
      json(200, { n: 1 }, { etag: '"v1"', link: '<next>; rel="next"' }),
      (request, response) => {
        expect(request.headers['if-none-match']).toBe('"v1"');
        response.writeHead(304, { etag: '"v1"', 'x-ratelimit-remaining': '4999' }).end();
      },
    ];
    const { http } = client();
    const first = await http.request(`${server.base}/repos/o/r`, { headers: { accept: 'a' } });
    expect(first).toMatchObject({ status: 200, notModified: false });
    const second = await http.request(`${server.base}/repos/o/r`, { headers: { accept: 'a' } });
    expect(second.notModified).toBe(true);
    expect(second.status).toBe(200);
    expect(second.json()).toEqual({ n: 1 });
    // Headers of the cached answer stay (paging), the 304's own are laid over them.
    expect(second.headers.get('link')).toBe('<next>; rel="next"');
    expect(second.headers.get('x-ratelimit-remaining')).toBe('4999');
    expect(http.cost()).toEqual({ requests: 2, notModified: 1, rateLimitRemaining: 4999 });
    expect(server.requests[0]!.headers['if-none-match']).toBeUndefined();
  });

  it('keys the cache by URL and media type, and skips it for POST and cache: false', async () => {
    script = [json(200, {}, { etag: '"x"' })];
    const { http } = client();
    await http.request(`${server.base}/a`, { headers: { accept: 'raw' } });
    await http.request(`${server.base}/a`, { headers: { accept: 'json' } });
    await http.request(`${server.base}/a`, { headers: { accept: 'raw' }, cache: false });
    await http.request(`${server.base}/a`, { method: 'POST', body: '{}' });
    await http.request(`${server.base}/a`, { headers: { accept: 'raw' } });
    expect(server.requests.map((r) => r.headers['if-none-match'] ?? null)).toEqual([
      null,
      null,
      null,
      null,
      '"x"',
    ]);
  });

  it('bounds the cache: the least recently used entry goes first', async () => {
    script = [json(200, {}, { etag: '"e"' })];
    const { http } = client({ cacheEntries: 1 });
    await http.request(`${server.base}/one`);
    await http.request(`${server.base}/two`);
    await http.request(`${server.base}/one`);
    expect(server.requests.map((r) => r.headers['if-none-match'] ?? null)).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('waits for X-RateLimit-Reset after a 403 with remaining 0, then retries', async () => {
    const reset = Math.floor(NOW / 1000) + 30;
    script = [
      json(
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
      json(200, { ok: true }, { 'x-ratelimit-remaining': '4999' }),
    ];
    const { http, sleeps } = client();
    const answer = await http.request(`${server.base}/x`);
    expect(answer.json()).toEqual({ ok: true });
    expect(sleeps).toEqual([31_000]);
    expect(http.cost()).toMatchObject({ requests: 2, rateLimitRemaining: 0 });
  });

  it('waits for Retry-After on a 429 (a secondary limit) and on a 403 naming one', async () => {
    script = [
      json(429, { message: 'slow down' }, { 'retry-after': '2' }),
      json(403, { message: 'You have exceeded a secondary rate limit' }),
      json(200, { ok: true }),
    ];
    const { http, sleeps } = client();
    expect((await http.request(`${server.base}/x`)).status).toBe(200);
    expect(sleeps[0]).toBe(2000);
    // No time given: backoff between half and all of the second step (100 ms × 2).
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
    expect(served).toBe(3);
  });

  it('returns a 403 that is not a rate limit as it is', async () => {
    script = [json(403, { message: 'Resource not accessible by integration' })];
    const { http, sleeps } = client();
    expect((await http.request(`${server.base}/x`)).status).toBe(403);
    expect(sleeps).toEqual([]);
  });

  it('does not spend a request after seeing remaining 0: waits for the reset first', async () => {
    const reset = Math.floor(NOW / 1000) + 10;
    script = [
      json(200, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }),
      json(200, {}, { 'x-ratelimit-remaining': '5000' }),
    ];
    const { http, sleeps } = client();
    await http.request(`${server.base}/a`);
    await http.request(`${server.base}/b`);
    expect(sleeps).toEqual([11_000]);
    expect(served).toBe(2);
  });

  it('keeps the GraphQL limit apart from the REST limit', async () => {
    const reset = Math.floor(NOW / 1000) + 10;
    script = [
      json(200, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }),
      json(200, { data: { rateLimit: { cost: 3 } } }),
    ];
    const { http, sleeps } = client();
    await http.request(`${server.base}/api/v3/x`);
    await http.request(`${server.base}/api/graphql`, { method: 'POST', body: '{}' });
    expect(sleeps).toEqual([]);
    expect(http.cost().graphqlCost).toBe(3);
  });

  it('throws RateLimitError when the wait would exceed maxWaitMs, without waiting', async () => {
    const reset = Math.floor(NOW / 1000) + 3600;
    script = [json(403, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })];
    const { http, sleeps } = client({ maxWaitMs: 60_000 });
    const error = await http.request(`${server.base}/x`).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.message).toMatch(/exceed the 60 s allowed/);
    expect((error as RateLimitError).resetAt?.getTime()).toBe(reset * 1000);
    expect(sleeps).toEqual([]);
    expect(served).toBe(1);
  });

  it('gives up after maxRetries', async () => {
    script = [json(429, {}, { 'retry-after': '0' })];
    const { http } = client({ maxRetries: 2 });
    await expect(http.request(`${server.base}/x`)).rejects.toThrow(
      /answered 429 to GET \/x 3 times/,
    );
    expect(served).toBe(3);
  });

  it('retries 502/503/504 with exponential backoff', async () => {
    script = [json(502, {}), json(503, {}), json(200, { ok: 1 })];
    const { http, sleeps } = client();
    expect((await http.request(`${server.base}/x`)).status).toBe(200);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('stops at the budget with BudgetExceededError (304s are free); resetCost starts a new run', async () => {
    script = [
      json(200, {}, { etag: '"1"' }),
      (_request, response) => response.writeHead(304, { etag: '"1"' }).end(),
      json(200, {}),
    ];
    const { http } = client({ budget: 2 });
    await http.request(`${server.base}/1`);
    await http.request(`${server.base}/1`);
    await http.request(`${server.base}/2`);
    await expect(http.request(`${server.base}/3`)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(served).toBe(3);
    http.resetCost();
    await http.request(`${server.base}/3`);
    expect(http.cost().requests).toBe(1);
  });

  it('reads GitLab RateLimit-* headers and keeps the lowest remaining', async () => {
    const reset = Math.floor(NOW / 1000) + 5;
    script = [
      json(200, {}, { 'ratelimit-remaining': '7', 'ratelimit-reset': String(reset) }),
      json(200, {}, { 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) }),
      json(200, {}, { 'ratelimit-remaining': '600' }),
    ];
    const { http, sleeps } = client();
    await http.request(`${server.base}/api/v4/a`);
    await http.request(`${server.base}/api/v4/b`);
    await http.request(`${server.base}/api/v4/c`);
    expect(sleeps).toEqual([6000]);
    expect(http.cost().rateLimitRemaining).toBe(0);
  });

  it('honours the signal while waiting', async () => {
    script = [json(429, {}, { 'retry-after': '30' })];
    const policy: ReadingPolicy = { allow: [{ host: server.host }] };
    const http = new ScmHttpClient({ policy: () => policy, maxWaitMs: 120_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await http
      .request(`${server.base}/x`, { signal: controller.signal })
      .catch((e) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends nothing to a host the reading policy does not allow', async () => {
    const http = new ScmHttpClient({ policy: () => ({ allow: [] }) });
    await expect(http.request(`${server.base}/x`)).rejects.toThrow(/backend\.reading\.allow/);
    expect(server.requests).toHaveLength(0);
    expect(http.cost().requests).toBe(0);
  });
});
