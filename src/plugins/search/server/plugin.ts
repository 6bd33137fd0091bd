import { catalogServiceRef } from '../../catalog/server/plugin.ts';
import { definePlugin, extend, type PluginDefinition } from '../../../core/plugin-api.ts';
import { SEARCH_TYPES } from '../common/types.ts';
import { searchCollatorsExtensionPoint, searchIndexServiceRef } from './api.ts';
import { catalogCollator } from './catalog-collator.ts';
import { syncCatalogToSearch } from './catalog-sync.ts';
import { createSearchEngine } from './engine/index.ts';
import { searchMigrations } from './migrations.ts';
import { Reindexer } from './reindex.ts';
import { registerSearchRoutes, type SearchRouteDeps } from './routes.ts';
import { searchActions } from './actions.ts';

export {
  searchCollatorsExtensionPoint,
  searchIndexServiceRef,
  type Collator,
  type IndexableDocument,
  type SearchIndex,
} from './api.ts';

/**
 * Full-text search over documents that collators and other plugins put in the index:
 * `software-catalog` (kept current from catalog change events) and whatever other plugins
 * contribute (`techdocs`). Query API: GET /api/search/query (COMPAT.md §8).
 */
export function searchPlugin(): PluginDefinition {
  let actionDeps: (SearchRouteDeps & { maxTermLength: number }) | undefined;
  return definePlugin({
    id: 'search',
    dependsOn: ['catalog'],
    migrations: searchMigrations,
    extensionPoints: [searchCollatorsExtensionPoint],
    extensions: [
      extend(searchCollatorsExtensionPoint, catalogCollator),
      ...searchActions(() => actionDeps),
    ],
    async setup(env) {
      const { logger } = env;
      const engine = await createSearchEngine(env.database, logger, {
        countLimit: env.config.search.countLimit,
      });
      for (const note of engine.notes) logger.warn(note);
      const reindexer = new Reindexer(
        env.extensions(searchCollatorsExtensionPoint),
        engine,
        env.use,
      );
      env.provide(searchIndexServiceRef, engine);
      // A type never fully indexed (first start, or a collator added since) is built once at
      // start, after the catalog's first read; change events keep it current afterwards.
      // Catalog upserts before that build starts would be indexed twice, so they wait for it.
      const complete = new Set(await engine.completeTypes());
      const missing = [...reindexer.collators.keys()].filter((t) => !complete.has(t));
      let buildStarted = false;
      const sync = syncCatalogToSearch(env.use(catalogServiceRef), engine, logger, {
        buildDue: () => !buildStarted && missing.includes(SEARCH_TYPES.catalog),
      });
      const routeDeps = { engine, reindexer, catalog: env.use(catalogServiceRef) };
      registerSearchRoutes(env, routeDeps);
      actionDeps = { ...routeDeps, maxTermLength: env.config.search.maxTermLength };

      let stopping = false;
      env.onStart(async () => {
        buildStarted = true;
        if (!missing.length) return;
        try {
          const summary = await reindexer.reindex(missing, undefined, () => stopping);
          for (const t of summary.types)
            logger.info(`Indexed ${t.count} '${t.type}' documents`, { ms: t.ms });
        } catch (error) {
          logger.error('Initial search indexing failed', { error: (error as Error).message });
        }
      });
      env.onStop(async () => {
        stopping = true;
        sync.stop();
        await sync.idle();
      });
    },
  });
}
