import type { Kysely } from 'kysely';
import type { Database } from '../../../core/database/database.ts';
import type { Logger } from '../../../core/logger.ts';
import type { Entity } from '../../../model/entity.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { SearchIndex } from '../../search/server/api.ts';
import type { DocsTriplet, SiteMetadata } from '../common/index.ts';
import {
  docsSearchDocuments,
  entityRefOf,
  readSearchIndex,
  TECHDOCS_DOCUMENT_TYPE,
} from './collator.ts';
import type { DocsStorage } from './storage/index.ts';

interface Tables {
  techdocs_search_state: { entity_ref: string; build_timestamp: number };
}

const refOf = (t: DocsTriplet) => `${t.kind}:${t.namespace}/${t.name}`.toLowerCase();

/** A site's build time; 0 when a hand-written metadata file has none. */
const builtAt = (metadata: SiteMetadata) => Number(metadata.build_timestamp) || 0;

/**
 * Keeps the docs pages in search in step with the sites in storage, whoever published them.
 * A site the server builds is indexed at once (`indexSite`); sites that CI publishes or
 * replaces (`atrium docs publish`, builder `external`) or that disappear are found by `scan`,
 * run every `techdocs.searchScanSeconds`. `techdocs_search_state` records the build time of
 * the site each entity's pages came from, shared by replicas, so a scan only touches sites
 * that changed since any server last indexed them.
 */
export class PublishedSitesIndex {
  private readonly db: Kysely<Tables>;
  /** Reads go to the read connections: off the thread that answers HTTP on SQLite. */
  private readonly reader: Kysely<Tables>;
  private scanning: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      database: Database;
      storage: DocsStorage;
      search: SearchIndex;
      catalog: () => CatalogApi;
      logger: Logger;
    },
  ) {
    this.db = deps.database.db as Kysely<Tables>;
    this.reader = deps.database.reader as Kysely<Tables>;
  }

  /** Replaces an entity's docs pages in search with those of its published site. */
  async indexSite(entity: Entity, triplet: DocsTriplet): Promise<void> {
    const { storage, search } = this.deps;
    const metadata = await storage.getMetadata(triplet);
    const index = await readSearchIndex(storage, triplet);
    const entityRef = entityRefOf(entity);
    await search.removeByEntity(TECHDOCS_DOCUMENT_TYPE, entityRef);
    if (index) {
      await search.upsert(TECHDOCS_DOCUMENT_TYPE, docsSearchDocuments(entity, triplet, index));
    }
    if (metadata) {
      const row = { entity_ref: entityRef, build_timestamp: builtAt(metadata) };
      await this.db
        .insertInto('techdocs_search_state')
        .values(row)
        .onConflict((oc) => oc.column('entity_ref').doUpdateSet(row))
        .execute();
    }
  }

  /** Those of `refs` (any case) whose docs pages are in search. */
  async indexedAmong(refs: string[]): Promise<string[]> {
    const lower = [...new Set(refs.map((r) => r.toLowerCase()))];
    const found: string[] = [];
    for (let i = 0; i < lower.length; i += 500) {
      const rows = await this.reader
        .selectFrom('techdocs_search_state')
        .select('entity_ref')
        .where('entity_ref', 'in', lower.slice(i, i + 500))
        .execute();
      found.push(...rows.map((r) => r.entity_ref));
    }
    return found;
  }

  /**
   * Indexes every site whose build time differs from the recorded one, and takes the pages
   * of sites no longer stored out of search. One scan at a time.
   */
  scan(): Promise<{ indexed: number; removed: number }> {
    const run = (this.scanning ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.scanOnce());
    this.scanning = run;
    return run;
  }

  private async scanOnce(): Promise<{ indexed: number; removed: number }> {
    const { storage, search, logger } = this.deps;
    const recorded = new Map(
      (await this.reader.selectFrom('techdocs_search_state').selectAll().execute()).map((r) => [
        r.entity_ref,
        Number(r.build_timestamp),
      ]),
    );
    const stored = new Set<string>();
    let indexed = 0;
    let removed = 0;
    for (const triplet of await storage.listSites()) {
      const ref = refOf(triplet);
      stored.add(ref);
      try {
        const metadata = await storage.getMetadata(triplet);
        if (!metadata || recorded.get(ref) === builtAt(metadata)) continue;
        // Entities outside the catalog are left out, as by the full reindex's collator.
        const row = await this.deps.catalog().store.rowByRef(ref);
        if (!row) continue;
        await this.indexSite(JSON.parse(row.body) as Entity, triplet);
        indexed++;
      } catch (error) {
        logger.warn(`Could not index the published docs of ${ref} for search`, {
          error: (error as Error).message,
        });
      }
    }
    for (const ref of recorded.keys()) {
      if (stored.has(ref)) continue;
      const [kind = '', rest = ''] = ref.split(':');
      const [namespace = '', name = ''] = rest.split('/');
      // Not listed while a republish swaps folders: the site is still readable then.
      if (await storage.getMetadata({ kind, namespace, name })) continue;
      await search.removeByEntity(TECHDOCS_DOCUMENT_TYPE, ref);
      await this.db.deleteFrom('techdocs_search_state').where('entity_ref', '=', ref).execute();
      removed++;
    }
    if (indexed || removed) {
      logger.info(`Docs in search: ${indexed} sites indexed, ${removed} removed`);
    }
    return { indexed, removed };
  }

  /** Scans every `seconds`, after a first wait of the same length; a slow scan is not stacked. */
  start(seconds: number): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.scan()
        .catch((error) =>
          this.deps.logger.warn('Scanning published docs for search failed', {
            error: (error as Error).message,
          }),
        )
        .finally(() => {
          busy = false;
        });
    }, seconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.scanning?.catch(() => undefined);
  }
}
