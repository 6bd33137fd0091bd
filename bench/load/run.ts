/**
 * Load test: `--connections` (200) concurrent HTTP clients for `--duration` (60) s against a
 * real Atrium server on a catalog of `--n` (100,000) generated entities (or `--catalog-dir`),
 * in the server's default configuration, with a mix of entity-by-ref, page (ordered and
 * unordered), count, facets and full-text requests, while the catalog is re-read over and
 * over: a share of the entities' files is rewritten (two alternating revisions) and
 * `POST /api/catalog/refresh` of the root location re-reads them. Reports requests/s,
 * latency percentiles, errors and non-2xx answers (target: 0) and RSS sampled every 500 ms.
 *
 *   npx tsx bench/load/run.ts --n 10000 --engines sqlite
 *   bash bench/catalog/run.sh bench/load/run.ts --n 100000 --engines sqlite,pg
 *
 * Servers are started and measured with bench/catalog/harness.ts (as the catalog benchmark).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  type Rewrite,
} from '../catalog/catalog-source.ts';
import { Prng } from '../catalog/generate.ts';
import {
  ALL_KINDS,
  type Engine,
  ensureBuilds,
  formatLoad,
  freePort,
  freshDb,
  generatedLocationRef,
  http,
  type Load,
  log,
  machineLoad,
  now,
  parseEngines,
  procStatus,
  REPO,
  resultsFile,
  round,
  type Server,
  srcHash,
  startServer,
  stopServer,
  totalItems,
  waitIdle,
  waitIngested,
  waitListening,
  writeAppConfig,
} from '../catalog/harness.ts';
import { Monitor, type MonitorReport } from '../catalog/probe.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    'catalog-dir': { type: 'string' },
    seed: { type: 'string', default: '1' },
    connections: { type: 'string', default: '200' },
    /** Seconds. */
    duration: { type: 'string', default: '60' },
    /** Per-request timeout of the load clients, seconds (autocannon counts a timeout as an error). */
    'request-timeout': { type: 'string', default: '10' },
    /** Request types and their weights in each client's cycle. */
    mix: { type: 'string', default: 'byRef:3,page:1,pageUnordered:1,count:1,facets:1,fullText:2' },
    /** Share of the entities each re-read's rewrite changes. */
    'reread-fraction': { type: 'string', default: '0.9' },
    /** No re-reads during the load (a baseline). */
    'no-reread': { type: 'boolean', default: false },
    'refresh-off': { type: 'boolean', default: false },
    /** Upper bound for each wait (ingest, refresh), seconds. */
    timeout: { type: 'string', default: '900' },
    'idle-timeout': { type: 'string', default: '300' },
    'data-dir': { type: 'string', default: join(REPO, 'bench/.data') },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});

const N = Number(args.n!.replace(/_/g, ''));
const ENGINES = parseEngines(args.engines!);
const SEED = Number(args.seed);
const CONNECTIONS = Number(args.connections);
const DURATION_S = Number(args.duration);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const IDLE_TIMEOUT_MS = Number(args['idle-timeout']) * 1000;
const FRACTION = Number(args['reread-fraction']);
const MIX = args.mix!.split(',').map((part) => {
  const [name, weight] = part.split(':');
  return { name: name!.trim(), weight: Number(weight ?? 1) };
});
const TYPES = ['byRef', 'page', 'pageUnordered', 'count', 'facets', 'fullText'];
for (const m of MIX)
  if (!TYPES.includes(m.name) || !(m.weight >= 1))
    throw new Error(
      `--mix: unknown type or bad weight in ${m.name}:${m.weight} (${TYPES.join(', ')})`,
    );

// ---------------------------------------------------------------- autocannon (no bundled types)

interface AcRequest {
  method?: string;
  path?: string;
  setupRequest?: (req: AcRequest) => AcRequest;
  onResponse?: (status: number) => void;
}
interface AcHistogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
  total?: number;
}
interface AcResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  mismatches: number;
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  statusCodeStats: Record<string, { count: number }>;
  latency: AcHistogram;
  requests: AcHistogram & { sent: number };
  throughput: AcHistogram;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: AcRequest[];
}) => Promise<AcResult> & { stop(): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------- one run

interface LoadResult {
  engine: Engine;
  n: number;
  catalog: Omit<CatalogSpec, 'perFile' | 'sample' | 'fullTextTerms'>;
  config: 'default' | 'refresh-off';
  load: { start: Load; end?: Load; duringEnd?: Load };
  setup: { listeningMs: number; queryableMs: number; settledMs: number; totalItems: number };
  clients: { connections: number; durationS: number; timeoutS: number; mix: typeof MIX };
  results: {
    requests: number;
    requestsPerSecond: number;
    latencyMs: { p50: number; p90: number; p97_5: number; p99: number; max: number; mean: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodes: Record<string, number>;
    byType: Record<string, { responses: number; non2xx: number }>;
  };
  rereads: {
    count: number;
    fraction: number;
    changed: number;
    msEach: number[];
    statuses: number[];
    /** Re-read still running when the clients stopped (finished afterwards, not counted). */
    runningAtEnd: boolean;
    /** That re-read: its whole duration, and how long after the load it finished. */
    last?: { ms: number; status: number; afterLoadMs: number };
  };
  rssMaxMB?: number;
  hwmMB?: number;
  monitor: MonitorReport;
  after: { totalItems: number; expected: number };
  notes: string[];
}

const entityPath = (e: EntityName) =>
  `/api/catalog/entities/by-name/${encodeURIComponent(e.kind.toLowerCase())}/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.name)}`;

async function runOne(engine: Engine, spec: CatalogSpec): Promise<LoadResult> {
  const notes: string[] = [];
  const loadStart = machineLoad();
  log(`${engine} n=${spec.entities}: load average ${formatLoad(loadStart)}`);
  const work = mkdtempSync(join(tmpdir(), `atrium-load-${engine}-${spec.entities}-`));
  const copyDir = join(work, 'catalog');
  await copyCatalog(spec, copyDir);
  const target = join(copyDir, spec.target);
  const rootRef = generatedLocationRef(target);
  const expected = spec.entities + 1;
  const db = await freshDb(engine, work, `load_${spec.entities}`);
  const port = await freePort();
  const configFile = join(work, 'app-config.yaml');
  writeAppConfig(configFile, {
    port,
    database: db.config,
    locations: [{ type: 'file', target }],
    refreshOff: args['refresh-off']!,
    kinds: ALL_KINDS,
    techdocsDir: join(work, 'techdocs'),
  });
  const monitor = new Monitor();
  let server: Server | undefined;
  try {
    await ensureBuilds();
    await monitor.whenReady();
    server = startServer(work, configFile, port, 'server.log');
    const rng = new Prng(SEED * 7919 + spec.entities);
    await monitor.target(server, spec.sample[0]!);
    const setup = await monitor.phase('start and first ingest', false, async () => {
      const listeningMs = await waitListening(server!, TIMEOUT_MS);
      const ing = await waitIngested(server!, target, expected, TIMEOUT_MS, `${engine} load`);
      if (ing.count < expected)
        notes.push(`ingest finished with totalItems ${ing.count} < expected ${expected}`);
      const settled = await waitIdle(server!, { timeoutMs: IDLE_TIMEOUT_MS });
      return {
        listeningMs: round(listeningMs, 0),
        queryableMs: round(ing.queryableMs, 0),
        settledMs: settled.ms,
        totalItems: ing.count,
      };
    });
    log(
      `${engine} n=${spec.entities}: ${setup.totalItems} entities queryable after ${setup.queryableMs} ms, idle ${setup.settledMs} ms later`,
    );

    let rewrites: Rewrite[] = [];
    if (!args['no-reread'])
      rewrites = await monitor.phase('prepare rewrites', false, async () => [
        await prepareRewrite(spec, copyDir, join(work, 'rewrite-a'), FRACTION, 'load rev A'),
        await prepareRewrite(spec, copyDir, join(work, 'rewrite-b'), FRACTION, 'load rev B'),
      ]);

    // ---- the request mix: each client cycles through it
    const kind = spec.sample[0]!.kind.toLowerCase();
    const kindFilter = `filter=kind%3D${encodeURIComponent(kind)}`;
    const terms = spec.fullTextTerms;
    const paths: Record<string, () => string> = {
      byRef: () => entityPath(spec.sample[rng.int(spec.sample.length)]!),
      page: () =>
        `/api/catalog/entities/by-query?${kindFilter}&orderField=metadata.name%2Casc&limit=100`,
      pageUnordered: () => `/api/catalog/entities/by-query?${kindFilter}&limit=100`,
      count: () => `/api/catalog/entities/by-query?${kindFilter}&limit=0`,
      facets: () => `/api/catalog/entity-facets?facet=spec.type&${kindFilter}`,
      fullText: () =>
        `/api/catalog/entities/by-query?fullTextFilterTerm=${encodeURIComponent(terms[rng.int(terms.length)]!.slice(0, 5))}&fullTextFilterFields=metadata.name&limit=20`,
    };
    const byType: LoadResult['results']['byType'] = {};
    const requests: AcRequest[] = [];
    for (const m of MIX) {
      byType[m.name] = { responses: 0, non2xx: 0 };
      for (let i = 0; i < m.weight; i++)
        requests.push({
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: paths[m.name]!() }),
          onResponse: (status) => {
            byType[m.name]!.responses++;
            if (status < 200 || status >= 300) byType[m.name]!.non2xx++;
          },
        });
    }

    // ---- load + re-reads
    const rereads: LoadResult['rereads'] = {
      count: 0,
      fraction: rewrites[0] ? round(rewrites[0].changed / rewrites[0].total, 3) : 0,
      changed: rewrites[0]?.changed ?? 0,
      msEach: [],
      statuses: [],
      runningAtEnd: false,
    };
    log(
      `${engine} n=${spec.entities}: ${CONNECTIONS} connections for ${DURATION_S} s${rewrites.length ? `, re-reading ${rereads.changed} changed entities over and over` : ''}`,
    );
    const loadPhase = monitor.begin(`load: ${CONNECTIONS} clients × ${DURATION_S} s`, false);
    let stopping = false;
    let loadEndedAt = 0;
    const rereadLoop = (async () => {
      for (let i = 0; rewrites.length && !stopping; i++) {
        await applyRewrite(rewrites[i % 2]!, copyDir);
        const started = now();
        const r = await http(server!.base, '/refresh', {
          method: 'POST',
          body: { entityRef: rootRef },
          timeoutMs: TIMEOUT_MS,
        });
        if (stopping) {
          rereads.runningAtEnd = true;
          rereads.last = {
            ms: round(now() - started, 0),
            status: r.status,
            afterLoadMs: round(now() - loadEndedAt, 0),
          };
          break;
        }
        rereads.msEach.push(round(now() - started, 0));
        rereads.statuses.push(r.status);
        rereads.count++;
      }
    })();
    const ac = await autocannon({
      url: server.base,
      connections: CONNECTIONS,
      duration: DURATION_S,
      timeout: Number(args['request-timeout']),
      requests,
    });
    stopping = true;
    loadEndedAt = now();
    const duringEnd = machineLoad();
    monitor.end(loadPhase);
    await rereadLoop;
    const hwmMB = procStatus(server.pid).hwmMB;
    const after = await totalItems(server.base);
    if (after !== setup.totalItems)
      notes.push(`totalItems ${after} after the load (was ${setup.totalItems})`);
    const report = await monitor.report();
    await stopServer(server);
    const statusCodes: Record<string, number> = {};
    for (const [code, v] of Object.entries(ac.statusCodeStats ?? {})) statusCodes[code] = v.count;
    const { perFile: _p, sample: _s, fullTextTerms: _t, ...catalog } = spec;
    return {
      engine,
      n: spec.generator?.n ?? spec.entities,
      catalog,
      config: args['refresh-off'] ? 'refresh-off' : 'default',
      load: { start: loadStart, duringEnd, end: machineLoad() },
      setup,
      clients: {
        connections: CONNECTIONS,
        durationS: DURATION_S,
        timeoutS: Number(args['request-timeout']),
        mix: MIX,
      },
      results: {
        requests: ac.requests.total ?? ac['2xx'] + ac.non2xx,
        requestsPerSecond: round(ac.requests.average, 0),
        latencyMs: {
          p50: ac.latency.p50,
          p90: ac.latency.p90,
          p97_5: ac.latency.p97_5,
          p99: ac.latency.p99,
          max: ac.latency.max,
          mean: round(ac.latency.mean, 1),
        },
        errors: ac.errors,
        timeouts: ac.timeouts,
        non2xx: ac.non2xx,
        statusCodes,
        byType,
      },
      rereads,
      rssMaxMB: report.phases.find((p) => p.name.startsWith('load:'))?.rssMaxMB,
      hwmMB,
      monitor: report,
      after: { totalItems: after, expected },
      notes,
    };
  } finally {
    await monitor.stop().catch(() => undefined);
    if (server) await stopServer(server).catch(() => undefined);
    if (!args.keep) {
      await db.drop().catch((e) => log(`dropping database failed: ${(e as Error).message}`));
      rmSync(work, { recursive: true, force: true });
    } else log(`kept ${work}`);
  }
}

function table(r: LoadResult): string {
  const judged = r.n >= 100_000;
  const v = (ok: boolean) => (judged ? (ok ? 'PASS' : 'FAIL') : ok ? '(pass)' : '(fail)');
  const x = r.results;
  const rows: string[][] = [
    ['requests/s (mean over the run)', `${x.requestsPerSecond} (${x.requests} requests)`, '', ''],
    [
      'latency',
      `p50 ${x.latencyMs.p50} / p90 ${x.latencyMs.p90} / p97.5 ${x.latencyMs.p97_5} / p99 ${x.latencyMs.p99} / max ${x.latencyMs.max} ms`,
      '',
      '',
    ],
    [
      'errors (network, timeouts)',
      `${x.errors} (timeouts ${x.timeouts})`,
      '0',
      v(x.errors === 0 && x.timeouts === 0),
    ],
    [
      'non-2xx answers',
      `${x.non2xx} (${Object.entries(x.statusCodes)
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ')})`,
      '0',
      v(x.non2xx === 0),
    ],
    [
      'answers by type (non-2xx)',
      Object.entries(x.byType)
        .map(([k, t]) => `${k} ${t.responses} (${t.non2xx})`)
        .join(', '),
      '',
      '',
    ],
    [
      're-reads during the load',
      r.rereads.count || r.rereads.runningAtEnd
        ? `${r.rereads.count} finished during the load${r.rereads.count ? ` (${r.rereads.msEach.join(', ')} ms; HTTP ${[...new Set(r.rereads.statuses)].join(', ')})` : ''}${r.rereads.last ? `; one running at the end took ${r.rereads.last.ms} ms in all (HTTP ${r.rereads.last.status}), ${r.rereads.last.afterLoadMs} ms after the load ended` : ''}; each changes ${r.rereads.changed} entities (${round(r.rereads.fraction * 100, 0)}%)`
        : 'none',
      '',
      '',
    ],
    [
      'RSS max (500 ms samples during the load)',
      `${r.rssMaxMB ?? 'n/a'} MB (VmHWM ${r.hwmMB !== undefined ? round(r.hwmMB, 0) : 'n/a'} MB)`,
      '< 1024 MB',
      r.rssMaxMB !== undefined ? v(r.rssMaxMB < 1024) : 'n/a',
    ],
  ];
  const head = `### load: ${r.engine}, ${r.catalog.source === 'generated' ? `n = ${r.catalog.generator!.n.toLocaleString('en-US')}` : `--catalog-dir ${r.catalog.dir}`} (${r.setup.totalItems} entities), ${r.clients.connections} connections × ${r.clients.durationS} s, ${r.config} config\n\nload average (1/5/15 min): start ${formatLoad(r.load.start)}, end of the load ${r.load.duringEnd ? formatLoad(r.load.duringEnd) : 'n/a'}, end ${r.load.end ? formatLoad(r.load.end) : 'n/a'}. Setup: first answer ${r.setup.listeningMs} ms, queryable ${r.setup.queryableMs} ms, idle ${r.setup.settledMs} ms later.\n\n| figure | measured | target | verdict |\n| --- | --- | --- | --- |\n`;
  const notes = r.notes.length ? `\n\nNotes:\n${r.notes.map((n) => `- ${n}`).join('\n')}` : '';
  return `${head}${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}${notes}\n`;
}

async function main() {
  const hash = srcHash();
  log(`src/ content hash ${hash}`);
  mkdirSync(args['results-dir']!, { recursive: true });
  const { file: outFile, stamp } = resultsFile(args['results-dir']!, 'load');
  const results: LoadResult[] = [];
  const failures: Array<{ engine: Engine; error: string }> = [];
  const save = () =>
    writeFileSync(
      outFile,
      `${JSON.stringify({ startedAt: stamp, node: process.version, args, host: { cpus: cpus().length, memoryGB: round(totalmem() / 2 ** 30, 1) }, srcHash: hash, results, failures }, null, 2)}\n`,
    );
  const spec = args['catalog-dir']
    ? await externalCatalog(args['catalog-dir'], SEED)
    : generatedCatalog(N, SEED, args['data-dir']!);
  for (const engine of ENGINES) {
    log(`=== load, ${engine}`);
    try {
      const r = await runOne(engine, spec);
      results.push(r);
      process.stdout.write(`\n${table(r)}\n`);
    } catch (error) {
      const message = (error as Error).stack ?? String(error);
      failures.push({ engine, error: message });
      process.stdout.write(`\n### load: ${engine}: FAILED\n\n\`\`\`\n${message}\n\`\`\`\n\n`);
    }
    save();
  }
  process.stdout.write(`\nResults written to ${outFile}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

await main();
