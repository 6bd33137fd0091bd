import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Problem } from '../../../../model/entity.ts';
import type { ProviderProblem } from '../../common/providers.ts';
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
  origin: LocationOrigin;
  base_dir: string | null;
  rules: string | null;
  created_at: string;
  last_read_at: string | null;
  read_ms: number | null;
  content_hash: string | null;
  entity_count: number;
  problems: string;
  /** Set when `origin` is `provider`: the id of the discovery provider that owns it. */
  provider_id: string | null;
  /** The repository (or organisation) the provider found it in: `org/repo`. */
  provider_source: string | null;
  /** Version of the file at its last read, when the provider prefetched it (blob oid, commit). */
  provider_version: string | null;
}

/**
 * Who registered a location: app-config (`config`), the API (`api`), or a discovery provider
 * (`provider`, which then decides when it is read and when it goes).
 */
export type LocationOrigin = 'config' | 'api' | 'provider';

/** A registered location as the API shows it, with its ingestion status. */
export interface LocationStatus {
  id: string;
  type: string;
  target: string;
  origin: LocationOrigin;
  /** The discovery provider that owns it, for `origin: provider`. */
  providerId?: string;
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
    ...(row.provider_id ? { providerId: row.provider_id } : {}),
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

  /** The locations a discovery provider owns. */
  listByProvider(providerId: string): Promise<LocationRow[]> {
    return this.db
      .selectFrom('catalog_locations')
      .selectAll()
      .where('origin', '=', 'provider')
      .where('provider_id', '=', providerId)
      .orderBy('seq')
      .execute();
  }

  /** How many locations each provider owns. */
  async countByProvider(): Promise<Map<string, number>> {
    const rows = await this.reader
      .selectFrom('catalog_locations')
      .select(['provider_id', sql<number>`count(*)`.as('n')])
      .where('origin', '=', 'provider')
      .groupBy('provider_id')
      .execute();
    return new Map(rows.map((r) => [r.provider_id ?? '', Number(r.n)]));
  }

  /**
   * The errors of each provider's locations, as their last read recorded them, with the
   * repository they came from and the file and line.
   */
  async providerProblems(): Promise<Map<string, ProviderProblem[]>> {
    const rows = await this.reader
      .selectFrom('catalog_locations')
      .select(['provider_id', 'provider_source', 'target', 'problems'])
      .where('origin', '=', 'provider')
      .where('problems', '<>', '[]')
      .orderBy('seq')
      .execute();
    const out = new Map<string, ProviderProblem[]>();
    for (const row of rows) {
      const list = out.get(row.provider_id ?? '') ?? [];
      for (const problem of JSON.parse(row.problems) as Problem[]) {
        if (problem.level !== 'error') continue;
        list.push({
          source: row.provider_source ?? row.target,
          message: problem.path ? `${problem.path}: ${problem.message}` : problem.message,
          file: problem.file ?? row.target,
          ...(problem.line ? { line: problem.line } : {}),
        });
      }
      out.set(row.provider_id ?? '', list);
    }
    return out;
  }

  /** Records the version of the file a provider prefetched, as read (null: unknown). */
  async setProviderVersion(id: string, version: string | null): Promise<void> {
    await this.db
      .updateTable('catalog_locations')
      .set({ provider_version: version })
      .where('id', '=', id)
      .execute();
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
    origin: LocationOrigin;
    rules?: CatalogRule[];
    /** For `origin: provider`. */
    provider?: { id: string; source: string };
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
      provider_id: input.provider?.id ?? null,
      provider_source: input.provider?.source ?? null,
      provider_version: null,
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
    // Off the thread that answers HTTP on SQLite (1,000 rows, 10 MB at 100,000 entities); the
    // last save committed before the refresh that saved it returned.
    const rows = await this.reader
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
