import type { Logger } from '../../../core/logger.ts';
import type { Entity } from '../../../model/entity.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { EntitiesChangedEvent } from '../../catalog/server/store/entity-store.ts';
import type { PublishedSitesIndex } from './published-sites-index.ts';

/**
 * Docs pages in search carry their entity's title, owner, lifecycle and type (filters and
 * the result line). When the catalog changes an entity whose pages are in search, they are
 * pushed again with the new fields from the stored site: no rebuild, no reader waiting.
 * Deleted entities lose their pages through search's own catalog sync.
 */
export function syncDocsEntityFields(deps: {
  catalog: CatalogApi;
  sites: Pick<PublishedSitesIndex, 'indexSite' | 'indexedAmong'>;
  logger: Logger;
}): { stop(): void; idle(): Promise<void> } {
  const { catalog, sites, logger } = deps;
  let chain: Promise<void> = Promise.resolve();

  const apply = async (event: EntitiesChangedEvent) => {
    const changed = await sites.indexedAmong(event.upserted);
    if (!changed.length) return;
    for (const found of await catalog.query.byRefs(changed, undefined, undefined)) {
      if (!found) continue;
      const entity = found as Entity;
      const triplet = {
        namespace: entity.metadata.namespace ?? 'default',
        kind: entity.kind,
        name: entity.metadata.name,
      };
      await sites.indexSite(entity, triplet);
    }
  };

  const stop = catalog.service.onEntitiesChanged((event) => {
    // Not awaited by the catalog write: its own documents are current when it returns; the
    // docs pages of a changed owner follow a moment later.
    chain = chain
      .then(() => apply(event))
      .catch((error) =>
        logger.warn('Updating docs pages in search after catalog changes failed', {
          error: (error as Error).message,
        }),
      );
  });
  return { stop, idle: () => chain };
}
