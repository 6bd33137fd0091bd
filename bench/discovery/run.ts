/**
 * Discovery benchmark (issue 15): a full GitHub discovery scan of `--repos` (5,000)
 * repositories × 1 catalog file, through a real Atrium (`node bin/atrium.mjs start`, as the
 * other benchmarks start it) in the default configuration (SQLite), against the GitHub stand-in
 * (test/helpers/github-standin.ts: REST and GraphQL over real bare git repositories, with
 * GitHub's rate limits and ETags).
 *
 * Measured: the time to generate the repositories; the first scan (from the server listening
 * to every entity queryable, and the scan's own duration from the provider status); the
 * requests it sent (REST, GraphQL, 304s), the GraphQL points and the rate limit consumed, as
 * the stand-in counted them; then the same for a second scan of the unchanged organisation
 * (`POST /api/catalog/providers/:id/refresh?wait=true`).
 *
 *   npx tsx bench/discovery/run.ts                     # 5,000 repositories, SQLite
 *   npx tsx bench/discovery/run.ts --catalog-path '**\/catalog-info.yaml'   # glob: trees
 *   bash bench/catalog/run.sh bench/discovery/run.ts --engines sqlite,pg
 *
 * Results: `bench/results/discovery-<time>.json`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProviderStatus } from '../../src/plugins/catalog/common/providers.ts';
import {
  type GithubStandin,
  generateRepos,
  startGithubStandin,
} from '../../test/helpers/github-standin.ts';
import {
  assertAlive,
  type Engine,
  ensureBuilds,
  formatLoad,
  freshDb,
  log,
  logTail,
  machineLoad,
  now,
  parseEngines,
  REPO,
  resultsFile,
  round,
  type Server,
  sleep,
  srcHash,
  stopServer,
} from '../catalog/harness.ts';
import { startGithubDiscoveryServer } from '../discovery/github-server.ts';

const { values: args } = parseArgs({
  options: {
    repos: { type: 'string', default: '5000' },
    'catalog-path': { type: 'string', default: '/catalog-info.yaml' },
    engines: { type: 'string', default: 'sqlite' },
    'scan-timeout': { type: 'string', default: '900' },
    'start-timeout': { type: 'string', default: '300' },
    source: { type: 'boolean', default: false },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});

const REPOS = Number(args.repos);
const CATALOG_PATH = args['catalog-path']!;
const SCAN_TIMEOUT_MS = Number(args['scan-timeout']) * 1000;
const START_TIMEOUT_MS = Number(args['start-timeout']) * 1000;
const ORG = 'bench';
const PROVIDER = 'github:bench';
const TOKEN = `bench-gh-${randomBytes(12).toString('hex')}`;
/** GitHub's primary limits for a token: 5,000 REST requests and 5,000 GraphQL points an hour. */
const HOURLY = 5000;

interface Cost {
  requests: number;
  rest: number;
  graphql: number;
  notModified: number;
  /** Points / requests the stand-in charged (what GitHub would take off the hourly limit). */
  graphqlPoints: number;
  restCharged: number;
  /** Share of one hour's budget (the larger of REST and GraphQL). */
  hourShare: number;
}

interface ScanFigures {
  wallMs: number;
  /** The scan as the provider status reports it. */
  status?: ProviderStatus['lastScan'];
  cost: Cost;
}

interface EngineResult {
  engine: Engine;
  repos: number;
  catalogPath: string;
  generateMs: number;
  entities?: number;
  first?: ScanFigures;
  second?: ScanFigures;
  error?: string;
  load: { before: string; after: string };
}

function costOf(standin: GithubStandin): Cost {
  const rest = standin.requests.filter((r) => !r.graphql);
  const graphql = standin.requests.filter((r) => r.graphql);
  const graphqlPoints = standin.rate.graphql.used;
  const restCharged = standin.rate.core.used;
  return {
    requests: standin.requests.length,
    rest: rest.length,
    graphql: graphql.length,
    notModified: standin.requests.filter((r) => r.status === 304).length,
    graphqlPoints,
    restCharged,
    hourShare: round(Math.max(graphqlPoints, restCharged) / HOURLY, 4),
  };
}

async function providerStatus(server: Server): Promise<ProviderStatus | undefined> {
  const response = await fetch(`${server.base}/api/catalog/providers`);
  if (!response.ok) throw new Error(`GET /providers: ${response.status} ${await response.text()}`);
  const { items } = (await response.json()) as { items: ProviderStatus[] };
  return items.find((p) => p.id === PROVIDER);
}

async function componentCount(server: Server): Promise<number> {
  const response = await fetch(
    `${server.base}/api/catalog/entities/by-query?filter=kind=component&limit=0`,
  );
  if (!response.ok) throw new Error(`count: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { totalItems: number }).totalItems;
}

async function runEngine(engine: Engine): Promise<EngineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-bench-discovery-'));
  const db = await freshDb(engine, dir, 'discovery');
  const standin = await startGithubStandin({ org: ORG, token: TOKEN });
  const result: EngineResult = {
    engine,
    repos: REPOS,
    catalogPath: CATALOG_PATH,
    generateMs: 0,
    load: { before: formatLoad(machineLoad()), after: '' },
  };
  let server: Server | undefined;
  try {
    log(`${engine}: generating ${REPOS} repositories`);
    result.generateMs = round(generateRepos(standin, { count: REPOS }).ms, 0);
    log(`${engine}: generated in ${result.generateMs} ms`);
    server = await startGithubDiscoveryServer({
      dir,
      database: db.config,
      standin,
      token: TOKEN,
      organization: ORG,
      // Only the scan at start and the one this benchmark asks for.
      provider: {
        catalogPath: CATALOG_PATH,
        schedule: { frequency: { hours: 1 }, timeout: { minutes: 30 } },
      },
      startTimeoutMs: START_TIMEOUT_MS,
    });
    const listening = now();
    log(`${engine}: listening; waiting for the first scan`);
    for (;;) {
      assertAlive(server);
      const status = await providerStatus(server);
      if (status?.lastScan) {
        const entities = await componentCount(server);
        if (entities >= REPOS || !status.lastScan.complete) {
          result.entities = entities;
          result.first = {
            wallMs: round(now() - listening, 0),
            status: status.lastScan,
            cost: costOf(standin),
          };
          break;
        }
      }
      if (now() - listening > SCAN_TIMEOUT_MS)
        throw new Error('the first scan did not finish in time');
      await sleep(250);
    }
    log(`${engine}: first scan ${result.first.wallMs} ms, ${JSON.stringify(result.first.cost)}`);

    standin.resetCounters();
    const started = now();
    const response = await fetch(
      `${server.base}/api/catalog/providers/${encodeURIComponent(PROVIDER)}/refresh?wait=true`,
      { method: 'POST', signal: AbortSignal.timeout(SCAN_TIMEOUT_MS) },
    );
    if (response.status !== 200) {
      throw new Error(`second scan: ${response.status} ${await response.text()}`);
    }
    const { provider } = (await response.json()) as { provider: ProviderStatus };
    result.second = {
      wallMs: round(now() - started, 0),
      status: provider.lastScan,
      cost: costOf(standin),
    };
    log(`${engine}: second scan ${result.second.wallMs} ms, ${JSON.stringify(result.second.cost)}`);
  } catch (error) {
    result.error = (error as Error).message;
    log(`${engine}: ${result.error}`);
    if (server) log(`server log tail:\n${logTail(server, 20)}`);
  } finally {
    if (server) await stopServer(server);
    await standin.close();
    await db.drop();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
  result.load.after = formatLoad(machineLoad());
  return result;
}

async function main() {
  if (args.source) process.env.ATRIUM_SOURCE = '1';
  const build = args.source ? undefined : await ensureBuilds();
  const results: EngineResult[] = [];
  for (const engine of parseEngines(args.engines!)) results.push(await runEngine(engine));
  const { file } = resultsFile(args['results-dir']!, 'discovery');
  mkdirSync(args['results-dir']!, { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      { src: srcHash(), repos: REPOS, catalogPath: CATALOG_PATH, build, results },
      null,
      2,
    ),
  );
  for (const r of results) {
    const line = (label: string, s?: ScanFigures) =>
      s
        ? `${label}: ${s.wallMs} ms (scan ${s.status?.durationMs} ms), ${s.cost.requests} requests (${s.cost.graphql} GraphQL, ${s.cost.rest} REST, ${s.cost.notModified} × 304), ${s.cost.graphqlPoints} GraphQL points, ${s.cost.restCharged} REST charged = ${round(s.cost.hourShare * 100, 2)}% of one hour's limit`
        : `${label}: not measured`;
    log(
      `${r.engine}: ${REPOS} repositories (${r.catalogPath}), generated in ${r.generateMs} ms, ${r.entities ?? '?'} components`,
    );
    log(`  ${line('first scan', r.first)}`);
    log(`  ${line('unchanged re-scan', r.second)}`);
    if (r.error) log(`  stopped: ${r.error}`);
  }
  log(`results: ${file}`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

await main();
