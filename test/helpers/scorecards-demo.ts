import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { type App, createApp } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { installedPlugins } from '../../src/plugins/index.ts';
import { type Engine, freshDatabase } from './server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The demo's scorecard seed (facts a CI would push, 90 days of history). */
export const DEMO_SEED = join(ROOT, 'examples/demo-seed/scorecards.yaml');

export interface ScorecardsDemoServer {
  app: App;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real Atrium serving the demo catalog with the demo's scorecard seed, as `npm start` does
 * when app-config.yaml names it. Like startTestServer (helpers/server.ts), plus the seed plugin
 * and a database that may be kept between starts (`dir`, `database`).
 */
export async function startScorecardsDemo(
  options: {
    engine?: Engine;
    seedFile?: string;
    webRoot?: string;
    /** Extra catalog files beside the demo's. */
    files?: string[];
    dir?: string;
    database?: Record<string, unknown>;
  } = {},
): Promise<ScorecardsDemoServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'atrium-scorecards-'));
  const fresh = options.database ? undefined : await freshDatabase(options.engine ?? 'sqlite', dir);
  const configFile = join(dir, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: {
        listen: { host: '127.0.0.1', port: 0 },
        database: options.database ?? fresh!.config,
      },
      catalog: {
        refresh: { interval: false },
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          ...(options.files ?? []).map((target) => ({ type: 'file', target })),
        ],
      },
      // Docs are not built behind the test's back: results stay as the test expects them.
      techdocs: { buildOnStart: false },
      ...(options.seedFile ? { scorecards: { demoSeed: options.seedFile } } : {}),
    }),
  );
  const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
  const app = await createApp({
    config,
    plugins: installedPlugins(),
    cwd: dir,
    webRoot: options.webRoot,
    logger: createLogger({ level: (process.env.LOG_LEVEL as 'debug') ?? 'error' }),
  });
  const url = await app.start();
  return {
    app,
    url,
    dir,
    async stop() {
      await app.stop();
      await fresh?.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
