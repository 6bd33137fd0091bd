/**
 * Web benchmark of the catalog explorer: a real Atrium server (child process, SQLite) with a
 * generated catalog of N entities and the built web app, driven by Debian's Chromium through
 * Playwright.
 *
 *   npx tsx bench/web/catalog-page.ts --n 100000
 *
 * Measures, on `/catalog?kind=Component`:
 * (a) navigation → first table rows in the DOM (fresh browser context each time, so the
 *     JavaScript is fetched too; the first load also meets the server's empty facet cache),
 * (b) a page change: click "Next →" → the first row changed (over --pages page changes),
 * (c) a filter change: choose a lifecycle → the total and the rows updated.
 * Times are taken inside the page (`performance.now()`, a MutationObserver, then one animation
 * frame so that the rows are laid out), not through Playwright round trips.
 *
 * Generated data is shared with the catalog benchmark (bench/.data/n<N>-seed<S>/); results go
 * to bench/results/web-catalog-<time>.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { stringify } from 'yaml';
import { ensureWebBuild } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../../test/helpers/browser.ts';
import { generateCatalog, type Manifest, readManifest } from '../catalog/generate.ts';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/atrium.mjs');

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    /** Page changes to time. */
    pages: { type: 'string', default: '10' },
    /** Initial loads to time (the first one is cold). */
    loads: { type: 'string', default: '5' },
    /** Seconds to wait for the ingest. */
    timeout: { type: 'string', default: '900' },
    'data-dir': { type: 'string', default: join(REPO, 'bench/.data') },
    'results-dir': { type: 'string', default: join(REPO, 'bench/results') },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.n!.replace(/_/g, ''));
const SEED = Number(args.seed);
const PAGES = Number(args.pages);
const LOADS = Math.max(1, Number(args.loads));
const TIMEOUT_MS = Number(args.timeout) * 1000;
if (!Number.isInteger(N) || N < 10) throw new Error(`bad --n ${args.n}`);

const TARGET_USABLE_MS = 1500;
const TARGET_PAGE_MS = 300;

const log = (message: string) => process.stderr.write(`[web-bench] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- server child

let child: ChildProcess | undefined;
const killChild = () => {
  try {
    child?.kill('SIGKILL');
  } catch {
    // already gone
  }
};
process.on('exit', killChild);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChild();
    process.exit(130);
  });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => done(port));
    });
  });
}

function dataFor(n: number): Manifest {
  const dir = join(args['data-dir']!, `n${n}-seed${SEED}`);
  const cached = readManifest(dir, n, SEED);
  if (cached) {
    log(`reusing generated data in ${dir}`);
    return cached;
  }
  log(`generating ${n} entities into ${dir}`);
  mkdirSync(dir, { recursive: true });
  return generateCatalog({ n, seed: SEED, dir });
}

async function totalItems(base: string): Promise<number> {
  const res = await fetch(`${base}/api/catalog/entities/by-query?limit=0`, {
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok) throw new Error(`count → ${res.status}`);
  return ((await res.json()) as { totalItems: number }).totalItems;
}

async function startServer(work: string, manifest: Manifest) {
  const port = await freePort();
  const configFile = join(work, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: {
        listen: { host: '127.0.0.1', port },
        database: {
          client: 'better-sqlite3',
          connection: { filename: join(work, 'atrium.sqlite') },
        },
      },
      catalog: {
        refresh: { interval: false },
        locations: [{ type: 'file', target: manifest.rootFile }],
      },
    }),
  );
  const logFile = join(work, 'server.log');
  const fd = openSync(logFile, 'a');
  const started = performance.now();
  child = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    cwd: work,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const base = `http://127.0.0.1:${port}`;
  // N generated + the Location in catalog-info.yaml + the generated config Location.
  const expected = manifest.n + 2;
  const deadline = Date.now() + TIMEOUT_MS;
  let count = 0;
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(`server exited; log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    count = await totalItems(base).catch(() => 0);
    if (count >= expected) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`ingesting: ${count}/${expected} after ${round((performance.now() - started) / 1000)} s`);
    }
    await sleep(200);
  }
  if (count < expected) throw new Error(`ingest incomplete: ${count}/${expected}`);
  const ingestMs = performance.now() - started;
  log(`ingested ${count} entities in ${round(ingestMs / 1000, 1)} s`);
  return { base, ingestMs, count };
}

async function stopServer() {
  if (!child || child.exitCode !== null) return;
  const c = child;
  c.kill('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (c.exitCode === null && c.signalCode === null && Date.now() < deadline) await sleep(50);
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

// ---------------------------------------------------------------- in-page measurements

/**
 * Installed before any page script: records `performance.now()` (ms since navigation start)
 * at the first animation frame after table rows first appear.
 */
const FIRST_ROWS_SCRIPT = `(() => {
  const w = window;
  w.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  const check = () => {
    if (w.__firstRowsAt !== undefined) return;
    if (document.querySelector('table tbody tr td a')) {
      w.__firstRowsAt = -1;
      requestAnimationFrame(() => { w.__firstRowsAt = performance.now(); });
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

/** ms from navigation start to the first rows, for a page in a fresh context. */
async function measureLoad(page: Page): Promise<number> {
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  page.on('requestfailed', (r) => log(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto('/catalog?kind=Component', { waitUntil: 'commit' });
  await page.waitForFunction(
    () => ((window as unknown as { __firstRowsAt?: number }).__firstRowsAt ?? -1) > 0,
    undefined,
    { timeout: 60_000, polling: 50 },
  );
  return page.evaluate(() => (window as unknown as { __firstRowsAt: number }).__firstRowsAt);
}

/**
 * Installed before any page script: `__measureChange(action, probeSelector)` runs `action`
 * ('next' clicks "Next →"; `{lifecycle}` picks that lifecycle) and resolves with the ms until
 * the text of `probeSelector` differs from its value before the action, plus one animation
 * frame. (A string, because tsx's `__name` helper does not exist inside the page.)
 */
const MEASURE_SCRIPT = `window.__measureChange = (action, probeSelector) =>
  new Promise((done, fail) => {
    const probe = () => document.querySelector(probeSelector)?.textContent ?? '';
    const before = probe();
    const started = performance.now();
    window.__lastStarted = started;
    const timer = setTimeout(() => fail(new Error('no change within 30 s')), 30000);
    const observer = new MutationObserver(() => {
      if (probe() === before) return;
      observer.disconnect();
      requestAnimationFrame(() => {
        clearTimeout(timer);
        done(performance.now() - started);
      });
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    if (action === 'next') {
      const next = Array.from(document.querySelectorAll('button')).find(
        (b) => b.textContent === 'Next →',
      );
      if (!next || next.disabled) return fail(new Error('no enabled Next button'));
      next.click();
    } else {
      const select = document.querySelector('select[name="lifecycle"]');
      if (!select) return fail(new Error('no lifecycle select'));
      select.value = action.lifecycle;
      select.dispatchEvent(new Event('change', { bubbles: true }));
    }
  });
window.__requests = (since) => {
  const entries = performance
    .getEntriesByType('resource')
    .filter((e) => e.startTime >= since && e.name.includes('/api/catalog/'));
  const max = (part) =>
    Math.max(0, ...entries.filter((e) => e.name.includes(part)).map((e) => e.duration));
  const rows = entries.filter((e) => e.name.includes('/entities/by-query')).at(-1);
  const scripts = performance
    .getEntriesByType('resource')
    .filter((e) => e.startTime >= since && e.initiatorType === 'script');
  const until = window.__firstRowsAt > 0 && since === 0 ? window.__firstRowsAt : Infinity;
  const longTasks = (window.__longTasks || []).filter((t) => t.start >= since && t.start < until);
  return {
    longTaskMs: longTasks.reduce((sum, t) => sum + t.ms, 0),
    options: Object.fromEntries(
      Array.from(document.querySelectorAll('select[name]')).map((s) => [s.name, s.options.length]),
    ),
    rowsMs: max('/entities/by-query'),
    facetsMs: max('/entity-facets'),
    facetRequests: entries.filter((e) => e.name.includes('/entity-facets')).length,
    rowsUrl: rows ? rows.name : '',
    rowsStartMs: rows ? rows.startTime - since : 0,
    scriptsEndMs: Math.max(0, ...scripts.map((e) => e.responseEnd - since)),
  };
};`;

interface Requests {
  /** Duration of the rows request (by-query), as the browser saw it. */
  rowsMs: number;
  /** Slowest facet request and how many there were. */
  facetsMs: number;
  facetRequests: number;
  /** Main-thread long tasks (> 50 ms) in the measured span, summed. */
  longTaskMs: number;
  /** Options in each filter select, by URL parameter. */
  options: Record<string, number>;
  /** The rows request (to replay it alone) and when it started, ms after the action. */
  rowsUrl: string;
  rowsStartMs: number;
  /** When the last lazily loaded script arrived, ms after the action (0: none). */
  scriptsEndMs: number;
}

type MeasureWindow = {
  __measureChange(action: 'next' | { lifecycle: string }, probe: string): Promise<number>;
  __lastStarted: number;
  __requests(since: number): Requests;
};

/** The API requests made since the last measured action (or since navigation). */
function requestsSince(page: Page, sinceLast: boolean): Promise<Requests> {
  return page.evaluate(
    (last) =>
      (window as unknown as MeasureWindow).__requests(
        last ? (window as unknown as MeasureWindow).__lastStarted : 0,
      ),
    sinceLast,
  );
}

function measureChange(
  page: Page,
  action: 'next' | { lifecycle: string },
  probeSelector: string,
): Promise<number> {
  return page.evaluate(([a, p]) => (window as unknown as MeasureWindow).__measureChange(a, p), [
    action,
    probeSelector,
  ] as const);
}

const describe = (r: Requests) =>
  `rows request ${round(r.rowsMs)} ms, sent at ${round(r.rowsStartMs)} ms; ${r.facetRequests} facet requests, slowest ${round(r.facetsMs)} ms${r.scriptsEndMs ? `; scripts loaded at ${round(r.scriptsEndMs)} ms` : ''}; long tasks ${round(r.longTaskMs)} ms`;

/** The median of `times` sequential requests for `url` from Node (the server alone). */
async function replay(url: string, times = 3): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    ms.push(performance.now() - started);
  }
  return percentile(ms, 50);
}

const FIRST_ROW = 'table tbody tr td a';
const TOTAL = '[data-testid="total"]';

async function main() {
  const manifest = dataFor(N);
  log('building the web app if it is missing or stale');
  await ensureWebBuild(createLogger({ level: 'warn' }));
  const work = mkdtempSync(join(tmpdir(), 'atrium-web-bench-'));
  const browser = await launchChromium();
  try {
    const { base, ingestMs, count } = await startServer(work, manifest);

    // (a) initial loads, each in a fresh context (no HTTP cache, no query cache)
    const loads: number[] = [];
    const loadRequests: Requests[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({
        baseURL: base,
        viewport: { width: 1366, height: 860 },
      });
      await context.addInitScript(FIRST_ROWS_SCRIPT);
      await context.addInitScript(MEASURE_SCRIPT);
      const page = await context.newPage();
      loads.push(await measureLoad(page));
      loadRequests.push(await requestsSince(page, false));
      log(
        `load ${i + 1}: first rows after ${round(loads.at(-1)!)} ms (${describe(loadRequests.at(-1)!)})`,
      );
      await context.close();
    }

    // (b) page changes and (c) filter changes in one context
    const context = await browser.newContext({
      baseURL: base,
      viewport: { width: 1366, height: 860 },
    });
    await context.addInitScript(FIRST_ROWS_SCRIPT);
    await context.addInitScript(MEASURE_SCRIPT);
    const page = await context.newPage();
    await measureLoad(page);
    const totalText = await page.locator(TOTAL).textContent();
    await sleep(1000);
    const options = (await requestsSince(page, false)).options;
    log(`filter options: ${JSON.stringify(options)}`);
    const pages: number[] = [];
    const pageRequests: Requests[] = [];
    for (let i = 0; i < PAGES; i++) {
      pages.push(await measureChange(page, 'next', FIRST_ROW));
      pageRequests.push(await requestsSince(page, true));
      log(`page change ${i + 1}: ${round(pages.at(-1)!)} ms (${describe(pageRequests.at(-1)!)})`);
    }
    const pageUrl = page.url();

    // back to page 1, then lifecycle filters (each a different total)
    await page.goto('/catalog?kind=Component');
    await page.locator(FIRST_ROW).first().waitFor();
    await page
      .locator('select[name="lifecycle"] option:nth-child(2)')
      .waitFor({ state: 'attached' });
    const lifecycles = (
      await page
        .locator('select[name="lifecycle"] option')
        .evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value))
    ).filter(Boolean);
    const filters: Array<{ lifecycle: string; ms: number; total: string; requests: Requests }> = [];
    for (const lifecycle of lifecycles) {
      const ms = await measureChange(page, { lifecycle }, TOTAL);
      const total = (await page.locator(TOTAL).textContent()) ?? '';
      const requests = await requestsSince(page, true);
      filters.push({ lifecycle, ms, total, requests });
      log(`filter lifecycle=${lifecycle}: ${round(ms)} ms, ${total} (${describe(requests)})`);
    }
    await context.close();
    // the same rows requests again, alone (no facet requests competing for the server)
    const alone: number[] = [];
    for (const f of filters) alone.push(f.requests.rowsUrl ? await replay(f.requests.rowsUrl) : 0);

    const warm = loads.slice(1);
    const result = {
      n: N,
      seed: SEED,
      entities: count,
      components: totalText,
      filterOptions: options,
      ingestMs: round(ingestMs),
      load: {
        coldMs: round(loads[0]!),
        warmP50Ms: warm.length ? round(percentile(warm, 50)) : undefined,
        allMs: loads.map((x) => round(x)),
        requests: loadRequests,
      },
      pageChange: {
        p50Ms: round(percentile(pages, 50)),
        p95Ms: round(percentile(pages, 95)),
        maxMs: round(Math.max(...pages)),
        allMs: pages.map((x) => round(x)),
        rowsRequestP50Ms: round(
          percentile(
            pageRequests.map((r) => r.rowsMs),
            50,
          ),
        ),
        lastUrl: pageUrl.replace(base, ''),
      },
      filterChange: filters.map((f, i) => ({
        ...f,
        ms: round(f.ms),
        rowsAloneMs: round(alone[i]!),
      })),
    };
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const worstLoad = Math.max(...loads);
    const report = [
      `## Catalog page, n = ${N.toLocaleString('en-US')} (SQLite, ${count} entities, ${totalText} of kind Component)`,
      '',
      '| figure | measured | target | verdict |',
      '| --- | --- | --- | --- |',
      `| navigation → first rows | cold ${result.load.coldMs} ms; then ${result.load.allMs.slice(1).join(', ')} ms (rows request ${loadRequests.map((r) => round(r.rowsMs)).join(', ')} ms) | < ${TARGET_USABLE_MS} ms | ${verdict(worstLoad < TARGET_USABLE_MS)} |`,
      `| page change (Next → rows changed), ${PAGES}× | p50 ${result.pageChange.p50Ms} / p95 ${result.pageChange.p95Ms} / max ${result.pageChange.maxMs} ms (rows request p50 ${result.pageChange.rowsRequestP50Ms} ms) | < ${TARGET_PAGE_MS} ms | ${verdict(result.pageChange.p95Ms < TARGET_PAGE_MS)} |`,
      ...filters.map(
        (f) =>
          `| filter change (lifecycle=${f.lifecycle} → ${f.total}) | ${round(f.ms)} ms (${describe(f.requests)}; the rows request alone ${round(alone[filters.indexOf(f)]!)} ms) | < ${TARGET_PAGE_MS} ms (paging target, for orientation) | ${verdict(f.ms < TARGET_PAGE_MS)} |`,
      ),
      '',
      `Options in the filter selects: ${Object.entries(options)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
    ].join('\n');
    process.stdout.write(`\n${report}\n`);
    mkdirSync(args['results-dir']!, { recursive: true });
    const out = join(
      args['results-dir']!,
      `web-catalog-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    );
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`Results written to ${out}\n`);
  } finally {
    await browser.close();
    await stopServer();
    if (args.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
