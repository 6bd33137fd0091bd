import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Entity, EntityRelation, EntityStatusItem } from '../../../../model/entity.ts';
import { ANNOTATION_ORPHAN } from '../../../../model/entity.ts';
import { sortRelations } from '../../../../model/relations.ts';
import type { Database } from '../../../../core/plugin-api.ts';
import { buildSearchRows } from './search-rows.ts';
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
  conflicts: Array<{ ref: string; ownerLocationId: string }>;
}

const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class EntityStore {
  private readonly db: Kysely<CatalogTables>;
  private readonly dialect: Database['dialect'];
  constructor(database: Database) {
    this.db = database.db as Kysely<CatalogTables>;
    this.dialect = database.dialect;
  }

  /**
   * Writes everything one location emitted in a single transaction, so readers see either
   * the old or the new state of the location, with relations already resolved.
   */
  async applyLocation(input: ApplyInput): Promise<ApplyResult> {
    const result: ApplyResult = {
      inserted: 0,
      updated: 0,
      unchanged: 0,
      orphaned: 0,
      deleted: 0,
      conflicts: [],
    };
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await this.lockWrites(trx);
      const owned = new Map<
        string,
        Pick<EntityRow, 'id' | 'entity_ref' | 'hash' | 'orphan' | 'problems' | 'location_id'>
      >();
      for (const row of await trx
        .selectFrom('catalog_entities')
        .select(['id', 'entity_ref', 'hash', 'orphan', 'problems', 'location_id'])
        .where('location_id', '=', input.locationId)
        .execute()) {
        owned.set(row.entity_ref, row);
      }
      const foreignRefs = input.entities.map((e) => e.ref).filter((ref) => !owned.has(ref));
      const foreign = new Map<
        string,
        Pick<EntityRow, 'id' | 'entity_ref' | 'location_id' | 'orphan'>
      >();
      for (const part of chunks(foreignRefs)) {
        for (const row of await trx
          .selectFrom('catalog_entities')
          .select(['id', 'entity_ref', 'location_id', 'orphan'])
          .where('entity_ref', 'in', part)
          .execute()) {
          foreign.set(row.entity_ref, row);
        }
      }
      const liveLocations = new Set<string>(
        (await trx.selectFrom('catalog_locations').select('id').execute()).map(
          (r: { id: string }) => r.id,
        ),
      );

      const inserts: EntityRow[] = [];
      const rewrites: Array<{ row: EntityRow; existed: boolean }> = [];
      const seen = new Set<string>();
      for (const prepared of input.entities) {
        if (seen.has(prepared.ref)) continue;
        seen.add(prepared.ref);
        const mine = owned.get(prepared.ref);
        const other = foreign.get(prepared.ref);
        const problems = prepared.statusItems?.length ? JSON.stringify(prepared.statusItems) : null;
        if (mine) {
          if (mine.hash === prepared.hash && !mine.orphan && (mine.problems ?? null) === problems) {
            result.unchanged++;
            continue;
          }
          rewrites.push({
            row: this.toRow(mine.id, prepared, input.locationId, problems, now, now),
            existed: true,
          });
          result.updated++;
          continue;
        }
        if (other) {
          const ownerAlive =
            other.location_id !== null && liveLocations.has(other.location_id) && !other.orphan;
          if (ownerAlive) {
            result.conflicts.push({ ref: prepared.ref, ownerLocationId: other.location_id! });
            continue;
          }
          // An orphan, or an entity whose location is gone: this location adopts it.
          rewrites.push({
            row: this.toRow(other.id, prepared, input.locationId, problems, now, now),
            existed: true,
          });
          result.updated++;
          continue;
        }
        const row = this.toRow(randomUUID(), prepared, input.locationId, problems, now, now);
        inserts.push(row);
        rewrites.push({ row, existed: false });
        result.inserted++;
      }

      for (const part of chunks(inserts, 200))
        await trx.insertInto('catalog_entities').values(part).execute();
      for (const { row, existed } of rewrites) {
        if (!existed) continue;
        await trx
          .updateTable('catalog_entities')
          .set({
            entity_ref: row.entity_ref,
            kind: row.kind,
            location_id: row.location_id,
            parent_ref: row.parent_ref,
            hash: row.hash,
            body: row.body,
            problems: row.problems,
            orphan: 0,
            updated_at: now,
          })
          .where('id', '=', row.id)
          .execute();
      }
      await this.replaceDerived(
        trx,
        rewrites.map((r) => r.row),
        rewrites.filter((r) => r.existed).map((r) => r.row),
        new Map(input.entities.map((e) => [e.ref, e])),
      );

      // Still emitted but broken now: keep the last good version, show the errors on it.
      for (const [ref, items] of input.failed) {
        const mine = owned.get(ref);
        if (!mine) continue;
        await trx
          .updateTable('catalog_entities')
          .set({ problems: JSON.stringify(items), updated_at: now })
          .where('id', '=', mine.id)
          .execute();
      }

      const gone = [...owned.values()].filter(
        (row) =>
          !seen.has(row.entity_ref) &&
          !input.unchangedRefs.has(row.entity_ref) &&
          !input.failed.has(row.entity_ref),
      );
      result.unchanged += [...owned.keys()].filter(
        (ref) => input.unchangedRefs.has(ref) && !seen.has(ref),
      ).length;
      if (input.orphanStrategy === 'delete') {
        await this.deleteRows(trx, gone);
        result.deleted += gone.length;
      } else {
        for (const row of gone.filter((r) => !r.orphan)) {
          await this.markOrphan(trx, row.id, now);
          result.orphaned++;
        }
      }
    });
    return result;
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
    createdAt: string,
    updatedAt: string,
  ): EntityRow {
    const entity: Entity = {
      ...prepared.entity,
      metadata: {
        ...prepared.entity.metadata,
        uid: id,
        etag: prepared.entity.metadata.etag ?? prepared.hash,
      },
    };
    return {
      id,
      entity_ref: prepared.ref,
      kind: entity.kind.toLowerCase(),
      location_id: locationId,
      parent_ref: prepared.parentRef,
      hash: prepared.hash,
      body: JSON.stringify(entity),
      problems,
      orphan: 0,
      created_at: createdAt,
      updated_at: updatedAt,
    };
  }

  /** Rebuilds the search rows and the relations that the given entities' specs produce. */
  private async replaceDerived(
    trx: Kysely<CatalogTables>,
    rows: EntityRow[],
    existing: EntityRow[],
    prepared: Map<string, PreparedEntity>,
  ) {
    for (const part of chunks(existing)) {
      const ids = part.map((r) => r.id);
      await trx.deleteFrom('catalog_search').where('entity_id', 'in', ids).execute();
      await trx
        .deleteFrom('catalog_relations')
        .where(
          'origin_ref',
          'in',
          part.map((r) => r.entity_ref),
        )
        .execute();
    }
    const search = rows.flatMap((row) => buildSearchRows(row.id, JSON.parse(row.body) as Entity));
    for (const part of chunks(search, 1000))
      await trx.insertInto('catalog_search').values(part).execute();
    const relations: RelationRow[] = rows.flatMap((row) =>
      (prepared.get(row.entity_ref)?.relations ?? []).map((r) => ({
        origin_ref: row.entity_ref,
        source_ref: r.source,
        type: r.type,
        target_ref: r.target,
      })),
    );
    for (const part of chunks(relations, 1000))
      await trx.insertInto('catalog_relations').values(part).execute();
  }

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

  private async deleteRows(
    trx: Kysely<CatalogTables>,
    rows: Array<{ id: string; entity_ref: string }>,
  ) {
    for (const part of chunks(rows)) {
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
      await trx
        .deleteFrom('catalog_entities')
        .where(
          'id',
          'in',
          part.map((r) => r.id),
        )
        .execute();
    }
  }

  /** Orphans (or deletes) everything a removed location owned. */
  async releaseLocation(locationId: string, orphanStrategy: 'keep' | 'delete'): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockWrites(trx);
      const rows = await trx
        .selectFrom('catalog_entities')
        .select(['id', 'entity_ref', 'orphan'])
        .where('location_id', '=', locationId)
        .execute();
      if (orphanStrategy === 'delete') {
        await this.deleteRows(trx, rows);
      } else {
        const now = new Date().toISOString();
        for (const row of rows) if (!row.orphan) await this.markOrphan(trx, row.id, now);
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
      return rows.length;
    });
  }

  async deleteByUid(uid: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockWrites(trx);
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
      return true;
    });
  }

  async rowByRef(ref: string): Promise<EntityRow | undefined> {
    return this.db
      .selectFrom('catalog_entities')
      .selectAll()
      .where('entity_ref', '=', ref.toLowerCase())
      .executeTakeFirst();
  }

  async rowByUid(uid: string): Promise<EntityRow | undefined> {
    return this.db
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
        const rels = await this.db
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
