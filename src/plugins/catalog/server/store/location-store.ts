import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Problem } from '../../../../model/entity.ts';
import type { Database } from '../../../../core/plugin-api.ts';
import type { FileOutcome } from '../ingest/ingest-location.ts';
import type { CatalogRule } from '../ingest/rules.ts';
import { chunks } from './entity-store.ts';
import type { CatalogTables } from './tables.ts';

export interface LocationRow {
  id: string;
  seq: number;
  type: string;
  target: string;
  origin: 'config' | 'api';
  base_dir: string | null;
  rules: string | null;
  created_at: string;
  last_read_at: string | null;
  read_ms: number | null;
  content_hash: string | null;
  entity_count: number;
  problems: string;
}

/** A registered location as the API shows it, with its ingestion status. */
export interface LocationStatus {
  id: string;
  type: string;
  target: string;
  origin: 'config' | 'api';
  lastReadAt: string | null;
  readMs: number | null;
  contentHash: string | null;
  entityCount: number;
  problems: Problem[];
}

export function toStatus(row: LocationRow): LocationStatus {
  return {
    id: row.id,
    type: row.type,
    target: row.target,
    origin: row.origin,
    lastReadAt: row.last_read_at,
    readMs: row.read_ms,
    contentHash: row.content_hash,
    entityCount: row.entity_count,
    problems: JSON.parse(row.problems) as Problem[],
  };
}

export class LocationStore {
  private readonly db: Kysely<CatalogTables>;
  private readonly reader: Kysely<CatalogTables>;
  constructor(database: Database) {
    this.db = database.db as Kysely<CatalogTables>;
    this.reader = database.reader as Kysely<CatalogTables>;
  }

  list(): Promise<LocationRow[]> {
    return this.reader.selectFrom('catalog_locations').selectAll().orderBy('seq').execute();
  }

  get(id: string): Promise<LocationRow | undefined> {
    return this.reader
      .selectFrom('catalog_locations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  find(type: string, target: string): Promise<LocationRow | undefined> {
    return this.reader
      .selectFrom('catalog_locations')
      .selectAll()
      .where('type', '=', type)
      .where('target', '=', target)
      .executeTakeFirst();
  }

  async create(input: {
    type: string;
    target: string;
    origin: 'config' | 'api';
    rules?: CatalogRule[];
  }): Promise<LocationRow> {
    const last = await this.db
      .selectFrom('catalog_locations')
      .select(sql<number>`max(seq)`.as('seq'))
      .executeTakeFirst();
    const row: LocationRow = {
      id: randomUUID(),
      seq: Number(last?.seq ?? 0) + 1,
      type: input.type,
      target: input.target,
      origin: input.origin,
      base_dir: null,
      rules: input.rules?.length ? JSON.stringify(input.rules) : null,
      created_at: new Date().toISOString(),
      last_read_at: null,
      read_ms: null,
      content_hash: null,
      entity_count: 0,
      problems: '[]',
    };
    // Replicas starting together register the same config locations: the first insert
    // wins and everyone gets the stored row.
    await this.db
      .insertInto('catalog_locations')
      .values(row)
      .onConflict((oc) => oc.columns(['type', 'target']).doNothing())
      .execute();
    const stored = await this.db
      .selectFrom('catalog_locations')
      .selectAll()
      .where('type', '=', input.type)
      .where('target', '=', input.target)
      .executeTakeFirstOrThrow();
    return stored;
  }

  async update(
    id: string,
    changes: Partial<Pick<LocationRow, 'type' | 'target' | 'rules'>>,
  ): Promise<void> {
    await this.db.updateTable('catalog_locations').set(changes).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('catalog_locations').where('id', '=', id).execute();
  }

  async recordRead(
    id: string,
    status: { contentHash: string; entityCount: number; problems: Problem[]; readMs: number },
  ) {
    await this.db
      .updateTable('catalog_locations')
      .set({
        last_read_at: new Date().toISOString(),
        read_ms: status.readMs,
        content_hash: status.contentHash,
        entity_count: status.entityCount,
        problems: JSON.stringify(status.problems),
      })
      .where('id', '=', id)
      .execute();
  }

  async loadFileCache(id: string): Promise<Map<string, FileOutcome>> {
    const rows = await this.db
      .selectFrom('catalog_location_files')
      .select(['file', 'outcome'])
      .where('location_id', '=', id)
      .execute();
    return new Map(
      rows.map((r: { file: string; outcome: string }) => [
        r.file,
        JSON.parse(r.outcome) as FileOutcome,
      ]),
    );
  }

  /** Replaces the file cache of a location, writing only rows that changed. */
  async saveFileCache(
    id: string,
    previous: Map<string, FileOutcome>,
    files: Map<string, FileOutcome>,
  ): Promise<void> {
    // A reused outcome is the very object loaded from the cache.
    const changed = [...files].filter(([file, outcome]) => previous.get(file) !== outcome);
    const removed = [...previous.keys()].filter((file) => !files.has(file));
    if (!changed.length && !removed.length) return;
    await this.db.transaction().execute(async (trx) => {
      for (const part of chunks([...removed, ...changed.map(([f]) => f)])) {
        await trx
          .deleteFrom('catalog_location_files')
          .where('location_id', '=', id)
          .where('file', 'in', part)
          .execute();
      }
      for (const part of chunks(changed, 200)) {
        await trx
          .insertInto('catalog_location_files')
          .values(
            part.map(([file, outcome]) => ({
              location_id: id,
              file,
              hash: outcome.hash,
              outcome: JSON.stringify(outcome),
            })),
          )
          .execute();
      }
    });
  }

  async clearFileCache(id: string): Promise<void> {
    await this.db.deleteFrom('catalog_location_files').where('location_id', '=', id).execute();
  }
}
