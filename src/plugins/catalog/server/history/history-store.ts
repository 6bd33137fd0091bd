import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Database } from '../../../../core/plugin-api.ts';
import type { CatalogTables } from '../store/tables.ts';
import type { StoredEventRow } from './event-rows.ts';

/** A page of one entity's (or every entity's) history, newest first. */
export interface HistoryPageQuery {
  entityRef?: string;
  kind?: string;
  /** Only events after this id. */
  afterId?: number;
  /** Only events recorded at or after this time (ISO 8601 UTC). */
  sinceTime?: string;
  /** Paging: only events older than this id. */
  beforeId?: number;
  limit: number;
  /**
   * The caller's readable entities, as a subquery of lowercase refs (`query.refsMatching`);
   * absent for a caller who may read every entity, deleted ones included.
   */
  readableRefs?: SelectQueryBuilder<never, never, { entity_ref: string }>;
}

/** Rows deleted per statement while pruning: each statement holds the writer only briefly. */
const PRUNE_BATCH = 5000;

/** Reads and prunes `catalog_entity_events`; the entity store writes it. */
export class HistoryStore {
  private readonly db: Kysely<CatalogTables>;
  private readonly reader: Kysely<CatalogTables>;
  constructor(database: Database) {
    this.db = database.db as Kysely<CatalogTables>;
    this.reader = database.reader as Kysely<CatalogTables>;
  }

  /** Newest first; `hasMore` when older events match too. */
  async page(q: HistoryPageQuery): Promise<{ rows: StoredEventRow[]; hasMore: boolean }> {
    let query = this.reader.selectFrom('catalog_entity_events').selectAll();
    if (q.entityRef) query = query.where('entity_ref', '=', q.entityRef);
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.afterId !== undefined) query = query.where('id', '>', q.afterId);
    if (q.sinceTime !== undefined) query = query.where('created_at', '>=', q.sinceTime);
    if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
    if (q.readableRefs) query = query.where('entity_ref', 'in', q.readableRefs as never);
    const rows = (await query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute()) as StoredEventRow[];
    return { rows: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
  }

  /** Events after `afterId`, oldest first: what a stream delivers next. */
  async after(afterId: number, limit: number): Promise<StoredEventRow[]> {
    return (await this.reader
      .selectFrom('catalog_entity_events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute()) as StoredEventRow[];
  }

  /** The smallest and largest event id stored (0 when there are none). */
  async bounds(): Promise<{ min: number; max: number }> {
    const row = await this.reader
      .selectFrom('catalog_entity_events')
      .select([sql<number>`min(id)`.as('min'), sql<number>`max(id)`.as('max')])
      .executeTakeFirst();
    return { min: Number(row?.min ?? 0), max: Number(row?.max ?? 0) };
  }

  /**
   * Deletes events recorded before `cutoff` (ISO time), then the oldest beyond `maxEvents`,
   * a batch per statement. Every replica may run it: a second run finds nothing to delete.
   */
  async prune(options: { cutoff?: string; maxEvents?: number }): Promise<number> {
    let deleted = 0;
    if (options.cutoff) {
      const cutoff = options.cutoff;
      deleted += await this.deleteBatches((db) =>
        db
          .selectFrom('catalog_entity_events')
          .select('id')
          .where('created_at', '<', cutoff)
          .limit(PRUNE_BATCH),
      );
    }
    if (options.maxEvents) {
      const count = Number(
        (
          await this.db
            .selectFrom('catalog_entity_events')
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirst()
        )?.n ?? 0,
      );
      if (count > options.maxEvents) {
        // The newest event past the cap; it and everything older go.
        const boundary = await this.db
          .selectFrom('catalog_entity_events')
          .select('id')
          .orderBy('id', 'desc')
          .offset(options.maxEvents)
          .limit(1)
          .executeTakeFirst();
        if (boundary) {
          const last = Number(boundary.id);
          deleted += await this.deleteBatches((db) =>
            db
              .selectFrom('catalog_entity_events')
              .select('id')
              .where('id', '<=', last)
              .orderBy('id', 'asc')
              .limit(PRUNE_BATCH),
          );
        }
      }
    }
    return deleted;
  }

  private async deleteBatches(
    ids: (
      db: Kysely<CatalogTables>,
    ) => SelectQueryBuilder<CatalogTables, 'catalog_entity_events', { id: number }>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      // A subquery in `in (…)`: SQLite's DELETE takes no LIMIT unless compiled with it.
      const result = await this.db
        .deleteFrom('catalog_entity_events')
        .where('id', 'in', ids(this.db))
        .executeTakeFirst();
      const n = Number(result.numDeletedRows);
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  }
}
