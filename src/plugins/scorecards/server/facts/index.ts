import { createServiceRef, type PluginEnvironment } from '../../../../core/plugin-api.ts';
import { readingPolicy } from '../../../../core/reading/allow-list.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import { CatalogFactProvider } from './catalog-provider.ts';
import { FactStore } from './fact-store.ts';
import type { FactProvider } from './provider.ts';
import { PushedFactProvider } from './push-provider.ts';
import { RepoFactProvider } from './repo-provider.ts';
import { registerFactRoutes } from './routes.ts';
import { ScaffolderFactProvider } from './scaffolder-provider.ts';
import { TechdocsFactProvider } from './techdocs-provider.ts';

export { FACT_PERMISSIONS } from './routes.ts';
export { FactStore } from './fact-store.ts';

/** Every built-in fact id; pushed facts are any other id. */
export const BUILTIN_FACT_IDS = [
  'catalog.hasErrors',
  'catalog.orphan',
  'techdocs.built',
  'techdocs.buildFailed',
  'techdocs.lastBuildAgeDays',
  'scaffolder.template',
  'scaffolder.templateVersion',
  'scaffolder.templateIsCurrent',
  'repo.readme',
  'repo.codeowners',
  'repo.license',
  'repo.ciWorkflow',
];

export interface BuiltinFacts {
  store: FactStore;
  /** Built-in providers, the push provider last (it answers every id the others do not). */
  providers: FactProvider[];
  push: PushedFactProvider;
  catalog: CatalogFactProvider;
  techdocs: TechdocsFactProvider;
  scaffolder: ScaffolderFactProvider;
  repo: RepoFactProvider;
}

/** The built-in providers and the fact store, for tests and tools (the benchmark pushes facts). */
export const scorecardFactsServiceRef = createServiceRef<BuiltinFacts>('scorecards.facts');

export interface BuiltinFactOptions {
  catalog: () => CatalogApi;
  /**
   * Every provider in use (built-in and contributed), for the push route: ids that another
   * provider answers cannot be pushed. Default: the built-in ones.
   */
  providers?: () => readonly FactProvider[];
  /** Poll interval of the catalog, TechDocs and scaffolder providers (tests shorten it). */
  pollMs?: number;
}

/**
 * Creates the built-in fact providers and the fact store, and registers
 * `POST /api/scorecards/facts`. Called once from the scorecards plugin's setup; the plugin
 * starts and stops the providers with the others.
 */
export function builtinFactProviders(
  env: PluginEnvironment,
  options: BuiltinFactOptions,
): BuiltinFacts {
  const { database, logger, config } = env;
  const store = new FactStore(database);
  const poll = options.pollMs !== undefined ? { pollMs: options.pollMs } : {};
  const push = new PushedFactProvider(store, options.catalog, logger);
  const catalog = new CatalogFactProvider(database, logger, poll);
  const techdocs = new TechdocsFactProvider(database, logger, poll);
  const scaffolder = new ScaffolderFactProvider(database, options.catalog, logger, poll);
  const repo = new RepoFactProvider(database, options.catalog, logger, {
    scheduleMs: config.scorecards.repoFacts.scheduleMs,
    reading: { ...readingPolicy(config), timeoutMs: 120_000 },
  });
  const providers: FactProvider[] = [catalog, techdocs, scaffolder, repo, push];
  registerFactRoutes(env, {
    catalog: options.catalog,
    store,
    providers: options.providers ?? (() => providers),
    changed: (refs) => push.changed(refs),
  });
  const facts = { store, providers, push, catalog, techdocs, scaffolder, repo };
  env.provide(scorecardFactsServiceRef, facts);
  return facts;
}
