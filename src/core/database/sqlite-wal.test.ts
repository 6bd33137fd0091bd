import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { openDatabase, WAL_SIZE_LIMIT } from './database.ts';

const dir = mkdtempSync(join(tmpdir(), 'atrium-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("gives a big WAL's disk back after a checkpoint, in the writer's thread", async () => {
  const database = await openDatabase({
    client: 'better-sqlite3',
    filename: join(dir, 'wal.db'),
    readWorkers: 0,
  });
  try {
    const { db } = database;
    await sql`create table blobs (id integer primary key, body text not null)`.execute(db);
    // 70 MB in one transaction: past the 64 MiB journal_size_limit.
    const body = 'x'.repeat(1200);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 60; i++)
        await database.insertMany(
          trx,
          'blobs',
          Array.from({ length: 1000 }, () => ({ body })),
        );
    });
    const wal = `${join(dir, 'wal.db')}-wal`;
    const grown = statSync(wal).size;
    expect(grown).toBeGreaterThan(70_000_000);
    await database.maintenance?.checkpoint();
    // This write starts the WAL over, and its commit truncates the file to the limit (in the
    // writer's worker: 0.1-0.5 s for the WAL of a large catalog load).
    await db
      .insertInto('blobs' as never)
      .values({ body: 'small' } as never)
      .execute();
    expect(statSync(wal).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT);
    const count = await sql<{ n: number }>`select count(*) as n from blobs`.execute(db);
    expect(Number(count.rows[0]?.n)).toBe(60_001);
  } finally {
    await database.close();
  }
});
