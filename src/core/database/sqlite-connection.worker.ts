/**
 * One connection of a SQLite worker pool (see sqlite-worker-pool.ts for the server side and
 * the messages): a better-sqlite3 connection to the database file, read-only for the read
 * pool, read-write for the writer, running the compiled queries the server sends one at a
 * time, so that a long read, write or commit blocks this thread and not the one that answers
 * HTTP.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import {
  type ConnectionWorkerData,
  type EncodedRows,
  INSERT_MANY_MARKER,
  type WorkerRequest,
  type WorkerResponse,
} from './sqlite-worker-protocol.ts';

const data = workerData as ConnectionWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-connection.worker.ts runs as a worker thread only');

/**
 * An open failure (file gone, not a database) ends this worker with that error; the pool
 * fails the waiting queries with it. A plain Error: a SqliteError would reach the server
 * without its message.
 */
function open(): SQLite.Database {
  try {
    const connection = data.writable
      ? new SQLite(data.filename)
      : new SQLite(data.filename, { readonly: true, fileMustExist: true });
    connection.pragma(`busy_timeout = ${Math.trunc(data.busyTimeoutMs)}`);
    connection.pragma(`cache_size = ${-Math.trunc(data.cacheKiB)}`);
    for (const pragma of data.pragmas) connection.pragma(pragma);
    return connection;
  } catch (error) {
    const e = error as Error & { code?: unknown };
    throw new Error(
      `cannot open ${data.filename}: ${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}`,
    );
  }
}

const db = open();

/** Prepared statements by SQL: the catalog's queries repeat, preparing them is not free. */
const statements = new Map<string, SQLite.Statement>();
const STATEMENT_CACHE = 200;

/** A statement that returns rows as arrays (see {@link encode}). */
function raw(statement: SQLite.Statement): SQLite.Statement {
  if (statement.reader) statement.raw(true);
  return statement;
}

function prepare(text: string): SQLite.Statement {
  let statement = statements.get(text);
  if (statement) {
    // Most recently used last.
    statements.delete(text);
  } else {
    statement = raw(db.prepare(text));
    if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value!);
  }
  statements.set(text, statement);
  return statement;
}

interface Stream {
  iterator: IterableIterator<unknown[]>;
  columns: string[];
}

/** Open `.stream()` iterators by the id of the request that opened them. */
const streams = new Map<number, Stream>();

/** Blobs arrive as Uint8Array; better-sqlite3 binds Buffers. */
function bindable(parameters: readonly unknown[]): unknown[] {
  return parameters.map((p) =>
    p instanceof Uint8Array && !Buffer.isBuffer(p)
      ? Buffer.from(p.buffer, p.byteOffset, p.byteLength)
      : p,
  );
}

/** Strings up to this long are sent once per answer; longer ones (bodies) as they are. */
const SHARED_STRING = 256;

/** Rows (arrays) in the form they travel in (see EncodedRows). */
function encode(columns: string[], rows: unknown[][]): EncodedRows {
  const width = columns.length;
  const cells = new Int32Array(rows.length * width);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const values: unknown[] = [];
  let blobs = false;
  let k = 0;
  for (const row of rows) {
    for (let c = 0; c < width; c++, k++) {
      const value = row[c];
      if (typeof value === 'string' && value.length <= SHARED_STRING) {
        let n = index.get(value);
        if (n === undefined) {
          n = strings.length;
          strings.push(value);
          index.set(value, n);
        }
        cells[k] = n;
      } else {
        if (value instanceof Uint8Array) blobs = true;
        values.push(value);
        cells[k] = -values.length;
      }
    }
  }
  return { columns, cells, strings, values, blobs };
}

const NO_ROWS: EncodedRows = {
  columns: [],
  cells: new Int32Array(0),
  strings: [],
  values: [],
  blobs: false,
};

function columnsOf(statement: SQLite.Statement): string[] {
  return statement.columns().map((c) => c.name);
}

function take(
  iterator: IterableIterator<unknown[]>,
  n: number,
): { rows: unknown[][]; done: boolean } {
  const rows: unknown[][] = [];
  while (rows.length < n) {
    const next = iterator.next();
    if (next.done) return { rows, done: true };
    rows.push(next.value);
  }
  return { rows, done: false };
}

/** Runs an {@link INSERT_MANY_MARKER} statement once per row of its flat parameters. */
function insertMany(request: { id: number; sql: string; parameters: readonly unknown[] }) {
  const end = request.sql.indexOf(' */', INSERT_MANY_MARKER.length);
  const width = Number(request.sql.slice(INSERT_MANY_MARKER.length, end));
  const values = bindable(request.parameters);
  if (!(width > 0) || values.length % width !== 0)
    throw new Error(`insertMany: ${values.length} values do not make rows of ${width}`);
  const statement = prepare(request.sql);
  let changes = 0;
  let lastInsertRowid: number | bigint = 0;
  for (let i = 0; i < values.length; i += width) {
    const info = statement.run(values.slice(i, i + width));
    changes += info.changes;
    lastInsertRowid = info.lastInsertRowid;
  }
  return { id: request.id, result: NO_ROWS, changes, lastInsertRowid };
}

function handle(request: WorkerRequest): WorkerResponse {
  switch (request.op) {
    case 'query': {
      if (request.sql.startsWith(INSERT_MANY_MARKER)) return insertMany(request);
      const statement = prepare(request.sql);
      const parameters = bindable(request.parameters);
      if (statement.reader) {
        const rows = statement.all(parameters) as unknown[][];
        return { id: request.id, result: encode(columnsOf(statement), rows) };
      }
      // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, and on the writer every write; on a read-only
      // connection a write fails.
      const info = statement.run(parameters);
      return {
        id: request.id,
        result: NO_ROWS,
        changes: info.changes,
        lastInsertRowid: info.lastInsertRowid,
      };
    }
    case 'stream': {
      // A statement of its own: a cached one would be busy for as long as the stream is open.
      const statement = raw(db.prepare(request.sql));
      const stream: Stream = {
        iterator: statement.iterate(bindable(request.parameters)) as IterableIterator<unknown[]>,
        columns: columnsOf(statement),
      };
      const { rows, done } = take(stream.iterator, request.chunk);
      if (!done) streams.set(request.id, stream);
      return { id: request.id, result: encode(stream.columns, rows), done };
    }
    case 'next': {
      const stream = streams.get(request.stream);
      if (!stream) return { id: request.id, result: NO_ROWS, done: true };
      const { rows, done } = take(stream.iterator, request.chunk);
      if (done) streams.delete(request.stream);
      return { id: request.id, result: encode(stream.columns, rows), done };
    }
    case 'close': {
      streams.get(request.stream)?.iterator.return?.();
      streams.delete(request.stream);
      return { id: request.id, result: NO_ROWS, done: true };
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    response = handle(request);
  } catch (error) {
    const e = error as Error & { code?: unknown };
    if (request.op === 'stream' || request.op === 'next') {
      const stream = request.op === 'stream' ? request.id : request.stream;
      streams.get(stream)?.iterator.return?.();
      streams.delete(stream);
    }
    response = {
      id: request.id,
      error: {
        message: e?.message ?? String(error),
        name: e?.name ?? 'Error',
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      },
    };
  }
  // The cells move to the server rather than being copied.
  if ('result' in response && response.result.cells.length > 0)
    port.postMessage(response, [response.result.cells.buffer as ArrayBuffer]);
  else port.postMessage(response);
});

port.postMessage({ id: 0, ready: true } satisfies WorkerResponse);
