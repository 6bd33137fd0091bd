/**
 * The messages between a SQLite worker pool (sqlite-worker-pool.ts) and its connections
 * (sqlite-connection.worker.ts). A module of its own so that the worker loads no more than
 * it needs.
 */

export interface ConnectionWorkerData {
  filename: string;
  busyTimeoutMs: number;
  /** Page cache of the worker's connection, KiB. */
  cacheKiB: number;
  /** A read-write connection (creating the file) instead of a read-only one. */
  writable: boolean;
  /** `PRAGMA`s run in order after opening, e.g. `journal_mode = WAL`. */
  pragmas: readonly string[];
}

/**
 * Marks a statement that inserts many rows (see `insertManyQuery` in sqlite-worker-pool.ts): the worker runs its
 * one prepared `insert` once per row of the flat parameter list.
 */
export const INSERT_MANY_MARKER = '/* atrium:insert-many ';

export type WorkerRequest =
  | { id: number; op: 'query'; sql: string; parameters: readonly unknown[] }
  | { id: number; op: 'stream'; sql: string; parameters: readonly unknown[]; chunk: number }
  | { id: number; op: 'next'; stream: number; chunk: number }
  | { id: number; op: 'close'; stream: number };

/**
 * Rows as they travel from a worker: copying many small objects between threads costs the
 * receiving thread more than reading them from SQLite did, so rows come as one array of
 * cells (row after row, `columns.length` per row): `n >= 0` is `strings[n]`, each distinct
 * short string sent once (entity refs and relation types repeat a lot); `n < 0` is
 * `values[-n - 1]` (numbers, null, long strings, blobs).
 */
export interface EncodedRows {
  columns: string[];
  cells: Int32Array;
  strings: string[];
  values: unknown[];
  /** Some value is a blob (it arrives as a Uint8Array, to be made a Buffer again). */
  blobs: boolean;
}

export type WorkerResponse =
  | {
      id: number;
      result: EncodedRows;
      done?: boolean;
      /** For a statement that returns no rows: rows changed and the last inserted rowid. */
      changes?: number;
      lastInsertRowid?: number | bigint;
    }
  | { id: number; error: { message: string; name: string; code?: string } }
  | { id: 0; ready: true };
