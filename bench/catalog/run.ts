/**
 * Catalog benchmark: ingests a generated catalog into a real Atrium server (a child process,
 * `node bin/atrium.mjs start`) and measures ingest, refresh, restart, memory, database size
 * and query latencies over HTTP.
 *
 *   npx tsx bench/catalog/run.ts --sizes 1000,10000 --engines sqlite,pg
 *   bash bench/catalog/run.sh --sizes 1000,10000          # starts a throwaway PostgreSQL
 *
 * pg needs ATRIUM_TEST_PG (an admin connection string); each run creates a fresh database
 * and drops it afterwards. Generated data is cached under bench/.data/, results are written
 * to bench/results/. See bench/README.md for what each figure means.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { generateCatalog, type Manifest, Prng, readManifest } from './generate.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const BIN = join(REPO, 'bin/atrium.mjs');

type Engine = 'sqlite' | 'pg';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    seed: { type: 'string', default: '1' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    'page-size': { type: 'string', default: '500' },
    /** Upper bound for each wait (ingest, refresh, restart, walk), in seconds. */
    timeout: { type: 'string', default: '900' },
    'data-dir': { type: 'string', default: join(REPO, 'bench/.data') },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
    'no-restart': { type: 'boolean', default: false },
    /** pg: wait up to this many seconds for autovacuum to ANALYZE the tables before latencies (0: don't). */
    'pg-analyze-wait': { type: 'string', default: '240' },
    /** Per-request timeout for the latency figures, in seconds. */
    'request-timeout': { type: 'string', default: '60' },
    /** Time after which a latency figure stops early (after at least 20 requests), in seconds. */
    'figure-budget': { type: 'string', default: '120' },
  },
});

const SIZES = args.sizes!.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
const ENGINES = args.engines!.split(',').map((s) => s.trim()) as Engine[];
const SEED = Number(args.seed);
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const PAGE_SIZE = Number(args['page-size']);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const REQUEST_TIMEOUT_MS = Number(args['request-timeout']) * 1000;
const FIGURE_BUDGET_MS = Number(args['figure-budget']) * 1000;
for (const e of ENGINES)
  if (e !== 'sqlite' && e !== 'pg') throw new Error(`unknown engine ${e} (sqlite, pg)`);
for (const n of SIZES) if (!Number.isInteger(n) || n < 10) throw new Error(`bad size ${n}`);
if (ENGINES.includes('pg') && !process.env.ATRIUM_TEST_PG) {
  process.stderr.write(
    'pg engine needs ATRIUM_TEST_PG (admin connection string). Use `bash bench/catalog/run.sh …`, which starts a throwaway PostgreSQL, or pass --engines sqlite.\n',
  );
  process.exit(2);
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

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function freePort(): Promise<number> {
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

/** Node's global fetch (undici inside) keeps connections alive between calls. */
async function http(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const started = now();
  const res = await fetch(`${base}/api/catalog${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 60_000),
  });
  const text = await res.text();
  return { status: res.status, text, ms: now() - started };
}

async function getJson<T>(base: string, path: string, timeoutMs?: number): Promise<T> {
  const r = await http(base, path, { timeoutMs });
  if (r.status !== 200) throw new Error(`GET ${path} → ${r.status}: ${r.text.slice(0, 500)}`);
  return JSON.parse(r.text) as T;
}

// ---------------------------------------------------------------- server

interface Server {
  child: ChildProcess;
  pid: number;
  base: string;
  logFile: string;
  spawnedAt: number;
  exited: { code: number | null; signal: string | null } | undefined;
}

function startServer(dir: string, configFile: string, port: number, logName: string): Server {
  const logFile = join(dir, logName);
  const fd = openSync(logFile, 'a');
  const spawnedAt = now();
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    cwd: dir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
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
    exited: undefined,
  };
  child.on('exit', (code, signal) => {
    server.exited = { code, signal };
    live.delete(child);
  });
  return server;
}

function logTail(server: Server, lines = 30): string {
  try {
    return readFileSync(server.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function assertAlive(server: Server) {
  if (server.exited) {
    throw new Error(
      `server exited (code ${server.exited.code}, signal ${server.exited.signal}); log tail:\n${logTail(server)}`,
    );
  }
}

async function stopServer(server: Server): Promise<void> {
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

function procStatus(pid: number): { hwmMB?: number; rssMB?: number } {
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

/** Polls until the server answers HTTP at all; returns ms since spawn. */
async function waitListening(server: Server): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    assertAlive(server);
    try {
      await http(server.base, '/entities/by-query?limit=0', { timeoutMs: TIMEOUT_MS });
      return now() - server.spawnedAt;
    } catch {
      await sleep(25);
    }
  }
  throw new Error(
    `server did not listen within ${TIMEOUT_MS / 1000} s; log tail:\n${logTail(server)}`,
  );
}

interface LocationStatus {
  id: string;
  lastReadAt: string | null;
  readMs: number | null;
  entityCount: number;
  problems: Array<{ level: string; message: string; file?: string }>;
}

async function rootLocation(
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

// ---------------------------------------------------------------- database

interface Db {
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

async function freshDb(engine: Engine, dir: string, n: number): Promise<Db> {
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
  const name = `atrium_bench_${n}_${Date.now().toString(36)}_${process.pid}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    config: { client: 'pg', connection: url.toString() },
    async size() {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const total = await client.query(
          'select pg_database_size(current_database())::bigint as n',
        );
        const tables = await client.query(
          "select relname, pg_total_relation_size(c.oid)::bigint as n from pg_class c join pg_namespace ns on ns.oid = c.relnamespace where relkind = 'r' and nspname not in ('pg_catalog','information_schema') order by 2 desc limit 8",
        );
        const detail: Record<string, number> = {};
        for (const r of tables.rows) detail[r.relname] = round(Number(r.n) / 1048576, 2);
        return { totalMB: round(Number(total.rows[0].n) / 1048576, 2), detail };
      } finally {
        await client.end();
      }
    },
    async clock() {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query('select now()::text as t')).rows[0].t as string;
      } finally {
        await client.end();
      }
    },
    async waitAnalyzed(since, timeoutMs) {
      if (!since) return undefined;
      const started = now();
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
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
      } finally {
        await client.end();
      }
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

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

interface LatencyResult {
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

async function latency(
  base: string,
  makePath: (i: number) => string,
  describe: (body: unknown) => string,
): Promise<LatencyResult> {
  const times: number[] = [];
  let errors = 0;
  let firstError = '';
  let answer = '';
  let stopped = '';
  let firstMs = Number.NaN;
  const started = now();
  const one = async (i: number, record: boolean) => {
    const t0 = now();
    try {
      return await attempt(i, record, t0);
    } finally {
      if (Number.isNaN(firstMs)) firstMs = now() - t0;
    }
  };
  const attempt = async (i: number, record: boolean, t0: number) => {
    try {
      const r = await http(base, makePath(i), { timeoutMs: REQUEST_TIMEOUT_MS });
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
  for (let i = 0; i < WARMUP && errors < 3; i++) await one(-1 - i, false);
  for (let i = 0; i < REQUESTS; i++) {
    if (errors >= 3) {
      stopped = `stopped after ${i} requests: ${errors} errors`;
      break;
    }
    if (now() - started > FIGURE_BUDGET_MS && i >= 20) {
      stopped = `stopped after ${i} requests: time budget ${FIGURE_BUDGET_MS / 1000} s used`;
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

interface Walk {
  ms: number;
  pages: number;
  items: number;
  unique: number;
  slowestPageMs: number;
  firstPageMs: number;
  lastPageMs: number;
}

async function walk(base: string): Promise<Walk> {
  const started = now();
  let pages = 0;
  let items = 0;
  let slowest = 0;
  let first = 0;
  let last = 0;
  const uids = new Set<string>();
  let path = `/entities/by-query?limit=${PAGE_SIZE}`;
  for (;;) {
    const r = await http(base, path, { timeoutMs: TIMEOUT_MS });
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
    if (now() - started > TIMEOUT_MS)
      throw new Error(`walk exceeded ${TIMEOUT_MS / 1000} s after ${pages} pages`);
    path = `/entities/by-query?cursor=${encodeURIComponent(body.pageInfo.nextCursor)}&limit=${PAGE_SIZE}`;
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

// ---------------------------------------------------------------- one run

interface RunResult {
  engine: Engine;
  n: number;
  seed: number;
  expected: number;
  expectedLogic: string;
  data: {
    dir: string;
    files: number;
    bytesMB: number;
    refs: number;
    danglingRefs: number;
    generatedMs?: number;
  };
  ingest: {
    listeningMs: number;
    queryableMs: number;
    totalItems: number;
    locationReadMs: number | null;
    problems: { errors: number; warnings: number; sample: string[] };
  };
  refresh: { ms: number; status: number; locationReadMs: number | null; totalItemsAfter: number };
  restart?: {
    listeningMs: number;
    readyMs: number;
    locationReadMs: number | null;
    totalItems: number;
    hwmMB?: number;
  };
  /** Restart with a config change that invalidates the file cache: a full re-read. */
  reread?: {
    listeningMs: number;
    readyMs: number;
    locationReadMs: number | null;
    totalItems: number;
    hwmMB?: number;
  };
  memory: { hwmMB?: number; rssMB?: number };
  pgAnalyzeWait?: { ms: number; done: boolean };
  database: { totalMB: number; detail: Record<string, number> };
  latency: Record<string, LatencyResult>;
  walk: Walk;
  notes: string[];
}

async function dataFor(
  n: number,
): Promise<{ dir: string; manifest: Manifest; generatedMs?: number }> {
  const dir = join(args['data-dir']!, `n${n}-seed${SEED}`);
  const cached = readManifest(dir, n, SEED);
  if (cached) {
    log(`n=${n}: reusing generated data in ${dir}`);
    return { dir, manifest: cached };
  }
  log(`n=${n}: generating into ${dir}`);
  const started = now();
  mkdirSync(dir, { recursive: true });
  const manifest = generateCatalog({ n, seed: SEED, dir });
  return { dir, manifest, generatedMs: round(now() - started, 0) };
}

async function runOne(engine: Engine, n: number): Promise<RunResult> {
  const notes: string[] = [];
  const { dir: dataDir, manifest, generatedMs } = await dataFor(n);
  const target = manifest.rootFile;
  const rootRef = `location:default/generated-${createHash('sha1').update(`file:${target}`).digest('hex')}`;
  // N generated entities + the Location entity in catalog-info.yaml + the Location entity
  // the catalog generates for the config location (location:default/generated-<sha1>).
  const expected = manifest.n + 2;
  const expectedLogic = `${manifest.n} generated + 1 Location in catalog-info.yaml (location:default/${manifest.rootLocationName}) + 1 generated root Location (${rootRef}) = ${expected}`;
  log(`${engine} n=${n}: expecting totalItems = ${expectedLogic}`);

  const work = mkdtempSync(join(tmpdir(), `atrium-bench-${engine}-${n}-`));
  const db = await freshDb(engine, work, n);
  const port = await freePort();
  const KINDS = ['Component', 'API', 'Location', 'System', 'Domain', 'Resource', 'Group', 'User'];
  const writeConfig = (file: string, kinds: string[]) =>
    writeFileSync(
      file,
      stringify({
        backend: { listen: { host: '127.0.0.1', port }, database: db.config },
        catalog: {
          refresh: { interval: false },
          // Atrium allows every kind when rules are unset; listed so a Backstage-default
          // server (Component, API, Location only) would ingest the same set.
          rules: [{ allow: kinds }],
          locations: [{ type: 'file', target }],
        },
      }),
    );
  const configFile = join(work, 'app-config.yaml');
  writeConfig(configFile, KINDS);
  // Same entities, but `catalog.rules` differ, which changes the server's processing
  // fingerprint and so invalidates its per-file cache: the next start re-reads every file.
  const rereadConfigFile = join(work, 'app-config.reread.yaml');
  writeConfig(rereadConfigFile, [...KINDS, 'Template']);

  let server: Server | undefined;
  try {
    // ---- ingest
    // Planner statistics gathered after this moment count as fresh (pg only).
    const ingestClock = await db.clock();
    server = startServer(work, configFile, port, 'server-1.log');
    const listeningMs = await waitListening(server);
    log(`${engine} n=${n}: listening after ${round(listeningMs, 0)} ms`);
    let totalItems = 0;
    let queryableMs = Number.NaN;
    let status: LocationStatus | undefined;
    let loc: { id: string; entityRef: string } | undefined;
    const deadline = Date.now() + TIMEOUT_MS;
    let lastReport = Date.now();
    while (Date.now() < deadline) {
      assertAlive(server);
      const body = await getJson<{ totalItems: number }>(
        server.base,
        '/entities/by-query?limit=0',
        TIMEOUT_MS,
      );
      totalItems = body.totalItems;
      if (totalItems >= expected) {
        queryableMs = now() - server.spawnedAt;
        break;
      }
      // The read is finished but short of the expected count: stop waiting, report it.
      loc ??= await rootLocation(server.base, target).catch(() => undefined);
      if (loc) {
        status = await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`);
        if (status.lastReadAt) {
          const recount = await getJson<{ totalItems: number }>(
            server.base,
            '/entities/by-query?limit=0',
          );
          totalItems = recount.totalItems;
          queryableMs = now() - server.spawnedAt;
          if (totalItems < expected)
            notes.push(`ingest finished with totalItems ${totalItems} < expected ${expected}`);
          break;
        }
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log(
          `${engine} n=${n}: still ingesting, totalItems=${totalItems}, ${round((now() - server.spawnedAt) / 1000, 0)} s`,
        );
      }
      await sleep(100);
    }
    if (Number.isNaN(queryableMs))
      throw new Error(
        `ingest not done within ${TIMEOUT_MS / 1000} s (totalItems ${totalItems}/${expected}); log tail:\n${logTail(server)}`,
      );
    if (totalItems > expected) notes.push(`totalItems ${totalItems} > expected ${expected}`);
    log(
      `${engine} n=${n}: ${totalItems} entities queryable after ${round(queryableMs / 1000, 2)} s`,
    );
    loc ??= await rootLocation(server.base, target);
    if (loc.entityRef !== rootRef)
      notes.push(`GET /locations entityRef ${loc.entityRef} differs from computed ${rootRef}`);
    // The count may become visible a moment before the read bookkeeping finishes.
    for (let i = 0; i < 100; i++) {
      status = await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`);
      if (status.lastReadAt) break;
      await sleep(100);
    }
    const problems = status?.problems ?? [];
    const ingestProblems = {
      errors: problems.filter((p) => p.level === 'error').length,
      warnings: problems.filter((p) => p.level !== 'error').length,
      sample: problems.slice(0, 5).map((p) => `${p.level}: ${p.message}`),
    };
    if (ingestProblems.errors)
      notes.push(
        `ingest reported ${ingestProblems.errors} error(s), e.g. ${ingestProblems.sample[0]}`,
      );

    // ---- refresh with nothing changed (explicit refresh = forced full re-read)
    const lastReadBefore = status?.lastReadAt;
    const refresh = await http(server.base, '/refresh', {
      method: 'POST',
      body: { entityRef: rootRef },
      timeoutMs: TIMEOUT_MS,
    });
    if (refresh.status !== 200)
      notes.push(`POST /refresh answered ${refresh.status}: ${refresh.text.slice(0, 200)}`);
    const statusAfter = await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`);
    if (statusAfter.lastReadAt === lastReadBefore)
      notes.push('POST /refresh returned but the location lastReadAt did not change');
    const countAfter = (
      await getJson<{ totalItems: number }>(server.base, '/entities/by-query?limit=0')
    ).totalItems;
    if (countAfter !== totalItems)
      notes.push(`totalItems changed across an unchanged refresh: ${totalItems} → ${countAfter}`);
    log(
      `${engine} n=${n}: refresh ${round(refresh.ms, 0)} ms (server read ${statusAfter.readMs} ms)`,
    );

    // ---- pg: let autovacuum ANALYZE the fresh tables first (see README: "pg statistics")
    const analyzeWaitMs = Number(args['pg-analyze-wait']) * 1000;
    const analyzeWait =
      analyzeWaitMs > 0 ? await db.waitAnalyzed(ingestClock, analyzeWaitMs) : undefined;
    if (analyzeWait) {
      log(
        `${engine} n=${n}: waited ${analyzeWait.ms} ms for autovacuum ANALYZE (${analyzeWait.done ? 'done' : 'not done, measuring anyway'})`,
      );
      if (!analyzeWait.done)
        notes.push(
          `autovacuum had not analyzed the catalog tables after ${analyzeWait.ms} ms; latencies measured without planner statistics`,
        );
    }

    // ---- latencies
    const rng = new Prng(SEED * 7919 + n);
    const names = manifest.componentNames;
    const randomNames = Array.from(
      { length: REQUESTS + WARMUP },
      () => names[rng.int(names.length)]!,
    );
    const terms = manifest.fullTextTerms;
    const items = (b: unknown) => {
      const x = b as { items?: unknown[]; totalItems?: number };
      return `items=${x.items?.length} totalItems=${x.totalItems}`;
    };
    const lat: Record<string, LatencyResult> = {};
    lat.byRef = await latency(
      server.base,
      (i) => `/entities/by-name/component/default/${randomNames[i + WARMUP]}`,
      (b) =>
        `kind=${(b as { kind: string }).kind} relations=${(b as { relations: unknown[] }).relations?.length}`,
    );
    lat.page = await latency(
      server.base,
      () => '/entities/by-query?filter=kind%3Dcomponent&orderField=metadata.name%2Casc&limit=100',
      items,
    );
    lat.count = await latency(
      server.base,
      () => '/entities/by-query?filter=kind%3Dcomponent&limit=0',
      items,
    );
    lat.facets = await latency(
      server.base,
      () => '/entity-facets?facet=spec.type&filter=kind%3Dcomponent',
      (b) => JSON.stringify((b as { facets: unknown }).facets),
    );
    lat.fullText = await latency(
      server.base,
      (i) =>
        `/entities/by-query?fullTextFilterTerm=${encodeURIComponent(terms[(i + terms.length * 100) % terms.length]!.slice(0, 5))}&fullTextFilterFields=metadata.name&limit=20`,
      items,
    );
    if (
      lat.count!.answer &&
      !lat.count!.answer.includes(`totalItems=${manifest.counts.component}`)
    ) {
      notes.push(
        `component count answered ${lat.count!.answer}, expected totalItems=${manifest.counts.component}`,
      );
    }
    for (const [k, v] of Object.entries(lat))
      log(`${engine} n=${n}: ${k} p50 ${v.p50} ms p95 ${v.p95} ms (${v.answer.slice(0, 80)})`);

    // ---- full walk
    const w = await walk(server.base);
    if (w.unique !== totalItems)
      notes.push(
        `cursor walk saw ${w.unique} distinct entities (${w.items} items), totalItems is ${totalItems}`,
      );
    log(`${engine} n=${n}: walk ${w.pages} pages in ${w.ms} ms`);

    const memory = procStatus(server.pid);
    const database = await db.size();
    await stopServer(server);

    // ---- restarts on the same database: the startup read of every location
    const restartOnce = async (
      config: string,
      logName: string,
      before: string | null | undefined,
    ) => {
      server = startServer(work, config, port, logName);
      const listening = await waitListening(server);
      let readyMs = Number.NaN;
      let st: LocationStatus | undefined;
      const deadline2 = Date.now() + TIMEOUT_MS;
      while (Date.now() < deadline2) {
        assertAlive(server);
        st = await getJson<LocationStatus>(server.base, `/locations/${loc!.id}/status`, TIMEOUT_MS);
        if (st.lastReadAt && st.lastReadAt !== before) {
          readyMs = now() - server.spawnedAt;
          break;
        }
        await sleep(50);
      }
      if (Number.isNaN(readyMs))
        throw new Error(`${logName}: startup read not done within ${TIMEOUT_MS / 1000} s`);
      const count = (
        await getJson<{ totalItems: number }>(server.base, '/entities/by-query?limit=0')
      ).totalItems;
      if (count !== totalItems)
        notes.push(`after ${logName.replace('.log', '')} totalItems ${count} (was ${totalItems})`);
      const result = {
        listeningMs: round(listening, 0),
        readyMs: round(readyMs, 0),
        locationReadMs: st?.readMs ?? null,
        totalItems: count,
        hwmMB: procStatus(server.pid).hwmMB,
      };
      await stopServer(server);
      return { result, lastReadAt: st?.lastReadAt };
    };
    let restart: RunResult['restart'];
    let reread: RunResult['reread'];
    if (!args['no-restart']) {
      // Same config: the file cache is valid, unchanged files are neither parsed nor written.
      const r1 = await restartOnce(configFile, 'server-2-restart.log', statusAfter.lastReadAt);
      restart = r1.result;
      log(
        `${engine} n=${n}: restart listening ${restart.listeningMs} ms, startup read done ${restart.readyMs} ms (server read ${restart.locationReadMs} ms)`,
      );
      // Config changed: every file is parsed and processed again; entities are unchanged.
      const r2 = await restartOnce(rereadConfigFile, 'server-3-reread.log', r1.lastReadAt);
      reread = r2.result;
      log(
        `${engine} n=${n}: restart with cache invalidated: listening ${reread.listeningMs} ms, full re-read done ${reread.readyMs} ms (server read ${reread.locationReadMs} ms)`,
      );
    }

    return {
      engine,
      n,
      seed: SEED,
      expected,
      expectedLogic,
      data: {
        dir: dataDir,
        files: manifest.files,
        bytesMB: round(manifest.bytes / 1048576, 2),
        refs: manifest.refs,
        danglingRefs: manifest.danglingRefs,
        generatedMs,
      },
      ingest: {
        listeningMs: round(listeningMs, 0),
        queryableMs: round(queryableMs, 0),
        totalItems,
        locationReadMs: status?.readMs ?? null,
        problems: ingestProblems,
      },
      refresh: {
        ms: round(refresh.ms, 0),
        status: refresh.status,
        locationReadMs: statusAfter.readMs,
        totalItemsAfter: countAfter,
      },
      restart,
      reread,
      memory,
      pgAnalyzeWait: analyzeWait,
      database,
      latency: lat,
      walk: w,
      notes,
    };
  } finally {
    if (server) await stopServer(server).catch(() => undefined);
    if (!args.keep) {
      await db.drop().catch((e) => log(`dropping database failed: ${(e as Error).message}`));
      rmSync(work, { recursive: true, force: true });
    } else {
      log(`kept ${work}`);
    }
  }
}

// ---------------------------------------------------------------- report

const TARGETS: Array<{
  key: string;
  label: string;
  limit: number;
  unit: string;
  get: (r: RunResult) => number | undefined;
}> = [
  {
    key: 'ingest',
    label: 'ingest → queryable',
    limit: 60_000,
    unit: 'ms',
    get: (r) => r.ingest.queryableMs,
  },
  {
    key: 'refresh',
    label: 'unchanged refresh (POST /refresh)',
    limit: 10_000,
    unit: 'ms',
    get: (r) => r.refresh.ms,
  },
  { key: 'rss', label: 'peak RSS (VmHWM)', limit: 1024, unit: 'MB', get: (r) => r.memory.hwmMB },
  { key: 'byRef', label: 'by-ref p95', limit: 5, unit: 'ms', get: (r) => r.latency.byRef?.p95 },
  { key: 'page', label: 'page of 100 p95', limit: 30, unit: 'ms', get: (r) => r.latency.page?.p95 },
  { key: 'count', label: 'count p95', limit: 100, unit: 'ms', get: (r) => r.latency.count?.p95 },
  { key: 'facets', label: 'facets p95', limit: 100, unit: 'ms', get: (r) => r.latency.facets?.p95 },
];

function verdict(r: RunResult, t: (typeof TARGETS)[number]): string {
  const v = t.get(r);
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  if (t.key === 'ingest' && r.ingest.totalItems < r.expected)
    return r.n >= 100_000 ? 'FAIL (incomplete)' : '(fail: incomplete)';
  const ok = v < t.limit;
  return r.n >= 100_000 ? (ok ? 'PASS' : 'FAIL') : ok ? '(pass)' : '(fail)';
}

function table(r: RunResult): string {
  const rows: string[][] = [];
  const tgt = (key: string) => TARGETS.find((t) => t.key === key)!;
  const withTarget = (key: string, value: string) => {
    const t = tgt(key);
    rows.push([t.label, value, `< ${t.limit} ${t.unit}`, verdict(r, t)]);
  };
  withTarget(
    'ingest',
    `${r.ingest.queryableMs} ms (listening at ${r.ingest.listeningMs} ms; server read ${r.ingest.locationReadMs} ms)`,
  );
  withTarget('refresh', `${r.refresh.ms} ms (server read ${r.refresh.locationReadMs} ms)`);
  if (r.restart) {
    rows.push(['restart → listening', `${r.restart.listeningMs} ms`, '', '']);
    rows.push([
      'restart → startup read done (file cache valid)',
      `${r.restart.readyMs} ms (server read ${r.restart.locationReadMs} ms)`,
      '',
      '',
    ]);
  }
  if (r.reread) {
    rows.push([
      'restart, cache invalidated → full re-read done (nothing changed)',
      `${r.reread.readyMs} ms (listening at ${r.reread.listeningMs} ms; server read ${r.reread.locationReadMs} ms; peak RSS ${r.reread.hwmMB !== undefined ? round(r.reread.hwmMB, 0) : 'n/a'} MB)`,
      '',
      '',
    ]);
  }
  withTarget(
    'rss',
    `${r.memory.hwmMB !== undefined ? round(r.memory.hwmMB, 0) : 'n/a'} MB (RSS at end ${r.memory.rssMB !== undefined ? round(r.memory.rssMB, 0) : 'n/a'} MB${r.restart?.hwmMB ? `; after restart ${round(r.restart.hwmMB, 0)} MB` : ''})`,
  );
  rows.push([
    'database size',
    `${r.database.totalMB} MB (${Object.entries(r.database.detail)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    '',
    '',
  ]);
  if (r.pgAnalyzeWait) {
    rows.push([
      'pg: waited for autovacuum ANALYZE before latencies',
      `${r.pgAnalyzeWait.ms} ms${r.pgAnalyzeWait.done ? '' : ' (not done)'}`,
      '',
      '',
    ]);
  }
  const l = (k: string, label: string, target?: string) => {
    const x = r.latency[k]!;
    const partial = x.requests < REQUESTS ? ` (${x.requests} requests only)` : '';
    const value = `p50 ${x.p50} / p95 ${x.p95} / p99 ${x.p99} ms (first ${x.firstMs} ms)${partial}${x.errors ? ` — ${x.errors} errors` : ''}`;
    if (target) {
      const t = tgt(target);
      rows.push([label, value, `p95 < ${t.limit} ms`, verdict(r, t)]);
    } else rows.push([label, value, '', '']);
  };
  l('byRef', 'entity by ref', 'byRef');
  l('page', 'page of 100 components by name', 'page');
  l('count', 'count of components (limit=0)', 'count');
  l('facets', 'facets spec.type of components', 'facets');
  l('fullText', 'full text on metadata.name, limit 20');
  rows.push([
    `full walk (limit=${PAGE_SIZE})`,
    `${r.walk.ms} ms, ${r.walk.pages} pages, ${r.walk.unique} entities (slowest page ${r.walk.slowestPageMs} ms, last ${r.walk.lastPageMs} ms)`,
    '',
    '',
  ]);
  const head = `### ${r.engine}, n = ${r.n.toLocaleString('en-US')} (seed ${r.seed}; expected totalItems ${r.expected}, got ${r.ingest.totalItems})\n\n| figure | measured | target (at 100k) | verdict |\n| --- | --- | --- | --- |\n`;
  const body = rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
  const notes = r.notes.length ? `\n\nNotes:\n${r.notes.map((n) => `- ${n}`).join('\n')}` : '';
  return `${head}${body}${notes}\n`;
}

function summary(results: RunResult[]): string {
  const head =
    '| engine | n | ingest s | refresh s | restart ready s | full re-read s | peak RSS MB | DB MB | by-ref p95 | page p95 | count p95 | facets p95 | full-text p95 | walk s (pages) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const rows = results.map(
    (r) =>
      `| ${r.engine} | ${r.n} | ${round(r.ingest.queryableMs / 1000, 2)} | ${round(r.refresh.ms / 1000, 2)} | ${r.restart ? round(r.restart.readyMs / 1000, 2) : '—'} | ${r.reread ? round(r.reread.readyMs / 1000, 2) : '—'} | ${r.memory.hwmMB !== undefined ? round(r.memory.hwmMB, 0) : 'n/a'} | ${r.database.totalMB} | ${r.latency.byRef!.p95} | ${r.latency.page!.p95} | ${r.latency.count!.p95} | ${r.latency.facets!.p95} | ${r.latency.fullText!.p95} | ${round(r.walk.ms / 1000, 2)} (${r.walk.pages}) |`,
  );
  return head + rows.join('\n');
}

/** Content hash of src/ when the run started: ties figures to the code they measured. */
function srcHash(): string {
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
const SRC_HASH = srcHash();

async function main() {
  log(`src/ content hash ${SRC_HASH}`);
  const results: RunResult[] = [];
  const failures: Array<{ engine: Engine; n: number; error: string }> = [];
  mkdirSync(args['results-dir']!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = join(args['results-dir']!, `catalog-${stamp}.json`);
  const save = () =>
    writeFileSync(
      outFile,
      `${JSON.stringify({ startedAt: stamp, node: process.version, args, host: { cpus: cpus().length, memoryGB: round(totalmem() / 2 ** 30, 1) }, srcHash: SRC_HASH, results, failures }, null, 2)}\n`,
    );
  for (const n of SIZES) {
    for (const engine of ENGINES) {
      log(`=== ${engine}, n=${n}`);
      try {
        const r = await runOne(engine, n);
        results.push(r);
        process.stdout.write(`\n${table(r)}\n`);
      } catch (error) {
        const message = (error as Error).stack ?? String(error);
        failures.push({ engine, n, error: message });
        process.stdout.write(`\n### ${engine}, n = ${n}: FAILED\n\n\`\`\`\n${message}\n\`\`\`\n\n`);
      }
      save();
    }
  }
  if (results.length)
    process.stdout.write(`\n## Summary (times in ms unless noted)\n\n${summary(results)}\n`);
  process.stdout.write(`\nResults written to ${outFile}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

await main();
