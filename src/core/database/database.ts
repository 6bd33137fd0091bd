import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { SqliteMaintenance } from './sqlite-maintenance.ts';
import { insertManyQuery, SqliteWorkerDialect, SqliteWorkerPool } from './sqlite-worker-pool.ts';

export type DatabaseOptions =
  | {
      client: 'better-sqlite3';
      filename: string /** Relative filenames resolve here. */;
      baseDir?: string;
      /**
       * Worker threads that run `reader`'s queries (`backend.database.readWorkers`, default
       * 2); 0 reads on a second connection in this thread. Unused for `:memory:`.
       */
      readWorkers?: number;
    }
  | { client: 'pg'; connection: string | pg.PoolConfig; schema?: string };

export type Dialect = 'sqlite' | 'pg';

/** A Kysely handle whose tables each plugin types for itself. */
// biome-ignore lint/suspicious/noExplicitAny: the host does not know plugins' tables
export type AnyKysely = Kysely<any>;

/**
 * One database for the whole process. Plugins get the same Kysely instance and keep their
 * tables apart by prefix, which keeps replicas stateless: all state lives here.
 */
export interface Database {
  /**
   * Reads and writes. On a SQLite file its queries run on the one writable connection, in a
   * worker thread (sqlite-worker-pool.ts): a long write or commit does not hold the thread
   * that answers HTTP. On `:memory:` it is a connection in this thread.
   */
  db: AnyKysely;
  /**
   * For queries that only read. On a SQLite file these run on a pool of read-only
   * connections in worker threads (sqlite-worker-pool.ts), so a long read never blocks the
   * thread that answers HTTP, and reads go on (on the last committed state) while a long
   * ingest transaction holds the writer; a read that starts after a write committed sees it.
   * On `:memory:` it is the writer; on PostgreSQL the same pool as `db`.
   */
  reader: AnyKysely;
  dialect: Dialect;
  /**
   * Inserts many rows of one shape into a table, inside the caller's transaction. On SQLite
   * this runs one cached prepared statement per row (in the writer's worker, one message for
   * the lot), several times faster than building a multi-row statement per batch; on
   * PostgreSQL it sends one statement per 10,000 rows with an array per column.
   */
  insertMany(executor: AnyKysely, table: string, rows: readonly object[]): Promise<void>;
  /**
   * A SQLite file's upkeep off the thread that answers HTTP (sqlite-maintenance.ts): WAL
   * checkpoints and ANALYZE. Absent on PostgreSQL and `:memory:`.
   */
  maintenance?: SqliteMaintenance;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * PostgreSQL: one array parameter per column, expanded by `unnest`. Binding a few arrays is
 * about ten times faster than binding thousands of scalar parameters of a multi-row VALUES.
 */
async function insertUnnest(executor: AnyKysely, table: string, rows: readonly object[]) {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  checkNames(table, columns);
  for (let i = 0; i < rows.length; i += 10000) {
    const part = rows.slice(i, i + 10000) as Record<string, unknown>[];
    const arrays = columns.map((c) => {
      const values = part.map((r) => r[c] ?? null);
      const kind = values.find((v) => v !== null);
      const type =
        typeof kind === 'number' ? 'bigint[]' : typeof kind === 'boolean' ? 'boolean[]' : 'text[]';
      return sql`${values}::${sql.raw(type)}`;
    });
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(
      executor,
    );
  }
}

/** Bytes of WAL a SQLite file keeps once checkpointed (`journal_size_limit`): 64 MiB. */
export const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** The writer connection of a SQLite file, after `busy_timeout` and `cache_size`. */
const WRITER_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'foreign_keys = ON',
  // After a checkpoint, the writer's next commit starts the WAL over and truncates the file to
  // this size (SQLite's own default is to keep it): a 100,000-entity load otherwise left a
  // WAL of 4 GB beside a 1.5 GB database. Truncating a large WAL takes ~0.1-0.5 s, which is
  // why it runs here, on the writer's thread.
  `journal_size_limit = ${WAL_SIZE_LIMIT}`,
  // Checkpoints run in SqliteMaintenance's worker, never inside a commit.
  'wal_autocheckpoint = 0',
];

function checkNames(table: string, columns: readonly string[]): void {
  if (!IDENTIFIER.test(table) || !columns.every((c) => IDENTIFIER.test(c)))
    throw new Error(`insertMany: invalid table or column name in ${table}(${columns.join(',')})`);
}

/** SQLite's statement that inserts one row of `columns` into `table`, names checked. */
function insertRowSql(table: string, columns: readonly string[]): string {
  checkNames(table, columns);
  return `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
}

/**
 * `:memory:` (tests, throwaway runs): one in-thread connection, which every other connection
 * would see as another, empty database; it reads and writes.
 */
function openMemorySqlite(): Database {
  const raw = new SQLite(':memory:');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
  const statements = new Map<string, SQLite.Statement>();
  // Kysely's SQLite driver runs on this same connection, so these statements take part in
  // whatever transaction Kysely has open.
  const insertMany = async (_executor: AnyKysely, table: string, rows: readonly object[]) => {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const key = `${table}(${columns.join(',')})`;
    let statement = statements.get(key);
    if (!statement) {
      statement = raw.prepare(insertRowSql(table, columns));
      statements.set(key, statement);
    }
    for (const row of rows)
      statement.run(columns.map((c) => (row as Record<string, unknown>)[c] ?? null));
  };
  return { db, reader: db, dialect: 'sqlite', insertMany, close: () => db.destroy() };
}

/** Worker threads of the SQLite read pool when `backend.database.readWorkers` is unset. */
export const DEFAULT_READ_WORKERS = 2;

export async function openDatabase(
  options: DatabaseOptions,
  cwd = process.cwd(),
): Promise<Database> {
  if (options.client === 'better-sqlite3') {
    const memory = options.filename === ':memory:';
    if (memory) return openMemorySqlite();
    const file = resolve(options.baseDir ?? cwd, options.filename);
    mkdirSync(dirname(file), { recursive: true });
    // Every write runs on one connection in a worker thread: statements, commits (a 100,000-
    // entity first load commits ~0.5 s of pages) and FTS5 segment merges inside search-index
    // commits (0.35-0.42 s each) held the thread that answers HTTP for that long.
    const writer = new SqliteWorkerPool({
      filename: file,
      size: 1,
      writable: true,
      cacheKiB: 65536,
      pragmas: WRITER_PRAGMAS,
    });
    // Opened before the readers: it creates the file and puts it in WAL mode.
    await writer.open();
    const db = new Kysely({ dialect: new SqliteWorkerDialect(writer) });
    const insertMany = async (executor: AnyKysely, table: string, rows: readonly object[]) => {
      const first = rows[0];
      if (!first) return;
      const columns = Object.keys(first);
      await executor.executeQuery(insertManyQuery(insertRowSql(table, columns), columns, rows));
    };
    // Checkpoints run in a worker of their own, never inside the writer's commits.
    const maintenance = new SqliteMaintenance({ filename: file });
    const readWorkers = options.readWorkers ?? DEFAULT_READ_WORKERS;
    let reader: AnyKysely;
    if (readWorkers > 0) {
      // 32 MiB of page cache per connection keeps the pool's memory near the one in-thread
      // reader's 64 MiB at the default size.
      const pool = new SqliteWorkerPool({ filename: file, size: readWorkers, cacheKiB: 32768 });
      pool.warm();
      reader = new Kysely({ dialect: new SqliteWorkerDialect(pool) });
    } else {
      const rawReader = new SQLite(file, { readonly: true });
      rawReader.pragma('busy_timeout = 5000');
      rawReader.pragma('cache_size = -65536');
      reader = new Kysely({ dialect: new SqliteDialect({ database: rawReader }) });
    }
    return {
      db,
      reader,
      dialect: 'sqlite',
      insertMany,
      maintenance,
      close: async () => {
        await maintenance.close();
        await reader.destroy();
        await db.destroy();
      },
    };
  }
  const poolConfig: pg.PoolConfig =
    typeof options.connection === 'string'
      ? { connectionString: options.connection }
      : { ...options.connection };
  // Loaded here: a SQLite start does not pay for pg.
  const { default: pgModule } = await import('pg');
  // pg returns BIGINT counts as strings by default; our counts fit in a double.
  pgModule.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
  const pool = new pgModule.Pool({ max: 10, ...poolConfig });
  // An idle connection that the server closes (restart, failover, a dropped database) must
  // not take the process down: the pool replaces it on the next query.
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, 'AtriumDatabaseWarning');
  });
  if (options.schema) {
    const schema = options.schema;
    pool.on('connect', (client) => {
      client.query(`SET search_path TO "${schema.replaceAll('"', '""')}"`);
    });
  }
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    throw new Error(`Cannot connect to PostgreSQL: ${(error as Error).message}`);
  }
  return { db, reader: db, dialect: 'pg', insertMany: insertUnnest, close: () => db.destroy() };
}
