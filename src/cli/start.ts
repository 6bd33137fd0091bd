import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../core/config/index.ts';
import { createApp } from '../core/app.ts';
import { createLogger } from '../core/logger.ts';
import { catalogServiceRef } from '../plugins/catalog/server/plugin.ts';
import { appPlugins } from '../plugins/index.ts';
import { createProgress } from './progress.ts';
import { ensureWebBuild, WEB_DIST } from './web-build.ts';

/**
 * V8 lets the heap grow to several times what is alive when a process allocates fast, as the
 * server does under load while it re-reads a large catalog: 200 clients during back-to-back
 * re-reads of 90,000 entities had 100-250 MB alive and 600 MB of heap, for 1.27 GB of RSS.
 * A fixed growth factor of 1.5 after each full collection keeps the heap near what is alive
 * (bench/README.md, load test). `node --heap-growing-percent=N bin/atrium.mjs start` wins.
 */
export const HEAP_GROWING_PERCENT = 50;

export async function startCommand(options: { config?: string[] }) {
  if (!process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a)))
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const logger = createLogger();
  const { config, warnings, files } = await loadConfig({
    configPaths: options.config,
    cwd: process.cwd(),
    env: process.env,
  });
  for (const warning of warnings) logger.warn(warning);
  logger.info(`Config read from ${files.length ? files.join(', ') : 'defaults'}`);
  await ensureWebBuild(logger);
  const app = await createApp({
    config,
    // Built-in plugins, then `plugins:` (fetched and checked before anything opens).
    ...(await appPlugins(config, logger)),
    logger,
    cwd: process.cwd(),
    webRoot: WEB_DIST,
  });
  const progress = createProgress('Reading catalog');
  // Each location counts from zero; the line shows them all together.
  const perLocation = new Map<string, { files: number; entities: number }>();
  const off = app.use(catalogServiceRef).service.onProgress((p) => {
    perLocation.set(p.locationId, { files: p.files, entities: p.entities });
    let files = 0;
    let entities = 0;
    for (const l of perLocation.values()) {
      files += l.files;
      entities += l.entities;
    }
    progress.update(files, `${entities} entities, ${p.file}`);
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`Received ${signal}, shutting down`);
    // A long database call must not keep the process alive for ever.
    setTimeout(() => {
      logger.error('Shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const url = await app.start();
  progress.stop();
  off();
  logger.info(`Atrium is ready at ${url}`);
}
