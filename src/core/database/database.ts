import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';

export type DatabaseOptions =
  | {
      client: 'better-sqlite3';
      filename: string /** Relative filenames resolve here. */;
      baseDir?: string;
    }
  | { client: 'pg'; connection: string | pg.PoolConfig; schema?: string };

export type Dialect = 'sqlite' | 'pg';

/**
 * One database for the whole process. Plugins get the same Kysely instance and keep their
 * tables apart by prefix, which keeps replicas stateless: all state lives here.
 */
export interface Database {
  // biome-ignore lint/suspicious/noExplicitAny: each plugin types its own tables
  db: Kysely<any>;
  /**
   * For queries that only read. On SQLite this is a second connection, so reads go on (on
   * the last committed state) while a long ingest transaction holds the writer; on
   * PostgreSQL it is the same pool.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each plugin types its own tables
  reader: Kysely<any>;
  dialect: Dialect;
  close(): Promise<void>;
}

// pg returns BIGINT counts as strings by default; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export async function openDatabase(
  options: DatabaseOptions,
  cwd = process.cwd(),
): Promise<Database> {
  if (options.client === 'better-sqlite3') {
    const memory = options.filename === ':memory:';
    const file = memory ? ':memory:' : resolve(options.baseDir ?? cwd, options.filename);
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    const raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    raw.pragma('cache_size = -65536');
    const db = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    if (memory) return { db, reader: db, dialect: 'sqlite', close: () => db.destroy() };
    const rawReader = new SQLite(file, { readonly: true });
    rawReader.pragma('busy_timeout = 5000');
    rawReader.pragma('cache_size = -65536');
    const reader = new Kysely({ dialect: new SqliteDialect({ database: rawReader }) });
    return {
      db,
      reader,
      dialect: 'sqlite',
      close: async () => {
        await reader.destroy();
        await db.destroy();
      },
    };
  }
  const poolConfig: pg.PoolConfig =
    typeof options.connection === 'string'
      ? { connectionString: options.connection }
      : { ...options.connection };
  const pool = new pg.Pool({ max: 10, ...poolConfig });
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
  return { db, reader: db, dialect: 'pg', close: () => db.destroy() };
}
