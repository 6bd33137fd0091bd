/**
 * MCP benchmark (issue 16): the MCP server's `query-catalog-entities` against the same REST
 * query (`POST /api/catalog/entities/by-query`), at `--n` (100,000) generated entities, on a
 * real server (`node bin/atrium.mjs start`, as bench/catalog and bench/scorecards start it)
 * over HTTP, both called with the same bearer token (a static external-access token).
 *
 * Four query shapes, each asked `--requests` (200) times after `--warmup` (20) unrecorded
 * ones, REST and MCP in turns with the same arguments (the lifecycle, term or owner changes
 * from one request to the next, so no answer is a repeat):
 *   - filter:   kind=component, spec.type=service, spec.lifecycle=<one of three>; 4 fields
 *   - entities: kind=component, whole entities (the largest answers)
 *   - fulltext: a word of the generated names in metadata.name; 2 fields
 *   - owner:    relations.ownedBy=<a group>; 3 fields
 * An MCP call is one stateless JSON-RPC `tools/call` POST (what any client sends after its
 * handshake; the server keeps no session). The first answer of each shape is checked to hold
 * the same items and total through both APIs. Target: MCP p95 within 2× of REST p95.
 *
 *   npx tsx bench/mcp/run.ts --n 100000 --engines sqlite
 *   bash bench/catalog/run.sh bench/mcp/run.ts --n 100000          # SQLite and PostgreSQL
 *
 * Results: `bench/results/mcp-<time>.json` (each figure with the machine load when taken).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { type CatalogSpec, copyCatalog, generatedCatalog } from '../catalog/catalog-source.ts';
import {
  ALL_KINDS,
  type Engine,
  ensureBuilds,
  formatLoad,
  freePort,
  freshDb,
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
  srcHash,
  startServer,
  stopServer,
  waitIdle,
  waitIngested,
  waitListening,
  writeAppConfig,
} from '../catalog/harness.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    seed: { type: 'string', default: '1' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
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
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const IDLE_TIMEOUT_MS = Number(args['idle-timeout']) * 1000;
const TARGET_RATIO = 2;
const TOKEN = `bench-mcp-${randomBytes(16).toString('hex')}`;
const LIFECYCLES = ['production', 'experimental', 'deprecated'];

/** The arguments both APIs take alike (the tool's are the REST body's, by design). */
interface QueryArgs {
  query?: Record<string, unknown>;
  fullTextFilter?: { term: string; fields: string[] };
  fields?: string[];
  limit: number;
}

interface Shape {
  name: string;
  args(i: number): QueryArgs;
}

function shapes(spec: CatalogSpec, groups: string[]): Shape[] {
  const terms = spec.fullTextTerms.length ? spec.fullTextTerms : ['service'];
  return [
    {
      name: 'filter',
      args: (i) => ({
        query: {
          kind: 'component',
          'spec.type': 'service',
          'spec.lifecycle': LIFECYCLES[i % LIFECYCLES.length],
        },
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'spec.owner'],
        limit: 20,
      }),
    },
    {
      name: 'entities',
      // A different page start each time: offsets are not in the tool, so the order varies.
      args: (i) => ({
        query: { kind: 'component', 'spec.lifecycle': LIFECYCLES[i % LIFECYCLES.length] },
        limit: 20,
      }),
    },
    {
      name: 'fulltext',
      args: (i) => ({
        fullTextFilter: {
          term: terms[i % terms.length]!.slice(0, 5),
          fields: ['metadata.name'],
        },
        fields: ['kind', 'metadata.name'],
        limit: 20,
      }),
    },
    {
      name: 'owner',
      args: (i) => ({
        query: { 'relations.ownedBy': `group:default/${groups[i % groups.length]}` },
        fields: ['kind', 'metadata.name', 'spec.type'],
        limit: 20,
      }),
    },
  ];
}

// ---------------------------------------------------------------- the two APIs

interface Page {
  items: unknown[];
  totalItems: number;
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function timed(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ ms: number; status: number; text: string }> {
  const started = now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { ms: now() - started, status: res.status, text };
}

async function rest(server: Server, q: QueryArgs): Promise<{ ms: number; page: Page }> {
  const r = await timed(`${server.base}/api/catalog/entities/by-query`, {}, q);
  if (r.status !== 200) throw new Error(`REST by-query → ${r.status}: ${r.text.slice(0, 300)}`);
  return { ms: r.ms, page: JSON.parse(r.text) as Page };
}

let rpcId = 0;
async function mcp(server: Server, q: QueryArgs): Promise<{ ms: number; page: Page }> {
  const r = await timed(
    `${server.base}/api/mcp`,
    { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    {
      jsonrpc: '2.0',
      id: ++rpcId,
      method: 'tools/call',
      params: { name: 'query-catalog-entities', arguments: q },
    },
  );
  const body = JSON.parse(r.text) as {
    result?: { isError?: boolean; structuredContent?: Page; content?: Array<{ text: string }> };
    error?: unknown;
  };
  if (r.status !== 200 || !body.result || body.result.isError) {
    throw new Error(
      `MCP query-catalog-entities → ${r.status}: ${JSON.stringify(body.error ?? body.result?.content).slice(0, 300)}`,
    );
  }
  return { ms: r.ms, page: body.result.structuredContent! };
}

interface Spread {
  requests: number;
  p50: number;
  p95: number;
  max: number;
}

function spread(times: number[]): Spread {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    requests: times.length,
    p50: round(percentile(sorted, 0.5), 2),
    p95: round(percentile(sorted, 0.95), 2),
    max: round(sorted.at(-1) ?? Number.NaN, 2),
  };
}

interface ShapeFigure {
  rest: Spread;
  mcp: Spread;
  /** MCP p95 / REST p95. */
  ratio: number;
  answer: string;
  load: Load;
}

async function measureShape(server: Server, shape: Shape): Promise<ShapeFigure> {
  const load = machineLoad();
  const restTimes: number[] = [];
  const mcpTimes: number[] = [];
  let answer = '';
  for (let i = -WARMUP; i < REQUESTS; i++) {
    const q = shape.args(i + WARMUP);
    // Turns alternate which API goes first, so neither always meets a warmer cache.
    const [a, b] = i % 2 === 0 ? [rest, mcp] : [mcp, rest];
    const first = await a(server, q);
    const second = await b(server, q);
    const [r, m] = a === rest ? [first, second] : [second, first];
    if (i === -WARMUP) {
      const same =
        JSON.stringify(r.page.items) === JSON.stringify(m.page.items) &&
        r.page.totalItems === m.page.totalItems;
      if (!same) {
        throw new Error(
          `${shape.name}: the two APIs answered differently (REST ${r.page.totalItems} total, MCP ${m.page.totalItems})`,
        );
      }
      answer = `${r.page.items.length} items of ${r.page.totalItems}`;
    }
    if (i >= 0) {
      restTimes.push(r.ms);
      mcpTimes.push(m.ms);
    }
  }
  const figure = {
    rest: spread(restTimes),
    mcp: spread(mcpTimes),
    ratio: 0,
    answer,
    load,
  };
  figure.ratio = round(figure.mcp.p95 / figure.rest.p95, 2);
  log(
    `${shape.name}: REST p50 ${figure.rest.p50} / p95 ${figure.rest.p95} ms; MCP p50 ${figure.mcp.p50} / p95 ${figure.mcp.p95} ms; ratio ${figure.ratio} (${answer}; load ${formatLoad(load)})`,
  );
  return figure;
}

// ---------------------------------------------------------------- one engine

async function runOne(engine: Engine, spec: CatalogSpec) {
  const loadStart = machineLoad();
  log(`${engine} n=${N}: load average ${formatLoad(loadStart)}`);
  const work = mkdtempSync(join(tmpdir(), `atrium-mcp-${engine}-${N}-`));
  const copyDir = join(work, 'catalog');
  await copyCatalog(spec, copyDir);
  const db = await freshDb(engine, work, `mcp_${N}`);
  const port = await freePort();
  const configFile = join(work, 'app-config.yaml');
  const catalogTarget = join(copyDir, spec.target);
  writeAppConfig(configFile, {
    port,
    database: db.config,
    locations: [{ type: 'file', target: catalogTarget }],
    refreshOff: false,
    kinds: ALL_KINDS,
    techdocsDir: join(work, 'techdocs'),
  });
  const config = parse(readFileSync(configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  config.catalog!.locationRoots = [work];
  // Docs builds at start would run under every figure.
  config.techdocs = { ...config.techdocs, buildOnStart: false };
  config.backend!.auth = {
    externalAccess: [{ type: 'static', options: { token: TOKEN, subject: 'bench-mcp' } }],
  };
  writeFileSync(configFile, stringify(config));
  await ensureBuilds();
  let server: Server | undefined;
  try {
    server = startServer(work, configFile, port, 'server.log');
    await waitListening(server, TIMEOUT_MS);
    const ingest = await waitIngested(server, catalogTarget, spec.entities + 1, TIMEOUT_MS, engine);
    log(`${engine}: ${ingest.count} entities after ${round(ingest.queryableMs / 1000, 1)} s`);
    const since = await db.clock();
    const settled = await waitIdle(server, { timeoutMs: IDLE_TIMEOUT_MS });
    const analyzed = await db.waitAnalyzed(since, 240_000);
    const notes: string[] = [];
    if (analyzed && !analyzed.done) notes.push(`pg: not ANALYZEd within ${analyzed.ms} ms`);

    const groups = (
      await rest(server, { query: { kind: 'group' }, fields: ['metadata.name'], limit: 200 })
    ).page.items.map((g) => (g as { metadata: { name: string } }).metadata.name);
    const figures: Record<string, ShapeFigure> = {};
    for (const shape of shapes(spec, groups))
      figures[shape.name] = await measureShape(server, shape);
    const all = {
      rest: Math.max(...Object.values(figures).map((f) => f.rest.p95)),
      mcp: Math.max(...Object.values(figures).map((f) => f.mcp.p95)),
    };
    await stopServer(server);
    return {
      engine,
      n: N,
      entities: ingest.count,
      load: { start: loadStart, end: machineLoad() },
      setup: { ingestMs: round(ingest.queryableMs, 0), settledMs: settled.ms },
      figures,
      worstP95: { ...all, ratio: round(all.mcp / all.rest, 2) },
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
  const { file } = resultsFile(args['results-dir']!, 'mcp');
  mkdirSync(args['results-dir']!, { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: 'mcp',
        at: new Date().toISOString(),
        src: srcHash(),
        machine: {
          cpus: cpus().length,
          memoryGB: round(totalmem() / 2 ** 30, 1),
          loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
        },
        target: `MCP query-catalog-entities p95 within ${TARGET_RATIO}x of the same REST query`,
        requests: REQUESTS,
        warmup: WARMUP,
        results,
      },
      null,
      2,
    )}\n`,
  );
  log(`results: ${file}`);
  for (const r of results) {
    for (const [name, f] of Object.entries(r.figures)) {
      log(
        `${r.engine} ${name}: REST p95 ${f.rest.p95} ms, MCP p95 ${f.mcp.p95} ms, ${f.ratio}x ${f.ratio <= TARGET_RATIO ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  log(`load average now: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
}

await main();
