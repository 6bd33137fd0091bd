import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AnyKysely, openDatabase } from './database.ts';
import { SqliteWorkerPool, SqliteWorkerDialect } from './sqlite-worker-pool.ts';

/** A read that keeps one SQLite connection busy for about `n / 3,000,000` s here. */
const slowCount = (n: number) =>
  sql<{
    n: number;
  }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < ${n}) select count(*) as n from c`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A WAL database file with a writer connection, as openDatabase makes it. */
function writerOn(file: string): AnyKysely {
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 5000');
  return new Kysely({ dialect: new SqliteDialect({ database: raw }) });
}

describe('SqliteWorkerPool (Kysely dialect over read-only connections in worker threads)', () => {
  let file: string;
  let writer: AnyKysely;
  let pool: SqliteWorkerPool;
  let reader: AnyKysely;

  const count = async (db: AnyKysely = reader) =>
    Number(
      (await db.selectFrom('items').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow())
        .n,
    );

  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-read-pool-'));
    dirs.push(dir);
    file = join(dir, 'db.sqlite');
    writer = writerOn(file);
    await writer.schema
      .createTable('items')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .addColumn('data', 'blob')
      .execute();
    await writer
      .insertInto('items')
      .values(Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}` })))
      .execute();
    pool = new SqliteWorkerPool({ filename: file, size: 2 });
    reader = new Kysely({ dialect: new SqliteWorkerDialect(pool) });
  });

  afterEach(async () => {
    await reader.destroy();
    await writer.destroy();
  });

  it('returns rows (and no numAffectedRows) for Kysely queries and raw SQL', async () => {
    const rows = await reader
      .selectFrom('items')
      .select(['id', 'name'])
      .where('id', '<=', 2)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 1, name: 'item-1' },
      { id: 2, name: 'item-2' },
    ]);
    const raw = await sql<{ n: number }>`select ${41} + 1 as n`.execute(reader);
    expect(raw.rows).toEqual([{ n: 42 }]);
    expect(raw.numAffectedRows).toBeUndefined();
    // Every kind of value, repeated and long strings included, arrives as it was read.
    const long = 'y'.repeat(300);
    const mixed = await sql`select null as a, 1.5 as b, 'x' as c, ${long} as d, 'x' as e, 42 as f
      union all select 'x', -2, ${long}, 'x', null, 9007199254740991`.execute(reader);
    expect(mixed.rows).toEqual([
      { a: null, b: 1.5, c: 'x', d: long, e: 'x', f: 42 },
      { a: 'x', b: -2, c: long, d: 'x', e: null, f: 9007199254740991 },
    ]);
    expect(
      (await reader.selectFrom('items').selectAll().where('id', '<', 0).execute()).length,
    ).toBe(0);
    // Blobs travel both ways as Buffers, as with better-sqlite3 in this thread.
    const blob = await sql<{ b: Buffer }>`select ${Buffer.from([1, 2, 3])} as b`.execute(reader);
    expect(Buffer.isBuffer(blob.rows[0]!.b)).toBe(true);
    expect([...blob.rows[0]!.b]).toEqual([1, 2, 3]);
  });

  it('runs queries in parallel on its workers, each getting its own answer', async () => {
    const slow = slowCount(3_000_000).execute(reader);
    let slowDone = false;
    void slow.then(() => {
      slowDone = true;
    });
    // The other worker answers while the first is busy.
    expect(await count()).toBe(10);
    expect(slowDone).toBe(false);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sql<{ v: number }>`select ${i} * 2 as v`.execute(reader).then((r) => r.rows[0]!.v),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect((await slow).rows[0]!.n).toBe(3_000_000);
    expect(pool.workers.length).toBeLessThanOrEqual(2);
  });

  it('keeps one snapshot for a transaction while the writer commits', async () => {
    const seen = await reader.transaction().execute(async (trx) => {
      const before = await count(trx);
      await writer.insertInto('items').values({ id: 100, name: 'late' }).execute();
      // Another read outside the transaction already sees the commit ...
      const outside = await count();
      // ... the transaction's worker still reads its snapshot.
      const again = await count(trx);
      return { before, outside, again };
    });
    expect(seen).toEqual({ before: 10, outside: 11, again: 10 });
    expect(await count()).toBe(11);
  });

  it('sees every write committed before a read started (read-your-writes)', async () => {
    for (let i = 0; i < 30; i++) {
      if (i % 2) {
        await writer
          .insertInto('items')
          .values({ id: 1000 + i, name: `w${i}` })
          .execute();
      } else {
        await writer.transaction().execute(async (trx) => {
          await trx
            .insertInto('items')
            .values({ id: 1000 + i, name: `w${i}` })
            .execute();
          await trx
            .updateTable('items')
            .set({ name: `u${i}` })
            .where('id', '=', 1)
            .execute();
        });
      }
      expect(await count()).toBe(11 + i);
      const row = await reader
        .selectFrom('items')
        .select('name')
        .where('id', '=', 1000 + i)
        .executeTakeFirst();
      expect(row?.name).toBe(`w${i}`);
    }
  });

  it('rejects an SQL error with SQLite’s message and code, and goes on serving', async () => {
    const error = await sql`select * from missing_table`.execute(reader).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SQLite.SqliteError);
    expect((error as Error).message).toBe('no such table: missing_table');
    expect((error as { code: string }).code).toBe('SQLITE_ERROR');
    // The connections are read-only.
    await expect(
      reader.insertInto('items').values({ id: 99, name: 'x' }).execute(),
    ).rejects.toThrow(/readonly/);
    // A failing transaction rolls back and frees its worker.
    await expect(
      reader.transaction().execute(async (trx) => {
        await count(trx);
        await sql`select nope`.execute(trx);
      }),
    ).rejects.toThrow('no such column: nope');
    expect(await count()).toBe(10);
  });

  it('fails the queries of a worker that dies, replaces it, and never crashes', async () => {
    await count();
    const running = slowCount(1_500_000).execute(reader);
    // Wait until the query is on its worker, then kill that worker.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [victim] = pool.workers;
    await victim!.terminate();
    await expect(running).rejects.toThrow(/SQLite read worker stopped .* while running this query/);
    expect(pool.workers).not.toContain(victim);
    // The next reads get a worker (a new one if needed).
    expect(await count()).toBe(10);
    const results = await Promise.all([count(), count(), count()]);
    expect(results).toEqual([10, 10, 10]);

    // In a transaction: its queries fail, the rollback does not hide why.
    const failed = reader
      .transaction()
      .execute(async (trx) => {
        await count(trx);
        const pending = slowCount(1_500_000).execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await Promise.all(pool.workers.map((w) => w.terminate()));
        await pending;
      })
      .catch((e: Error) => e);
    expect(String(await failed)).toMatch(/SQLite read worker stopped/);
    expect(await count()).toBe(10);
  });

  it('streams a select in chunks and frees the worker when the caller stops early', async () => {
    const ids: number[] = [];
    for await (const row of reader.selectFrom('items').select('id').orderBy('id').stream(3)) {
      ids.push(row.id);
    }
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const firstFour: number[] = [];
    for await (const row of reader.selectFrom('items').select('id').orderBy('id').stream(2)) {
      firstFour.push(row.id);
      if (firstFour.length === 4) break;
    }
    expect(firstFour).toEqual([1, 2, 3, 4]);
    // Both workers are free again.
    expect(await Promise.all([count(), count()])).toEqual([10, 10]);
  });

  it('fails the queries under way and those after when closed', async () => {
    await count();
    const running = slowCount(1_500_000)
      .execute(reader)
      .catch((e: Error) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await reader.destroy();
    expect(String(await running)).toBe('Error: The SQLite read pool has been closed');
    await expect(pool.acquire()).rejects.toThrow('The SQLite read pool has been closed');
    expect(pool.workers).toEqual([]);
    reader = new Kysely({ dialect: new SqliteWorkerDialect(pool) });
  });

  it('fails the waiting queries, without a loop of new workers, when a worker cannot start', async () => {
    const missing = new SqliteWorkerPool({ filename: join(file, '..', 'missing.sqlite'), size: 2 });
    const db = new Kysely({ dialect: new SqliteWorkerDialect(missing) });
    try {
      await expect(sql`select 1`.execute(db)).rejects.toThrow(
        /SQLite read worker could not start: .*unable to open database file/,
      );
      expect(missing.workers).toEqual([]);
      // The next query tries again (and fails the same way while the file is missing).
      await expect(sql`select 1`.execute(db)).rejects.toThrow(/could not start/);
    } finally {
      await db.destroy();
    }
  });

  it('needs a database file', () => {
    expect(() => new SqliteWorkerPool({ filename: ':memory:', size: 2 })).toThrow(/file/);
    expect(() => new SqliteWorkerPool({ filename: file, size: 0 })).toThrow(/at least one/);
  });
});

describe('openDatabase on SQLite: reads off the main thread', () => {
  it('keeps the event loop free while a long read runs on the reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-read-pool-'));
    dirs.push(dir);
    const database = await openDatabase({
      client: 'better-sqlite3',
      filename: join(dir, 'atrium.sqlite'),
    });
    try {
      // A first read, so that the worker has started (loading it is not the point here).
      await sql`select 1`.execute(database.reader);
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const busy = performance.eventLoopUtilization();
      const started = performance.now();
      const { rows } = await slowCount(10_000_000).execute(database.reader);
      const took = performance.now() - started;
      const utilization = performance.eventLoopUtilization(busy).utilization;
      // One more turn of the loop: a timer that a blocked loop made late is recorded now.
      await new Promise((resolve) => setTimeout(resolve, 30));
      delay.disable();
      expect(rows[0]!.n).toBe(10_000_000);
      expect(took).toBeGreaterThan(1000);
      // Blocked, the loop would have been busy all along (utilization 1) and a timer late by
      // the whole read (seconds). Free, it is idle, and timers are late by scheduling noise
      // only: ~20 ms here, up to ~200 ms with this 2-vCPU machine loaded 4x over.
      expect(utilization).toBeLessThan(0.2);
      expect(delay.max / 1e6).toBeLessThan(500);
    } finally {
      await database.close();
    }
  });

  it('reads through the writer for :memory: and in this thread with readWorkers 0', async () => {
    const memory = await openDatabase({ client: 'better-sqlite3', filename: ':memory:' });
    expect(memory.reader).toBe(memory.db);
    await memory.close();
    const dir = mkdtempSync(join(tmpdir(), 'atrium-read-pool-'));
    dirs.push(dir);
    const inThread = await openDatabase({
      client: 'better-sqlite3',
      filename: join(dir, 'atrium.sqlite'),
      readWorkers: 0,
    });
    try {
      await sql`create table t (x integer)`.execute(inThread.db);
      await sql`insert into t values (1)`.execute(inThread.db);
      expect((await sql`select x from t`.execute(inThread.reader)).rows).toEqual([{ x: 1 }]);
    } finally {
      await inThread.close();
    }
  });
});

describe('openDatabase on SQLite: writes off the main thread', () => {
  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-write-pool-'));
    dirs.push(dir);
    const filename = join(dir, 'nested', 'atrium.sqlite');
    return { filename, database: await openDatabase({ client: 'better-sqlite3', filename }) };
  };

  it('creates the file in WAL mode and answers writes as Kysely does on better-sqlite3', async () => {
    const { filename, database } = await open();
    const { db } = database;
    try {
      expect(await sql`pragma journal_mode`.execute(db)).toMatchObject({
        rows: [{ journal_mode: 'wal' }],
      });
      expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows).toEqual([
        { foreign_keys: 1 },
      ]);
      await db.schema
        .createTable('items')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.unique())
        .execute();
      const inserted = await db.insertInto('items').values({ name: 'a' }).executeTakeFirst();
      expect(inserted.insertId).toBe(1n);
      expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
      const returned = await db
        .insertInto('items')
        .values({ name: 'b' })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      expect(returned).toEqual({ id: 2, name: 'b' });
      // One message, one prepared statement run per row, in the caller's transaction.
      await db.transaction().execute(async (trx) => {
        await database.insertMany(
          trx,
          'items',
          Array.from({ length: 500 }, (_, i) => ({ id: 100 + i, name: `many-${i}` })),
        );
      });
      const updated = await db
        .updateTable('items')
        .set({ name: sql`name || '!'` })
        .where('id', '>=', 100)
        .executeTakeFirst();
      expect(updated.numUpdatedRows).toBe(500n);
      // A failing transaction leaves nothing behind, and the error keeps SQLite's code.
      const failure = await db
        .transaction()
        .execute(async (trx) => {
          await database.insertMany(trx, 'items', [{ id: 9000, name: 'rolled back' }]);
          await trx.insertInto('items').values({ name: 'a' }).execute();
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SQLite.SqliteError);
      expect((failure as { code: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      const deleted = await db.deleteFrom('items').where('id', '=', 9000).executeTakeFirst();
      expect(deleted.numDeletedRows).toBe(0n);
      // Reads through the read pool see what the writer committed.
      const counted = await sql<{ n: number }>`select count(*) as n from items`.execute(
        database.reader,
      );
      expect(counted.rows).toEqual([{ n: 502 }]);
      await expect(database.insertMany(db, 'items; drop', [{ id: 1 }])).rejects.toThrow(
        /invalid table or column name/,
      );
    } finally {
      await database.close();
    }
    // Closing ended the writer's connection cleanly: SQLite removed the WAL with it.
    expect(existsSync(`${filename}-wal`)).toBe(false);
    expect(existsSync(filename)).toBe(true);
  });

  it('keeps the event loop free while a long write and its commit run on the writer', async () => {
    const { database } = await open();
    try {
      await sql`create table big (x integer, pad text)`.execute(database.db);
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const busy = performance.eventLoopUtilization();
      const started = performance.now();
      await database.db.transaction().execute(async (trx) => {
        await sql`insert into big with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select x, hex(randomblob(20)) from c`.execute(
          trx,
        );
        await sql`create index big_pad on big (pad)`.execute(trx);
      });
      const took = performance.now() - started;
      const utilization = performance.eventLoopUtilization(busy).utilization;
      await new Promise((resolve) => setTimeout(resolve, 30));
      delay.disable();
      expect(took).toBeGreaterThan(1000);
      // In this thread the loop would be busy all along and a timer late by the whole write.
      expect(utilization).toBeLessThan(0.2);
      expect(delay.max / 1e6).toBeLessThan(500);
      const { rows } = await sql<{ n: number }>`select count(*) as n from big`.execute(
        database.reader,
      );
      expect(rows).toEqual([{ n: 3_000_000 }]);
    } finally {
      await database.close();
    }
  });

  it('names the file it cannot open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-write-pool-'));
    dirs.push(dir);
    await expect(openDatabase({ client: 'better-sqlite3', filename: dir })).rejects.toThrow(
      /SQLite write worker could not start: .*cannot open .*atrium-write-pool-.*SQLITE_CANTOPEN/,
    );
  });
});
