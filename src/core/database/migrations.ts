import { sql } from 'kysely';
import type { Database } from './database.ts';

/**
 * A versioned schema change owned by one plugin. `name` orders the migrations of a plugin
 * and is recorded once applied, so each runs exactly once per database.
 */
export interface Migration {
  name: string;
  up(database: Database): Promise<void>;
}

export async function runMigrations(
  database: Database,
  pluginId: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  const { db } = database;
  const sorted = [...migrations].sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(sorted.map((m) => m.name));
  if (names.size !== sorted.length) {
    throw new Error(`Plugin '${pluginId}' declares two migrations with the same name`);
  }
  const applied: string[] = [];
  // Replicas may start together; on PostgreSQL an advisory lock serialises them.
  await db.transaction().execute(async (trx) => {
    if (database.dialect === 'pg') {
      // One lock for all plugins: the bookkeeping table below is shared.
      await sql`select pg_advisory_xact_lock(hashtext('atrium-migrations'))`.execute(trx);
    }
    // Created under the lock: concurrent CREATE TABLE IF NOT EXISTS can collide on PostgreSQL.
    await trx.schema
      .createTable('atrium_migrations')
      .ifNotExists()
      .addColumn('plugin', 'varchar(100)', (c) => c.notNull())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('applied_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('atrium_migrations_pk', ['plugin', 'name'])
      .execute();
    const done = new Set(
      (
        await trx
          .selectFrom('atrium_migrations')
          .select('name')
          .where('plugin', '=', pluginId)
          .execute()
      ).map((r: { name: string }) => r.name),
    );
    for (const migration of sorted) {
      if (done.has(migration.name)) continue;
      await migration.up({ ...database, db: trx });
      await trx
        .insertInto('atrium_migrations')
        .values({ plugin: pluginId, name: migration.name, applied_at: new Date().toISOString() })
        .execute();
      applied.push(migration.name);
    }
  });
  return applied;
}
