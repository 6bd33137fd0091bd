/**
 * Access-control benchmark (issue 12): list, count and facet latencies under an owner-only
 * read policy for a user who owns exactly `--owned` (1,000) of `--n` (100,000) generated
 * entities, and the cost of authorization on an allow-all request, on SQLite and PostgreSQL.
 *
 *   npx tsx bench/access/run.ts --n 100000 --engines sqlite
 *   bash bench/catalog/run.sh bench/access/run.ts --n 100000          # both engines
 *
 * One ingest per engine (permission off), then restarts on the same database with other
 * configs: for the overhead, an `off` (permission.enabled false) and an `allow-all` server
 * side by side, asked in turn, `--rounds` times; then `owner-only`. Every caller is the guest,
 * configured as the owning user (`auth.providers.guest.userEntityRef` /
 * `ownershipEntityRefs`). Servers are started and measured with bench/catalog/harness.ts; the
 * owned entities and policies are in ./owned.ts. bench/README.md describes every figure.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { copyCatalog, generatedCatalog, type CatalogSpec } from '../catalog/catalog-source.ts';
import {
  ALL_KINDS,
  type Engine,
  ensureBuilds,
  formatLoad,
  freePort,
  freshDb,
  getJson,
  http,
  latency,
  type LatencyResult,
  type Load,
  log,
  machineLoad,
  parseEngines,
  percentile,
  REPO,
  resultsFile,
  round,
  type Server,
  sleep,
  srcHash,
  startServer,
  stopServer,
  totalItems,
  waitIdle,
  waitIngested,
  waitListening,
  writeAppConfig,
} from '../catalog/harness.ts';
import { type OwnedCatalog, OWNERSHIP_REFS, POLICIES, writeOwnedCatalog } from './owned.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    engines: { type: 'string', default: 'sqlite,pg' },
    seed: { type: 'string', default: '1' },
    /** Entities the caller owns (added beside the generated catalog). */
    owned: { type: 'string', default: '1000' },
    /** Per latency figure, after the warm-up. */
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    /** Overhead: requests to each of the two servers per round (after 100 warm-up each). */
    'overhead-requests': { type: 'string', default: '1000' },
    /** Overhead: rounds; the two servers swap configs (off, allow-all) every round. */
    rounds: { type: 'string', default: '2' },
    /** Skip the figures with permission off (whole catalog; owner filter written by the caller). */
    'no-baseline': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '900' },
    'idle-timeout': { type: 'string', default: '300' },
    'request-timeout': { type: 'string', default: '60' },
    'figure-budget': { type: 'string', default: '120' },
    'pg-analyze-wait': { type: 'string', default: '240' },
    'data-dir': { type: 'string', default: join(REPO, 'bench/.data') },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});

const N = Number(args.n!.replace(/_/g, ''));
const ENGINES = parseEngines(args.engines!);
const SEED = Number(args.seed);
const OWNED = Number(args.owned);
const ROUNDS = Number(args.rounds);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const IDLE_TIMEOUT_MS = Number(args['idle-timeout']) * 1000;
const LATENCY = {
  requests: Number(args.requests),
  warmup: Number(args.warmup),
  requestTimeoutMs: Number(args['request-timeout']) * 1000,
  budgetMs: Number(args['figure-budget']) * 1000,
};

/** Targets at 100,000 entities (issue 12, quality bar). */
const TARGETS = { pageP95: 40, totalP95: 100, facetsP95: 100, overheadP50: 1 };

type Variant = 'off' | 'allow-all' | 'owner-only';

// ---------------------------------------------------------------- the requests

const KIND = 'filter=kind%3Dcomponent';
const ORDER = 'orderField=metadata.name%2Casc';
const FACETS = ['kind', 'spec.type', 'spec.lifecycle'];

/**
 * Facet counts are cached per (facets as written, filter) until the catalog changes, so a
 * repeated request measures a cache hit. Writing the facet names in another letter case gives
 * a new cache key for the same SQL (the server lowercases them): an uncached request each time.
 */
function facetsInCase(k: number): string {
  let bit = 0;
  return FACETS.map((f) =>
    [...f].map((c) => (/[a-z]/.test(c) && (k >> bit++) & 1 ? c.toUpperCase() : c)).join(''),
  )
    .map((f) => `facet=${f}`)
    .join('&');
}

interface Figure {
  name: string;
  /** Which target it is judged against. */
  target?: keyof typeof TARGETS;
  path: (i: number) => string;
}

/** The list figures; `extra` is ANDed into every filter (the owner filter written by the caller). */
function listFigures(extra?: string): Figure[] {
  const f = (own: string) => {
    const parts = [own, extra].filter(Boolean) as string[];
    return parts.length ? `filter=${parts.map(encodeURIComponent).join('%2C')}` : '';
  };
  const q = (...parts: string[]) => `/entities/by-query?${parts.filter(Boolean).join('&')}`;
  const kind = f('kind=component');
  const all = f('');
  return [
    {
      name: 'page of 100, kind=component, ordered by name',
      target: 'pageP95',
      path: () => q(kind, ORDER, 'limit=100', 'totalItems=exclude'),
    },
    {
      name: 'page of 100, kind=component, unordered',
      target: 'pageP95',
      path: () => q(kind, 'limit=100', 'totalItems=exclude'),
    },
    {
      name: 'page of 100, all kinds, ordered by name',
      target: 'pageP95',
      path: () => q(all, ORDER, 'limit=100', 'totalItems=exclude'),
    },
    {
      name: 'page of 100, all kinds, unordered',
      target: 'pageP95',
      path: () => q(all, 'limit=100', 'totalItems=exclude'),
    },
    {
      name: 'page of 100 + totalItems, kind=component, ordered',
      target: 'totalP95',
      path: () => q(kind, ORDER, 'limit=100'),
    },
    {
      name: 'totalItems only (limit=0), kind=component',
      target: 'totalP95',
      path: () => q(kind, 'limit=0'),
    },
    {
      name: 'totalItems only (limit=0), all kinds',
      target: 'totalP95',
      path: () => q(all, 'limit=0'),
    },
    {
      name: 'facets kind, spec.type, spec.lifecycle (uncached)',
      target: 'facetsP95',
      path: (i) => `/entity-facets?${facetsInCase(i + 100)}${all ? `&${all}` : ''}`,
    },
    {
      name: 'facets kind, spec.type, spec.lifecycle (cached)',
      target: 'facetsP95',
      path: () => `/entity-facets?${facetsInCase(0)}${all ? `&${all}` : ''}`,
    },
  ];
}

const describe = (body: unknown): string => {
  const b = body as {
    items?: unknown[];
    totalItems?: number;
    facets?: Record<string, Array<{ count: number }>>;
    metadata?: { name: string };
  };
  if (b.facets)
    return Object.entries(b.facets)
      .map(([k, v]) => `${k}: ${v.length} values, ${v.reduce((s, x) => s + x.count, 0)} counted`)
      .join('; ');
  if (b.items) return `${b.items.length} items, totalItems ${b.totalItems}`;
  return b.metadata ? `entity ${b.metadata.name}` : '';
};

interface Measured extends LatencyResult {
  name: string;
  target?: keyof typeof TARGETS;
  load: { start: Load; end: Load };
}

async function measure(base: string, figures: Figure[], tag: string): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const fig of figures) {
    const start = machineLoad();
    const r = await latency(base, fig.path, describe, LATENCY);
    out.push({
      name: fig.name,
      ...(fig.target ? { target: fig.target } : {}),
      ...r,
      load: { start, end: machineLoad() },
    });
    log(`${tag}: ${fig.name}: p50 ${r.p50} / p95 ${r.p95} ms (first ${r.firstMs}; ${r.answer})`);
  }
  return out;
}

// ---------------------------------------------------------------- one engine

interface Setup {
  work: string;
  catalogTarget: string;
  owned: OwnedCatalog;
  expected: number;
  port: number;
  database: Record<string, unknown>;
}

function writeConfig(s: Setup, variant: Variant, port: number): string {
  const file = join(s.work, `app-config.${variant}.${port}.yaml`);
  writeAppConfig(file, {
    port,
    database: s.database,
    locations: [
      { type: 'file', target: s.catalogTarget },
      { type: 'file', target: s.owned.target },
    ],
    refreshOff: false,
    kinds: ALL_KINDS,
    techdocsDir: join(s.work, 'techdocs'),
  });
  // The harness writes the default benchmark config; access control goes on top of it.
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const [userEntityRef] = OWNERSHIP_REFS;
  config.auth = {
    providers: { guest: { userEntityRef, ownershipEntityRefs: OWNERSHIP_REFS } },
  };
  if (variant === 'off') config.permission = { enabled: false };
  else {
    const policyFile = join(s.work, `policy.${variant}.yaml`);
    writeFileSync(policyFile, POLICIES[variant]);
    config.permission = { enabled: true, policyFile };
  }
  writeFileSync(file, stringify(config));
  return file;
}

/**
 * Polls until totalItems (as this server's caller sees it) is `want`. Until the server has
 * read its policy file, reads are denied (403): that is waited out too.
 */
async function waitCount(server: Server, want: number, tag: string): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  let seen = 'no answer';
  while (Date.now() < deadline) {
    try {
      const count = await totalItems(server.base, TIMEOUT_MS);
      if (count === want) return count;
      seen = `totalItems ${count}`;
    } catch (error) {
      seen = (error as Error).message.slice(0, 300);
    }
    await sleep(250);
  }
  throw new Error(`${tag}: expected totalItems ${want}, last seen: ${seen}`);
}

interface Spread {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  mean: number;
}

interface OverheadRound {
  round: number;
  /** Which server (port) had which config in this round. */
  ports: Record<'off' | 'allow-all', number>;
  off: Spread;
  allowAll: Spread;
  diffP50: number;
  load: { start: Load; end: Load };
}

/**
 * `requests` GETs of `path` to each server, in turn (the order flips every request), after
 * `warmup` each: machine load, which comes and goes on a shared machine, falls on both alike.
 */
async function paired(bases: string[], path: string, requests: number, warmup: number) {
  const times = bases.map((): number[] => []);
  const errors = bases.map(() => 0);
  for (let i = -warmup; i < requests; i++) {
    const order = i % 2 ? [...bases.keys()].reverse() : [...bases.keys()];
    for (const k of order) {
      const r = await http(bases[k]!, path, { timeoutMs: LATENCY.requestTimeoutMs });
      if (r.status !== 200) errors[k]!++;
      if (i >= 0) times[k]!.push(r.ms);
    }
  }
  return times.map((t, k): Spread => {
    const sorted = [...t].sort((a, b) => a - b);
    return {
      requests: t.length,
      errors: errors[k]!,
      p50: round(percentile(sorted, 0.5), 3),
      p95: round(percentile(sorted, 0.95), 3),
      mean: round(t.reduce((sum, x) => sum + x, 0) / t.length, 3),
    };
  });
}

interface EngineResult {
  engine: Engine;
  n: number;
  entities: number;
  owned: Omit<OwnedCatalog, 'target'>;
  load: { start: Load; end?: Load };
  setup: { queryableMs: number; settledMs: number; pgAnalyzeWaitMs?: number };
  figures: Partial<Record<'owner-only' | 'off' | 'off, owner filter as query', Measured[]>>;
  overhead: {
    path: string;
    rounds: OverheadRound[];
    /** Means over the rounds. */
    offP50: number;
    allowAllP50: number;
    diffP50: number;
  };
  checks: string[];
  notes: string[];
}

async function runOne(engine: Engine, spec: CatalogSpec): Promise<EngineResult> {
  const notes: string[] = [];
  const checks: string[] = [];
  const loadStart = machineLoad();
  log(`${engine} n=${N}: load average ${formatLoad(loadStart)}`);
  const work = mkdtempSync(join(tmpdir(), `atrium-access-${engine}-${N}-`));
  const copyDir = join(work, 'catalog');
  await copyCatalog(spec, copyDir);
  const owned = await writeOwnedCatalog(spec, join(work, 'access'), OWNED);
  const db = await freshDb(engine, work, `access_${N}`);
  const s: Setup = {
    work,
    catalogTarget: join(copyDir, spec.target),
    owned,
    // Each file's entities (the root Location included) and the Location entity the catalog
    // generates for each of the two config locations.
    expected: spec.entities + 1 + owned.entities + 1,
    port: await freePort(),
    database: db.config,
  };
  const ownedPath = `/entities/by-name/${owned.sample.kind}/${owned.sample.namespace}/${owned.sample.name}`;
  const servers = new Set<Server>();
  let starts = 0;
  const start = async (variant: Variant, port = s.port) => {
    await ensureBuilds();
    const srv = startServer(
      work,
      writeConfig(s, variant, port),
      port,
      `server.${++starts}.${variant}.log`,
    );
    servers.add(srv);
    await waitListening(srv, TIMEOUT_MS);
    return srv;
  };
  const stop = async (srv: Server) => {
    await stopServer(srv);
    servers.delete(srv);
  };
  const settle = async (srv: Server, variant: Variant) => {
    await waitCount(
      srv,
      variant === 'owner-only' ? owned.owned : s.expected,
      `${engine} ${variant}`,
    );
    const idle = await waitIdle(srv, { timeoutMs: IDLE_TIMEOUT_MS });
    if (!idle.idle) notes.push(`${variant} start #${starts}: not idle after ${idle.ms} ms`);
  };
  try {
    // ---- first ingest, permission off (the count must see everything)
    const since = await db.clock();
    let srv = await start('off');
    const ing = await waitIngested(
      srv,
      s.catalogTarget,
      s.expected,
      TIMEOUT_MS,
      `${engine} access`,
    );
    await waitCount(srv, s.expected, `${engine} ingest`);
    const queryableMs = round(performance.now() - srv.spawnedAt, 0);
    const analyzed = await db.waitAnalyzed(since, Number(args['pg-analyze-wait']) * 1000);
    if (analyzed && !analyzed.done) notes.push(`pg: not ANALYZEd within ${analyzed.ms} ms`);
    const settled = await waitIdle(srv, { timeoutMs: IDLE_TIMEOUT_MS });
    log(
      `${engine}: ${s.expected} entities queryable after ${queryableMs} ms (first read ${ing.queryableMs} ms), idle ${settled.ms} ms later`,
    );

    const ownerFilter = OWNERSHIP_REFS.map((r) => `relations.ownedBy=${r}`).join(',');
    const asQuery = await getJson<{ totalItems: number }>(
      srv.base,
      `/entities/by-query?limit=0&filter=${encodeURIComponent(ownerFilter)}`,
    );
    if (asQuery.totalItems !== owned.owned)
      throw new Error(
        `the caller owns ${asQuery.totalItems} entities, not ${owned.owned}: the owned catalog is wrong`,
      );
    checks.push(
      `permission off: totalItems ${s.expected}; owned by ${OWNERSHIP_REFS.join(' or ')}: ${asQuery.totalItems}`,
    );

    const figures: EngineResult['figures'] = {};
    if (!args['no-baseline']) {
      figures.off = await measure(srv.base, listFigures(), `${engine} off`);
      figures['off, owner filter as query'] = await measure(
        srv.base,
        listFigures(ownerFilter),
        `${engine} off+filter`,
      );
    }

    // ---- overhead: an `off` and an `allow-all` server on the same database, asked in turn;
    // each round swaps which process (and port) has which config.
    await stop(srv);
    const ports = [s.port, await freePort()];
    const rounds: OverheadRound[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const variants = (r % 2 ? ['off', 'allow-all'] : ['allow-all', 'off']) as Array<
        'off' | 'allow-all'
      >;
      const pair: Server[] = [];
      for (const [k, variant] of variants.entries()) {
        const x = await start(variant, ports[k]);
        await settle(x, variant);
        pair.push(x);
      }
      const loadAt = machineLoad();
      const spreads = await paired(
        pair.map((x) => x.base),
        ownedPath,
        Number(args['overhead-requests']),
        LATENCY.warmup * 5,
      );
      const at = (v: 'off' | 'allow-all') => variants.indexOf(v);
      const off = spreads[at('off')]!;
      const allowAll = spreads[at('allow-all')]!;
      rounds.push({
        round: r,
        ports: { off: ports[at('off')]!, 'allow-all': ports[at('allow-all')]! },
        off,
        allowAll,
        diffP50: round(allowAll.p50 - off.p50, 3),
        load: { start: loadAt, end: machineLoad() },
      });
      log(
        `${engine} overhead round ${r}: off p50 ${off.p50} / p95 ${off.p95} ms, allow-all p50 ${allowAll.p50} / p95 ${allowAll.p95} ms (${off.errors + allowAll.errors} errors)`,
      );
      for (const x of pair) await stop(x);
    }
    const mean = (pick: (r: OverheadRound) => number) =>
      round(rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length, 3);

    // ---- owner-only
    srv = await start('owner-only');
    await settle(srv, 'owner-only');
    checks.push(...(await checkOwnerOnly(srv, owned)));
    figures['owner-only'] = await measure(
      srv.base,
      [
        ...listFigures(),
        { name: 'entity by name (owned; condition checked on it)', path: () => ownedPath },
      ],
      `${engine} owner-only`,
    );
    await stop(srv);
    return {
      engine,
      n: N,
      entities: s.expected,
      owned: {
        entities: owned.entities,
        owned: owned.owned,
        byKind: owned.byKind,
        sample: owned.sample,
      },
      load: { start: loadStart, end: machineLoad() },
      setup: {
        queryableMs,
        settledMs: settled.ms,
        ...(analyzed ? { pgAnalyzeWaitMs: analyzed.ms } : {}),
      },
      figures,
      overhead: {
        path: ownedPath,
        rounds,
        offP50: mean((r) => r.off.p50),
        allowAllP50: mean((r) => r.allowAll.p50),
        diffP50: mean((r) => r.diffP50),
      },
      checks,
      notes,
    };
  } finally {
    for (const x of servers) await stopServer(x).catch(() => undefined);
    if (!args.keep) {
      await db.drop().catch((e) => log(`dropping database failed: ${(e as Error).message}`));
      rmSync(work, { recursive: true, force: true });
    } else log(`kept ${work}`);
  }
}

/** The owner-only server shows exactly the owned entities: counts, a full page, facets. */
async function checkOwnerOnly(server: Server, owned: OwnedCatalog): Promise<string[]> {
  const all = await totalItems(server.base);
  if (all !== owned.owned)
    throw new Error(
      `owner-only: totalItems ${all}, expected ${owned.owned}; is the policy in effect (permission.policyFile, guest ownershipEntityRefs)?`,
    );
  const components = owned.byKind.component ?? 0;
  const page = await getJson<{ items: Array<{ spec?: { owner?: string } }>; totalItems: number }>(
    server.base,
    `/entities/by-query?${KIND}&${ORDER}&limit=100`,
  );
  const foreign = page.items.filter((e) => !OWNERSHIP_REFS.includes(String(e.spec?.owner)));
  if (
    page.totalItems !== components ||
    page.items.length !== Math.min(100, components) ||
    foreign.length
  )
    throw new Error(
      `owner-only: kind=component page has ${page.items.length} items (${foreign.length} not owned), totalItems ${page.totalItems}, expected ${components}`,
    );
  const facets = await getJson<{ facets: Record<string, Array<{ value: string; count: number }>> }>(
    server.base,
    `/entity-facets?${facetsInCase(0)}`,
  );
  const kinds = facets.facets.kind ?? [];
  const counted = kinds.reduce((sum, k) => sum + k.count, 0);
  if (counted !== owned.owned)
    throw new Error(
      `owner-only: the kind facet counts ${counted} entities, expected ${owned.owned}`,
    );
  return [
    `owner-only: totalItems ${all}; kind=component ${page.totalItems}, a page of ${page.items.length} all owned; kind facet ${kinds.map((k) => `${k.value} ${k.count}`).join(', ')}`,
  ];
}

// ---------------------------------------------------------------- report

function table(r: EngineResult): string {
  const judged = r.n >= 100_000;
  const verdict = (ok: boolean) => (judged ? (ok ? 'PASS' : 'FAIL') : ok ? '(pass)' : '(fail)');
  const rows: string[] = [];
  const cols = Object.keys(r.figures) as Array<keyof EngineResult['figures']>;
  const names = r.figures['owner-only']!.map((f) => f.name);
  for (const name of names) {
    const cells = cols.map((c) => {
      const f = r.figures[c]!.find((x) => x.name === name);
      return f ? `${f.p50} / ${f.p95}${f.errors ? ` (${f.errors} errors)` : ''}` : '';
    });
    const own = r.figures['owner-only']!.find((x) => x.name === name)!;
    const target = own.target ? TARGETS[own.target] : undefined;
    rows.push(
      `| ${name} | ${target ? `p95 < ${target}` : ''} | ${cells.join(' | ')} | ${own.firstMs} | ${target ? verdict(own.p95 < target && !own.errors) : ''} | ${formatLoad(own.load.start)} |`,
    );
  }
  const o = r.overhead;
  const rounds = o.rounds
    .map(
      (x) =>
        `round ${x.round}: off p50 ${x.off.p50} / p95 ${x.off.p95}, allow-all p50 ${x.allowAll.p50} / p95 ${x.allowAll.p95}, difference ${x.diffP50} ms (load ${x.load.start.load1})`,
    )
    .join('; ');
  return `### access: ${r.engine}, n = ${r.n.toLocaleString('en-US')} (${r.entities} entities; the caller owns ${r.owned.owned}: ${Object.entries(
    r.owned.byKind,
  )
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')})

load average (1/5/15 min): start ${formatLoad(r.load.start)}, end ${r.load.end ? formatLoad(r.load.end) : 'n/a'}. Ingest → queryable ${r.setup.queryableMs} ms${r.setup.pgAnalyzeWaitMs !== undefined ? `, pg ANALYZE wait ${r.setup.pgAnalyzeWaitMs} ms` : ''}.

p50 / p95 in ms (${LATENCY.requests} requests after ${LATENCY.warmup} warm-up; "first" = the first request of the figure on the owner-only server):

| figure | target | ${cols.join(' | ')} | first | verdict | load at start |
| --- | --- | ${cols.map(() => '---').join(' | ')} | --- | --- | --- |
${rows.join('\n')}

Authorization overhead on \`GET /api/catalog${o.path}\` (two servers on the same database, one with \`permission.enabled: false\`, one with an allow-all policy, asked in turn, ${Number(args['overhead-requests'])} requests each per round; the servers swap configs every round): p50 difference, mean over the rounds, **${o.diffP50} ms** (allow-all ${o.allowAllP50} − off ${o.offP50}; target < ${TARGETS.overheadP50} ms: ${verdict(o.diffP50 < TARGETS.overheadP50)}). ${rounds}.

Checks: ${r.checks.join('; ')}.${r.notes.length ? `\n\nNotes:\n${r.notes.map((n) => `- ${n}`).join('\n')}` : ''}
`;
}

/** Engine × figure, owner-only p50 / p95 with the verdict, and the overhead: the issue's figures. */
function summary(results: EngineResult[]): string {
  const verdict = (ok: boolean) =>
    N >= 100_000 ? (ok ? 'PASS' : 'FAIL') : ok ? '(pass)' : '(fail)';
  const judged = results[0]!.figures['owner-only']!.filter((f) => f.target);
  const lines = judged.map((f) => {
    const cells = results.map((r) => {
      const x = r.figures['owner-only']!.find((y) => y.name === f.name)!;
      return `${x.p50} / ${x.p95} ${verdict(x.p95 < TARGETS[x.target!] && !x.errors)}`;
    });
    return `| ${f.name} | p95 < ${TARGETS[f.target!]} | ${cells.join(' | ')} |`;
  });
  const overhead = results.map(
    (r) => `${r.overhead.diffP50} ${verdict(r.overhead.diffP50 < TARGETS.overheadP50)}`,
  );
  const load = results.map((r) => `${r.load.start.load1} → ${r.load.end?.load1 ?? 'n/a'}`);
  return `### access: summary, owner-only policy (p50 / p95 ms)

| figure | target | ${results.map((r) => r.engine).join(' | ')} |
| --- | --- | ${results.map(() => '---').join(' | ')} |
${lines.join('\n')}
| authorization overhead, allow-all − off, p50 | < ${TARGETS.overheadP50} ms | ${overhead.join(' | ')} |
| load average (1 min), start → end | | ${load.join(' | ')} |
`;
}

async function main() {
  mkdirSync(args['results-dir']!, { recursive: true });
  const { file, stamp } = resultsFile(args['results-dir']!, 'access');
  const record = {
    startedAt: stamp,
    node: process.version,
    args,
    targets: TARGETS,
    host: { cpus: cpus().length, memoryGB: round(totalmem() / 2 ** 30, 1) },
    srcHash: srcHash(),
    results: [] as EngineResult[],
    failures: [] as Array<{ engine: Engine; error: string }>,
  };
  log(`src/ content hash ${record.srcHash}`);
  const spec = generatedCatalog(N, SEED, args['data-dir']!);
  for (const engine of ENGINES) {
    log(`=== access, ${engine}`);
    const r = await runOne(engine, spec).catch((error: Error) => {
      record.failures.push({ engine, error: error.stack ?? String(error) });
      process.stdout.write(`\n### access: ${engine}: FAILED\n\n\`\`\`\n${error.stack}\n\`\`\`\n\n`);
      return undefined;
    });
    if (r) {
      record.results.push(r);
      process.stdout.write(`\n${table(r)}\n`);
    }
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  }
  if (record.results.length) process.stdout.write(`\n${summary(record.results)}\n`);
  process.stdout.write(`\nResults written to ${file}\n`);
  process.exitCode = record.failures.length ? 1 : 0;
}

await main();
