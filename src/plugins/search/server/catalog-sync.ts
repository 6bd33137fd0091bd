import type { Entity } from '../../../model/entity.ts';
import type { Logger } from '../../../core/logger.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { EntitiesChangedEvent } from '../../catalog/server/store/entity-store.ts';
import { SEARCH_TYPES } from '../common/types.ts';
import { ENTITY_FIELDS, entityToDocument } from './catalog-collator.ts';
import type { SearchEngine } from './engine/index.ts';

/**
 * Changes bigger than this are indexed after the catalog write returns rather than before:
 * a first import of 100,000 entities should not wait for search, while a registered
 * location or a deleted entity is searchable (or gone) as soon as its call returns.
 */
export const WAIT_FOR_CHANGES_UP_TO = 2000;

/**
 * Entities indexed per transaction. SQLite writes on the thread that answers HTTP: 100
 * documents (delete and insert in three tables) keep each write well under 50 ms.
 */
const CHUNK = { sqlite: 100, pg: 500 } as const;

/**
 * Keeps `software-catalog` documents current from the catalog's change events, one event
 * at a time in order; deleted entities lose their documents of every type.
 */
export function syncCatalogToSearch(
  catalog: CatalogApi,
  engine: SearchEngine,
  logger: Logger,
  options: {
    /**
     * True while a full build of the type is due but has not started: it will read the
     * catalog as it is then, so indexing changes one by one before it is wasted work.
     */
    buildDue?: () => boolean;
  } = {},
): { stop(): void; idle(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();

  const apply = async (event: EntitiesChangedEvent) => {
    if (event.deleted.length) await engine.removeEntities(event.deleted);
    if (options.buildDue?.()) return;
    const chunk = CHUNK[engine.dialect];
    for (let i = 0; i < event.upserted.length; i += chunk) {
      const refs = event.upserted.slice(i, i + chunk);
      const found = await catalog.query.byRefs(refs, ENTITY_FIELDS, undefined);
      const docs = found.filter((e) => e !== null).map((e) => entityToDocument(e as Entity));
      // Gone again by the time we read it (a later event removes it too; this keeps order).
      const missing = refs.filter((_, j) => found[j] === null);
      if (missing.length) await engine.removeEntities(missing);
      if (docs.length) await engine.upsert(SEARCH_TYPES.catalog, docs);
    }
  };

  const unsubscribe = catalog.service.onEntitiesChanged((event) => {
    const work = chain.then(() => apply(event));
    chain = work.catch((error) => {
      logger.error('Updating the search index from catalog changes failed', {
        error: (error as Error).message,
        upserted: event.upserted.length,
        deleted: event.deleted.length,
      });
    });
    if (event.upserted.length + event.deleted.length > WAIT_FOR_CHANGES_UP_TO) return;
    return chain;
  });
  return { stop: unsubscribe, idle: () => chain };
}
