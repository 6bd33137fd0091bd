import { setImmediate as yieldToLoop } from 'node:timers/promises';
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

/**
 * Rows deleted per statement while pruning: on SQLite a statement runs on the thread that
 * answers HTTP, so one batch must stay short (a few milliseconds), and other work runs between
 * batches.
 */
export const PRUNE_BATCH = 1000;

export interface PruneOptions {
  /** Events recorded before this time (ISO 8601) go. */
  cutoff?: string;
  /** Past this many events, the oldest go. */
  maxEvents?: number;
  /** Rows per delete statement (default {@link PRUNE_BATCH}). */
  batchSize?: number;
  /** Stops between batches (the server stopping). */
  signal?: AbortSignal;
  /** Told the rows each statement deleted. */
  onBatch?: (deleted: number) => void;
}

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
   * Deletes events recorded before `cutoff` (ISO time), then the oldest beyond `maxEvents`, in
   * statements of at most `batchSize` rows with a turn of the event loop between them. What to
   * delete is found on the read pool (a worker thread on SQLite); each delete walks the
   * primary key from the oldest event. Safe to run twice: a second run finds nothing.
   */
  async prune(options: PruneOptions): Promise<number> {
    const batch = options.batchSize ?? PRUNE_BATCH;
    let deleted = 0;
    if (options.cutoff) {
      const cutoff = options.cutoff;
      // Ids grow with time; the newest old event bounds the walk, and the time is checked too.
      const newestOld = await this.reader
        .selectFrom('catalog_entity_events')
        .select(sql<number>`max(id)`.as('id'))
        .where('created_at', '<', cutoff)
        .executeTakeFirst();
      if (newestOld?.id != null) {
        const last = Number(newestOld.id);
        deleted += await this.deleteBatches(options, batch, (db) =>
          db
            .selectFrom('catalog_entity_events')
            .select('id')
            .where('id', '<=', last)
            .where('created_at', '<', cutoff)
            .orderBy('id', 'asc')
            .limit(batch),
        );
      }
    }
    if (options.maxEvents && !options.signal?.aborted) {
      // The newest event past the cap; it and everything older go.
      const boundary = await this.reader
        .selectFrom('catalog_entity_events')
        .select('id')
        .orderBy('id', 'desc')
        .offset(options.maxEvents)
        .limit(1)
        .executeTakeFirst();
      if (boundary) {
        const last = Number(boundary.id);
        deleted += await this.deleteBatches(options, batch, (db) =>
          db
            .selectFrom('catalog_entity_events')
            .select('id')
            .where('id', '<=', last)
            .orderBy('id', 'asc')
            .limit(batch),
        );
      }
    }
    return deleted;
  }

  private async deleteBatches(
    options: PruneOptions,
    batch: number,
    ids: (
      db: Kysely<CatalogTables>,
    ) => SelectQueryBuilder<CatalogTables, 'catalog_entity_events', { id: number }>,
  ): Promise<number> {
    let total = 0;
    while (!options.signal?.aborted) {
      // A subquery in `in (…)`: SQLite's DELETE takes no LIMIT unless compiled with it.
      const result = await this.db
        .deleteFrom('catalog_entity_events')
        .where('id', 'in', ids(this.db))
        .executeTakeFirst();
      const n = Number(result.numDeletedRows);
      total += n;
      options.onBatch?.(n);
      if (n < batch) break;
      // better-sqlite3 answers at once: without this, the batches would run back to back.
      await yieldToLoop();
    }
    return total;
  }
}
