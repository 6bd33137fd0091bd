/**
 * A real Atrium for the fact tests: every installed plugin and a config of the test's own;
 * the built-in fact providers come from the scorecards plugin's own service.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import {
  type BuiltinFacts,
  scorecardFactsServiceRef,
} from '../src/plugins/scorecards/server/facts/index.ts';
import { type Engine, freshDatabase } from './helpers/server.ts';

export interface FactServer {
  app: App;
  url: string;
  facts: BuiltinFacts;
  stop(): Promise<void>;
}

/** Starts Atrium on `engine` with `config` (listen and database are filled in). */
export async function startFactServer(
  engine: Engine,
  dir: string,
  config: Record<string, unknown>,
): Promise<FactServer> {
  const database = await freshDatabase(engine, dir);
  const configFile = join(dir, 'app-config.yaml');
  const backend = (config.backend ?? {}) as Record<string, unknown>;
  writeFileSync(
    configFile,
    stringify({
      ...config,
      backend: {
        listen: { host: '127.0.0.1', port: 0 },
        database: database.config,
        ...backend,
      },
      techdocs: { buildOnStart: false, ...(config.techdocs as object | undefined) },
    }),
  );
  const { config: loaded } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
  const app = await createApp({
    config: loaded,
    plugins: installedPlugins(),
    cwd: dir,
    logger: createLogger({ level: (process.env.LOG_LEVEL as 'debug') ?? 'error' }),
  });
  const url = await app.start();
  return {
    app,
    url,
    facts: app.use(scorecardFactsServiceRef),
    async stop() {
      await app.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Retries `check` until it passes or `ms` elapse (scoring runs in the background). */
export async function eventually<T>(check: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}
