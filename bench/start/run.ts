/**
 * Start benchmark: how long an empty portal takes to answer after its process starts.
 *
 *   npx tsx bench/start/run.ts                          # 10 starts of `node bin/atrium.mjs start`
 *   npx tsx bench/start/run.ts --variants compiled,source,source-cold
 *   npx tsx bench/start/run.ts --variants compiled,/tmp/before/bin/atrium.mjs   # another checkout
 *
 * Variants: `compiled` (bin/atrium.mjs, dist/server), `source` (ATRIUM_SOURCE=1: tsx),
 * `source-cold` (the same with an empty tsx cache, as after a checkout or an upgrade), or the
 * path of another checkout's bin/atrium.mjs, run as it is (`<path>#cold`: with an empty tsx
 * cache). The variants take turns, start after start, so that they share whatever else the
 * machine is doing.
 *
 * Each start gets a config with no catalog locations and a fresh temp SQLite file, on a free
 * loopback port. The clock starts just before spawn and stops at the first 200 answer to
 * `GET /api/catalog/entities?limit=1` (polled every 5 ms). The first log line's time says how
 * much of it is loading code; the process's CPU time (user + system, from /proc) at the answer
 * says what the start costs when the machine has nothing else to do, as wall times on a busy
 * machine do not. The server build (dist/server) and the web build (dist/web) are brought up
 * to date by one start of each variant before the timed ones; a timed start that builds anyway
 * (sources edited meanwhile) is reported and left out of the figures. Load averages before and
 * after are in the results (bench/results/start-<time>.json). Target: answers within 1 s.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';

const REPO = resolve(import.meta.dirname, '../..');
const DEFAULT_BIN = join(REPO, 'bin/atrium.mjs');

const { values: args } = parseArgs({
  options: {
    /** Timed starts per variant. */
    n: { type: 'string', default: '10' },
    variants: { type: 'string', default: 'compiled' },
    /** Upper bound for one start, in seconds. */
    timeout: { type: 'string', default: '60' },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
  },
});

interface Variant {
  name: string;
  bin: string;
  /** ATRIUM_SOURCE=1 */
  source: boolean;
  /** An empty tsx cache (TMPDIR) per start. */
  coldTsx: boolean;
}

function variant(spec: string): Variant {
  if (spec === 'compiled') return { name: spec, bin: DEFAULT_BIN, source: false, coldTsx: false };
  if (spec === 'source') return { name: spec, bin: DEFAULT_BIN, source: true, coldTsx: false };
  if (spec === 'source-cold') return { name: spec, bin: DEFAULT_BIN, source: true, coldTsx: true };
  const [bin, flag] = spec.split('#');
  if (!bin?.endsWith('.mjs') || (flag !== undefined && flag !== 'cold')) {
    throw new Error(`unknown variant '${spec}' (compiled, source, source-cold, <bin.mjs>[#cold])`);
  }
  return { name: spec, bin: resolve(bin), source: false, coldTsx: flag === 'cold' };
}

interface Run {
  /** Spawn to first 200 answer, ms. */
  answered: number;
  /** Spawn to the first line the server logs (code loaded, config being read), ms. */
  firstLog: number;
  /**
   * CPU time (user + system) the server process had used when it answered, ms: what the
   * start costs on an idle machine, less sensitive than wall time to other work (Linux only).
   */
  cpu: number;
  /** The start built something first (sources edited meanwhile): not a figure of a start. */
  built: boolean;
}

/** User + system CPU time of a running process, from /proc (NaN elsewhere). */
function cpuTime(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

async function startOnce(
  variant: Variant,
  dir: string,
  index: number,
  warmup: boolean,
): Promise<Run> {
  const port = await freePort();
  const config = join(dir, `app-config-${index}.yaml`);
  writeFileSync(
    config,
    stringify({
      backend: {
        listen: { host: '127.0.0.1', port },
        database: { client: 'better-sqlite3', connection: join(dir, `atrium-${index}.sqlite`) },
      },
      catalog: { locations: [] },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1' };
  if (variant.source) env.ATRIUM_SOURCE = '1';
  else delete env.ATRIUM_SOURCE;
  if (variant.coldTsx) {
    // tsx keeps compiled files under os.tmpdir().
    env.TMPDIR = join(dir, `tmp-${index}`);
    mkdirSync(env.TMPDIR);
  }
  const started = performance.now();
  const child = spawn(process.execPath, [variant.bin, 'start', '--config', config], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let firstLog = Number.NaN;
  let output = '';
  const onData = (chunk: Buffer) => {
    if (Number.isNaN(firstLog)) firstLog = performance.now() - started;
    output += chunk.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const url = `http://127.0.0.1:${port}/api/catalog/entities?limit=1`;
  const deadline = started + Number(args.timeout) * 1000;
  let answered = Number.NaN;
  let cpu = Number.NaN;
  try {
    while (performance.now() < deadline && exitCode === undefined) {
      try {
        const response = await fetch(url);
        if (response.status === 200) {
          await response.arrayBuffer();
          answered = performance.now() - started;
          cpu = cpuTime(child.pid);
          break;
        }
        await response.arrayBuffer();
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  if (Number.isNaN(answered)) {
    throw new Error(
      `${variant.name}: start ${warmup ? '(warm-up) ' : ''}${index} did not answer${exitCode !== undefined ? ` (exited with ${exitCode})` : ''}:\n${output}`,
    );
  }
  const built = /rebuil|Built the server|Building the web app/.test(output);
  return { answered, firstLog, cpu, built };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number) => `${Math.round(value)} ms`;

const stats = (values: number[]) => ({
  min: Math.min(...values),
  median: median(values),
  max: Math.max(...values),
});

const n = Number(args.n);
const variants = args.variants.split(',').map(variant);
const dir = mkdtempSync(join(tmpdir(), 'atrium-bench-start-'));
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
try {
  let index = 0;
  for (const v of variants) {
    process.stderr.write(`${v.name}: warm-up start (builds dist/server and dist/web when stale)\n`);
    await startOnce(v, dir, index++, true);
  }
  const loadBefore = loadavg();
  const runs = new Map<Variant, Run[]>(variants.map((v) => [v, []]));
  for (let i = 1; i <= n; i++) {
    for (const v of variants) {
      const run = await startOnce(v, dir, index++, false);
      runs.get(v)!.push(run);
      process.stderr.write(
        `${v.name} ${i}/${n}: answered after ${ms(run.answered)} (first log line ${ms(run.firstLog)}, CPU ${ms(run.cpu)})${run.built ? ' [built first: not counted]' : ''}\n`,
      );
    }
  }
  const loadAfter = loadavg();
  const results = {
    time: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    /** 1, 5 and 15 minute load averages before the first and after the last timed start. */
    loadavg: { before: loadBefore, after: loadAfter },
    n,
    variants: variants.map((v) => {
      const all = runs.get(v)!;
      // Starts that built something first (sources changed during the run) are left out.
      const counted = all.filter((r) => !r.built);
      return {
        ...v,
        counted: counted.length,
        answeredMs: stats(counted.map((r) => r.answered)),
        firstLogMs: stats(counted.map((r) => r.firstLog)),
        cpuMs: stats(counted.map((r) => r.cpu)),
        runs: all,
      };
    }),
  };
  process.stdout.write(
    `load average ${load(loadBefore)} -> ${load(loadAfter)} (${cpus().length} CPUs), ${n} starts each\n`,
  );
  for (const v of results.variants) {
    const { answeredMs: a, firstLogMs: f, cpuMs: c } = v;
    process.stdout.write(
      `${v.name}: answered min ${ms(a.min)}, median ${ms(a.median)}, max ${ms(a.max)}; first log line median ${ms(f.median)}; CPU at answer median ${ms(c.median)}${v.counted < n ? ` (${n - v.counted} starts that built left out)` : ''}\n`,
    );
  }
  mkdirSync(args['results-dir'], { recursive: true });
  const file = join(args['results-dir'], `start-${results.time.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
