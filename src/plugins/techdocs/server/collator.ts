import type { Entity } from '../../../model/entity.ts';
import { catalogServiceRef } from '../../catalog/server/plugin.ts';
import type { Collator, IndexableDocument } from '../../search/server/api.ts';
import type { DocsTriplet, SearchIndexFile } from '../common/index.ts';
import type { DocsStorage } from './storage/index.ts';

export const TECHDOCS_DOCUMENT_TYPE = 'techdocs';

function specString(entity: Entity, field: string): string {
  const value = entity.spec?.[field];
  return typeof value === 'string' ? value : '';
}

/** The lowercased ref `kind:namespace/name` of an entity. */
export function entityRefOf(entity: Pick<Entity, 'kind' | 'metadata'>): string {
  return `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`.toLowerCase();
}

/**
 * Search documents of one built site (COMPAT.md §8): one per page and per section of
 * `search/search_index.json`, linking to `/docs/:namespace/:kind/:name/:path` (with the
 * section's `#heading`), carrying the entity's fields for filters.
 */
export function docsSearchDocuments(
  entity: Entity,
  triplet: DocsTriplet,
  index: SearchIndexFile,
): IndexableDocument[] {
  const t = {
    namespace: triplet.namespace.toLowerCase(),
    kind: triplet.kind.toLowerCase(),
    name: triplet.name.toLowerCase(),
  };
  const entityRef = entityRefOf(entity);
  const type = specString(entity, 'type') || 'other';
  const base = `/docs/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.kind)}/${encodeURIComponent(t.name)}/`;
  const seen = new Set<string>();
  const docs: IndexableDocument[] = [];
  for (const doc of Array.isArray(index.docs) ? index.docs : []) {
    if (typeof doc?.location !== 'string' || typeof doc.title !== 'string') continue;
    // Locations are site-relative; anything absolute would not link into this site.
    if (/^[a-z][a-z0-9+.-]*:|^\/|^\\/i.test(doc.location)) continue;
    const location = base + doc.location;
    if (seen.has(location)) continue;
    seen.add(location);
    docs.push({
      title: doc.title,
      text: typeof doc.text === 'string' ? doc.text : '',
      location,
      path: doc.location,
      kind: t.kind,
      namespace: t.namespace,
      name: t.name,
      entityRef,
      entityTitle: entity.metadata.title ?? entity.metadata.name,
      componentType: type,
      type,
      lifecycle: specString(entity, 'lifecycle'),
      owner: specString(entity, 'owner'),
    });
  }
  return docs;
}

/** The parsed `search/search_index.json` of a published site, or undefined. */
export async function readSearchIndex(
  storage: DocsStorage,
  triplet: DocsTriplet,
): Promise<SearchIndexFile | undefined> {
  const buffer = await storage.readFile(triplet, 'search/search_index.json');
  if (!buffer) return undefined;
  try {
    const parsed = JSON.parse(buffer.toString('utf8')) as SearchIndexFile;
    return parsed && Array.isArray(parsed.docs) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `techdocs` collator for a full reindex: every published site whose entity is in the
 * catalog. Sites of entities that left the catalog are skipped (their links would be dead).
 * `storage` is read at collect time: it only exists once the plugin is set up.
 */
export function techdocsCollator(storage: () => DocsStorage | undefined): Collator {
  return {
    type: TECHDOCS_DOCUMENT_TYPE,
    async *collect({ use }) {
      const sites = storage();
      if (!sites) return;
      const { store } = use(catalogServiceRef);
      for (const triplet of await sites.listSites()) {
        const row = await store.rowByRef(`${triplet.kind}:${triplet.namespace}/${triplet.name}`);
        if (!row) continue;
        const index = await readSearchIndex(sites, triplet);
        if (!index) continue;
        yield* docsSearchDocuments(JSON.parse(row.body) as Entity, triplet, index);
      }
    },
  };
}
