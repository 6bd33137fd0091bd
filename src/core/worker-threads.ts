/**
 * Starting a worker thread from a module that may run as TypeScript (through tsx: the
 * server with ATRIUM_SOURCE=1, scripts, and the tests, which vitest runs in-process but
 * does not transform worker files for) or compiled to JavaScript (dist/server, see
 * bin/build.mjs, which compiles every `src/**\/*.worker.ts` to a `.worker.js` beside the
 * module that starts it).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** What `new Worker(code, { eval })` takes to start a worker file. */
export interface WorkerEntry {
  code: string | URL;
  eval: boolean;
}

/**
 * How to start the worker `file` (written as its TypeScript name, e.g. `./render.worker.ts`)
 * relative to the module `from` (its `import.meta.url`): the compiled `.js` sibling when
 * `from` is itself compiled JavaScript; otherwise the `.ts` file, imported by a small
 * bootstrap that first registers tsx in the worker, as bin/atrium.mjs does in the main
 * thread. (`execArgv: ['--import', 'tsx']` does not work on Node 20: a worker ignores loader
 * hooks registered by its --import.)
 */
export function workerEntry(from: string, file: string): WorkerEntry {
  if (!file.endsWith('.ts')) throw new Error(`workerEntry: ${file} is not a .ts file name`);
  if (from.endsWith('.js'))
    return { code: new URL(file.replace(/\.ts$/, '.js'), from), eval: false };
  const worker = new URL(file, from).href;
  const code = `import(${JSON.stringify(tsxEsmApi(from))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
  return { code, eval: true };
}

/** `new Worker` for {@link workerEntry}`(from, file)` with the given options. */
export function startWorker(
  from: string,
  file: string,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  const entry = workerEntry(from, file);
  return new Worker(entry.code, { ...options, eval: entry.eval });
}

let tsxApiUrl: string | undefined;

/** The file URL of tsx's `tsx/esm/api` (the ESM build), resolved from `from`. */
function tsxEsmApi(from: string): string {
  if (tsxApiUrl) return tsxApiUrl;
  const manifestPath = createRequire(from).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = manifest.exports['./esm/api'];
  const file = typeof entry === 'object' ? entry.import?.default : undefined;
  if (!file) throw new Error(`tsx (${manifestPath}) has no ESM export ./esm/api`);
  tsxApiUrl = pathToFileURL(join(dirname(manifestPath), file)).href;
  return tsxApiUrl;
}
