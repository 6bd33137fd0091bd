import type { Logger } from '../../../core/logger.ts';
import type { Entity } from '../../../model/entity.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { EntitiesChangedEvent } from '../../catalog/server/store/entity-store.ts';
import type { SearchIndex } from '../../search/server/api.ts';
import { docsSearchDocuments, readSearchIndex, TECHDOCS_DOCUMENT_TYPE } from './collator.ts';
import type { DocsStorage } from './storage/index.ts';

/** Sites published by another replica or by CI are noticed within this time. */
const SITES_TTL_MS = 60_000;

/**
 * Docs pages in search carry their entity's title, owner, lifecycle and type (filters and
 * the result line). When the catalog changes an entity that has a published site, its pages
 * are pushed again with the new fields from the stored site: no rebuild, no reader waiting.
 * Deleted entities lose their pages through search's own catalog sync.
 */
export function syncDocsEntityFields(deps: {
  catalog: CatalogApi;
  storage: DocsStorage;
  search: SearchIndex;
  logger: Logger;
}): { published(entityRef: string): void; stop(): void; idle(): Promise<void> } {
  const { catalog, storage, search, logger } = deps;
  let sites: { refs: Set<string>; readAt: number } | undefined;
  let chain: Promise<void> = Promise.resolve();

  const documented = async (): Promise<Set<string>> => {
    if (!sites || Date.now() - sites.readAt > SITES_TTL_MS) {
      const triplets = await storage.listSites();
      sites = {
        refs: new Set(triplets.map((t) => `${t.kind}:${t.namespace}/${t.name}`.toLowerCase())),
        readAt: Date.now(),
      };
    }
    return sites.refs;
  };

  const apply = async (event: EntitiesChangedEvent) => {
    const refs = await documented();
    const changed = event.upserted.map((r) => r.toLowerCase()).filter((r) => refs.has(r));
    if (!changed.length) return;
    const entities = await catalog.query.byRefs(changed, undefined, undefined);
    for (const found of entities) {
      if (!found) continue;
      const entity = found as Entity;
      const triplet = {
        namespace: entity.metadata.namespace ?? 'default',
        kind: entity.kind,
        name: entity.metadata.name,
      };
      const index = await readSearchIndex(storage, triplet);
      if (!index) continue;
      await search.upsert(TECHDOCS_DOCUMENT_TYPE, docsSearchDocuments(entity, triplet, index));
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
  return {
    published: (entityRef) => sites?.refs.add(entityRef.toLowerCase()),
    stop,
    idle: () => chain,
  };
}
