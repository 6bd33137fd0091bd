import type { Kysely } from 'kysely';
import { Leases } from '../../../../core/database/leases.ts';
import type { Database, Migration } from '../../../../core/plugin-api.ts';
import type {
  BuildLogLine,
  BuildRecord,
  BuildStatus,
  DocsProblem,
} from '../../common/api-types.ts';

interface BuildsTable {
  entity_ref: string;
  status: string;
  problems: string;
  log: string;
  error: string | null;
  source_hash: string | null;
  source_commit: string | null;
  started_at: string;
  finished_at: string;
  duration_ms: number;
}

interface LocksTable {
  entity_ref: string;
  holder: string;
  /** Epoch ms; a lock past it belongs to a server that died mid-build and may be taken. */
  expires_at: number;
}

interface Tables {
  techdocs_builds: BuildsTable;
  techdocs_build_locks: LocksTable;
}

/** The last build of each entity, and the locks that keep replicas from building twice. */
export const techdocsMigrations: Migration[] = [
  {
    name: '0001_builds',
    async up({ db }) {
      await db.schema
        .createTable('techdocs_builds')
        .addColumn('entity_ref', 'varchar(512)', (c) => c.primaryKey())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('problems', 'text', (c) => c.notNull())
        .addColumn('log', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('source_hash', 'varchar(128)')
        .addColumn('source_commit', 'varchar(128)')
        .addColumn('started_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('techdocs_build_locks')
        .addColumn('entity_ref', 'varchar(512)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Which published site (by build time) each entity's docs pages in search come from.
    name: '0002_search_state',
    async up({ db }) {
      await db.schema
        .createTable('techdocs_search_state')
        .addColumn('entity_ref', 'varchar(512)', (c) => c.primaryKey())
        .addColumn('build_timestamp', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

/** A build log is kept whole up to this many lines; beyond, the first and last lines. */
const MAX_LOG_LINES = 2000;

export function trimLog(lines: BuildLogLine[]): BuildLogLine[] {
  if (lines.length <= MAX_LOG_LINES) return lines;
  const head = lines.slice(0, MAX_LOG_LINES / 2);
  const tail = lines.slice(-MAX_LOG_LINES / 2);
  return [
    ...head,
    { level: 'warn', message: `… ${lines.length - MAX_LOG_LINES} lines left out …` },
    ...tail,
  ];
}

export class BuildRecords {
  private readonly db: Kysely<Tables>;
  private readonly reader: Kysely<Tables>;
  /** Keep replicas from building one entity's docs twice at once. */
  private readonly locks: Leases;

  constructor(database: Database) {
    this.db = database.db as Kysely<Tables>;
    this.reader = database.reader as Kysely<Tables>;
    this.locks = new Leases(database, 'techdocs_build_locks', 'entity_ref');
  }

  async save(
    entityRef: string,
    record: {
      status: BuildStatus;
      problems: DocsProblem[];
      log: BuildLogLine[];
      error?: string;
      sourceHash?: string;
      sourceCommit?: string;
      startedAt: Date;
      finishedAt: Date;
    },
  ): Promise<void> {
    const row = {
      status: record.status,
      problems: JSON.stringify(record.problems),
      log: JSON.stringify(trimLog(record.log)),
      error: record.error ?? null,
      source_hash: record.sourceHash ?? null,
      source_commit: record.sourceCommit ?? null,
      started_at: record.startedAt.toISOString(),
      finished_at: record.finishedAt.toISOString(),
      duration_ms: record.finishedAt.getTime() - record.startedAt.getTime(),
    };
    await this.db
      .insertInto('techdocs_builds')
      .values({ entity_ref: entityRef, ...row })
      .onConflict((oc) => oc.column('entity_ref').doUpdateSet(row))
      .execute();
  }

  async get(entityRef: string): Promise<BuildRecord | undefined> {
    const row = await this.reader
      .selectFrom('techdocs_builds')
      .selectAll()
      .where('entity_ref', '=', entityRef)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Status of many entities at once (log left out), for the list of documented entities. */
  async summaries(
    entityRefs: string[],
  ): Promise<Map<string, Omit<BuildRecord, 'log'> & { building: boolean }>> {
    const out = new Map<string, Omit<BuildRecord, 'log'> & { building: boolean }>();
    for (let i = 0; i < entityRefs.length; i += 500) {
      const part = entityRefs.slice(i, i + 500);
      const rows = await this.reader
        .selectFrom('techdocs_builds')
        .select([
          'entity_ref',
          'status',
          'problems',
          'error',
          'source_hash',
          'source_commit',
          'started_at',
          'finished_at',
          'duration_ms',
        ])
        .where('entity_ref', 'in', part)
        .execute();
      const locks = await this.locks.lockedAmong(part, this.reader);
      for (const row of rows) {
        const { log: _log, ...rest } = toRecord({ ...row, log: '[]' });
        out.set(row.entity_ref, { ...rest, building: locks.has(row.entity_ref) });
      }
      for (const ref of locks) {
        if (!out.has(ref)) out.set(ref, { ...neverBuilt(ref), building: true });
      }
    }
    return out;
  }

  /** Whether any server holds a live build lock for the entity. */
  isLocked(entityRef: string): Promise<boolean> {
    return this.locks.isLocked(entityRef);
  }

  /**
   * Takes the build lock of an entity for `holder`, unless another server holds a live one
   * (one that died mid-build lets it expire).
   */
  tryLock(entityRef: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.locks.tryLock(entityRef, holder, ttlMs);
  }

  async extendLock(entityRef: string, holder: string, ttlMs: number): Promise<void> {
    await this.locks.extend(entityRef, holder, ttlMs);
  }

  unlock(entityRef: string, holder: string): Promise<void> {
    return this.locks.unlock(entityRef, holder);
  }
}

function neverBuilt(entityRef: string): Omit<BuildRecord, 'log'> {
  return { entityRef, status: 'never', problems: [] };
}

function toRecord(row: BuildsTable): BuildRecord {
  return {
    entityRef: row.entity_ref,
    status: row.status as BuildStatus,
    problems: JSON.parse(row.problems) as DocsProblem[],
    log: JSON.parse(row.log) as BuildLogLine[],
    ...(row.error ? { error: row.error } : {}),
    ...(row.source_hash ? { sourceHash: row.source_hash } : {}),
    ...(row.source_commit ? { sourceCommit: row.source_commit } : {}),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: Number(row.duration_ms),
  };
}
