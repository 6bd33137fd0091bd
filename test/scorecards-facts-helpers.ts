/**
 * A real Atrium for the fact tests: every installed plugin, a config of the test's own, and
 * the scorecards plugin with the built-in fact providers and the push route in place, as
 * `src/plugins/scorecards/server/plugin.ts` sets them up. Until that file calls
 * `builtinFactProviders` itself, the plugin is wrapped here to do so the same way.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { definePlugin, type PluginDefinition } from '../src/core/plugin-api.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import {
  type BuiltinFacts,
  builtinFactProviders,
  scorecardFactsServiceRef,
} from '../src/plugins/scorecards/server/facts/index.ts';
import {
  type FactProvider,
  factProvidersExtensionPoint,
} from '../src/plugins/scorecards/server/facts/provider.ts';
import { type Engine, freshDatabase } from './helpers/server.ts';

const PLUGIN_SOURCE = join(import.meta.dirname, '../src/plugins/scorecards/server/plugin.ts');

/** Whether the scorecards plugin sets the built-in providers up itself. */
function pluginWiresFacts(): boolean {
  return readFileSync(PLUGIN_SOURCE, 'utf8').includes('builtinFactProviders(');
}

function withBuiltinFacts(plugin: PluginDefinition): PluginDefinition {
  return definePlugin({
    ...plugin,
    async setup(env) {
      const catalog = env.use(catalogServiceRef);
      let all: FactProvider[] = [];
      const builtin = builtinFactProviders(env, { catalog: () => catalog, providers: () => all });
      await plugin.setup({
        ...env,
        extensions: <T>(point: { id: string }) => {
          const contributed = env.extensions(point as never) as T[];
          if (point.id !== factProvidersExtensionPoint.id) return contributed;
          all = [...builtin.providers, ...(contributed as FactProvider[])];
          return all as T[];
        },
      });
    },
  });
}

export function factPlugins(extra: PluginDefinition[] = []): PluginDefinition[] {
  const plugins = installedPlugins();
  const wired = pluginWiresFacts()
    ? plugins
    : plugins.map((p) => (p.id === 'scorecards' ? withBuiltinFacts(p) : p));
  return [...wired, ...extra];
}

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
    plugins: factPlugins(),
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
