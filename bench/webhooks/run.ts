/**
 * Webhook benchmark (issue 15): push event to visible change, through a real Atrium
 * (`node bin/atrium.mjs start`, as the other benchmarks start it) with GitHub discovery against
 * the GitHub stand-in (test/helpers/github-standin.ts: REST and GraphQL over real bare git
 * repositories). Config defaults throughout, except that the provider's schedule is an hour,
 * so what shows a change is the webhook and never a scan.
 *
 * For each of `--events` (100) pushes, in turn over `--repos` (5) repositories: commit a
 * changed catalog-info.yaml (a new description) into the stand-in's repository, sign the push
 * payload GitHub would send with the webhook secret, POST it to /api/events/http/github, and
 * poll `GET /api/catalog/entities/by-name/component/default/<name>` every `--poll` (20) ms
 * until the new description shows. Latency = first poll that shows it − start of the POST.
 * Reported: p50 / p95 / max of that latency and of the POST's own answer time (202).
 * Target (issue 15, item 5): visible within 5 s. Before the loop, a commit sent without its
 * webhook must stay invisible for 3 s (so the figures are the webhook's, not a scan's).
 *
 *   npx tsx bench/webhooks/run.ts                    # SQLite (the default configuration)
 *   bash bench/catalog/run.sh bench/webhooks/run.ts --engines sqlite,pg
 *
 * Results: `bench/results/webhooks-<time>.json`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { componentYaml, startGithubStandin } from '../../test/helpers/github-standin.ts';
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
  percentile,
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
    events: { type: 'string', default: '100' },
    repos: { type: 'string', default: '5' },
    poll: { type: 'string', default: '20' },
    engines: { type: 'string', default: 'sqlite' },
    // Longest wait for one change; the first one that takes longer ends the run.
    'event-timeout': { type: 'string', default: '30' },
    'start-timeout': { type: 'string', default: '300' },
    source: { type: 'boolean', default: false },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});

const EVENTS = Number(args.events);
const REPOS = Number(args.repos);
const POLL_MS = Number(args.poll);
const EVENT_TIMEOUT_MS = Number(args['event-timeout']) * 1000;
const START_TIMEOUT_MS = Number(args['start-timeout']) * 1000;
const TARGET_MS = 5000;
const CONTROL_MS = 3000;
const ORG = 'bench';
const TOKEN = `bench-gh-${randomBytes(12).toString('hex')}`;
const SECRET = `bench-webhook-${randomBytes(12).toString('hex')}`;

interface Sample {
  repo: string;
  /** POST sent → its answer. */
  answerMs: number;
  /** POST sent → first poll showing the change. */
  visibleMs: number;
  polls: number;
}

interface EngineResult {
  engine: Engine;
  events: number;
  samples: Sample[];
  visible?: { p50: number; p95: number; max: number };
  answer?: { p50: number; p95: number; max: number };
  initialDiscoveryMs?: number;
  /** A commit sent without a webhook showed within CONTROL_MS (it must not). */
  controlVisibleWithoutWebhook?: boolean;
  standinRequests?: number;
  error?: string;
  load: { before: string; after: string };
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 0.5), 0),
    p95: round(percentile(sorted, 0.95), 0),
    max: round(sorted.at(-1) ?? Number.NaN, 0),
  };
};

const repoName = (i: number) => `service-${String(i).padStart(3, '0')}`;

/** The entity's description as the catalog serves it now (undefined while it is missing). */
async function description(base: string, name: string): Promise<string | undefined> {
  const response = await fetch(`${base}/api/catalog/entities/by-name/component/default/${name}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET ${name}: ${response.status} ${await response.text()}`);
  const entity = (await response.json()) as { metadata: { description?: string } };
  return entity.metadata.description;
}

async function waitFor(
  what: string,
  timeoutMs: number,
  server: Server,
  probe: () => Promise<boolean>,
): Promise<{ ms: number; polls: number }> {
  const started = now();
  let polls = 0;
  for (;;) {
    polls++;
    if (await probe()) return { ms: now() - started, polls };
    assertAlive(server);
    if (now() - started > timeoutMs) {
      throw new Error(`${what}: not visible after ${round(timeoutMs / 1000, 0)} s`);
    }
    await sleep(POLL_MS);
  }
}

async function runEngine(engine: Engine): Promise<EngineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-bench-webhooks-'));
  const db = await freshDb(engine, dir, 'webhooks');
  const standin = await startGithubStandin({ org: ORG, token: TOKEN });
  const result: EngineResult = {
    engine,
    events: EVENTS,
    samples: [],
    load: { before: formatLoad(machineLoad()), after: '' },
  };
  let server: Server | undefined;
  try {
    for (let i = 0; i < REPOS; i++) {
      const name = repoName(i);
      standin.addRepo({
        name,
        files: { 'catalog-info.yaml': componentYaml(name, { description: 'revision 0' }) },
      });
    }
    server = await startGithubDiscoveryServer({
      dir,
      database: db.config,
      standin,
      token: TOKEN,
      organization: ORG,
      provider: { schedule: { frequency: { hours: 1 }, timeout: { minutes: 10 } } },
      config: { events: { modules: { github: { webhookSecret: SECRET } } } },
      startTimeoutMs: START_TIMEOUT_MS,
    });
    log(`${engine}: listening; waiting for the first scan of ${REPOS} repositories`);
    const discovery = await waitFor(
      'the first discovery scan',
      START_TIMEOUT_MS,
      server,
      async () => {
        for (let i = 0; i < REPOS; i++) {
          if ((await description(server!.base, repoName(i))) !== 'revision 0') return false;
        }
        return true;
      },
    );
    result.initialDiscoveryMs = round(discovery.ms, 0);
    standin.resetCounters();

    // Control: a commit without its webhook stays invisible, so what the loop below measures
    // is the webhook's effect, not a scan or refresh that happened to run.
    const control = repoName(0);
    standin.commit(control, {
      'catalog-info.yaml': componentYaml(control, { description: 'control, no webhook' }),
    });
    await sleep(CONTROL_MS);
    result.controlVisibleWithoutWebhook =
      (await description(server.base, control)) === 'control, no webhook';
    if (result.controlVisibleWithoutWebhook) {
      throw new Error(`a commit showed within ${CONTROL_MS} ms without a webhook`);
    }

    for (let n = 1; n <= EVENTS; n++) {
      const name = repoName((n - 1) % REPOS);
      const expected = `revision ${n}`;
      const commit = standin.commit(
        name,
        { 'catalog-info.yaml': componentYaml(name, { description: expected }) },
        { message: `bench change ${n}` },
      );
      const body = JSON.stringify(standin.events.push(name, commit));
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const sent = now();
      const response = await fetch(`${server.base}/api/events/http/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': `bench-${n}`,
          'x-hub-signature-256': signature,
        },
        body,
      });
      const answerMs = now() - sent;
      if (response.status !== 202) {
        throw new Error(`push ${n}: answered ${response.status}: ${await response.text()}`);
      }
      let polls = 0;
      for (;;) {
        polls++;
        if ((await description(server.base, name)) === expected) break;
        assertAlive(server);
        if (now() - sent > EVENT_TIMEOUT_MS) {
          throw new Error(
            `push ${n} (${name}): the change was not visible after ${EVENT_TIMEOUT_MS / 1000} s. Is the catalog subscribed to webhook events (eventsServiceRef) and does the GitHub provider map pushes to a refresh?`,
          );
        }
        await sleep(POLL_MS);
      }
      result.samples.push({
        repo: name,
        answerMs: round(answerMs, 1),
        visibleMs: round(now() - sent, 1),
        polls,
      });
      if (n % 20 === 0) log(`${engine}: ${n}/${EVENTS} events`);
    }
    result.standinRequests = standin.requests.length;
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
  if (result.samples.length) {
    result.visible = summary(result.samples.map((s) => s.visibleMs));
    result.answer = summary(result.samples.map((s) => s.answerMs));
  }
  result.load.after = formatLoad(machineLoad());
  return result;
}

async function main() {
  if (args.source) process.env.ATRIUM_SOURCE = '1';
  const build = args.source ? undefined : await ensureBuilds();
  const results: EngineResult[] = [];
  for (const engine of parseEngines(args.engines!)) results.push(await runEngine(engine));
  const { file } = resultsFile(args['results-dir']!, 'webhooks');
  mkdirSync(args['results-dir']!, { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      { src: srcHash(), events: EVENTS, repos: REPOS, pollMs: POLL_MS, build, results },
      null,
      2,
    ),
  );
  for (const r of results) {
    const line = r.visible
      ? `event→visible p50 ${r.visible.p50} / p95 ${r.visible.p95} / max ${r.visible.max} ms (${r.samples.length} events; 202 answer p50 ${r.answer!.p50} / p95 ${r.answer!.p95} ms; target < ${TARGET_MS} ms: ${r.visible.p95 < TARGET_MS ? 'PASS' : 'FAIL'})`
      : 'no event measured';
    log(`${r.engine}: ${line}${r.error ? ` — stopped: ${r.error}` : ''}`);
  }
  log(`results: ${file}`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

await main();
