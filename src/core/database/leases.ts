import type { AnyKysely, Database } from './database.ts';

/**
 * Time-limited locks held in a table, so that of several replicas on one database only one
 * does a piece of work at a time (a docs build, a provider's scan). A lock whose holder died
 * expires after its time to live and may then be taken by anyone.
 *
 * The table has three columns: the key (a primary key, name given), `holder` (varchar) and
 * `expires_at` (epoch ms, bigint); create it with {@link createLeaseTable} in a migration.
 */
export class Leases {
  private readonly db: AnyKysely;

  constructor(
    database: Database,
    private readonly table: string,
    private readonly keyColumn: string,
  ) {
    this.db = database.db;
  }

  /**
   * Takes the lease of `key` for `holder`, unless another holds a live one. An expired lease
   * is removed first. Two holders racing insert the same primary key: exactly one wins.
   */
  async tryLock(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    await this.db
      .deleteFrom(this.table)
      .where(this.keyColumn, '=', key)
      .where('expires_at', '<=', now)
      .execute();
    const result = await this.db
      .insertInto(this.table)
      .values({ [this.keyColumn]: key, holder, expires_at: now + ttlMs })
      .onConflict((oc) => oc.column(this.keyColumn).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Pushes the expiry of a lease `holder` still has; false when it no longer has it. */
  async extend(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable(this.table)
      .set({ expires_at: Date.now() + ttlMs })
      .where(this.keyColumn, '=', key)
      .where('holder', '=', holder)
      .executeTakeFirst();
    return Number(result.numUpdatedRows ?? 0) > 0;
  }

  async unlock(key: string, holder: string): Promise<void> {
    await this.db
      .deleteFrom(this.table)
      .where(this.keyColumn, '=', key)
      .where('holder', '=', holder)
      .execute();
  }

  /** Whether anyone holds a live lease on `key`. */
  async isLocked(key: string): Promise<boolean> {
    const row = await this.db
      .selectFrom(this.table)
      .select(this.keyColumn)
      .where(this.keyColumn, '=', key)
      .where('expires_at', '>', Date.now())
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Of `keys`, those with a live lease (read through `executor`, e.g. the read pool). */
  async lockedAmong(keys: string[], executor: AnyKysely = this.db): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows = (await executor
      .selectFrom(this.table)
      .select(this.keyColumn)
      .where(this.keyColumn, 'in', keys)
      .where('expires_at', '>', Date.now())
      .execute()) as Record<string, string>[];
    return new Set(rows.map((r) => r[this.keyColumn]!));
  }
}

/** Creates a lease table for {@link Leases}: `<keyColumn>` primary key, holder, expiry. */
export async function createLeaseTable(
  db: AnyKysely,
  table: string,
  keyColumn: string,
  keyType: 'varchar(128)' | 'varchar(512)' = 'varchar(512)',
): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn(keyColumn, keyType, (c) => c.primaryKey())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}
