/**
 * Scorecards benchmark (issue 14): at `--n` (100,000) generated entities with three
 * scorecards of ten checks each (./scorecards.ts: field, relation and fact checks; pushed
 * facts for most components), on a real server over HTTP:
 *
 * - full evaluation: the three scorecards evaluated in full (`POST …/evaluate?wait=true`, all
 *   three at once, then each alone), and the first evaluation after the scorecards are
 *   registered (until every card's `matched` count is complete). Target < 30 s, both engines.
 * - rescoring one entity after a change: a fact pushed (`POST /api/scorecards/facts`) until
 *   the entity's result shows it (polled), `--changes` (50) times: median and p95. Target
 *   < 50 ms.
 * - the Scorecards page's roll-up API (`GET …/rollup`), p95 over HTTP. Target < 200 ms.
 *
 *   bash bench/catalog/run.sh bench/scorecards/run.ts --n 100000            # SQLite and PostgreSQL
 *   npx tsx bench/scorecards/run.ts --n 100000 --engines sqlite [--profile]
 *
 * SQLite measures everything (the default configuration, what `npm start` does, except
 * `techdocs.buildOnStart: false`: 15,000 docs builds at start would run under every figure);
 * PostgreSQL measures the full evaluation (`--pg-all` for every figure; `--evaluation-only`
 * skips the others). `--profile` runs the server through ./serve.ts and profiles the full
 * evaluations and two roll-up figures, printing where the time went (./profile.ts). Results:
 * `bench/results/scorecards-<time>.json` (each figure with the machine load when it was taken).
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { copyCatalog, generatedCatalog, type CatalogSpec } from '../catalog/catalog-source.ts';
import { Prng } from '../catalog/generate.ts';
import {
  ALL_KINDS,
  BIN,
  type Engine,
  ensureBuilds,
  formatLoad,
  freePort,
  freshDb,
  httpUrl,
  type Load,
  log,
  logTail,
  machineLoad,
  now,
  parseEngines,
  percentile,
  REPO,
  resultsFile,
  round,
  type Server,
  sleep,
  srcHash,
  stopServer,
  waitIdle,
  waitIngested,
  waitListening,
  writeAppConfig,
} from '../catalog/harness.ts';
import { summarizeProfile } from './profile.ts';
import { SCORECARDS, SCORECARDS_YAML } from './scorecards.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    seed: { type: 'string', default: '1' },
    changes: { type: 'string', default: '50' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    'pg-all': { type: 'boolean', default: false },
    /** Measure the full evaluation only (e.g. with --profile). */
    'evaluation-only': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '1200' },
    'idle-timeout': { type: 'string', default: '300' },
    'data-dir': { type: 'string', default: join(REPO, 'bench/.data') },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});

const N = Number(args.n!.replace(/_/g, ''));
const ENGINES = parseEngines(args.engines!);
const SEED = Number(args.seed);
const CHANGES = Number(args.changes);
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const IDLE_TIMEOUT_MS = Number(args['idle-timeout']) * 1000;
const TARGETS = { fullEvaluationMs: 30_000, rescoreMs: 50, rollupP95Ms: 200 };
const CARD_NAMES = SCORECARDS.map((c) => c.metadata.name);

// ---------------------------------------------------------------- server and HTTP

function spawnServer(dir: string, configFile: string, port: number, logName: string): Server {
  const logFile = join(dir, logName);
  const fd = openSync(logFile, 'a');
  // Profiling needs ./serve.ts, which starts and stops the profiler on SIGUSR2.
  const command = !args.profile
    ? [BIN, 'start', '--config', configFile]
    : [
        // Resolved here: the server runs in the work folder, which has no node_modules.
        '--import',
        pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href,
        join(REPO, 'bench/scorecards/serve.ts'),
        '--config',
        configFile,
      ];
  const spawnedAt = now();
  const child = spawn(process.execPath, command, {
    cwd: dir,
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...(args.profile ? { ATRIUM_BENCH_PROFILE_DIR: profileDir(dir) } : {}),
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const server: Server = {
    child,
    pid: child.pid!,
    base: `http://127.0.0.1:${port}`,
    logFile,
    spawnedAt,
    spawnedClock: performance.timeOrigin + spawnedAt,
    spawnedIso: new Date().toISOString(),
    exited: undefined,
  };
  child.on('exit', (code, signal) => {
    server.exited = { code, signal };
  });
  return server;
}

const profileDir = (work: string) => join(work, 'profiles');
const profiles: Record<string, ReturnType<typeof summarizeProfile>['top']> = {};

/** Runs `phase` under the server's CPU profiler (with `--profile`) and prints where time went. */
async function profiled<T>(server: Server, work: string, name: string, phase: () => Promise<T>) {
  if (!args.profile) return phase();
  const dir = profileDir(work);
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  server.child.kill('SIGUSR2');
  await sleep(200);
  try {
    return await phase();
  } finally {
    server.child.kill('SIGUSR2');
    const deadline = Date.now() + 60_000;
    let done: string | undefined;
    while (!done && Date.now() < deadline) {
      done = readdirSync(dir).find((f) => f.endsWith('.done') && !before.has(f));
      if (!done) await sleep(200);
    }
    if (done) {
      const summary = summarizeProfile([join(dir, done.replace(/\.done$/, '.cpuprofile'))]);
      profiles[name] = summary.top;
      log(`profile of ${name}:\n${summary.text}`);
    } else log(`profile of ${name}: not written within 60 s`);
  }
}

async function api<T>(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<{ status: number; body: T; ms: number }> {
  const r = await httpUrl(`${server.base}/api${path}`, { method, body, timeoutMs });
  let parsed: unknown;
  try {
    parsed = r.text ? JSON.parse(r.text) : undefined;
  } catch {
    parsed = r.text;
  }
  return { status: r.status, body: parsed as T, ms: r.ms };
}

async function ok<T>(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs?: number,
) {
  const r = await api<T>(server, method, path, body, timeoutMs);
  if (r.status >= 300)
    throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
  return r;
}

interface Spread {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  max: number;
  firstMs: number;
  answer: string;
}

function spread(times: number[], errors: number, firstMs: number, answer: string): Spread {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    requests: times.length,
    errors,
    p50: round(percentile(sorted, 0.5), 2),
    p95: round(percentile(sorted, 0.95), 2),
    max: round(sorted.at(-1) ?? Number.NaN, 2),
    firstMs: round(firstMs, 2),
    answer,
  };
}

/** `REQUESTS` sequential GETs of `path(i)` after `WARMUP` unrecorded ones. */
async function latency(
  server: Server,
  path: (i: number) => string,
  describe: (body: unknown) => string,
): Promise<Spread> {
  const times: number[] = [];
  let errors = 0;
  let firstMs = Number.NaN;
  let answer = '';
  for (let i = -WARMUP; i < REQUESTS; i++) {
    const r = await api<unknown>(server, 'GET', path(i));
    if (Number.isNaN(firstMs)) firstMs = r.ms;
    if (r.status !== 200) {
      errors++;
      answer ||= `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      if (errors > 3) break;
    } else if (!answer) answer = describe(r.body);
    if (i >= 0) times.push(r.ms);
  }
  return spread(times, errors, firstMs, answer);
}

// ---------------------------------------------------------------- facts

interface PushPlan {
  /** Lowercased ref → the facts pushed for it. */
  facts: Map<string, Record<string, number | string>>;
  services: string[];
}

/** Facts a CI system would report: coverage for 60% of components, scans for 40%, … */
function planFacts(spec: CatalogSpec): PushPlan {
  const rng = new Prng(SEED * 7919 + N);
  const facts = new Map<string, Record<string, number | string>>();
  const services: string[] = [];
  for (const { name } of spec.sample) {
    const ref = `component:default/${name}`;
    if (name.includes('-service-')) services.push(name);
    const f: Record<string, number | string> = {};
    if (rng.chance(0.6)) f['ci.coverage'] = rng.range(40, 100);
    if (rng.chance(0.4))
      f['security.criticalVulnerabilities'] = rng.chance(0.8) ? 0 : rng.range(1, 5);
    if (rng.chance(0.4))
      f['security.scannedAt'] = `2026-11-${String(rng.range(1, 28)).padStart(2, '0')}`;
    if (rng.chance(0.5)) f['docs.reviewedDaysAgo'] = rng.range(0, 400);
    if (Object.keys(f).length) facts.set(ref, f);
  }
  return { facts, services };
}

async function pushAll(server: Server, plan: PushPlan) {
  const items = [...plan.facts].map(([entityRef, facts]) => ({ entityRef, facts }));
  const times: number[] = [];
  const started = now();
  for (let i = 0; i < items.length; i += 1000) {
    const r = await ok<unknown>(
      server,
      'POST',
      '/scorecards/facts',
      { items: items.slice(i, i + 1000) },
      120_000,
    );
    times.push(r.ms);
  }
  return {
    entities: items.length,
    facts: items.reduce((n, i) => n + Object.keys(i.facts).length, 0),
    requests: times.length,
    totalMs: round(now() - started, 0),
    perRequest: spread(times, 0, times[0] ?? Number.NaN, '1000 entities per request'),
  };
}

// ---------------------------------------------------------------- figures

interface ScorecardSummary {
  name: string;
  matched: number;
  distribution: Record<string, number>;
  problems?: string[];
}

async function scorecardList(server: Server): Promise<ScorecardSummary[]> {
  const r = await ok<{ items: ScorecardSummary[] }>(server, 'GET', '/scorecards/scorecards');
  return r.body.items;
}

/** How many entities each scorecard should match, counted by the catalog API. */
async function expectedMatches(server: Server): Promise<Record<string, number>> {
  const count = async (filter: string) =>
    (
      await ok<{ totalItems: number }>(
        server,
        'GET',
        `/catalog/entities/by-query?limit=0&${filter}`,
      )
    ).body.totalItems;
  const all = await count('');
  const excluded =
    (await count('filter=kind%3Dscorecard')) +
    (await count('filter=kind%3Dlocation')) +
    (await count('filter=kind%3Dtemplate'));
  return {
    'production-readiness': await count('filter=kind%3Dcomponent%2Cspec.type%3Dservice'),
    documentation:
      (await count('filter=kind%3Dcomponent')) +
      (await count('filter=kind%3Dapi')) +
      (await count('filter=kind%3Dsystem')),
    hygiene: all - excluded,
  };
}

/** Polls until every scorecard's results cover the entities it matches; ms from `since`. */
async function untilEvaluated(server: Server, expected: Record<string, number>, since: number) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const list = await scorecardList(server).catch(() => []);
    const done = CARD_NAMES.every((name) => {
      const card = list.find((c) => c.name === name);
      if (!card) return false;
      const scored = Object.values(card.distribution).reduce((s, n) => s + n, 0);
      return scored === expected[name];
    });
    last = JSON.stringify(list.map((c) => [c.name, c.matched, c.distribution]));
    if (done) return { ms: round(now() - since, 0), list };
    await sleep(250);
  }
  throw new Error(`scorecards not evaluated within ${TIMEOUT_MS / 1000} s: ${last}`);
}

interface EvaluationFigures {
  firstAfterRegistration: { ms: number; load: Load };
  allThree: { ms: number; load: { start: Load; end: Load } };
  each: Record<string, { ms: number; matched: number }>;
  distributions: ScorecardSummary[];
}

async function measureEvaluation(
  server: Server,
  work: string,
  expected: Record<string, number>,
): Promise<EvaluationFigures> {
  const file = join(work, 'scorecards', 'scorecards.yaml');
  mkdirSync(join(work, 'scorecards'), { recursive: true });
  writeFileSync(file, SCORECARDS_YAML);
  const registered = now();
  await ok(server, 'POST', '/catalog/locations', { type: 'file', target: file });
  const first = await untilEvaluated(server, expected, registered);
  const firstLoad = machineLoad();
  log(`first evaluation after registering the scorecards: ${first.ms} ms`);
  for (const c of first.list)
    log(`  ${c.name}: matched ${c.matched}, ${JSON.stringify(c.distribution)}`);
  await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });

  const evaluate = (name: string) =>
    ok(
      server,
      'POST',
      `/scorecards/scorecards/default/${name}/evaluate?wait=true`,
      undefined,
      TIMEOUT_MS,
    );
  const startLoad = machineLoad();
  const started = now();
  await profiled(server, work, 'full evaluation, three scorecards together', () =>
    Promise.all(CARD_NAMES.map(evaluate)),
  );
  const allMs = round(now() - started, 0);
  log(`full evaluation of the three scorecards (requested together): ${allMs} ms`);
  const allThree = { ms: allMs, load: { start: startLoad, end: machineLoad() } };
  await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
  const each: EvaluationFigures['each'] = {};
  for (const name of CARD_NAMES) {
    const t = now();
    await profiled(server, work, `full evaluation of ${name} alone`, () => evaluate(name));
    each[name] = { ms: round(now() - t, 0), matched: expected[name]! };
    log(`  ${name} alone: ${each[name]!.ms} ms (${expected[name]} entities)`);
    await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
  }
  return {
    firstAfterRegistration: { ms: first.ms, load: firstLoad },
    allThree,
    each,
    distributions: await scorecardList(server),
  };
}

interface CheckJson {
  id: string;
  status: string;
  value?: unknown;
}

/** Pushes a new coverage for one service and polls its result until it shows it. */
async function measureRescoring(server: Server, plan: PushPlan) {
  const rng = new Prng(SEED * 31 + 7);
  const times: number[] = [];
  const pushMs: number[] = [];
  const polls: number[] = [];
  let levelChanges = 0;
  for (let i = 0; i < CHANGES; i++) {
    const name = plan.services[rng.int(plan.services.length)]!;
    const path = `/scorecards/entities/default/component/${name}`;
    const value = 1000 + i; // never seen before, so the poll cannot match an old result
    const before = await ok<{ items: Array<{ scorecard: { ref: string }; level: string | null }> }>(
      server,
      'GET',
      path,
    );
    const started = now();
    const push = await ok(server, 'POST', '/scorecards/facts', {
      entityRef: `component:default/${name}`,
      facts: { 'ci.coverage': value },
    });
    pushMs.push(push.ms);
    let n = 0;
    for (;;) {
      n++;
      const r = await ok<{
        items: Array<{ scorecard: { ref: string }; level: string | null; checks: CheckJson[] }>;
      }>(server, 'GET', path);
      const card = r.body.items.find(
        (x) => x.scorecard.ref === 'scorecard:default/production-readiness',
      );
      const coverage = card?.checks.find((c) => c.id === 'coverage');
      if (coverage?.value === value) {
        const old = before.body.items.find((x) => x.scorecard.ref === card!.scorecard.ref);
        if (old && old.level !== card!.level) levelChanges++;
        break;
      }
      if (now() - started > 30_000) throw new Error(`${name} not rescored within 30 s`);
    }
    times.push(now() - started);
    polls.push(n);
    await sleep(50);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    changes: times.length,
    medianMs: round(percentile(sorted, 0.5), 1),
    p95Ms: round(percentile(sorted, 0.95), 1),
    maxMs: round(sorted.at(-1)!, 1),
    pushP50Ms: round(
      percentile(
        [...pushMs].sort((a, b) => a - b),
        0.5,
      ),
      1,
    ),
    pollsP50: percentile(
      [...polls].sort((a, b) => a - b),
      0.5,
    ),
    levelChanges,
  };
}

async function measureRollups(server: Server, work: string, plan: PushPlan) {
  const groups = (
    await ok<{ items: Array<{ metadata: { name: string } }> }>(
      server,
      'GET',
      '/catalog/entities/by-query?filter=kind%3Dgroup&limit=500&fields=metadata.name',
    )
  ).body.items.map((g) => g.metadata.name);
  const card = (name: string) => `/scorecards/scorecards/default/${name}`;
  const describeRollup = (body: unknown) => {
    const b = body as { items?: Array<{ total: number }> };
    return `${b.items?.length ?? 0} rows, ${b.items?.reduce((s, r) => s + r.total, 0) ?? 0} entities`;
  };
  const figures: Record<string, Spread & { load?: Load }> = {};
  const run = async (name: string, path: (i: number) => string, describe = describeRollup) => {
    const load = machineLoad();
    figures[name] = { ...(await latency(server, path, describe)), load };
    log(
      `${name}: p50 ${figures[name]!.p50} / p95 ${figures[name]!.p95} ms (first ${figures[name]!.firstMs}; ${figures[name]!.answer}; load ${formatLoad(load)})`,
    );
  };
  await run(
    "scorecards list (the page's first request)",
    () => '/scorecards/scorecards',
    (b) => `${(b as { items: unknown[] }).items.length} scorecards`,
  );
  for (const name of CARD_NAMES) {
    for (const by of ['owner', 'system', 'domain']) {
      const figure = () => run(`${name} rollup by ${by}`, () => `${card(name)}/rollup?by=${by}`);
      if (name === 'production-readiness' && by === 'system')
        await profiled(server, work, 'roll-ups by system, repeated (cached)', figure);
      else await figure();
    }
  }
  // A group parameter per request: each answer is computed, not cached.
  await run(
    'production-readiness rollup by owner, a different group each time',
    (i) =>
      `${card('production-readiness')}/rollup?by=owner&group=${encodeURIComponent(
        `group:default/${groups[(i + WARMUP + groups.length) % groups.length]}`,
      )}`,
  );
  await run(
    'hygiene rollup by owner, a different group each time',
    (i) =>
      `${card('hygiene')}/rollup?by=owner&group=${encodeURIComponent(
        `group:default/${groups[(i + 7 * WARMUP + groups.length) % groups.length]}`,
      )}`,
  );
  await run(
    'production-readiness results, first page',
    () => `${card('production-readiness')}/results?limit=50`,
    (b) =>
      `${(b as { items: unknown[] }).items.length} items of ${(b as { totalItems: number }).totalItems}`,
  );

  // Right after a change every cached answer is stale: the first request computes it.
  const afterChange: number[] = [];
  const rng = new Prng(SEED * 131 + 3);
  await profiled(server, work, 'roll-ups by owner, first request after a change', async () => {
    for (let i = 0; i < 30; i++) {
      const name = plan.services[rng.int(plan.services.length)]!;
      await ok(server, 'POST', '/scorecards/facts', {
        entityRef: `component:default/${name}`,
        facts: { 'ci.coverage': 2000 + i },
      });
      await sleep(300); // rescored meanwhile (see the rescoring figure)
      afterChange.push(
        (await ok(server, 'GET', `${card('production-readiness')}/rollup?by=owner`)).ms,
      );
    }
  });
  figures['production-readiness rollup by owner, first request after a change'] = spread(
    afterChange,
    0,
    afterChange[0]!,
    '30 changes',
  );
  log(
    `rollup by owner after a change: p50 ${figures['production-readiness rollup by owner, first request after a change']!.p50} / p95 ${figures['production-readiness rollup by owner, first request after a change']!.p95} ms`,
  );
  return figures;
}

// ---------------------------------------------------------------- one engine

async function runOne(engine: Engine, spec: CatalogSpec) {
  const notes: string[] = [];
  const loadStart = machineLoad();
  log(`${engine} n=${N}: load average ${formatLoad(loadStart)}`);
  const work = mkdtempSync(join(tmpdir(), `atrium-scorecards-${engine}-${N}-`));
  const copyDir = join(work, 'catalog');
  await copyCatalog(spec, copyDir);
  const db = await freshDb(engine, work, `scorecards_${N}`);
  const port = await freePort();
  const configFile = join(work, 'app-config.yaml');
  const catalogTarget = join(copyDir, spec.target);
  writeAppConfig(configFile, {
    port,
    database: db.config,
    locations: [{ type: 'file', target: catalogTarget }],
    refreshOff: false,
    kinds: [...ALL_KINDS, 'Scorecard'],
    techdocsDir: join(work, 'techdocs'),
  });
  const config = parse(readFileSync(configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  config.catalog!.locationRoots = [work];
  config.techdocs = { ...config.techdocs, buildOnStart: false };
  writeFileSync(configFile, stringify(config));
  if (args.profile) notes.push('the server ran from source through ./serve.ts, profiled');
  else await ensureBuilds();
  let server: Server | undefined;
  try {
    server = spawnServer(work, configFile, port, 'server.log');
    await waitListening(server, TIMEOUT_MS);
    const ingest = await waitIngested(server, catalogTarget, spec.entities + 1, TIMEOUT_MS, engine);
    log(`${engine}: ${ingest.count} entities after ${round(ingest.queryableMs / 1000, 1)} s`);
    const since = await db.clock();
    const settled = await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
    const analyzed = await db.waitAnalyzed(since, 240_000);
    if (analyzed && !analyzed.done) notes.push(`pg: not ANALYZEd within ${analyzed.ms} ms`);

    const plan = planFacts(spec);
    const pushed = await pushAll(server, plan);
    log(`pushed ${pushed.facts} facts for ${pushed.entities} entities in ${pushed.totalMs} ms`);
    await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });

    const expected = await expectedMatches(server);
    log(`expected matches: ${JSON.stringify(expected)}`);
    const evaluation = await measureEvaluation(server, work, expected);
    const all = (engine === 'sqlite' || args['pg-all']) && !args['evaluation-only'];
    const rescoring = all ? await measureRescoring(server, plan) : undefined;
    if (rescoring)
      log(
        `rescoring after a pushed fact: median ${rescoring.medianMs} / p95 ${rescoring.p95Ms} ms`,
      );
    const rollups = all ? await measureRollups(server, work, plan) : undefined;
    const size = await db.size();
    await stopServer(server);
    return {
      engine,
      n: N,
      entities: ingest.count,
      load: { start: loadStart, end: machineLoad() },
      setup: { ingestMs: round(ingest.queryableMs, 0), settledMs: settled.ms },
      pushed,
      expected,
      evaluation,
      rescoring,
      rollups,
      databaseMB: size,
      ...(args.profile ? { profiles: { ...profiles } } : {}),
      notes,
    };
  } catch (error) {
    if (server) log(`server log tail:\n${logTail(server)}`);
    throw error;
  } finally {
    if (server) await stopServer(server).catch(() => undefined);
    await db.drop().catch(() => undefined);
    if (!args.keep) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

async function main() {
  const spec = generatedCatalog(N, SEED, args['data-dir']!);
  const results = [];
  for (const engine of ENGINES) results.push(await runOne(engine, spec));
  const { file } = resultsFile(args['results-dir']!, 'scorecards');
  mkdirSync(args['results-dir']!, { recursive: true });
  const out = {
    benchmark: 'scorecards',
    at: new Date().toISOString(),
    src: srcHash(),
    machine: {
      cpus: cpus().length,
      memoryGB: round(totalmem() / 2 ** 30, 1),
      loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    },
    targets: TARGETS,
    scorecards: SCORECARDS.map((c) => ({ name: c.metadata.name, checks: c.spec.checks.length })),
    results,
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`results: ${file}`);
  for (const r of results) {
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    log(
      `${r.engine}: full evaluation (3 cards together) ${r.evaluation.allThree.ms} ms ${verdict(r.evaluation.allThree.ms < TARGETS.fullEvaluationMs)}; first after registration ${r.evaluation.firstAfterRegistration.ms} ms`,
    );
    if (r.rescoring)
      log(
        `${r.engine}: rescoring median ${r.rescoring.medianMs} / p95 ${r.rescoring.p95Ms} ms ${verdict(r.rescoring.p95Ms < TARGETS.rescoreMs)}`,
      );
    if (r.rollups) {
      const worst = Math.max(
        ...Object.entries(r.rollups)
          .filter(([k]) => k.includes('rollup'))
          .map(([, v]) => v.p95),
      );
      log(`${r.engine}: worst rollup p95 ${worst} ms ${verdict(worst < TARGETS.rollupP95Ms)}`);
    }
  }
  log(`load average now: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
}

await main();
