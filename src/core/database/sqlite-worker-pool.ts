/**
 * A SQLite file's connections off the thread that answers HTTP: a pool of worker threads
 * (sqlite-connection.worker.ts), each with its own better-sqlite3 connection to the file,
 * behind a Kysely dialect. Two uses (database.ts): the read pool, read-only connections that
 * WAL lets read while the writer writes (each autocommit query, and each transaction from its
 * first read, sees what was committed when it started, so a read that starts after a write
 * committed sees it); and the writer, a pool of one writable connection, so that statements,
 * commits and FTS5 merges of a long write run in that worker while HTTP is answered.
 *
 * A Kysely connection is one worker, held by one caller from acquire to release: a single
 * query, or a whole transaction (BEGIN … COMMIT on that worker's connection: one consistent
 * snapshot), or a `.stream()` (read in chunks). Callers beyond the pool's size wait in order.
 * An SQL error rejects its query with SQLite's message and code; a worker that dies fails
 * its query with an error that says so and is replaced for the queries that follow.
 */
import type { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import {
  type CompiledQuery,
  CompiledQuery as Compiled,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { startWorker } from '../worker-threads.ts';
import {
  type ConnectionWorkerData,
  type EncodedRows,
  INSERT_MANY_MARKER,
  type WorkerRequest,
  type WorkerResponse,
} from './sqlite-worker-protocol.ts';

/** The rows of an {@link EncodedRows}, as better-sqlite3 returns them (objects by column). */
export function decodeRows(encoded: EncodedRows): Record<string, unknown>[] {
  const { columns, cells, strings, values } = encoded;
  const width = columns.length;
  if (width === 0) return [];
  const rows = new Array<Record<string, unknown>>(cells.length / width);
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < width; c++, k++) {
      const n = cells[k]!;
      row[columns[c]!] = n >= 0 ? strings[n] : values[-n - 1];
    }
    rows[r] = row;
  }
  if (encoded.blobs) {
    for (const row of rows) {
      for (const [key, value] of Object.entries(row)) {
        if (value instanceof Uint8Array && !Buffer.isBuffer(value))
          row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------- the pool

export interface SqliteWorkerPoolOptions {
  /** The database file (not `:memory:`: another connection would see another database). */
  filename: string;
  /** Worker threads, each one connection. At least 1; a writable pool has exactly one. */
  size: number;
  /** How long a statement waits on a lock (a checkpoint, the writer), ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Page cache per connection, KiB. Default 32 MiB. */
  cacheKiB?: number;
  /** Read-write connections that create the file (default: read-only, the file must exist). */
  writable?: boolean;
  /** `PRAGMA`s each connection runs after opening (e.g. `journal_mode = WAL`). */
  pragmas?: readonly string[];
}

interface Answer {
  id: number;
  rows: Record<string, unknown>[];
  done?: boolean;
  changes?: number;
  lastInsertRowid?: number | bigint;
}

interface Pending {
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Held by a connection (from acquire to release). */
  held: boolean;
  /** Why the worker stopped, once it has. */
  failure?: Error;
  pending: Map<number, Pending>;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export class SqliteWorkerPool {
  readonly size: number;
  /** "read" or "write", as the errors name the pool's workers. */
  private readonly role: string;
  private readonly data: ConnectionWorkerData;
  private readonly slots: Slot[] = [];
  private readonly waiters: Array<{ resolve(slot: Slot): void; reject(error: Error): void }> = [];
  private nextId = 1;
  private closed = false;

  constructor(options: SqliteWorkerPoolOptions) {
    this.role = options.writable ? 'write' : 'read';
    if (options.filename === ':memory:' || options.filename === '')
      throw new Error(
        `The SQLite ${this.role} pool needs a database file, not an in-memory database`,
      );
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new Error(
        `The SQLite ${this.role} pool needs at least one worker (got ${options.size})`,
      );
    // SQLite has one writer at a time: a second writable connection would wait on the first.
    if (options.writable && options.size !== 1)
      throw new Error(`The SQLite write pool has exactly one worker (got ${options.size})`);
    this.size = options.size;
    this.data = {
      filename: options.filename,
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      cacheKiB: options.cacheKiB ?? 32768,
      writable: options.writable ?? false,
      pragmas: options.pragmas ?? [],
    };
  }

  /** The pool's worker threads now (for diagnostics and tests). */
  get workers(): Worker[] {
    return this.slots.filter((s) => !s.dead).map((s) => s.worker);
  }

  /** Starts one worker now, so that the first read does not wait for one to load. */
  warm(): void {
    if (!this.closed && this.slots.length === 0) this.spawn();
  }

  /**
   * Starts a worker and waits until its connection is open: an error here (the file cannot
   * be opened or created, a pragma fails) names the cause.
   */
  async open(): Promise<void> {
    this.release(await this.acquire());
  }

  /** Waits for a free worker and holds it until {@link release}. */
  acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(this.closedError());
    const idle = this.slots.find((s) => s.ready && !s.held);
    if (idle) {
      this.hold(idle);
      return Promise.resolve(idle);
    }
    return new Promise<Slot>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  release(slot: Slot): void {
    slot.held = false;
    if (!slot.dead) slot.worker.unref();
    this.pump();
  }

  /** Sends one request to a held worker. */
  request(slot: Slot, message: WithoutId<WorkerRequest>): Promise<Answer> {
    if (slot.dead) return Promise.reject(slot.failure ?? this.closedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      try {
        slot.worker.postMessage({ ...message, id } as WorkerRequest);
      } catch (error) {
        // A parameter that cannot be copied to the worker (a function, a class instance).
        slot.pending.delete(id);
        reject(
          new TypeError(
            `A query parameter cannot be sent to the SQLite ${this.role} worker: ${(error as Error).message}`,
          ),
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedError());
    await Promise.all(
      [...this.slots].map((slot) => {
        this.retire(slot, this.closedError());
        return slot.worker.terminate().catch(() => undefined);
      }),
    );
  }

  private hold(slot: Slot): void {
    slot.held = true;
    // A held worker keeps the process alive (a query is under way); an idle one does not.
    slot.worker.ref();
  }

  private pump(): void {
    if (this.closed) return;
    while (this.waiters.length > 0) {
      const idle = this.slots.find((s) => s.ready && !s.held);
      if (!idle) break;
      this.hold(idle);
      this.waiters.shift()!.resolve(idle);
    }
    const starting = this.slots.filter((s) => !s.ready).length;
    let wanted = this.waiters.length - starting;
    while (wanted > 0 && this.slots.length < this.size) {
      this.spawn();
      wanted--;
    }
  }

  private spawn(): void {
    const worker = startWorker(import.meta.url, './sqlite-connection.worker.ts', {
      workerData: this.data,
      name: `atrium-sqlite-${this.role}r`,
    });
    const slot: Slot = { worker, ready: false, dead: false, held: false, pending: new Map() };
    // An idle worker does not keep the process alive; one that queries wait for does.
    if (this.waiters.length === 0) worker.unref();
    worker.on('message', (message: WorkerResponse) => this.onMessage(slot, message));
    worker.on('error', (error: unknown) =>
      this.onFailure(slot, new Error(`The SQLite ${this.role} worker failed: ${describe(error)}`)),
    );
    worker.on('exit', (code) =>
      this.onFailure(slot, new Error(`The SQLite ${this.role} worker stopped (exit code ${code})`)),
    );
    this.slots.push(slot);
  }

  private onMessage(slot: Slot, message: WorkerResponse): void {
    if (slot.dead) return;
    if ('ready' in message) {
      slot.ready = true;
      this.pump();
      if (!slot.held) slot.worker.unref();
      return;
    }
    const pending = slot.pending.get(message.id);
    if (!pending) return;
    slot.pending.delete(message.id);
    if ('error' in message) {
      const { message: text, code, name } = message.error;
      const error =
        name === 'SqliteError' && code
          ? new SQLite.SqliteError(text, code)
          : Object.assign(new Error(text), { name, ...(code ? { code } : {}) });
      pending.reject(error);
      return;
    }
    pending.resolve({
      id: message.id,
      rows: decodeRows(message.result),
      ...(message.done !== undefined ? { done: message.done } : {}),
      ...(message.changes !== undefined
        ? { changes: message.changes, lastInsertRowid: message.lastInsertRowid }
        : {}),
    });
  }

  /** The worker died (or could not start): its queries fail, others get a new worker. */
  private onFailure(slot: Slot, error: Error): void {
    if (slot.dead) return;
    const wasReady = slot.ready;
    this.retire(
      slot,
      new Error(
        `${error.message}${slot.pending.size ? ' while running this query; the query did not complete' : ''}`,
      ),
    );
    void slot.worker.terminate().catch(() => undefined);
    if (this.closed) return;
    if (!wasReady) {
      // It could not start: another would fail the same way, so the waiting queries fail
      // now rather than starting workers in a loop. The next query tries again.
      for (const waiter of this.waiters.splice(0))
        waiter.reject(
          new Error(`The SQLite ${this.role} worker could not start: ${error.message}`),
        );
      return;
    }
    this.pump();
  }

  private closedError(): Error {
    return new Error(`The SQLite ${this.role} pool has been closed`);
  }

  private retire(slot: Slot, error: Error): void {
    slot.dead = true;
    slot.failure = error;
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
    for (const pending of slot.pending.values()) pending.reject(error);
    slot.pending.clear();
  }
}

/** An error from a worker thread (one of an unknown class arrives as a plain object). */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const { message, code } = error as { message?: unknown; code?: unknown };
    if (typeof message === 'string') return message;
    if (typeof code === 'string') return code;
  }
  return String(error);
}

// ---------------------------------------------------------------- Kysely dialect

class PooledConnection implements DatabaseConnection {
  /** Between BEGIN and COMMIT/ROLLBACK. */
  inTransaction = false;

  constructor(
    private readonly pool: SqliteWorkerPool,
    readonly slot: Slot,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const answer = await this.pool.request(this.slot, {
      op: 'query',
      sql: compiledQuery.sql,
      parameters: compiledQuery.parameters,
    });
    if (answer.changes === undefined) return { rows: answer.rows as R[] };
    // As Kysely's own SQLite driver answers a statement that returns no rows.
    return {
      rows: answer.rows as R[],
      numAffectedRows: BigInt(answer.changes),
      insertId: BigInt(answer.lastInsertRowid ?? 0),
    };
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = 1000,
  ): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query))
      throw new Error('The SQLite worker pool only supports streaming of select queries');
    const chunk = Math.max(1, Math.trunc(chunkSize));
    const first = await this.pool.request(this.slot, {
      op: 'stream',
      sql: compiledQuery.sql,
      parameters: compiledQuery.parameters,
      chunk,
    });
    const stream = first.id;
    let done = Boolean(first.done);
    try {
      if (first.rows.length) yield { rows: first.rows as R[] };
      while (!done) {
        const next = await this.pool.request(this.slot, { op: 'next', stream, chunk });
        done = Boolean(next.done);
        if (next.rows.length) yield { rows: next.rows as R[] };
      }
    } finally {
      // The caller stopped early (break, an error): free the worker's statement.
      if (!done && !this.slot.dead)
        await this.pool.request(this.slot, { op: 'close', stream }).catch(() => undefined);
    }
  }
}

class SqliteWorkerDriver implements Driver {
  constructor(private readonly pool: SqliteWorkerPool) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PooledConnection(this.pool, await this.pool.acquire());
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(Compiled.raw('begin'));
    (connection as PooledConnection).inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as PooledConnection).inTransaction = false;
    await connection.executeQuery(Compiled.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const pooled = connection as PooledConnection;
    pooled.inTransaction = false;
    // A worker that died took its transaction with it.
    if (pooled.slot.dead) return;
    await connection.executeQuery(Compiled.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`release ${quoteName(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const pooled = connection as PooledConnection;
    if (pooled.inTransaction && !pooled.slot.dead) {
      // Never hand the next caller a worker inside someone's transaction.
      pooled.inTransaction = false;
      await pooled.executeQuery(Compiled.raw('rollback')).catch(() => undefined);
    }
    this.pool.release(pooled.slot);
  }

  async destroy(): Promise<void> {
    await this.pool.close();
  }
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A query for {@link SqliteWorkerDialect} that runs `insert` (one row's statement, with a `?`
 * per column of `columns`) once per row of `rows` in the worker: several times faster than
 * multi-row statements, and one message for the lot. Run it on the executor (a transaction)
 * that the rows belong to.
 */
export function insertManyQuery(
  insert: string,
  columns: readonly string[],
  rows: readonly object[],
): CompiledQuery {
  const values: unknown[] = [];
  for (const row of rows)
    for (const column of columns) values.push((row as Record<string, unknown>)[column] ?? null);
  return Compiled.raw(`${INSERT_MANY_MARKER}${columns.length} */ ${insert}`, values);
}

/** A Kysely dialect whose queries run on `pool`'s worker threads (SQLite syntax). */
export class SqliteWorkerDialect implements Dialect {
  constructor(private readonly pool: SqliteWorkerPool) {}

  createDriver(): Driver {
    return new SqliteWorkerDriver(this.pool);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: the dialect serves any schema
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
