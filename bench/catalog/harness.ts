/**
 * The one way the catalog benchmarks (bench/catalog/run.ts, bench/load/run.ts) start an Atrium
 * server and measure it: a child process `node bin/atrium.mjs start --config <generated
 * app-config.yaml>` on SQLite or a fresh PostgreSQL database, HTTP helpers, latency figures,
 * the cursor walk, /proc readings (RSS, CPU) and the results bookkeeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO, 'bin/atrium.mjs');

export type Engine = 'sqlite' | 'pg';

export function parseEngines(value: string): Engine[] {
  const engines = value.split(',').map((s) => s.trim()) as Engine[];
  for (const e of engines)
    if (e !== 'sqlite' && e !== 'pg') throw new Error(`unknown engine ${e} (sqlite, pg)`);
  if (engines.includes('pg') && !process.env.ATRIUM_TEST_PG) {
    process.stderr.write(
      'pg engine needs ATRIUM_TEST_PG (admin connection string). Use `bash bench/catalog/run.sh …`, which starts a throwaway PostgreSQL, or pass --engines sqlite.\n',
    );
    process.exit(2);
  }
  return engines;
}

// ---------------------------------------------------------------- process bookkeeping

const live = new Set<ChildProcess>();
function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping servers\n`);
    killAll();
    process.exit(130);
  });
}

export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();
/** Absolute time in ms (comparable across worker threads). */
export const clock = () => performance.timeOrigin + performance.now();
export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** The 1, 5 and 15 minute load averages (what `uptime` prints) and when they were read. */
export interface Load {
  at: string;
  load1: number;
  load5: number;
  load15: number;
}
export function machineLoad(): Load {
  const [l1, l5, l15] = loadavg();
  return {
    at: new Date().toISOString(),
    load1: round(l1!, 2),
    load5: round(l5!, 2),
    load15: round(l15!, 2),
  };
}
export const formatLoad = (l: Load) => `${l.load1} / ${l.load5} / ${l.load15}`;

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------- HTTP

export interface HttpInit {
  method?: string;
  body?: unknown;
  timeoutMs?: number;
}

/** Node's global fetch (undici inside) keeps connections alive between calls. */
export async function httpUrl(
  url: string,
  init: HttpInit = {},
): Promise<{ status: number; text: string; ms: number }> {
  const started = now();
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 60_000),
  });
  const text = await res.text();
  return { status: res.status, text, ms: now() - started };
}

/** A request to the catalog API: `path` is relative to `/api/catalog`. */
export function http(base: string, path: string, init: HttpInit = {}) {
  return httpUrl(`${base}/api/catalog${path}`, init);
}

export async function getJson<T>(base: string, path: string, timeoutMs?: number): Promise<T> {
  const r = await http(base, path, { timeoutMs });
  if (r.status !== 200) throw new Error(`GET ${path} → ${r.status}: ${r.text.slice(0, 500)}`);
  return JSON.parse(r.text) as T;
}

export async function totalItems(base: string, timeoutMs?: number): Promise<number> {
  return (await getJson<{ totalItems: number }>(base, '/entities/by-query?limit=0', timeoutMs))
    .totalItems;
}

// ---------------------------------------------------------------- builds

/**
 * Brings dist/server (bin/build.mjs) and dist/web up to date before a server is timed, so a
 * start never includes a build (others edit src/ while benchmarks run). Returns what it did.
 */
export async function ensureBuilds(): Promise<{ ms: number; note?: string }> {
  const started = now();
  const notes: string[] = [];
  try {
    const build = (await import(join(REPO, 'bin/build.mjs'))) as {
      ensureServerBuild?: (o: { log: (m: string) => void }) => Promise<string>;
    };
    if (build.ensureServerBuild) await build.ensureServerBuild({ log: (m) => notes.push(m) });
  } catch (error) {
    notes.push(`server build check failed: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const web = await import('../../src/cli/web-build.ts');
    const { createLogger } = await import('../../src/core/logger.ts');
    await web.ensureWebBuild(createLogger({ level: 'warn' }));
  } catch (error) {
    notes.push(`web build check failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const ms = round(now() - started, 0);
  if (notes.length) log(`builds: ${notes.join('; ')} (${ms} ms)`);
  return { ms, ...(notes.length ? { note: notes.join('; ') } : {}) };
}

// ---------------------------------------------------------------- server

export interface Server {
  child: ChildProcess;
  pid: number;
  base: string;
  logFile: string;
  /** performance.now() at spawn. */
  spawnedAt: number;
  /** clock() at spawn. */
  spawnedClock: number;
  spawnedIso: string;
  exited: { code: number | null; signal: string | null } | undefined;
}

export function startServer(
  dir: string,
  configFile: string,
  port: number,
  logName: string,
): Server {
  const logFile = join(dir, logName);
  const fd = openSync(logFile, 'a');
  const spawnedAt = now();
  const spawnedClock = clock();
  const spawnedIso = new Date().toISOString();
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    cwd: dir,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  live.add(child);
  const server: Server = {
    child,
    pid: child.pid!,
    base: `http://127.0.0.1:${port}`,
    logFile,
    spawnedAt,
    spawnedClock,
    spawnedIso,
    exited: undefined,
  };
  child.on('exit', (code, signal) => {
    server.exited = { code, signal };
    live.delete(child);
  });
  return server;
}

export function logTail(server: Server, lines = 30): string {
  try {
    return readFileSync(server.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The server rebuilt dist/server or dist/web before listening (sources changed meanwhile). */
export function serverBuiltAtStart(server: Server): boolean {
  try {
    return /rebuilt dist\/server|Built the server|Web app sources changed|Building the web app/.test(
      readFileSync(server.logFile, 'utf8'),
    );
  } catch {
    return false;
  }
}

export function assertAlive(server: Server) {
  if (server.exited) {
    throw new Error(
      `server exited (code ${server.exited.code}, signal ${server.exited.signal}); log tail:\n${logTail(server)}`,
    );
  }
}

export async function stopServer(server: Server): Promise<void> {
  if (server.exited) return;
  server.child.kill('SIGTERM');
  const deadline = Date.now() + 30_000;
  while (!server.exited && Date.now() < deadline) await sleep(50);
  if (!server.exited) {
    log(`server ${server.pid} ignored SIGTERM for 30 s; killing`);
    server.child.kill('SIGKILL');
    while (!server.exited) await sleep(50);
  }
}

export function procStatus(pid: number): { hwmMB?: number; rssMB?: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Number(m[1]) / 1024 : undefined;
    };
    return { hwmMB: kb('VmHWM'), rssMB: kb('VmRSS') };
  } catch {
    return {};
  }
}

/** CPU time (user + system, all threads) of a process in ms, from /proc (NaN when gone). */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Polls until the server answers HTTP at all; returns ms since spawn. */
export async function waitListening(server: Server, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    assertAlive(server);
    try {
      await http(server.base, '/entities/by-query?limit=0', { timeoutMs });
      return now() - server.spawnedAt;
    } catch {
      await sleep(25);
    }
  }
  throw new Error(
    `server did not listen within ${timeoutMs / 1000} s; log tail:\n${logTail(server)}`,
  );
}

/**
 * Waits until the server process is idle: under `maxPct`% of one core over `windowMs`
 * (search indexing, docs builds and other background work after a phase have finished).
 * Returns ms waited and whether it became idle before `timeoutMs`.
 */
export async function waitIdle(
  server: Server,
  opts: { timeoutMs: number; windowMs?: number; maxPct?: number },
): Promise<{ ms: number; idle: boolean }> {
  const windowMs = opts.windowMs ?? 2000;
  const maxPct = opts.maxPct ?? 10;
  const started = now();
  const samples: Array<{ t: number; cpu: number }> = [];
  while (now() - started < opts.timeoutMs) {
    assertAlive(server);
    const t = now();
    samples.push({ t, cpu: cpuMs(server.pid) });
    while (samples.length > 1 && t - samples[1]!.t >= windowMs) samples.shift();
    const first = samples[0]!;
    if (t - first.t >= windowMs) {
      const pct = ((samples[samples.length - 1]!.cpu - first.cpu) / (t - first.t)) * 100;
      if (pct < maxPct) return { ms: round(now() - started - windowMs, 0), idle: true };
    }
    await sleep(250);
  }
  return { ms: round(now() - started, 0), idle: false };
}

// ---------------------------------------------------------------- config

export const ALL_KINDS = [
  'Component',
  'API',
  'Location',
  'System',
  'Domain',
  'Resource',
  'Group',
  'User',
];

export interface ConfigOptions {
  port: number;
  database: Record<string, unknown>;
  locations: Array<{ type: 'file'; target: string }>;
  /** The catalog benchmark's old config: `catalog.refresh.interval: false`. */
  refreshOff: boolean;
  kinds: string[];
  /** Where the local techdocs publisher writes sites (inside the run's temp dir). */
  techdocsDir: string;
}

/**
 * The app-config.yaml of a benchmark server. Everything not listed is the server's default
 * (src/core/config/schema.ts): catalog refresh every 120 s, techdocs builder `local` with
 * `buildOnStart: true`, search indexing on.
 */
export function writeAppConfig(file: string, o: ConfigOptions) {
  writeFileSync(
    file,
    stringify({
      backend: { listen: { host: '127.0.0.1', port: o.port }, database: o.database },
      catalog: {
        ...(o.refreshOff ? { refresh: { interval: false } } : {}),
        // Atrium allows every kind when rules are unset; listed so a Backstage-default
        // server (Component, API, Location only) would ingest the same set.
        rules: [{ allow: o.kinds }],
        locations: o.locations,
      },
      techdocs: { publisher: { type: 'local', local: { publishDirectory: o.techdocsDir } } },
    }),
  );
}

// ---------------------------------------------------------------- locations

export interface LocationStatus {
  id: string;
  lastReadAt: string | null;
  readMs: number | null;
  entityCount: number;
  problems: Array<{ level: string; message: string; file?: string }>;
}

export async function findLocation(
  base: string,
  target: string,
): Promise<{ id: string; entityRef: string }> {
  const list = await getJson<
    Array<{ data: { id: string; type: string; target: string; entityRef: string } }>
  >(base, '/locations');
  const found = list.map((l) => l.data).find((l) => l.type === 'file' && l.target === target);
  if (!found)
    throw new Error(
      `GET /locations does not list file:${target}: ${JSON.stringify(list).slice(0, 500)}`,
    );
  return found;
}

/**
 * Polls (every 100 ms) until `totalItems` reaches `expected`, or the location of `target`
 * reports its read finished while the count is short (then waits 0.5 s for other locations
 * and takes the count as it is). Returns ms from spawn to that moment.
 */
export async function waitIngested(
  server: Server,
  target: string,
  expected: number,
  timeoutMs: number,
  tag: string,
): Promise<{
  queryableMs: number;
  count: number;
  status?: LocationStatus;
  loc?: { id: string; entityRef: string };
}> {
  let count = 0;
  let status: LocationStatus | undefined;
  let loc: { id: string; entityRef: string } | undefined;
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    assertAlive(server);
    count = await totalItems(server.base, timeoutMs);
    if (count >= expected) return { queryableMs: now() - server.spawnedAt, count, status, loc };
    loc ??= await findLocation(server.base, target).catch(() => undefined);
    if (loc) {
      status = await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`);
      if (status.lastReadAt) {
        await sleep(500);
        count = await totalItems(server.base);
        return { queryableMs: now() - server.spawnedAt, count, status, loc };
      }
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(
        `${tag}: still ingesting, totalItems=${count}, ${round((now() - server.spawnedAt) / 1000, 0)} s`,
      );
    }
    await sleep(100);
  }
  throw new Error(
    `ingest not done within ${timeoutMs / 1000} s (totalItems ${count}/${expected}); log tail:\n${logTail(server)}`,
  );
}

export const generatedLocationRef = (target: string) =>
  `location:default/generated-${createHash('sha1').update(`file:${target}`).digest('hex')}`;

// ---------------------------------------------------------------- database

export interface Db {
  config: Record<string, unknown>;
  size(): Promise<{ totalMB: number; detail: Record<string, number> }>;
  /** pg: the server clock now (to compare with pg_stat_user_tables); sqlite: undefined. */
  clock(): Promise<string | undefined>;
  /**
   * pg: waits until autovacuum (or anyone) has ANALYZEd the catalog tables after `since`,
   * so latencies are measured with planner statistics; returns ms waited, or undefined.
   */
  waitAnalyzed(
    since: string | undefined,
    timeoutMs: number,
  ): Promise<{ ms: number; done: boolean } | undefined>;
  drop(): Promise<void>;
}

export async function freshDb(engine: Engine, dir: string, label: string): Promise<Db> {
  if (engine === 'sqlite') {
    const file = join(dir, 'atrium.sqlite');
    return {
      config: { client: 'better-sqlite3', connection: { filename: file } },
      async size() {
        const detail: Record<string, number> = {};
        for (const suffix of ['', '-wal', '-shm']) {
          const f = `${file}${suffix}`;
          detail[`atrium.sqlite${suffix}`] = existsSync(f)
            ? round(statSync(f).size / 1048576, 2)
            : 0;
        }
        return {
          totalMB: round(detail['atrium.sqlite']! + detail['atrium.sqlite-wal']!, 2),
          detail,
        };
      },
      async clock() {
        return undefined;
      },
      async waitAnalyzed() {
        return undefined;
      },
      async drop() {},
    };
  }
  const admin = process.env.ATRIUM_TEST_PG!;
  const name = `atrium_bench_${label}_${Date.now().toString(36)}_${process.pid}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    config: { client: 'pg', connection: url.toString() },
    size: () =>
      withClient(async (client) => {
        const total = await client.query(
          'select pg_database_size(current_database())::bigint as n',
        );
        const tables = await client.query(
          "select relname, pg_total_relation_size(c.oid)::bigint as n from pg_class c join pg_namespace ns on ns.oid = c.relnamespace where relkind = 'r' and nspname not in ('pg_catalog','information_schema') order by 2 desc limit 8",
        );
        const detail: Record<string, number> = {};
        for (const r of tables.rows) detail[r.relname] = round(Number(r.n) / 1048576, 2);
        return { totalMB: round(Number(total.rows[0].n) / 1048576, 2), detail };
      }),
    clock: () =>
      withClient(
        async (client) => (await client.query('select now()::text as t')).rows[0].t as string,
      ),
    async waitAnalyzed(since, timeoutMs) {
      if (!since) return undefined;
      const started = now();
      return withClient(async (client) => {
        while (now() - started < timeoutMs) {
          const r = await client.query(
            `select count(*)::int as n from pg_stat_user_tables
              where relname in ('catalog_entities', 'catalog_search', 'catalog_relations')
                and greatest(coalesce(last_autoanalyze, '-infinity'), coalesce(last_analyze, '-infinity')) > $1::timestamptz`,
            [since],
          );
          if (r.rows[0].n >= 3) return { ms: round(now() - started, 0), done: true };
          await sleep(1000);
        }
        return { ms: round(now() - started, 0), done: false };
      });
    },
    async drop() {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

// ---------------------------------------------------------------- measurements

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface LatencyResult {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** The very first request of this figure (before warm-up), in ms: shows caching effects. */
  firstMs: number;
  example: string;
  /** A fact about the answer, to show the query did real work (items, totalItems, facet values). */
  answer: string;
}

export interface LatencyOptions {
  requests: number;
  warmup: number;
  requestTimeoutMs: number;
  /** Time after which the figure stops early (after at least 20 requests). */
  budgetMs: number;
}

/** `requests` sequential GETs of `makePath(i)` after `warmup` unrecorded ones. */
export async function latency(
  base: string,
  makePath: (i: number) => string,
  describe: (body: unknown) => string,
  o: LatencyOptions,
): Promise<LatencyResult> {
  const times: number[] = [];
  let errors = 0;
  let firstError = '';
  let answer = '';
  let stopped = '';
  let firstMs = Number.NaN;
  const started = now();
  const attempt = async (i: number, record: boolean, t0: number) => {
    try {
      const r = await http(base, makePath(i), { timeoutMs: o.requestTimeoutMs });
      if (record) times.push(r.ms);
      if (r.status !== 200) {
        errors++;
        firstError ||= `${r.status} ${r.text.slice(0, 200)}`;
      } else if (record && !answer) {
        answer = describe(JSON.parse(r.text));
      }
    } catch (error) {
      // A timed-out request counts as an error at its elapsed time; three end the figure.
      if (record) times.push(now() - t0);
      errors++;
      firstError ||= `${(error as Error).name}: ${(error as Error).message} after ${round(now() - t0, 0)} ms`;
    }
  };
  const one = async (i: number, record: boolean) => {
    const t0 = now();
    try {
      return await attempt(i, record, t0);
    } finally {
      if (Number.isNaN(firstMs)) firstMs = now() - t0;
    }
  };
  for (let i = 0; i < o.warmup && errors < 3; i++) await one(-1 - i, false);
  for (let i = 0; i < o.requests; i++) {
    if (errors >= 3) {
      stopped = `stopped after ${i} requests: ${errors} errors`;
      break;
    }
    if (now() - started > o.budgetMs && i >= 20) {
      stopped = `stopped after ${i} requests: time budget ${o.budgetMs / 1000} s used`;
      break;
    }
    await one(i, true);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const notes = [errors ? `${errors} errors, first: ${firstError}` : '', stopped]
    .filter(Boolean)
    .join('; ');
  return {
    requests: times.length,
    errors,
    p50: round(percentile(sorted, 0.5), 2),
    p95: round(percentile(sorted, 0.95), 2),
    p99: round(percentile(sorted, 0.99), 2),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
    mean: round(times.reduce((s, t) => s + t, 0) / Math.max(1, times.length), 2),
    firstMs: round(firstMs, 2),
    example: makePath(0),
    answer: notes ? `${answer} (${notes})` : answer,
  };
}

export interface Walk {
  ms: number;
  pages: number;
  items: number;
  unique: number;
  slowestPageMs: number;
  firstPageMs: number;
  lastPageMs: number;
}

/** One pass over every entity with `by-query` cursors, `pageSize` at a time. */
export async function walk(base: string, pageSize: number, timeoutMs: number): Promise<Walk> {
  const started = now();
  let pages = 0;
  let items = 0;
  let slowest = 0;
  let first = 0;
  let last = 0;
  const uids = new Set<string>();
  let path = `/entities/by-query?limit=${pageSize}`;
  for (;;) {
    const r = await http(base, path, { timeoutMs });
    if (r.status !== 200)
      throw new Error(`walk page ${pages + 1}: ${r.status} ${r.text.slice(0, 300)}`);
    const body = JSON.parse(r.text) as {
      items: Array<{ metadata: { uid: string } }>;
      pageInfo: { nextCursor?: string };
    };
    pages++;
    if (pages === 1) first = r.ms;
    last = r.ms;
    slowest = Math.max(slowest, r.ms);
    items += body.items.length;
    for (const e of body.items) uids.add(e.metadata.uid);
    if (!body.pageInfo.nextCursor) break;
    if (now() - started > timeoutMs)
      throw new Error(`walk exceeded ${timeoutMs / 1000} s after ${pages} pages`);
    path = `/entities/by-query?cursor=${encodeURIComponent(body.pageInfo.nextCursor)}&limit=${pageSize}`;
  }
  return {
    ms: round(now() - started, 0),
    pages,
    items,
    unique: uids.size,
    slowestPageMs: round(slowest, 1),
    firstPageMs: round(first, 1),
    lastPageMs: round(last, 1),
  };
}

/** Content hash of src/ when the run started: ties figures to the code they measured. */
export function srcHash(): string {
  const h = createHash('sha1');
  const walkDir = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walkDir(p);
      else if (entry.isFile()) h.update(p).update(readFileSync(p));
    }
  };
  walkDir(join(REPO, 'src'));
  return h.digest('hex').slice(0, 12);
}

/** `<prefix>-<ISO time>.json` under `dir`, safe as a file name. */
export function resultsFile(dir: string, prefix: string): { file: string; stamp: string } {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return { file: join(dir, `${prefix}-${stamp}.json`), stamp };
}
