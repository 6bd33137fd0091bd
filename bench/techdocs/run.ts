/**
 * Docs-build benchmark: generates a docs folder (generate.ts, cached under bench/.data/) and
 * builds it with buildSite in a fresh child process, so the peak RSS is the build's own.
 * Also times hashDocsSource cold and warm (what the server pays to check for changes).
 *
 *   npx tsx bench/techdocs/run.ts --pages 1000 [--runs 3] [--seed 1]
 *
 * Target: 1,000 pages in under 10 s. Wall time on a shared machine follows its load, so the
 * CPU time of the build is printed beside it. Results: bench/results/techdocs-<time>.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSite, hashDocsSource } from '../../src/plugins/techdocs/server/build/index.ts';
import { generateDocs } from './generate.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

const { values: args } = parseArgs({
  options: {
    pages: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    /** Internal: 'build' or 'hash', run in a fresh process on --dir. */
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});

interface ChildResult {
  buildMs: number;
  /** CPU time (user + system) of the build: what it costs on an idle core. */
  buildCpuMs: number;
  hashWarmMs: number;
  hashWarmCpuMs: number;
  /** A second check right after: what each page open costs while nothing changes. */
  hashRepeatMs: number;
  peakRssMb: number;
  pages: number;
  files: number;
  problems: number;
}

async function child(sourceDir: string): Promise<void> {
  const outDir = join(mkdtempSync(join(tmpdir(), 'atrium-bench-docs-')), 'site');
  const log = { info() {}, warn() {}, error() {} };
  const cpuMs = (since?: NodeJS.CpuUsage) => {
    const usage = process.cpuUsage(since);
    return (usage.user + usage.system) / 1000;
  };
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const result = await buildSite({ sourceDir, outDir, log });
  const buildMs = performance.now() - started;
  const buildCpuMs = cpuMs(cpuStart);
  // The build hashed every file, so this is the warm case: stats only.
  const hashStart = performance.now();
  const hashCpuStart = process.cpuUsage();
  await hashDocsSource(sourceDir);
  const hashWarmMs = performance.now() - hashStart;
  const hashWarmCpuMs = cpuMs(hashCpuStart);
  const repeatStart = performance.now();
  await hashDocsSource(sourceDir);
  const hashRepeatMs = performance.now() - repeatStart;
  const out: ChildResult = {
    buildMs,
    buildCpuMs,
    hashWarmMs,
    hashWarmCpuMs,
    hashRepeatMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    pages: result.metadata.pages?.length ?? 0,
    files: result.metadata.files.length,
    problems: result.problems.length,
  };
  rmSync(dirname(outDir), { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** hashDocsSource in a process that has hashed nothing yet (OS page cache warm). */
async function hashOnly(sourceDir: string): Promise<void> {
  const started = performance.now();
  await hashDocsSource(sourceDir);
  process.stdout.write(`${JSON.stringify({ hashColdMs: performance.now() - started })}\n`);
}

async function main(): Promise<void> {
  if (args.child === 'hash') return hashOnly(resolve(args.dir!));
  if (args.child === 'build') return child(resolve(args.dir!));
  const pages = Number(args.pages);
  const dir = join(REPO, 'bench/.data', `techdocs-${pages}-seed${args.seed}`);
  if (!existsSync(join(dir, 'mkdocs.yml'))) {
    const site = generateDocs(dir, pages, Number(args.seed));
    process.stderr.write(
      `generated ${site.pages} pages (${(site.bytes / 1024 / 1024).toFixed(1)} MB)\n`,
    );
  }
  const runs: Array<ChildResult & { hashColdMs: number }> = [];
  const tsx = join(REPO, 'node_modules/.bin/tsx');
  const self = fileURLToPath(import.meta.url);
  for (let i = 0; i < Number(args.runs); i++) {
    const cold = JSON.parse(
      execFileSync(tsx, [self, '--child', 'hash', '--dir', dir], { encoding: 'utf8' }),
    ) as { hashColdMs: number };
    const built = JSON.parse(
      execFileSync(tsx, [self, '--child', 'build', '--dir', dir], { encoding: 'utf8' }),
    ) as ChildResult;
    const result = { ...built, hashColdMs: cold.hashColdMs };
    runs.push(result);
    process.stdout.write(
      `run ${i + 1}: build ${(result.buildMs / 1000).toFixed(2)} s (CPU ${(result.buildCpuMs / 1000).toFixed(2)} s), peak RSS ${result.peakRssMb.toFixed(0)} MB, ` +
        `${result.pages} pages, ${result.files} files, ${result.problems} problems; ` +
        `hashDocsSource cold ${result.hashColdMs.toFixed(0)} ms, after the build ${result.hashWarmMs.toFixed(0)} ms (CPU ${result.hashWarmCpuMs.toFixed(0)} ms), repeated ${result.hashRepeatMs.toFixed(0)} ms\n`,
    );
  }
  const sorted = [...runs].sort((a, b) => a.buildMs - b.buildMs);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const verdict = median.buildMs < 10_000 ? 'PASS' : 'FAIL';
  const load = loadavg()[0]!.toFixed(1);
  process.stdout.write(
    `median build ${(median.buildMs / 1000).toFixed(2)} s (CPU ${(median.buildCpuMs / 1000).toFixed(2)} s) for ${median.pages} pages (target < 10 s: ${verdict}; load average ${load} on ${cpus().length} CPUs), ` +
      `peak RSS ${Math.max(...runs.map((r) => r.peakRssMb)).toFixed(0)} MB\n`,
  );
  const resultsDir = join(REPO, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `techdocs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        pages,
        seed: Number(args.seed),
        cpus: cpus().length,
        loadAverage: loadavg(),
        runs,
        verdict,
        node: process.version,
      },
      null,
      2,
    ),
  );
  process.stdout.write(`results: ${file}\n`);
}

await main();
