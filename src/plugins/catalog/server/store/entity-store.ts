import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Entity, EntityRelation, EntityStatusItem } from '../../../../model/entity.ts';
import { ANNOTATION_ORPHAN } from '../../../../model/entity.ts';
import { sortRelations } from '../../../../model/relations.ts';
import type { Database } from '../../../../core/plugin-api.ts';
import type { EntityChangeAction, EntityChangeCause, EntityDiff } from '../../common/history.ts';
import { entityDiff, sameJson } from '../history/diff.ts';
import { eventRows } from '../history/event-rows.ts';
import { buildSearchRows, type SearchRow } from './search-rows.ts';
import type { CatalogTables } from './tables.ts';

export interface EntityRow {
  id: string;
  entity_ref: string;
  kind: string;
  location_id: string | null;
  parent_ref: string | null;
  hash: string;
  body: string;
  problems: string | null;
  orphan: number;
  created_at: string;
  updated_at: string;
}

export interface RelationRow {
  origin_ref: string;
  source_ref: string;
  type: string;
  target_ref: string;
}

/** An entity ready to be stored: validated, annotated, relations derived. */
export interface PreparedEntity {
  ref: string;
  entity: Entity;
  hash: string;
  parentRef: string | null;
  relations: Array<{ source: string; type: string; target: string }>;
  /** Warnings found while processing; shown as `status.items`. */
  statusItems?: EntityStatusItem[];
}

/** Receives what a location emits while its transaction is open. */
export interface LocationSink {
  add(entities: PreparedEntity[]): Promise<void>;
  /** Refs whose file was unchanged since the last read: owned, not rewritten, not orphaned. */
  keep(refs: Iterable<string>): void;
  /** A ref the location still emits but that failed processing: keep the old version, attach errors. */
  fail(ref: string, items: EntityStatusItem[]): void;
}

type OwnedRow = Pick<EntityRow, 'id' | 'entity_ref' | 'hash' | 'orphan' | 'problems'>;

interface Written {
  row: EntityRow;
  entity: Entity;
  relations: PreparedEntity['relations'];
}

export interface ApplyInput {
  locationId: string;
  entities: PreparedEntity[];
  /** Refs whose file was unchanged since the last read: owned, not rewritten, not orphaned. */
  unchangedRefs: Set<string>;
  /** Refs that the location still emits but that failed processing: keep the old version, attach errors. */
  failed: Map<string, EntityStatusItem[]>;
  orphanStrategy: 'keep' | 'delete';
}

export interface ApplyResult {
  inserted: number;
  updated: number;
  unchanged: number;
  orphaned: number;
  deleted: number;
  /** Refs that another location already owns. */
  conflicts: Array<{ ref: string; ownerLocationId: string; file?: string }>;
}

const CHUNK = 500;

/** What a committed write changed, as lowercased entity refs. */
export interface EntitiesChangedEvent {
  /** Inserted or changed (including entities just marked orphaned). */
  upserted: string[];
  deleted: string[];
}
export type EntitiesChangedListener = (event: EntitiesChangedEvent) => Promise<void> | void;

/** One entity written by the catalog, as its change feed reports it (the audit log reads it). */
export interface EntityChange {
  action: EntityChangeAction;
  /** Lowercased entity ref. */
  ref: string;
  /**
   * Updates: what changed, as top-level keys and one level below (`spec.owner`,
   * `metadata.description`); `status.items` when only the processing problems changed.
   */
  changed?: string[];
  /**
   * Updates: the leaf values that changed, before and after. Recorded in the history; the
   * feed's listeners do not receive it.
   */
  diff?: EntityDiff;
}

/** Why entities changed (declared beside the history's API types, which carry it). */
export type { EntityChangeCause };

/** What one committed write changed, entity by entity. */
export interface EntityChangeBatch {
  cause: EntityChangeCause;
  changes: EntityChange[];
}
export type EntityChangeListener = (batch: EntityChangeBatch) => void;

/** Entities written per round of statements within a location's transaction. */
const WRITE_BATCH = 1000;
/**
 * On SQLite, the round's rows travel to the writer's worker as messages, and both threads
 * hold a copy: a tenth of the batch kept a 90% re-read at 100,000 entities under 1 GB of RSS.
 */
const SQLITE_WRITE_BATCH = 100;
/** Longest stretch of work on this thread before the event loop gets a turn (see `pace`), ms. */
const PACE_MS = 10;

/** A stored row with the id to delete it by (SQLite rowid, PostgreSQL ctid). */
interface Stored {
  rid: string | number;
}

function relationRows(w: Written): RelationRow[] {
  return w.relations.map((r) => ({
    origin_ref: w.row.entity_ref,
    source_ref: r.source,
    type: r.type,
    target_ref: r.target,
  }));
}

const searchKey = (r: SearchRow) =>
  JSON.stringify([r.entity_id, r.key, r.value ?? null, r.original_value ?? null]);
const relationKey = (r: RelationRow) =>
  JSON.stringify([r.origin_ref, r.source_ref, r.type, r.target_ref]);

/**
 * What turns the stored rows into the wanted ones, as multisets: stored rows no wanted row
 * matches are removed, wanted rows no stored row matches are added.
 */
export function diffRows<T, S extends T & Stored>(
  stored: readonly S[],
  wanted: readonly T[],
  key: (row: T) => string,
): { remove: S[]; add: T[] } {
  const byKey = new Map<string, S[]>();
  for (const row of stored) {
    const k = key(row);
    const list = byKey.get(k);
    if (list) list.push(row);
    else byKey.set(k, [row]);
  }
  const add: T[] = [];
  for (const row of wanted) {
    const match = byKey.get(key(row))?.pop();
    if (!match) add.push(row);
  }
  return { remove: [...byKey.values()].flat(), add };
}

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class EntityStore {
  private readonly db: Kysely<CatalogTables>;
  private readonly dialect: Database['dialect'];
  private readonly reader: Kysely<CatalogTables>;
  private readonly changeListeners = new Set<EntitiesChangedListener>();
  private readonly feedListeners = new Set<EntityChangeListener>();
  constructor(private readonly database: Database) {
    this.db = database.db as Kysely<CatalogTables>;
    this.reader = database.reader as Kysely<CatalogTables>;
    this.dialect = database.dialect;
  }

  /**
   * Calls `listener` after each committed write that changed entities; the write's caller
   * waits for it, so whatever the listener maintains (the search index) is current when an
   * ingest call returns.
   */
  onEntitiesChanged(listener: EntitiesChangedListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * The change feed: after each committed write, every entity it created, updated, orphaned
   * or deleted, with the cause. Listeners are called synchronously and must not block (the
   * audit log buffers). The same changes are recorded in `catalog_entity_events` within the
   * write's transaction (the history, which every replica reads); updates cost one extra
   * read of the old rows for their diff.
   */
  onEntityChanges(listener: EntityChangeListener): () => void {
    this.feedListeners.add(listener);
    return () => this.feedListeners.delete(listener);
  }

  private emitFeed(cause: EntityChangeCause, recorded: EntityChange[]): void {
    if (!recorded.length || !this.feedListeners.size) return;
    // The diffs went into the history table; the feed stays as light as it was.
    const changes = recorded.map(({ diff: _diff, ...change }) => change);
    for (const listener of this.feedListeners) {
      try {
        listener({ cause, changes });
      } catch (error) {
        process.emitWarning(
          `Catalog change feed listener failed: ${(error as Error).message}`,
          'AtriumCatalogWarning',
        );
      }
    }
  }

  private async emitChanged(upserted: string[], deleted: string[]): Promise<void> {
    if (!upserted.length && !deleted.length) return;
    for (const listener of this.changeListeners) {
      try {
        await listener({ upserted, deleted });
      } catch (error) {
        // The write is committed; a listener's failure must not turn it into an error.
        process.emitWarning(
          `Catalog change listener failed: ${(error as Error).message}`,
          'AtriumCatalogWarning',
        );
      }
    }
  }

  /**
   * Writes everything one location emits in a single transaction, so readers see either the
   * old or the new state of the location, with relations already resolved. `produce` feeds
   * entities as files are read, so memory stays bounded by a file, not by the location.
   */
  async writeLocation(
    locationId: string,
    orphanStrategy: 'keep' | 'delete',
    produce: (sink: LocationSink) => Promise<void>,
    cause: EntityChangeCause = { type: 'location', location: { id: locationId } },
  ): Promise<ApplyResult> {
    const result: ApplyResult = {
      inserted: 0,
      updated: 0,
      unchanged: 0,
      orphaned: 0,
      deleted: 0,
      conflicts: [],
    };
    const now = new Date().toISOString();
    const upserted: string[] = [];
    const deleted: string[] = [];
    const changes: EntityChange[] = [];
    let recorded = 0;
    await this.db.transaction().execute(async (trx) => {
      await this.lockWrites(trx);
      // One insert of events per write batch, in the batch's order.
      const record = async () => {
        await this.recordEvents(trx, changes.slice(recorded), cause, now);
        recorded = changes.length;
      };
      const owned = new Map<string, OwnedRow>();
      // On a SQLite file this process is the only writer and this transaction has written
      // nothing yet, so the read pool sees what it would, and reads the location's rows
      // (100,000 at most sizes that matter) off the thread that answers HTTP.
      const ownedFrom = this.dialect === 'sqlite' && this.reader !== this.db ? this.reader : trx;
      for (const row of await ownedFrom
        .selectFrom('catalog_entities')
        .select(['id', 'entity_ref', 'hash', 'orphan', 'problems'])
        .where('location_id', '=', locationId)
        .execute()) {
        owned.set(row.entity_ref, row);
      }
      const liveLocations = new Set(
        (await trx.selectFrom('catalog_locations').select('id').execute()).map((r) => r.id),
      );
      // The derived tables' indexes grow row by row, on both engines. Dropping them for a first
      // load and building them at the end is faster, but a dropped index locks its table until
      // the commit on PostgreSQL (an entity by name waited 29 s for a 100,000-entity load) and
      // the build is one statement on the thread that answers HTTP on SQLite (9-12 s).
      const seen = new Set<string>();
      const kept = new Set<string>();
      const failed = new Map<string, EntityStatusItem[]>();
      // Files hold ~100 entities; writing many at a time means fewer statements.
      const writeBatch = this.dialect === 'pg' ? WRITE_BATCH : SQLITE_WRITE_BATCH;
      let buffer: PreparedEntity[] = [];
      // One batch is written while the next files are read and parsed: the database (the
      // writer's worker thread on SQLite, the server on PostgreSQL) and this thread work at
      // the same time. Never more than one: batches go in order, each after the last.
      let writing: Promise<void> | undefined;
      const flush = async () => {
        const entities = buffer;
        buffer = [];
        await writing;
        writing = undefined;
        if (entities.length) {
          const write = (async () => {
            await this.writeChunk(trx, locationId, entities, {
              owned,
              liveLocations,
              seen,
              result,
              now,
              written: upserted,
              changes,
            });
            await record();
          })();
          // Awaited by the next flush or below; until then its failure must not count as
          // unhandled (which would stop the process).
          write.catch(() => undefined);
          writing = write;
        }
        await this.pace();
      };
      const sink: LocationSink = {
        async add(entities) {
          buffer.push(...entities);
          if (buffer.length >= writeBatch) await flush();
        },
        keep(refs) {
          for (const ref of refs) kept.add(ref);
        },
        fail(ref, items) {
          failed.set(ref, items);
        },
      };
      try {
        await produce(sink);
        await flush();
        await writing;
      } catch (error) {
        // Nothing of this transaction may still be running when it rolls back: a statement
        // sent after the rollback would run on its own and commit.
        await writing?.catch(() => undefined);
        throw error;
      }

      // Still emitted but broken now: keep the last good version, show the errors on it.
      for (const [ref, items] of failed) {
        const mine = owned.get(ref);
        if (!mine || seen.has(ref)) continue;
        await trx
          .updateTable('catalog_entities')
          .set({ problems: JSON.stringify(items), updated_at: now })
          .where('id', '=', mine.id)
          .execute();
        if ((mine.problems ?? null) !== JSON.stringify(items))
          changes.push({
            action: 'updated',
            ref,
            changed: ['status.items'],
            diff: problemsDiff(mine.problems, items),
          });
      }
      for (const ref of kept) if (owned.has(ref) && !seen.has(ref)) result.unchanged++;
      const gone = [...owned.values()].filter(
        (row) =>
          !seen.has(row.entity_ref) && !kept.has(row.entity_ref) && !failed.has(row.entity_ref),
      );
      if (orphanStrategy === 'delete') {
        await this.deleteRows(trx, gone);
        result.deleted += gone.length;
        for (const row of gone) deleted.push(row.entity_ref);
        for (const row of gone) changes.push({ action: 'deleted', ref: row.entity_ref });
      } else {
        for (const row of gone.filter((r) => !r.orphan)) {
          await this.markOrphan(trx, row.id, now);
          await this.pace();
          result.orphaned++;
          upserted.push(row.entity_ref);
          changes.push({ action: 'orphaned', ref: row.entity_ref });
        }
      }
      await record();
      if (result.inserted || result.updated || result.orphaned || result.deleted || failed.size) {
        await this.bumpGeneration(trx);
      }
    });
    this.emitFeed(cause, changes);
    await this.emitChanged(upserted, deleted);
    return result;
  }

  /** The history of what a write changed, in its transaction: one insert for the batch. */
  private async recordEvents(
    trx: Kysely<CatalogTables>,
    changes: readonly EntityChange[],
    cause: EntityChangeCause,
    now: string,
  ): Promise<void> {
    await this.database.insertMany(trx, 'catalog_entity_events', eventRows(changes, cause, now));
  }

  private async bumpGeneration(trx: Kysely<CatalogTables>) {
    await trx
      .updateTable('catalog_state')
      .set((eb) => ({ generation: eb('generation', '+', 1) }))
      .where('id', '=', 1)
      .execute();
  }

  /** Changes whenever stored entities change; lets readers cache derived answers. */
  async generation(): Promise<number> {
    const row = await this.reader
      .selectFrom('catalog_state')
      .select('generation')
      .where('id', '=', 1)
      .executeTakeFirst();
    return Number(row?.generation ?? 0);
  }

  /** Writes a batch of entities within a location's transaction. */
  private async writeChunk(
    trx: Kysely<CatalogTables>,
    locationId: string,
    entities: PreparedEntity[],
    state: {
      owned: Map<string, OwnedRow>;
      liveLocations: Set<string>;
      seen: Set<string>;
      result: ApplyResult;
      now: string;
      /** Receives the refs of inserted and updated entities. */
      written: string[];
      /** The change feed's (and the history's) record of this write. */
      changes: EntityChange[];
    },
  ): Promise<void> {
    const { owned, seen, result, now } = state;
    for (const part of chunks(entities, WRITE_BATCH)) {
      const fresh = part.filter((e) => !seen.has(e.ref) && !owned.has(e.ref)).map((e) => e.ref);
      const foreign = new Map<string, Pick<EntityRow, 'id' | 'location_id' | 'orphan'>>();
      for (const refs of chunks(fresh)) {
        for (const row of await trx
          .selectFrom('catalog_entities')
          .select(['id', 'entity_ref', 'location_id', 'orphan'])
          .where('entity_ref', 'in', refs)
          .execute()) {
          foreign.set(row.entity_ref, row);
        }
      }
      const inserts: Written[] = [];
      const updates: Written[] = [];
      for (const prepared of part) {
        if (seen.has(prepared.ref)) continue;
        const problems = prepared.statusItems?.length ? JSON.stringify(prepared.statusItems) : null;
        const mine = owned.get(prepared.ref);
        if (mine) {
          seen.add(prepared.ref);
          if (mine.hash === prepared.hash && !mine.orphan && (mine.problems ?? null) === problems) {
            result.unchanged++;
            continue;
          }
          updates.push(this.toRow(mine.id, prepared, locationId, problems, now));
          result.updated++;
          continue;
        }
        const other = foreign.get(prepared.ref);
        if (other) {
          const ownerAlive =
            other.location_id !== null &&
            state.liveLocations.has(other.location_id) &&
            !other.orphan;
          if (ownerAlive) {
            result.conflicts.push({
              ref: prepared.ref,
              ownerLocationId: other.location_id!,
              file: prepared.entity.metadata.annotations?.['backstage.io/managed-by-location'],
            });
            continue;
          }
          // An orphan, or an entity whose location is gone: this location adopts it.
          seen.add(prepared.ref);
          updates.push(this.toRow(other.id, prepared, locationId, problems, now));
          result.updated++;
          continue;
        }
        seen.add(prepared.ref);
        inserts.push(this.toRow(randomUUID(), prepared, locationId, problems, now));
        result.inserted++;
      }
      for (const w of inserts) state.changes.push({ action: 'created', ref: w.row.entity_ref });
      if (updates.length) state.changes.push(...(await this.describeUpdates(trx, updates)));
      await this.pace();
      await this.database.insertMany(
        trx,
        'catalog_entities',
        inserts.map((w) => w.row),
      );
      await this.updateRows(trx, updates, now);
      await this.pace();
      await this.replaceDerived(trx, inserts, updates);
      for (const w of inserts) state.written.push(w.row.entity_ref);
      for (const w of updates) state.written.push(w.row.entity_ref);
    }
  }

  /**
   * Overwrites stored rows with their new versions, one statement per part: building one
   * Kysely update per entity cost more than SQLite's work for it.
   */
  private async updateRows(trx: Kysely<CatalogTables>, updates: Written[], now: string) {
    for (const part of chunks(updates, 100)) {
      const values = part.map(
        ({ row }) =>
          sql`(${row.id}, ${row.entity_ref}, ${row.kind}, ${row.location_id}, ${row.parent_ref}, ${row.hash}, ${row.body}, ${row.problems})`,
      );
      // VALUES columns are column1… on both engines.
      await sql`update catalog_entities set entity_ref = v.column2, kind = v.column3,
          location_id = v.column4, parent_ref = v.column5, hash = v.column6, body = v.column7,
          problems = v.column8, orphan = 0, updated_at = ${now}
        from (values ${sql.join(values)}) as v
        where catalog_entities.id = v.column1`.execute(trx);
    }
  }

  /**
   * The feed's entries for rows about to be overwritten: which paths their new version
   * changes, and the values before and after.
   */
  private async describeUpdates(
    trx: Kysely<CatalogTables>,
    updates: Written[],
  ): Promise<EntityChange[]> {
    const before = new Map<string, Pick<EntityRow, 'body' | 'problems'>>();
    for (const part of chunks(updates.map((w) => w.row.id))) {
      for (const row of await trx
        .selectFrom('catalog_entities')
        .select(['id', 'body', 'problems'])
        .where('id', 'in', part)
        .execute()) {
        before.set(row.id, row);
      }
    }
    return updates.map(({ row, entity }) => {
      const old = before.get(row.id);
      if (!old) return { action: 'updated' as const, ref: row.entity_ref, changed: [] };
      const oldEntity = JSON.parse(old.body) as Entity;
      const changed = changedPaths(oldEntity, entity);
      if ((old.problems ?? null) !== row.problems) changed.push('status.items');
      const diff = entityDiff(
        { entity: oldEntity, problems: parseProblems(old.problems) },
        { entity, problems: parseProblems(row.problems) },
      );
      return { action: 'updated' as const, ref: row.entity_ref, changed, diff };
    });
  }

  /** Applies a location's whole output at once (tests, small locations). */
  applyLocation(input: ApplyInput): Promise<ApplyResult> {
    return this.writeLocation(input.locationId, input.orphanStrategy, async (sink) => {
      sink.keep(input.unchangedRefs);
      for (const [ref, items] of input.failed) sink.fail(ref, items);
      await sink.add(input.entities);
    });
  }

  /**
   * Replicas sharing PostgreSQL serialise catalog writes, so two locations claiming one ref
   * cannot both win. SQLite has one writer anyway.
   */
  private async lockWrites(trx: Kysely<CatalogTables>) {
    if (this.dialect === 'pg')
      await sql`select pg_advisory_xact_lock(hashtext('atrium-catalog-write'))`.execute(trx);
  }

  private toRow(
    id: string,
    prepared: PreparedEntity,
    locationId: string | null,
    problems: string | null,
    now: string,
  ): Written {
    const entity: Entity = {
      ...prepared.entity,
      metadata: {
        ...prepared.entity.metadata,
        uid: id,
        etag: prepared.entity.metadata.etag ?? prepared.hash,
      },
    };
    const row: EntityRow = {
      id,
      entity_ref: prepared.ref,
      kind: entity.kind.toLowerCase(),
      location_id: locationId,
      parent_ref: prepared.parentRef,
      hash: prepared.hash,
      body: JSON.stringify(entity),
      problems,
      orphan: 0,
      created_at: now,
      updated_at: now,
    };
    return { row, entity, relations: prepared.relations };
  }

  /**
   * Writes the search rows and the relations that the given entities' specs produce. New
   * entities get all of theirs; for updated ones only the rows that differ from what is
   * stored are deleted and inserted: a re-read that changes one field of 90,000 entities
   * rewrote ~40 rows of each (every one an update of three indexes) to change one.
   */
  private async replaceDerived(trx: Kysely<CatalogTables>, inserts: Written[], updates: Written[]) {
    const search: SearchRow[] = inserts.flatMap((w) => buildSearchRows(w.row.id, w.entity));
    const relations: RelationRow[] = inserts.flatMap(relationRows);
    for (const part of chunks(updates)) {
      const stored = await this.storedDerived(trx, part);
      const searchDiff = diffRows(
        stored.search,
        part.flatMap((w) => buildSearchRows(w.row.id, w.entity)),
        searchKey,
      );
      const relationDiff = diffRows(stored.relations, part.flatMap(relationRows), relationKey);
      await this.deleteByRowId(trx, 'catalog_search', searchDiff.remove);
      await this.deleteByRowId(trx, 'catalog_relations', relationDiff.remove);
      search.push(...searchDiff.add);
      relations.push(...relationDiff.add);
      await this.pace();
    }
    // ~40 search rows per entity: a batch of new entities is thousands of index inserts.
    for (const part of chunks(search, 1000)) {
      await this.database.insertMany(trx, 'catalog_search', part);
      await this.pace();
    }
    await this.database.insertMany(trx, 'catalog_relations', relations);
  }

  /** The stored search rows and relations of these entities, each with its row's id. */
  private async storedDerived(
    trx: Kysely<CatalogTables>,
    written: Written[],
  ): Promise<{ search: Array<SearchRow & Stored>; relations: Array<RelationRow & Stored> }> {
    // Which row to delete, within this transaction: SQLite's rowid, PostgreSQL's ctid (stable
    // while the catalog's write lock keeps other writers of these tables out).
    const rid = this.dialect === 'pg' ? sql<string>`ctid::text` : sql<string>`rowid`;
    const search = (await trx
      .selectFrom('catalog_search')
      .select(['entity_id', 'key', 'value', 'original_value', rid.as('rid')])
      .where(
        'entity_id',
        'in',
        written.map((w) => w.row.id),
      )
      .execute()) as Array<SearchRow & Stored>;
    const relations = (await trx
      .selectFrom('catalog_relations')
      .select(['origin_ref', 'source_ref', 'type', 'target_ref', rid.as('rid')])
      .where(
        'origin_ref',
        'in',
        written.map((w) => w.row.entity_ref),
      )
      .execute()) as Array<RelationRow & Stored>;
    return { search, relations };
  }

  private async deleteByRowId(
    trx: Kysely<CatalogTables>,
    table: 'catalog_search' | 'catalog_relations',
    rows: Stored[],
  ) {
    for (const part of chunks(rows.map((r) => r.rid))) {
      if (this.dialect === 'pg')
        await sql`delete from ${sql.table(table)} where ctid = any(${part}::tid[])`.execute(trx);
      else
        await sql`delete from ${sql.table(table)} where rowid in (${sql.join(part)})`.execute(trx);
    }
  }

  /**
   * Building rows (JSON, search rows, diffs) for a batch is work on this thread, and on an
   * in-thread SQLite connection (`:memory:`) so are its statements, whose promises never give
   * the event loop back: after ~10 ms, let waiting requests run (the location's transaction
   * stays open, so readers still see the old state or the new).
   */
  private async pace(): Promise<void> {
    if (this.dialect !== 'sqlite') return;
    if (performance.now() - this.lastYield < PACE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }
  private lastYield = 0;

  private async markOrphan(trx: Kysely<CatalogTables>, id: string, now: string) {
    const row = await trx
      .selectFrom('catalog_entities')
      .select(['body'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return;
    const entity = JSON.parse(row.body) as Entity;
    entity.metadata.annotations = { ...entity.metadata.annotations, [ANNOTATION_ORPHAN]: 'true' };
    await trx
      .updateTable('catalog_entities')
      .set({ orphan: 1, body: JSON.stringify(entity), updated_at: now })
      .where('id', '=', id)
      .execute();
    await trx.deleteFrom('catalog_search').where('entity_id', '=', id).execute();
    await trx.insertInto('catalog_search').values(buildSearchRows(id, entity)).execute();
  }

  /** Removes the search rows and the relations that these entities' specs produced. */
  private async deleteDerived(
    trx: Kysely<CatalogTables>,
    rows: Array<{ id: string; entity_ref: string }>,
  ) {
    for (const part of chunks(rows, this.deleteChunk)) {
      await trx
        .deleteFrom('catalog_search')
        .where(
          'entity_id',
          'in',
          part.map((r) => r.id),
        )
        .execute();
      await trx
        .deleteFrom('catalog_relations')
        .where(
          'origin_ref',
          'in',
          part.map((r) => r.entity_ref),
        )
        .execute();
      await this.pace();
    }
  }

  /** Entities whose rows one delete statement removes: ~40 search rows each. */
  private get deleteChunk(): number {
    return this.dialect === 'sqlite' ? 100 : CHUNK;
  }

  private async deleteRows(
    trx: Kysely<CatalogTables>,
    rows: Array<{ id: string; entity_ref: string }>,
  ) {
    await this.deleteDerived(trx, rows);
    for (const part of chunks(rows, this.deleteChunk)) {
      await trx
        .deleteFrom('catalog_entities')
        .where(
          'id',
          'in',
          part.map((r) => r.id),
        )
        .execute();
      await this.pace();
    }
  }

  /** Refreshes planner statistics; worth it after a large write changed the data's shape. */
  async analyze(): Promise<void> {
    if (this.dialect === 'pg') {
      await sql`analyze catalog_entities, catalog_search, catalog_relations`.execute(this.db);
      // Index-only scans (counts, facets) need the visibility map that VACUUM writes; it
      // cannot run in a transaction and need not delay anyone, so it runs in the background.
      sql`vacuum catalog_entities, catalog_search, catalog_relations`
        .execute(this.db)
        .catch(() => undefined);
    } else if (this.database.maintenance) {
      // A SQLite file: in a worker thread, so the thread that answers HTTP goes on meanwhile.
      // It waits for the write lock; should another location's long write hold it past the
      // busy timeout, the statistics wait for the next large write rather than fail this one.
      await this.database.maintenance
        .analyze()
        .catch((error: Error) =>
          process.emitWarning(
            `Refreshing the catalog's planner statistics failed: ${error.message}`,
            'AtriumCatalogWarning',
          ),
        );
    } else {
      // `:memory:`: small, and no other connection can reach it.
      await sql`pragma analysis_limit = 1000`.execute(this.db);
      await sql`analyze`.execute(this.db);
    }
  }

  /** Orphans (or deletes) everything a removed location owned. */
  async releaseLocation(
    locationId: string,
    orphanStrategy: 'keep' | 'delete',
    cause: EntityChangeCause = { type: 'location', location: { id: locationId } },
  ): Promise<number> {
    const upserted: string[] = [];
    const deleted: string[] = [];
    const released = (): EntityChange[] => [
      ...upserted.map((ref) => ({ action: 'orphaned' as const, ref })),
      ...deleted.map((ref) => ({ action: 'deleted' as const, ref })),
    ];
    const now = new Date().toISOString();
    const count = await this.db.transaction().execute(async (trx) => {
      await this.lockWrites(trx);
      await this.bumpGeneration(trx);
      const rows = await trx
        .selectFrom('catalog_entities')
        .select(['id', 'entity_ref', 'orphan'])
        .where('location_id', '=', locationId)
        .execute();
      if (orphanStrategy === 'delete') {
        await this.deleteRows(trx, rows);
        for (const row of rows) deleted.push(row.entity_ref);
      } else {
        for (const row of rows) {
          if (row.orphan) continue;
          await this.markOrphan(trx, row.id, now);
          upserted.push(row.entity_ref);
          await this.pace();
        }
        await trx
          .updateTable('catalog_entities')
          .set({ location_id: null })
          .where('location_id', '=', locationId)
          .execute();
      }
      await trx
        .deleteFrom('catalog_location_files')
        .where('location_id', '=', locationId)
        .execute();
      await this.recordEvents(trx, released(), cause, now);
      return rows.length;
    });
    this.emitFeed(cause, released());
    await this.emitChanged(upserted, deleted);
    return count;
  }

  async deleteByUid(uid: string, cause: EntityChangeCause = { type: 'delete' }): Promise<boolean> {
    let deletedRef: string | undefined;
    const found = await this.db.transaction().execute(async (trx) => {
      await this.lockWrites(trx);
      await this.bumpGeneration(trx);
      const row = await trx
        .selectFrom('catalog_entities')
        .select(['id', 'entity_ref', 'location_id'])
        .where('id', '=', uid)
        .executeTakeFirst();
      if (!row) return false;
      await this.deleteRows(trx, [row]);
      // The next read of its location must re-emit it, as in Backstage: forget the file cache.
      if (row.location_id) {
        await trx
          .deleteFrom('catalog_location_files')
          .where('location_id', '=', row.location_id)
          .execute();
      }
      deletedRef = row.entity_ref;
      await this.recordEvents(
        trx,
        [{ action: 'deleted', ref: row.entity_ref }],
        cause,
        new Date().toISOString(),
      );
      return true;
    });
    if (deletedRef) {
      this.emitFeed(cause, [{ action: 'deleted', ref: deletedRef }]);
      await this.emitChanged([], [deletedRef]);
    }
    return found;
  }

  async rowByRef(ref: string): Promise<EntityRow | undefined> {
    return this.reader
      .selectFrom('catalog_entities')
      .selectAll()
      .where('entity_ref', '=', ref.toLowerCase())
      .executeTakeFirst();
  }

  async rowByUid(uid: string): Promise<EntityRow | undefined> {
    return this.reader
      .selectFrom('catalog_entities')
      .selectAll()
      .where('id', '=', uid)
      .executeTakeFirst();
  }

  /** Turns stored rows into API entities: relations attached, status from problems. */
  async assemble(
    rows: Array<Pick<EntityRow, 'entity_ref' | 'body' | 'problems'>>,
    withRelations = true,
  ): Promise<Entity[]> {
    const byRef = new Map<string, EntityRelation[]>();
    if (withRelations && rows.length) {
      for (const part of chunks(
        rows.map((r) => r.entity_ref),
        500,
      )) {
        const rels = await this.reader
          .selectFrom('catalog_relations')
          .select(['source_ref', 'type', 'target_ref'])
          .where('source_ref', 'in', part)
          .execute();
        for (const r of rels) {
          const list = byRef.get(r.source_ref) ?? [];
          list.push({ type: r.type, targetRef: r.target_ref });
          byRef.set(r.source_ref, list);
        }
      }
    }
    return rows.map((row) => {
      const entity = JSON.parse(row.body) as Entity;
      if (withRelations) entity.relations = sortRelations(byRef.get(row.entity_ref) ?? []);
      if (row.problems) {
        const items = JSON.parse(row.problems) as EntityStatusItem[];
        if (items.length) entity.status = { items };
      }
      return entity;
    });
  }
}

function parseProblems(problems: string | null): EntityStatusItem[] | null {
  return problems ? (JSON.parse(problems) as EntityStatusItem[]) : null;
}

/** The diff of an entity whose last good version is kept while its problems changed. */
function problemsDiff(before: string | null, after: EntityStatusItem[]): EntityDiff {
  const same = { apiVersion: '', kind: '', metadata: { name: '' } } as Entity;
  return entityDiff(
    { entity: same, problems: parseProblems(before) },
    { entity: same, problems: after },
  );
}

/** Bookkeeping fields every write sets anew: a change there is not a change of the entity. */
const IGNORED_PATHS = new Set(['metadata.uid', 'metadata.etag', 'relations', 'status']);

/**
 * Paths that differ between two versions of an entity: top-level keys, and the keys one level
 * below for objects (`spec.owner`, `metadata.annotations`), sorted.
 */
export function changedPaths(before: Entity, after: Entity): string[] {
  const out: string[] = [];
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (IGNORED_PATHS.has(key)) continue;
    const x = a[key];
    const y = b[key];
    if (isRecord(x) && isRecord(y)) {
      for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) {
        const path = `${key}.${sub}`;
        if (!IGNORED_PATHS.has(path) && !sameJson(x[sub], y[sub])) out.push(path);
      }
    } else if (!sameJson(x, y)) {
      out.push(key);
    }
  }
  return out.sort();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
