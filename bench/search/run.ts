/**
 * Search benchmark: a real Atrium (catalog + search plugins, in this process, real HTTP on a
 * loopback port) on SQLite and on PostgreSQL, with a generated catalog of N entities
 * (bench/catalog/generate.ts) plus D TechDocs-like pages indexed as `techdocs` through the
 * SearchIndex service. Measures the initial incremental indexing, a full reindex
 * (POST /api/search/reindex), replacing all pages, and query latency over HTTP for a mix of
 * terms.
 *
 *   npx tsx bench/search/run.ts --n 100000 --docs 10000 --engines sqlite
 *   bash bench/search/run.sh --n 100000 --docs 10000          # starts a throwaway PostgreSQL
 *
 * Results: bench/results/search-<time>.json and a table on stdout.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { createApp } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { catalogPlugin } from '../../src/plugins/catalog/server/plugin.ts';
import { searchIndexServiceRef } from '../../src/plugins/search/server/api.ts';
import type { SearchEngine } from '../../src/plugins/search/server/engine/index.ts';
import { searchPlugin } from '../../src/plugins/search/server/plugin.ts';
import { generateCatalog, type Manifest, Prng, readManifest } from '../catalog/generate.ts';
import { generateDocsPages, infixOf } from './generate.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

type Engine = 'sqlite' | 'pg';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    docs: { type: 'string', default: '10000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    seed: { type: 'string', default: '1' },
    /** Requests per query class. */
    requests: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '10' },
    'data-dir': { type: 'string', default: join(REPO, 'bench/.data') },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});

const N = Number(args.n);
const DOCS = Number(args.docs);
const SEED = Number(args.seed);
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const ENGINES = args.engines!.split(',').map((s) => s.trim()) as Engine[];
for (const e of ENGINES) if (e !== 'sqlite' && e !== 'pg') throw new Error(`unknown engine ${e}`);
if (ENGINES.includes('pg') && !process.env.ATRIUM_TEST_PG) {
  process.stderr.write(
    'pg engine needs ATRIUM_TEST_PG; use `bash bench/search/run.sh …` (starts a throwaway PostgreSQL) or --engines sqlite\n',
  );
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const now = () => performance.now();
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function catalogData(): Manifest {
  const dir = join(args['data-dir']!, `n${N}-seed${SEED}`);
  const cached = readManifest(dir, N, SEED);
  if (cached) {
    log(`reusing generated catalog in ${dir}`);
    return cached;
  }
  log(`generating catalog n=${N} into ${dir}`);
  mkdirSync(dir, { recursive: true });
  return generateCatalog({ n: N, seed: SEED, dir });
}

interface Db {
  config: Record<string, unknown>;
  sizeMB(): Promise<number>;
  drop(): Promise<void>;
}

async function freshDb(engine: Engine, work: string): Promise<Db> {
  if (engine === 'sqlite') {
    const file = join(work, 'atrium.sqlite');
    return {
      config: { client: 'better-sqlite3', connection: { filename: file } },
      async sizeMB() {
        let total = 0;
        for (const s of ['', '-wal']) if (existsSync(file + s)) total += statSync(file + s).size;
        return round(total / 1048576, 1);
      },
      async drop() {},
    };
  }
  const admin = process.env.ATRIUM_TEST_PG!;
  const name = `atrium_bench_search_${Date.now().toString(36)}_${process.pid}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    config: { client: 'pg', connection: url.toString() },
    async sizeMB() {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const r = await client.query('select pg_database_size(current_database())::bigint as n');
        return round(Number(r.rows[0].n) / 1048576, 1);
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

interface Latency {
  requests: number;
  p50: number;
  p95: number;
  max: number;
  /** Average numberOfResults: shows the queries did real work. */
  meanResults: number;
  example: string;
}

/** The query mix: classes of terms a person types, each drawn from the generated data. */
function queryMix(manifest: Manifest): Record<string, string[]> {
  const rng = new Prng(SEED * 31 + N);
  const names = manifest.componentNames;
  const nameWords = [
    ...new Set(names.flatMap((n) => n.split('-')).filter((w) => /^[a-z]{4,}$/.test(w))),
  ];
  const docWords = ['deploy', 'rollback', 'kubernetes', 'failover', 'certificate', 'runbook'];
  const count = REQUESTS + WARMUP;
  const pick = <T>(items: readonly T[]) => items[rng.int(items.length)]!;
  const q = (term: string, extra = '') =>
    `term=${encodeURIComponent(term)}${extra ? `&${extra}` : ''}`;
  return {
    'single word': Array.from({ length: count }, () => q(pick([...nameWords, ...docWords]))),
    'two words': Array.from({ length: count }, () =>
      q(`${pick([...docWords, ...nameWords])} ${pick(docWords)}`),
    ),
    'infix fragment': Array.from({ length: count }, () => q(infixOf(pick(nameWords)))),
    'prefix (typing)': Array.from({ length: count }, () => {
      const w = pick([...nameWords, ...docWords]);
      return q(w.slice(0, rng.range(2, 4)));
    }),
    'word + kind filter': Array.from({ length: count }, () =>
      q(pick(nameWords), 'filters%5Bkind%5D=Component'),
    ),
    'suggestions (pageLimit=5)': Array.from({ length: count }, () => {
      const w = pick(nameWords);
      return q(w.slice(0, rng.range(3, 5)), 'pageLimit=5');
    }),
    'exact entity name': Array.from({ length: count }, () => q(pick(names))),
  };
}

async function measure(base: string, paths: string[]): Promise<Latency> {
  const times: number[] = [];
  let results = 0;
  for (let i = 0; i < paths.length; i++) {
    const t0 = now();
    const res = await fetch(`${base}/api/search/query?${paths[i]}`);
    const body = (await res.json()) as { numberOfResults?: number };
    const ms = now() - t0;
    if (res.status !== 200)
      throw new Error(`GET ${paths[i]} → ${res.status}: ${JSON.stringify(body)}`);
    if (i >= WARMUP) {
      times.push(ms);
      results += body.numberOfResults ?? 0;
    }
  }
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    p50: round(percentile(times, 0.5)),
    p95: round(percentile(times, 0.95)),
    max: round(times[times.length - 1] ?? Number.NaN),
    meanResults: round(results / Math.max(1, times.length), 0),
    example: decodeURIComponent(paths[WARMUP] ?? paths[0]!),
  };
}

async function runOne(engine: Engine, manifest: Manifest) {
  const work = mkdtempSync(join(tmpdir(), `atrium-bench-search-${engine}-`));
  const db = await freshDb(engine, work);
  const configFile = join(work, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: { listen: { host: '127.0.0.1', port: 0 }, database: db.config },
      catalog: {
        refresh: { interval: false },
        locations: [{ type: 'file', target: manifest.rootFile }],
      },
    }),
  );
  const { config } = await loadConfig({ configPaths: [configFile], cwd: work, env: {} });
  const logger = createLogger({ level: 'warn' });
  const app = await createApp({
    config,
    plugins: [catalogPlugin(), searchPlugin()],
    cwd: work,
    logger,
  });
  const engineApi = app.use(searchIndexServiceRef) as SearchEngine;
  try {
    // ---- start: the catalog ingests, then the search plugin builds its index once (first
    // start); start() returns when both are done.
    const t0 = now();
    const base = await app.start();
    const indexedMs = now() - t0;
    const catalogCount = (await (
      await fetch(`${base}/api/catalog/entities/by-query?limit=0`)
    ).json()) as { totalItems: number };
    const expectedDocs = catalogCount.totalItems;
    const count = await engineApi.count('software-catalog');
    if (count !== expectedDocs)
      throw new Error(`initial index holds ${count} catalog documents, expected ${expectedDocs}`);
    log(`${engine}: catalog ingested and indexed ${round(indexedMs / 1000, 1)} s after start`);

    // ---- full reindex of the catalog over HTTP
    const r0 = now();
    const res = await fetch(`${base}/api/search/reindex`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ types: ['software-catalog'] }),
    });
    const summary = (await res.json()) as { types: Array<{ count: number; ms: number }> };
    if (res.status !== 200) throw new Error(`reindex → ${res.status} ${JSON.stringify(summary)}`);
    const reindexMs = now() - r0;
    log(
      `${engine}: full catalog reindex ${summary.types[0]?.count} docs in ${round(reindexMs)} ms`,
    );

    // ---- docs pages through the SearchIndex service
    const d0 = now();
    const { count: pages } = await engineApi.replaceAll(
      'techdocs',
      (async function* () {
        yield* generateDocsPages(manifest.componentNames, DOCS, SEED);
      })(),
    );
    const docsMs = now() - d0;
    log(`${engine}: ${pages} docs pages indexed in ${round(docsMs)} ms`);

    // ---- incremental: one page upserted, one entity's documents removed
    const u0 = now();
    await engineApi.upsert('techdocs', [
      {
        title: 'Bench page',
        text: 'A page written by the benchmark to time one upsert.',
        location: '/docs/default/component/bench/page/',
        entityRef: 'component:default/bench',
      },
    ]);
    const upsertMs = now() - u0;

    // ---- latencies
    const mix = queryMix(manifest);
    const latency: Record<string, Latency> = {};
    for (const [name, paths] of Object.entries(mix)) {
      latency[name] = await measure(base, paths);
      const l = latency[name]!;
      log(
        `${engine}: ${name}: p50 ${l.p50} ms, p95 ${l.p95} ms, max ${l.max} ms (mean results ${l.meanResults}; e.g. ${l.example})`,
      );
    }
    const all = Object.values(mix).flat();
    const shuffled = new Prng(SEED).shuffle([...all]);
    latency['all mixed'] = await measure(base, shuffled.slice(0, REQUESTS * 3 + WARMUP));
    const sizeMB = await db.sizeMB();
    return {
      engine,
      n: manifest.n,
      docs: pages,
      startMs: round(indexedMs, 0),
      reindex: { docs: summary.types[0]?.count, ms: round(reindexMs, 0) },
      docsReplaceAllMs: round(docsMs, 0),
      upsertOneMs: round(upsertMs, 1),
      databaseMB: sizeMB,
      latency,
      notes: engineApi.notes,
    };
  } finally {
    await app.stop();
    if (!args.keep) {
      await db.drop().catch((e) => log(`dropping database failed: ${(e as Error).message}`));
      rmSync(work, { recursive: true, force: true });
    } else log(`kept ${work}`);
  }
}

type RunResult = Awaited<ReturnType<typeof runOne>>;

function table(r: RunResult): string {
  const rows = [
    ['first start: catalog ingest + initial index build', `${r.startMs} ms`, ''],
    [
      `full reindex, software-catalog (${r.reindex.docs} docs, POST /reindex)`,
      `${r.reindex.ms} ms`,
      '',
    ],
    [`replaceAll techdocs (${r.docs} pages, SearchIndex API)`, `${r.docsReplaceAllMs} ms`, ''],
    ['upsert one document', `${r.upsertOneMs} ms`, ''],
    ['database size', `${r.databaseMB} MB`, ''],
    ...Object.entries(r.latency).map(([name, l]) => [
      `query: ${name}`,
      `p50 ${l.p50} / p95 ${l.p95} / max ${l.max} ms (mean results ${l.meanResults})`,
      l.p95 < 50 ? 'PASS (p95 < 50 ms)' : 'FAIL (p95 ≥ 50 ms)',
    ]),
  ];
  return `### ${r.engine}, ${r.n.toLocaleString('en-US')} entities + ${r.docs.toLocaleString('en-US')} docs pages\n\n| figure | measured | target |\n| --- | --- | --- |\n${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n${r.notes.length ? `\nNotes: ${r.notes.join('; ')}\n` : ''}`;
}

async function main() {
  const manifest = catalogData();
  const results: RunResult[] = [];
  const failures: Array<{ engine: Engine; error: string }> = [];
  mkdirSync(args['results-dir']!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = join(args['results-dir']!, `search-${stamp}.json`);
  for (const engine of ENGINES) {
    log(`=== ${engine}`);
    try {
      const r = await runOne(engine, manifest);
      results.push(r);
      process.stdout.write(`\n${table(r)}\n`);
    } catch (error) {
      const message = (error as Error).stack ?? String(error);
      failures.push({ engine, error: message });
      process.stdout.write(`\n### ${engine}: FAILED\n\n\`\`\`\n${message}\n\`\`\`\n`);
    }
    writeFileSync(
      outFile,
      `${JSON.stringify({ startedAt: stamp, node: process.version, args, host: { cpus: cpus().length, memoryGB: round(totalmem() / 2 ** 30, 1) }, results, failures }, null, 2)}\n`,
    );
  }
  process.stdout.write(`\nResults written to ${outFile}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

await main();
