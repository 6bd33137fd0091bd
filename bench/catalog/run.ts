/**
 * Catalog benchmark: ingests a catalog (generated, or any folder of YAML files with
 * --catalog-dir) into a real Atrium server (a child process, `node bin/atrium.mjs start`) in
 * the server's default configuration, and measures ingest, refresh, a re-read of changed
 * files, a full search reindex, restarts, docs start-up, memory, database size, query
 * latencies and a cursor walk over HTTP, while a probe (probe.ts) asks an entity and a health
 * endpoint every 100 ms and reports the worst gap per phase.
 *
 *   npx tsx bench/catalog/run.ts --sizes 1000,10000 --engines sqlite,pg
 *   npx tsx bench/catalog/run.ts --catalog-dir /path/to/yaml --engines sqlite
 *   bash bench/catalog/run.sh --sizes 1000,10000          # starts a throwaway PostgreSQL
 *
 * pg needs ATRIUM_TEST_PG (an admin connection string); each run creates a fresh database
 * and drops it afterwards. Generated data is cached under bench/.data/, results are written
 * to bench/results/. See bench/README.md for what each figure means.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  applyRewrite,
  type CatalogSpec,
  copyCatalog,
  type EntityName,
  externalCatalog,
  generatedCatalog,
  prepareRewrite,
  touchDocsSites,
  writeDocsSites,
} from './catalog-source.ts';
import { Prng } from './generate.ts';
import {
  ALL_KINDS,
  assertAlive,
  cpuMs,
  type Engine,
  ensureBuilds,
  findLocation,
  formatLoad,
  freePort,
  freshDb,
  generatedLocationRef,
  getJson,
  http,
  httpUrl,
  type LatencyResult,
  type Load,
  type LocationStatus,
  latency,
  log,
  machineLoad,
  now,
  parseEngines,
  procStatus,
  REPO,
  resultsFile,
  round,
  type Server,
  serverBuiltAtStart,
  sleep,
  srcHash,
  startServer,
  stopServer,
  totalItems,
  type Walk,
  waitIdle,
  waitIngested,
  waitListening,
  walk,
  writeAppConfig,
} from './harness.ts';
import { DEFAULT_HEALTH_PATH, Monitor, type MonitorReport, probeTable } from './probe.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    /** A folder of YAML files to ingest instead of the generator's (--sizes is then ignored). */
    'catalog-dir': { type: 'string' },
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
    /** The benchmark's old config: `catalog.refresh.interval: false` (default: server defaults). */
    'refresh-off': { type: 'boolean', default: false },
    /** Local docs sites added beside the catalog, built by the server's docs build on start. */
    'docs-sites': { type: 'string', default: '20' },
    'docs-pages': { type: 'string', default: '20' },
    /** Share of the entities whose description the changed-file re-read rewrites. */
    'reread-fraction': { type: 'string', default: '0.9' },
    'probe-interval': { type: 'string', default: '100' },
    /** Worst-gap target of the probe, ms. */
    'probe-target': { type: 'string', default: '250' },
    'health-path': { type: 'string', default: DEFAULT_HEALTH_PATH },
    /** Longest wait for the server to go idle after a phase (background indexing), seconds. */
    'idle-timeout': { type: 'string', default: '300' },
    /** pg: wait up to this many seconds for autovacuum to ANALYZE the tables before latencies (0: don't). */
    'pg-analyze-wait': { type: 'string', default: '240' },
    /** Per-request timeout for the latency figures, in seconds. */
    'request-timeout': { type: 'string', default: '60' },
    /** Time after which a latency figure stops early (after at least 20 requests), in seconds. */
    'figure-budget': { type: 'string', default: '120' },
  },
});

const SIZES = args.sizes!.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
const ENGINES = parseEngines(args.engines!);
const SEED = Number(args.seed);
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const PAGE_SIZE = Number(args['page-size']);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const IDLE_TIMEOUT_MS = Number(args['idle-timeout']) * 1000;
const DOCS_SITES = Number(args['docs-sites']);
const DOCS_PAGES = Number(args['docs-pages']);
const REREAD_FRACTION = Number(args['reread-fraction']);
const PROBE_TARGET_MS = Number(args['probe-target']);
const LATENCY = {
  requests: REQUESTS,
  warmup: WARMUP,
  requestTimeoutMs: Number(args['request-timeout']) * 1000,
  budgetMs: Number(args['figure-budget']) * 1000,
};
if (!args['catalog-dir'])
  for (const n of SIZES) if (!Number.isInteger(n) || n < 10) throw new Error(`bad size ${n}`);
if (!(REREAD_FRACTION > 0 && REREAD_FRACTION <= 1)) throw new Error('--reread-fraction in (0, 1]');

// ---------------------------------------------------------------- one run

interface Restart {
  /** Spawn → first HTTP answer (the "start on a loaded database" figure). */
  listeningMs: number;
  /** Spawn → the startup read of the catalog location finished. */
  readyMs: number;
  /** Spawn → the server went idle (all start-up work done). */
  idleMs: number;
  notIdle?: boolean;
  locationReadMs: number | null;
  totalItems: number;
  hwmMB?: number;
  /** The server rebuilt dist/ before listening (src/ changed during the run): not a start figure. */
  built?: boolean;
}

interface RunResult {
  engine: Engine;
  n: number;
  catalog: Omit<CatalogSpec, 'perFile' | 'sample' | 'fullTextTerms'> & { fullTextTerms: string[] };
  config: 'default' | 'refresh-off';
  seed: number;
  expected: number;
  expectedLogic: string;
  load: { start: Load; end?: Load };
  ingest: {
    listeningMs: number;
    queryableMs: number;
    /** After queryable: until the server went idle (search indexing of the new entities). */
    settledMs: number;
    settled: boolean;
    /** Docs sites built by the first start's docs build (after its startup read). */
    docs?: { statuses: Record<string, number>; lastFinishedMs?: number };
    totalItems: number;
    locationReadMs: number | null;
    problems: { errors: number; warnings: number; sample: string[] };
  };
  refresh: { ms: number; status: number; locationReadMs: number | null; totalItemsAfter: number };
  searchReindex?: { ms: number; status: number; answer: string; settledMs: number };
  /** Rewrite `fraction` of the entities' descriptions, then POST /refresh of the root location. */
  changedReread?: {
    fraction: number;
    changed: number;
    total: number;
    files: number;
    prepareMs: number;
    applyMs: number;
    /** POST /refresh → answered: the re-read of the changed files. */
    ms: number;
    status: number;
    locationReadMs: number | null;
    verified: boolean;
    settledMs: number;
    rssMaxMB?: number;
  };
  restart?: Restart;
  docsStartup?: {
    sites: number;
    /** Spawn → the docs build on start finished (or went idle). */
    ms: number;
    how: string;
    statuses: Record<string, number>;
    lastFinishedMs?: number;
  };
  /** Restart with a config change that invalidates the file cache: a full re-read. */
  reread?: Restart;
  memory: { hwmMB?: number; rssMB?: number };
  pgAnalyzeWait?: { ms: number; done: boolean };
  database: { totalMB: number; detail: Record<string, number> };
  latency: Record<string, LatencyResult>;
  walk: Walk;
  monitor?: MonitorReport;
  builds: Array<{ ms: number; note?: string }>;
  notes: string[];
}

const label = (spec: CatalogSpec) =>
  spec.source === 'generated' ? `n=${spec.generator!.n}` : `dir n=${spec.entities}`;
const entityPath = (e: EntityName) =>
  `/entities/by-name/${encodeURIComponent(e.kind.toLowerCase())}/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.name)}`;

/**
 * Waits until the location's last read finished after this server was spawned (its startup
 * read; with periodic refresh on, an earlier server may have read it after any status the
 * runner saw); returns the status.
 */
async function waitRead(server: Server, locationId: string): Promise<LocationStatus> {
  const spawned = Date.parse(server.spawnedIso);
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    assertAlive(server);
    const st = await getJson<LocationStatus>(
      server.base,
      `/locations/${locationId}/status`,
      TIMEOUT_MS,
    );
    if (st.lastReadAt && Date.parse(st.lastReadAt) >= spawned) return st;
    await sleep(50);
  }
  throw new Error(`location read not done within ${TIMEOUT_MS / 1000} s`);
}

interface BuildInfo {
  status: string;
  startedAt?: string;
  finishedAt?: string;
  building: boolean;
}
const docsBuild = (server: Server, e: EntityName) =>
  httpUrl(`${server.base}/api/techdocs/builds/${e.namespace}/${e.kind}/${e.name}`).then(
    (r) => JSON.parse(r.text) as BuildInfo,
  );

/** Build statuses of the docs sites (those from before this server's start marked so), and ms from spawn to the last build's end. */
async function docsStatuses(
  server: Server,
  sites: EntityName[],
): Promise<{ statuses: Record<string, number>; lastFinishedMs?: number }> {
  const statuses: Record<string, number> = {};
  let last: number | undefined;
  for (const s of sites) {
    const b = await docsBuild(server, s);
    const mine = b.startedAt !== undefined && b.startedAt >= server.spawnedIso;
    const key = mine ? b.status : `${b.status} (before this start)`;
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (mine && b.finishedAt) {
      const ms = Date.parse(b.finishedAt) - Date.parse(server.spawnedIso);
      last = Math.max(last ?? 0, ms);
    }
  }
  return { statuses, ...(last !== undefined ? { lastFinishedMs: last } : {}) };
}

/**
 * The server's docs build on start is done when the last local docs site (the build goes in
 * entity-ref order) has a build record from this start; without docs sites, or when the
 * sources were already built, when the server goes idle.
 */
async function waitDocsStartup(
  server: Server,
  sites: EntityName[],
): Promise<{ ms: number; how: string; statuses: Record<string, number>; lastFinishedMs?: number }> {
  const last = [...sites].sort((a, b) => a.name.localeCompare(b.name)).at(-1);
  const deadline = now() + IDLE_TIMEOUT_MS;
  let how = 'timeout';
  const cpu: Array<{ t: number; ms: number }> = [];
  while (now() < deadline) {
    assertAlive(server);
    if (last) {
      const b = await docsBuild(server, last);
      if (b.startedAt && b.startedAt >= server.spawnedIso && !b.building) {
        how = 'last site built';
        break;
      }
    }
    // Idle: under 10% of a core over the last 3 s, at least 5 s after spawn.
    const t = now();
    cpu.push({ t, ms: cpuMs(server.pid) });
    while (cpu.length > 1 && t - cpu[1]!.t >= 3000) cpu.shift();
    const first = cpu[0]!;
    if (t - first.t >= 3000 && t - server.spawnedAt > 5000) {
      if (((cpu.at(-1)!.ms - first.ms) / (t - first.t)) * 100 < 10) {
        how = last ? 'server idle (last site not rebuilt)' : 'server idle (no local docs sites)';
        break;
      }
    }
    await sleep(500);
  }
  const ms = round(now() - server.spawnedAt, 0);
  return { ms, how, ...(await docsStatuses(server, sites)) };
}

async function runOne(engine: Engine, spec: CatalogSpec): Promise<RunResult> {
  const notes: string[] = [];
  const builds: RunResult['builds'] = [];
  const loadStart = machineLoad();
  const tag = label(spec);
  log(`${engine} ${tag}: load average ${formatLoad(loadStart)}`);
  const work = mkdtempSync(join(tmpdir(), `atrium-bench-${engine}-${spec.entities}-`));
  const copyDir = join(work, 'catalog');
  await copyCatalog(spec, copyDir);
  const docs =
    DOCS_SITES > 0
      ? await writeDocsSites(join(work, 'docs-sites'), DOCS_SITES, DOCS_PAGES)
      : undefined;
  const target = join(copyDir, spec.target);
  const rootRef = generatedLocationRef(target);
  // The entities in the files + the Location entity the catalog generates for the config
  // location (location:default/generated-<sha1("file:<abs target>")>); docs sites likewise.
  const expected = spec.entities + 1 + (docs ? docs.entities.length + 1 : 0);
  const expectedLogic = `${spec.entities} entities in the files${spec.source === 'generated' ? ` (${spec.generator!.n} generated + 1 Location in catalog-info.yaml)` : ''} + 1 generated root Location (${rootRef})${docs ? ` + ${docs.entities.length} docs-site Components + 1 generated Location for them` : ''} = ${expected}`;
  log(`${engine} ${tag}: expecting totalItems = ${expectedLogic}`);

  const db = await freshDb(engine, work, String(spec.entities));
  const port = await freePort();
  const locations = [
    { type: 'file' as const, target },
    ...(docs ? [{ type: 'file' as const, target: docs.target }] : []),
  ];
  const config = (kinds: string[]) => ({
    port,
    database: db.config,
    locations,
    refreshOff: args['refresh-off']!,
    kinds,
    techdocsDir: join(work, 'techdocs'),
  });
  const configFile = join(work, 'app-config.yaml');
  writeAppConfig(configFile, config(ALL_KINDS));
  // Same entities, but `catalog.rules` differ, which changes the server's processing
  // fingerprint and so invalidates its per-file cache: the next start re-reads every file.
  const rereadConfigFile = join(work, 'app-config.reread.yaml');
  writeAppConfig(rereadConfigFile, config([...ALL_KINDS, 'Template']));

  const rng = new Prng(SEED * 7919 + spec.entities);
  const probeEntity = spec.sample[rng.int(spec.sample.length)]!;
  const monitor = new Monitor({
    intervalMs: Number(args['probe-interval']),
    healthPath: args['health-path'],
  });
  let server: Server | undefined;
  try {
    // ---- first start and ingest
    builds.push(await ensureBuilds());
    await monitor.whenReady();
    // Planner statistics gathered after this moment count as fresh (pg only).
    const ingestClock = await db.clock();
    server = startServer(work, configFile, port, 'server-1.log');
    await monitor.target(server, probeEntity);
    const listeningMs = await monitor.phase('first start: spawn → first answer', false, () =>
      waitListening(server!, TIMEOUT_MS),
    );
    if (serverBuiltAtStart(server)) notes.push('the first start rebuilt dist/ (src/ changed)');
    log(`${engine} ${tag}: listening after ${round(listeningMs, 0)} ms`);
    const ingestPhase = monitor.begin('first ingest (→ queryable → idle)', true);
    const ingested = await waitIngested(server, target, expected, TIMEOUT_MS, `${engine} ${tag}`);
    const { count, queryableMs } = ingested;
    let { status, loc } = ingested;
    if (count < expected)
      notes.push(`ingest finished with totalItems ${count} < expected ${expected}`);
    if (count > expected) notes.push(`totalItems ${count} > expected ${expected}`);
    log(`${engine} ${tag}: ${count} entities queryable after ${round(queryableMs / 1000, 2)} s`);
    const settle = await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
    monitor.end(ingestPhase);
    const firstStartDocs = docs ? await docsStatuses(server, docs.entities) : undefined;
    log(
      `${engine} ${tag}: idle ${settle.ms} ms after queryable${settle.idle ? '' : ' (not idle, went on)'}`,
    );
    loc ??= await findLocation(server.base, target);
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

    // ---- refresh with nothing changed (explicit refresh = read through the file cache)
    const lastReadBefore = status?.lastReadAt;
    const refresh = await monitor.phase('unchanged refresh (POST /refresh)', true, () =>
      http(server!.base, '/refresh', {
        method: 'POST',
        body: { entityRef: rootRef },
        timeoutMs: TIMEOUT_MS,
      }),
    );
    if (refresh.status !== 200)
      notes.push(`POST /refresh answered ${refresh.status}: ${refresh.text.slice(0, 200)}`);
    const statusAfter = await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`);
    if (statusAfter.lastReadAt === lastReadBefore)
      notes.push('POST /refresh returned but the location lastReadAt did not change');
    const countAfter = await totalItems(server.base);
    if (countAfter !== count)
      notes.push(`totalItems changed across an unchanged refresh: ${count} → ${countAfter}`);
    log(
      `${engine} ${tag}: refresh ${round(refresh.ms, 0)} ms (server read ${statusAfter.readMs} ms)`,
    );

    // ---- pg: let autovacuum ANALYZE the fresh tables first (see README: "pg statistics")
    const analyzeWaitMs = Number(args['pg-analyze-wait']) * 1000;
    const analyzeWait =
      analyzeWaitMs > 0 ? await db.waitAnalyzed(ingestClock, analyzeWaitMs) : undefined;
    if (analyzeWait) {
      log(
        `${engine} ${tag}: waited ${analyzeWait.ms} ms for autovacuum ANALYZE (${analyzeWait.done ? 'done' : 'not done, measuring anyway'})`,
      );
      if (!analyzeWait.done)
        notes.push(
          `autovacuum had not analyzed the catalog tables after ${analyzeWait.ms} ms; latencies measured without planner statistics`,
        );
    }

    // ---- latencies (probe off: they are measured alone)
    const randomNames = Array.from(
      { length: REQUESTS + WARMUP },
      () => spec.sample[rng.int(spec.sample.length)]!,
    );
    const terms = spec.fullTextTerms;
    const items = (b: unknown) => {
      const x = b as { items?: unknown[]; totalItems?: number };
      return `items=${x.items?.length} totalItems=${x.totalItems}`;
    };
    const probeKind = spec.sample[0]!.kind.toLowerCase();
    const kindFilter = `filter=kind%3D${encodeURIComponent(probeKind)}`;
    const lat: Record<string, LatencyResult> = {};
    await monitor.phase('latencies (probe off)', false, async () => {
      const base = server!.base;
      lat.byRef = await latency(
        base,
        (i) => entityPath(randomNames[i + WARMUP]!),
        (b) =>
          `kind=${(b as { kind: string }).kind} relations=${(b as { relations: unknown[] }).relations?.length}`,
        LATENCY,
      );
      lat.page = await latency(
        base,
        () => `/entities/by-query?${kindFilter}&orderField=metadata.name%2Casc&limit=100`,
        items,
        LATENCY,
      );
      lat.pageUnordered = await latency(
        base,
        () => `/entities/by-query?${kindFilter}&limit=100`,
        items,
        LATENCY,
      );
      lat.count = await latency(
        base,
        () => `/entities/by-query?${kindFilter}&limit=0`,
        items,
        LATENCY,
      );
      lat.facets = await latency(
        base,
        () => `/entity-facets?facet=spec.type&${kindFilter}`,
        (b) => JSON.stringify((b as { facets: unknown }).facets).slice(0, 200),
        LATENCY,
      );
      lat.fullText = await latency(
        base,
        (i) =>
          `/entities/by-query?fullTextFilterTerm=${encodeURIComponent(terms[(i + terms.length * 100) % terms.length]!.slice(0, 5))}&fullTextFilterFields=metadata.name&limit=20`,
        items,
        LATENCY,
      );
    });
    const kindCount = spec.counts[probeKind];
    if (lat.count!.answer && kindCount !== undefined) {
      const extra = probeKind === 'component' && docs ? docs.entities.length : 0;
      if (!lat.count!.answer.includes(`totalItems=${kindCount + extra}`))
        notes.push(
          `${probeKind} count answered ${lat.count!.answer}, expected totalItems=${kindCount + extra}`,
        );
    }
    for (const [k, v] of Object.entries(lat))
      log(`${engine} ${tag}: ${k} p50 ${v.p50} ms p95 ${v.p95} ms (${v.answer.slice(0, 80)})`);

    // ---- full walk
    const w = await monitor.phase('cursor walk (probe off)', false, () =>
      walk(server!.base, PAGE_SIZE, TIMEOUT_MS),
    );
    if (w.unique !== count)
      notes.push(
        `cursor walk saw ${w.unique} distinct entities (${w.items} items), totalItems is ${count}`,
      );
    log(`${engine} ${tag}: walk ${w.pages} pages in ${w.ms} ms`);
    const memory = procStatus(server.pid);

    // ---- full search reindex
    const searchReindex = await monitor.phase('full search reindex', true, async () => {
      const r = await httpUrl(`${server!.base}/api/search/reindex`, {
        method: 'POST',
        body: {},
        timeoutMs: TIMEOUT_MS,
      });
      const settled = await waitIdle(server!, { timeoutMs: IDLE_TIMEOUT_MS });
      if (r.status !== 200)
        notes.push(`POST /api/search/reindex answered ${r.status}: ${r.text.slice(0, 200)}`);
      return {
        ms: round(r.ms, 0),
        status: r.status,
        answer: r.text.slice(0, 300),
        settledMs: settled.ms,
      };
    });
    log(`${engine} ${tag}: search reindex ${searchReindex.ms} ms (${searchReindex.status})`);

    // ---- a re-read of changed files (a share of the entities get a new description)
    const rewrite = await monitor.phase('prepare rewrite (probe off)', false, () =>
      prepareRewrite(
        spec,
        copyDir,
        join(work, 'rewrite-1'),
        REREAD_FRACTION,
        `rev-1 ${new Date().toISOString()}`,
      ),
    );
    const rereadPhase = monitor.begin(
      `changed-file re-read (${round((rewrite.changed / rewrite.total) * 100, 0)}%)`,
      true,
    );
    const applyMs = await applyRewrite(rewrite, copyDir);
    const before = (await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`))
      .lastReadAt;
    const rr = await http(server.base, '/refresh', {
      method: 'POST',
      body: { entityRef: rootRef },
      timeoutMs: TIMEOUT_MS,
    });
    const rrStatus = await getJson<LocationStatus>(server.base, `/locations/${loc.id}/status`);
    const checked = await http(server.base, entityPath(rewrite.check.entity));
    const verified = checked.status === 200 && checked.text.includes(rewrite.check.marker);
    if (!verified)
      notes.push(
        `after the changed-file re-read ${entityPath(rewrite.check.entity)} does not show ${rewrite.check.marker} (${checked.status})`,
      );
    if (rrStatus.lastReadAt === before)
      notes.push('changed-file re-read: lastReadAt did not change');
    const rrSettle = await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
    monitor.end(rereadPhase);
    const changedReread: RunResult['changedReread'] = {
      fraction: round(rewrite.changed / rewrite.total, 3),
      changed: rewrite.changed,
      total: rewrite.total,
      files: rewrite.files.length,
      prepareMs: rewrite.prepareMs,
      applyMs,
      ms: round(rr.ms, 0),
      status: rr.status,
      locationReadMs: rrStatus.readMs,
      verified,
      settledMs: rrSettle.ms,
    };
    log(
      `${engine} ${tag}: changed-file re-read of ${rewrite.changed}/${rewrite.total} entities: ${changedReread.ms} ms (server read ${rrStatus.readMs} ms), idle ${rrSettle.ms} ms later`,
    );

    const database = await db.size();
    await stopServer(server);
    // The first start built the docs sites (after its startup read); changed sources make the
    // restart's docs build on start rebuild them all.
    if (docs)
      await touchDocsSites(join(work, 'docs-sites'), docs.entities, new Date().toISOString());

    // ---- restarts on the same database: the startup read of every location
    const restartOnce = async (
      configPath: string,
      logName: string,
      name: string,
      withDocs: boolean,
    ) => {
      builds.push(await ensureBuilds());
      server = startServer(work, configPath, port, logName);
      await monitor.target(server, probeEntity);
      const listening = await monitor.phase(`${name}: spawn → first answer`, false, () =>
        waitListening(server!, TIMEOUT_MS),
      );
      const built = serverBuiltAtStart(server);
      if (built)
        notes.push(
          `${name}: the server rebuilt dist/ before listening (src/ changed); start figure includes it`,
        );
      // The start phase runs from the first answer until the server is idle (startup read,
      // docs build on start, search catch-up); docs start-up is the part until the docs are built.
      const startPhase = monitor.begin(`${name} (first answer → idle)`, true);
      const docsPhase = withDocs ? monitor.begin('docs start-up', true) : undefined;
      const st = await waitRead(server, loc!.id);
      const readyMs = now() - server.spawnedAt;
      let docsStartup: RunResult['docsStartup'];
      if (docsPhase) {
        const d = await waitDocsStartup(server, docs?.entities ?? []);
        monitor.end(docsPhase);
        docsStartup = { sites: docs?.entities.length ?? 0, ...d };
        log(`${engine} ${tag}: docs start-up ${d.ms} ms (${d.how}; ${JSON.stringify(d.statuses)})`);
      }
      const idle = await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
      monitor.end(startPhase);
      const idleMs = round(now() - server.spawnedAt, 0);
      const c = await totalItems(server.base);
      if (c !== count) notes.push(`after ${name} totalItems ${c} (was ${count})`);
      const result: Restart = {
        listeningMs: round(listening, 0),
        readyMs: round(readyMs, 0),
        idleMs,
        ...(idle.idle ? {} : { notIdle: true }),
        locationReadMs: st.readMs ?? null,
        totalItems: c,
        hwmMB: procStatus(server.pid).hwmMB,
        ...(built ? { built } : {}),
      };
      await stopServer(server);
      return { result, docsStartup };
    };
    let restart: Restart | undefined;
    let reread: Restart | undefined;
    let docsStartup: RunResult['docsStartup'];
    if (!args['no-restart']) {
      // Same config: the file cache is valid, unchanged files are neither parsed nor written.
      const r1 = await restartOnce(
        configFile,
        'server-2-restart.log',
        'start on a loaded database',
        true,
      );
      restart = r1.result;
      docsStartup = r1.docsStartup;
      log(
        `${engine} ${tag}: restart listening ${restart.listeningMs} ms, startup read done ${restart.readyMs} ms (server read ${restart.locationReadMs} ms)`,
      );
      // Config changed: every file is parsed and processed again; entities are unchanged.
      const r2 = await restartOnce(
        rereadConfigFile,
        'server-3-reread.log',
        'restart with file cache invalidated',
        false,
      );
      reread = r2.result;
      log(
        `${engine} ${tag}: restart with cache invalidated: listening ${reread.listeningMs} ms, full re-read done ${reread.readyMs} ms (server read ${reread.locationReadMs} ms)`,
      );
    }

    const report = await monitor.report(PROBE_TARGET_MS);
    changedReread.rssMaxMB = report.phases.find((p) =>
      p.name.startsWith('changed-file re-read'),
    )?.rssMaxMB;
    const { perFile: _p, sample: _s, ...catalog } = spec;
    return {
      engine,
      n: spec.generator?.n ?? spec.entities,
      catalog,
      config: args['refresh-off'] ? 'refresh-off' : 'default',
      seed: SEED,
      expected,
      expectedLogic,
      load: { start: loadStart, end: machineLoad() },
      ingest: {
        listeningMs: round(listeningMs, 0),
        queryableMs: round(queryableMs, 0),
        settledMs: settle.ms,
        settled: settle.idle,
        ...(firstStartDocs ? { docs: firstStartDocs } : {}),
        totalItems: count,
        locationReadMs: status?.readMs ?? null,
        problems: ingestProblems,
      },
      refresh: {
        ms: round(refresh.ms, 0),
        status: refresh.status,
        locationReadMs: statusAfter.readMs,
        totalItemsAfter: countAfter,
      },
      searchReindex,
      changedReread,
      restart,
      docsStartup,
      reread,
      memory,
      pgAnalyzeWait: analyzeWait,
      database,
      latency: lat,
      walk: w,
      monitor: report,
      builds,
      notes,
    };
  } finally {
    await monitor.stop().catch(() => undefined);
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

interface Target {
  key: string;
  label: string;
  limit: number;
  unit: string;
  /** `<=` for the comparisons with Backstage's figures, else `<`. */
  orEqual?: boolean;
  get: (r: RunResult) => number | undefined;
}

/** Judged at 100,000 entities (the issue's targets). */
const TARGETS: Target[] = [
  {
    key: 'ingest',
    label: 'first ingest → queryable',
    limit: 60_000,
    unit: 'ms',
    get: (r) => r.ingest.queryableMs,
  },
  {
    key: 'ingestGap',
    label: 'first ingest: worst probe gap (no stall)',
    limit: PROBE_TARGET_MS,
    unit: 'ms',
    get: (r) => r.monitor?.phases.find((p) => p.name.startsWith('first ingest'))?.probe?.worstMs,
  },
  {
    key: 'refresh',
    label: 'unchanged refresh (POST /refresh)',
    limit: 10_000,
    unit: 'ms',
    get: (r) => r.refresh.ms,
  },
  {
    key: 'start',
    label: 'start on a loaded database → first answer',
    limit: 5000,
    unit: 'ms',
    get: (r) => r.restart?.listeningMs,
  },
  {
    key: 'changed',
    label: 'changed-file re-read (POST /refresh)',
    limit: 30_000,
    unit: 'ms',
    get: (r) => r.changedReread?.ms,
  },
  {
    key: 'rss',
    label: 'RSS, max of 500 ms samples throughout',
    limit: 1024,
    unit: 'MB',
    get: (r) => r.monitor?.rssMaxMB,
  },
  { key: 'byRef', label: 'by-ref p95', limit: 5, unit: 'ms', get: (r) => r.latency.byRef?.p95 },
  {
    key: 'page',
    label: 'page of 100 ordered p95',
    limit: 30,
    unit: 'ms',
    get: (r) => r.latency.page?.p95,
  },
  {
    key: 'pageUnordered',
    label: 'page of 100 unordered p95',
    limit: 30,
    unit: 'ms',
    get: (r) => r.latency.pageUnordered?.p95,
  },
  { key: 'count', label: 'count p95', limit: 100, unit: 'ms', get: (r) => r.latency.count?.p95 },
  { key: 'facets', label: 'facets p95', limit: 100, unit: 'ms', get: (r) => r.latency.facets?.p95 },
  {
    key: 'fullText',
    label: 'full-text p95',
    limit: 20,
    unit: 'ms',
    get: (r) => r.latency.fullText?.p95,
  },
  { key: 'walk', label: 'full cursor walk', limit: 5000, unit: 'ms', get: (r) => r.walk.ms },
  {
    key: 'probe',
    label: 'worst probe gap, all phases',
    limit: PROBE_TARGET_MS,
    unit: 'ms',
    get: (r) => r.monitor?.probeOverall?.worstMs,
  },
];

/** Backstage measured on the same 10,000-entity catalog (the issue's figures). */
const BACKSTAGE_10K: Target[] = [
  {
    key: 'bsByRef',
    label: 'by-ref p95 vs Backstage',
    limit: 5.1,
    unit: 'ms',
    orEqual: true,
    get: (r) => r.latency.byRef?.p95,
  },
  {
    key: 'bsFullText',
    label: 'full-text p95 vs Backstage',
    limit: 7.9,
    unit: 'ms',
    orEqual: true,
    get: (r) => r.latency.fullText?.p95,
  },
  {
    key: 'bsWalk',
    label: 'full walk vs Backstage',
    limit: 340,
    unit: 'ms',
    orEqual: true,
    get: (r) => r.walk.ms,
  },
];

const judged = (r: RunResult) => r.n >= 100_000;
const judge = (r: RunResult, ok: boolean) =>
  judged(r) ? (ok ? 'PASS' : 'FAIL') : ok ? '(pass)' : '(fail)';

function verdict(r: RunResult, t: Target): string {
  const v = t.get(r);
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  if (t.key === 'ingest' && r.ingest.totalItems < r.expected)
    return judged(r) ? 'FAIL (incomplete)' : '(fail: incomplete)';
  const ok = t.orEqual ? v <= t.limit : v < t.limit;
  if (t.key.startsWith('bs')) return ok ? 'PASS' : 'FAIL';
  return judge(r, ok);
}

const mb = (x: number | undefined) => (x !== undefined ? round(x, 0) : 'n/a');

function table(r: RunResult): string {
  const rows: string[][] = [];
  const tgt = (key: string) => [...TARGETS, ...BACKSTAGE_10K].find((t) => t.key === key)!;
  const withTarget = (key: string, value: string, label?: string) => {
    const t = tgt(key);
    rows.push([
      label ?? t.label,
      value,
      `${t.orEqual ? '≤' : '<'} ${t.limit} ${t.unit}`,
      verdict(r, t),
    ]);
  };
  const info = (label: string, value: string) => rows.push([label, value, '', '']);
  withTarget(
    'ingest',
    `${r.ingest.queryableMs} ms (first answer at ${r.ingest.listeningMs} ms; server read ${r.ingest.locationReadMs} ms; idle ${r.ingest.settledMs} ms later${r.ingest.settled ? '' : ', not idle'})`,
  );
  const ingestPhase = r.monitor?.phases.find((p) => p.name.startsWith('first ingest'));
  if (ingestPhase?.probe)
    withTarget(
      'ingestGap',
      `${ingestPhase.probe.worstMs} ms (p99 ${ingestPhase.probe.p99} ms, ${ingestPhase.probe.errors} errors)`,
    );
  const statusText = (st: Record<string, number>) =>
    Object.entries(st)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || 'no sites';
  if (r.ingest.docs)
    info(
      'docs sites built by the first start',
      `${statusText(r.ingest.docs.statuses)}${r.ingest.docs.lastFinishedMs !== undefined ? `; last build finished ${r.ingest.docs.lastFinishedMs} ms after spawn` : ''}`,
    );
  withTarget('refresh', `${r.refresh.ms} ms (server read ${r.refresh.locationReadMs} ms)`);
  if (r.searchReindex)
    info(
      'full search reindex (POST /api/search/reindex)',
      `${r.searchReindex.ms} ms (HTTP ${r.searchReindex.status}; idle ${r.searchReindex.settledMs} ms later)`,
    );
  if (r.changedReread) {
    const c = r.changedReread;
    withTarget(
      'changed',
      `${c.ms} ms for ${c.changed} of ${c.total} entities (${round(c.fraction * 100, 0)}%) in ${c.files} files (server read ${c.locationReadMs} ms; idle ${c.settledMs} ms later; RSS max ${mb(c.rssMaxMB)} MB${c.verified ? '' : '; change NOT visible'})`,
      `changed-file re-read, ${round(c.fraction * 100, 0)}% of entities`,
    );
  }
  if (r.restart) {
    withTarget(
      'start',
      `${r.restart.listeningMs} ms${r.restart.built ? ' (included a rebuild of dist/)' : ''}`,
    );
    info(
      'start on a loaded database → startup read done (file cache valid)',
      `${r.restart.readyMs} ms (server read ${r.restart.locationReadMs} ms); idle at ${r.restart.idleMs} ms${r.restart.notIdle ? ' (not idle)' : ''}`,
    );
  }
  if (r.docsStartup)
    info(
      `docs start-up (${r.docsStartup.sites} local sites)`,
      `${r.docsStartup.ms} ms after spawn (${r.docsStartup.how}; ${statusText(r.docsStartup.statuses)}${r.docsStartup.lastFinishedMs !== undefined ? `; last build finished ${r.docsStartup.lastFinishedMs} ms after spawn` : ''})`,
    );
  if (r.reread)
    info(
      'restart, cache invalidated → full re-read done (nothing changed)',
      `${r.reread.readyMs} ms (first answer at ${r.reread.listeningMs} ms; server read ${r.reread.locationReadMs} ms; peak RSS ${mb(r.reread.hwmMB)} MB)`,
    );
  withTarget(
    'rss',
    `${mb(r.monitor?.rssMaxMB)} MB (${r.monitor?.rssSamples ?? 0} samples; first server VmHWM ${mb(r.memory.hwmMB)} MB${r.restart?.hwmMB ? `, after restart ${mb(r.restart.hwmMB)} MB` : ''})`,
  );
  info(
    'database size',
    `${r.database.totalMB} MB (${Object.entries(r.database.detail)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  if (r.pgAnalyzeWait)
    info(
      'pg: waited for autovacuum ANALYZE before latencies',
      `${r.pgAnalyzeWait.ms} ms${r.pgAnalyzeWait.done ? '' : ' (not done)'}`,
    );
  const l = (k: string, label: string) => {
    const x = r.latency[k]!;
    const partial = x.requests < REQUESTS ? ` (${x.requests} requests only)` : '';
    const value = `p50 ${x.p50} / p95 ${x.p95} / p99 ${x.p99} ms (first ${x.firstMs} ms)${partial}${x.errors ? ` — ${x.errors} errors` : ''}`;
    withTarget(k, value, label);
  };
  l('byRef', 'entity by ref');
  l('page', 'page of 100, ordered by name');
  l('pageUnordered', 'page of 100, unordered');
  l('count', 'count (limit=0)');
  l('facets', 'facets spec.type');
  l('fullText', 'full text on metadata.name, limit 20');
  withTarget(
    'walk',
    `${r.walk.ms} ms, ${r.walk.pages} pages of ${PAGE_SIZE}, ${r.walk.unique} entities (slowest page ${r.walk.slowestPageMs} ms)`,
    `full cursor walk (limit=${PAGE_SIZE})`,
  );
  if (r.monitor?.probeOverall)
    withTarget(
      'probe',
      `${r.monitor.probeOverall.worstMs} ms (p99 ${r.monitor.probeOverall.p99} ms)`,
    );
  if (r.n >= 9000 && r.n <= 11000)
    for (const t of BACKSTAGE_10K) withTarget(t.key, `${t.get(r)} ms`);
  const loadLine = `load average (1/5/15 min) at start ${formatLoad(r.load.start)}, at end ${r.load.end ? formatLoad(r.load.end) : 'n/a'}`;
  const head = `### ${r.engine}, ${r.catalog.source === 'generated' ? `n = ${r.catalog.generator!.n.toLocaleString('en-US')} (seed ${r.seed})` : `--catalog-dir ${r.catalog.dir} (${r.n} entities)`}, ${r.config} config; expected totalItems ${r.expected}, got ${r.ingest.totalItems}\n\n${loadLine}\n\n| figure | measured | target (at 100k) | verdict |\n| --- | --- | --- | --- |\n`;
  const body = rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
  const probe = r.monitor
    ? `\n\nProbe (every ${args['probe-interval']} ms: GET by-name of one entity + GET ${args['health-path']}); worst gap = largest (answer − due time):\n\n${probeTable(r.monitor, (ok) => judge(r, ok))}`
    : '';
  const notes = r.notes.length ? `\n\nNotes:\n${r.notes.map((n) => `- ${n}`).join('\n')}` : '';
  return `${head}${body}${probe}${notes}\n`;
}

function summary(results: RunResult[]): string {
  const head =
    '| engine | n | load start→end | ingest s | worst gap ingest ms | refresh s | changed re-read s | reindex s | start → answer s | max RSS MB | by-ref p95 | page p95 (unordered) | count p95 | facets p95 | full-text p95 | walk s | worst gap ms (phase) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const rows = results.map((r) => {
    const worst = r.monitor?.phases
      .filter((p) => p.probe)
      .reduce<{ ms: number; name: string }>(
        (m, p) => (p.probe!.worstMs > m.ms ? { ms: p.probe!.worstMs, name: p.name } : m),
        { ms: 0, name: '' },
      );
    const ingestGap = r.monitor?.phases.find((p) => p.name.startsWith('first ingest'))?.probe
      ?.worstMs;
    return `| ${r.engine} | ${r.n} | ${r.load.start.load1}→${r.load.end?.load1} | ${round(r.ingest.queryableMs / 1000, 2)} | ${ingestGap ?? '—'} | ${round(r.refresh.ms / 1000, 2)} | ${r.changedReread ? round(r.changedReread.ms / 1000, 2) : '—'} | ${r.searchReindex ? round(r.searchReindex.ms / 1000, 2) : '—'} | ${r.restart ? round(r.restart.listeningMs / 1000, 2) : '—'} | ${mb(r.monitor?.rssMaxMB)} | ${r.latency.byRef!.p95} | ${r.latency.page!.p95} (${r.latency.pageUnordered!.p95}) | ${r.latency.count!.p95} | ${r.latency.facets!.p95} | ${r.latency.fullText!.p95} | ${round(r.walk.ms / 1000, 2)} | ${worst ? `${worst.ms} (${worst.name})` : '—'} |`;
  });
  return head + rows.join('\n');
}

const SRC_HASH = srcHash();

async function main() {
  log(`src/ content hash ${SRC_HASH}`);
  const results: RunResult[] = [];
  const failures: Array<{ engine: Engine; n: number | string; error: string }> = [];
  mkdirSync(args['results-dir']!, { recursive: true });
  const { file: outFile, stamp } = resultsFile(args['results-dir']!, 'catalog');
  const save = () =>
    writeFileSync(
      outFile,
      `${JSON.stringify({ startedAt: stamp, node: process.version, args, host: { cpus: cpus().length, memoryGB: round(totalmem() / 2 ** 30, 1) }, srcHash: SRC_HASH, results, failures }, null, 2)}\n`,
    );
  const specs: Array<() => Promise<CatalogSpec>> = args['catalog-dir']
    ? [() => externalCatalog(args['catalog-dir']!, SEED)]
    : SIZES.map((n) => async () => generatedCatalog(n, SEED, args['data-dir']!));
  for (const makeSpec of specs) {
    const spec = await makeSpec();
    for (const engine of ENGINES) {
      log(`=== ${engine}, ${label(spec)}`);
      try {
        const r = await runOne(engine, spec);
        results.push(r);
        process.stdout.write(`\n${table(r)}\n`);
      } catch (error) {
        const message = (error as Error).stack ?? String(error);
        failures.push({ engine, n: spec.entities, error: message });
        process.stdout.write(
          `\n### ${engine}, ${label(spec)}: FAILED\n\n\`\`\`\n${message}\n\`\`\`\n\n`,
        );
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
