import { definePlugin, extend, type PluginDefinition } from '../../../core/plugin-api.ts';
import { type CatalogApi, catalogServiceRef } from '../../catalog/server/plugin.ts';
import { searchCollatorsExtensionPoint, searchIndexServiceRef } from '../../search/server/api.ts';
import { techdocsCollator } from './collator.ts';
import { syncDocsEntityFields } from './entity-fields-sync.ts';
import { PublishedSitesIndex } from './published-sites-index.ts';
import { techdocsActions } from './actions.ts';
import { registerTechdocsRoutes } from './routes/index.ts';
import { addressOf, type RouteDeps } from './routes/shared.ts';
import { type DocsSource, documentedEntities, resolveDocsRef } from './source/docs-ref.ts';
import { readDocsTree } from './source/read-tree.ts';
import { type DocsStorage, LocalDocsStorage } from './storage/index.ts';
import { BuildRecords, techdocsMigrations } from './sync/build-records.ts';
import { DocsSync } from './sync/docs-sync.ts';

/**
 * TechDocs: docs built from mkdocs.yml + Markdown on demand, published to storage, served to
 * the reader page and pushed into search (COMPAT.md §7).
 */
export function techdocsPlugin(): PluginDefinition {
  // The collator is contributed before setup creates the storage; it reads it through this.
  let storage: DocsStorage | undefined;
  let actionDeps: RouteDeps | undefined;
  return definePlugin({
    id: 'techdocs',
    dependsOn: ['catalog', 'search'],
    migrations: techdocsMigrations,
    extensions: [
      extend(
        searchCollatorsExtensionPoint,
        techdocsCollator(() => storage),
      ),
      ...techdocsActions(() => actionDeps),
    ],
    async setup(env) {
      const { config, logger, database } = env;
      const docs = new LocalDocsStorage(config.techdocs.publisher.local.publishDirectory);
      storage = docs;
      const records = new BuildRecords(database);
      const search = env.use(searchIndexServiceRef);
      const catalog = () => env.use(catalogServiceRef);
      const published = new PublishedSitesIndex({
        database,
        storage: docs,
        search,
        catalog,
        logger,
      });
      const fields = syncDocsEntityFields({ catalog: catalog(), sites: published, logger });
      const sync = new DocsSync({
        storage: docs,
        records,
        logger,
        builder: config.techdocs.builder,
        readTree: (url, options) => readDocsTree(url, { ...options, config }),
        async onPublished(entity, triplet) {
          await published.indexSite(entity, triplet);
        },
      });
      actionDeps = {
        catalog,
        storage: docs,
        records,
        sync,
        builder: config.techdocs.builder,
        resolveSource: resolveDocsRef,
      };
      registerTechdocsRoutes(env, actionDeps);
      let stopping = false;
      env.onStart(() => {
        published.start(config.techdocs.searchScanSeconds);
        if (config.techdocs.builder !== 'local' || !config.techdocs.buildOnStart) return;
        // Not awaited: the server is ready at once; pages become searchable as sites land.
        void buildLocalSites(catalog(), sync, () => stopping).catch((error) =>
          logger.warn('Building docs at start failed', { error: String(error) }),
        );
      });
      env.onStop(async () => {
        stopping = true;
        fields.stop();
        await sync.stop();
        await Promise.all([fields.idle(), published.stop()]);
      });
    },
  });
}

/**
 * Builds, one after another, the docs of every entity whose docs are a local folder (the
 * same check as opening them: unchanged sources are not rebuilt). Failures are recorded per
 * entity by the sync, as when a reader opens them.
 */
async function buildLocalSites(
  catalog: CatalogApi,
  sync: DocsSync,
  stopped: () => boolean,
): Promise<void> {
  // A page of entities at a time: at 100,000 entities, listing them all first took long.
  for await (const page of documentedEntities(catalog.query)) {
    for (const entity of page) {
      if (stopped()) return;
      let source: DocsSource;
      try {
        source = resolveDocsRef(entity);
      } catch {
        continue; // a bad annotation is reported when someone opens the docs
      }
      if (source.type !== 'dir') continue;
      const { triplet, entityRef } = addressOf({
        namespace: entity.metadata.namespace ?? 'default',
        kind: entity.kind,
        name: entity.metadata.name,
      });
      await sync.sync({ entity, entityRef, triplet, source }).outcome.catch(() => undefined);
    }
  }
}
