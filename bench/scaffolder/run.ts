/**
 * Scaffolder benchmark: the time of one full task (render a 1,000-file skeleton with
 * fetch:template, write an entity, list and log; no publish) on a real Atrium server, from
 * POST /v2/tasks to the completion event read from the event stream. Target: < 3 s.
 *
 *   npx tsx bench/scaffolder/run.ts [--files 1000] [--runs 5] [--engine sqlite|pg]
 *
 * pg needs ATRIUM_TEST_PG (an admin connection string); a fresh database is created and
 * dropped. Results are printed and written to bench/results/scaffolder-<time>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { createApp } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { installedPlugins } from '../../src/plugins/index.ts';
import { type Engine, freshDatabase } from '../../test/helpers/server.ts';
import { generateTemplate } from './generate.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET_MS = 3000;

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    engine: { type: 'string', default: 'sqlite' },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
  },
});

interface Event {
  id: number;
  type: string;
  body: { message: string; stepId?: string; status?: string; output?: { files?: number } };
  createdAt: string;
}

function parseSse(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim())
    .map(
      (f) =>
        JSON.parse(
          f
            .split('\n')
            .find((l) => l.startsWith('data: '))!
            .slice(6),
        ) as Event,
    );
}

async function main() {
  const files = Number(args.files);
  const runs = Number(args.runs);
  const dir = mkdtempSync(join(tmpdir(), 'atrium-bench-scaffolder-'));
  const db = await freshDatabase(args.engine as Engine, dir);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    const written = generateTemplate(join(dir, 'template'), files);
    const configFile = join(dir, 'app-config.yaml');
    writeFileSync(
      configFile,
      stringify({
        backend: { listen: { host: '127.0.0.1', port: 0 }, database: db.config },
        catalog: {
          refresh: { interval: false },
          locations: [{ type: 'file', target: join(dir, 'template/template.yaml') }],
        },
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
      }),
    );
    const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
    app = await createApp({
      config,
      plugins: installedPlugins(),
      cwd: dir,
      logger: createLogger({ level: 'warn' }),
    });
    const url = await app.start();
    const base = `${url}/api/scaffolder`;
    const results: Array<{ totalMs: number; steps: Record<string, number>; files: number }> = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const response = await fetch(`${base}/v2/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          templateRef: 'template:default/bench-skeleton',
          values: {
            name: `bench-${run}`,
            owner: 'team-bench',
            description: 'Benchmark',
            withTests: true,
          },
        }),
      });
      if (response.status !== 201)
        throw new Error(`POST /v2/tasks: ${response.status} ${await response.text()}`);
      const { id } = (await response.json()) as { id: string };
      const events = parseSse(await (await fetch(`${base}/v2/tasks/${id}/eventstream`)).text());
      const totalMs = performance.now() - started;
      const completion = events.find((e) => e.type === 'completion');
      if (completion?.body.message !== 'Run completed with status: completed') {
        throw new Error(
          `task failed: ${JSON.stringify(events.filter((e) => e.body.status === 'failed'))}`,
        );
      }
      const steps: Record<string, number> = {};
      for (const e of events) {
        if (e.body.status !== 'completed' || !e.body.stepId) continue;
        const begin = events.find(
          (b) => b.body.stepId === e.body.stepId && b.body.status === 'processing',
        );
        if (begin) steps[e.body.stepId] = Date.parse(e.createdAt) - Date.parse(begin.createdAt);
      }
      results.push({ totalMs, steps, files: Number(completion.body.output?.files) });
      process.stdout.write(
        `run ${run + 1}: ${totalMs.toFixed(0)} ms (${Object.entries(steps)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')}); ${completion.body.output?.files} files in the workspace\n`,
      );
    }
    const sorted = results.map((r) => r.totalMs).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const summary = {
      date: new Date().toISOString(),
      engine: args.engine,
      skeletonFiles: written,
      runs,
      cpus: cpus().length,
      medianMs: Math.round(median),
      minMs: Math.round(sorted[0]!),
      maxMs: Math.round(sorted.at(-1)!),
      targetMs: TARGET_MS,
      pass: median < TARGET_MS,
      results,
    };
    process.stdout.write(
      `\n${written}-file skeleton, ${args.engine}: median ${summary.medianMs} ms (min ${summary.minMs}, max ${summary.maxMs}) — target < ${TARGET_MS} ms: ${summary.pass ? 'PASS' : 'FAIL'}\n`,
    );
    mkdirSync(args['results-dir']!, { recursive: true });
    const out = join(args['results-dir']!, `scaffolder-${summary.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`written to ${out}\n`);
  } finally {
    await app?.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
