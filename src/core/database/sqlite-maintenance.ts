/**
 * Keeps a SQLite file's WAL short without stopping the thread that answers HTTP. The writer
 * connection runs with `wal_autocheckpoint = 0`: SQLite's automatic checkpoint runs inside
 * the commit that crosses its threshold, on the committing thread, and after a bulk write it
 * copied hundreds of MB there (a 2.4 s pause at the end of a 100,000-entity load; a
 * checkpoint attempt on every later commit while readers pinned the WAL). Instead a worker
 * thread with its own connection (sqlite-maintenance.worker.ts) checkpoints when the WAL has
 * grown, and runs ANALYZE.
 */
import { stat } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-threads.ts';

export interface MaintenanceWorkerData {
  filename: string;
  busyTimeoutMs: number;
}

export type MaintenanceRequest = { id: number; op: 'checkpoint' } | { id: number; op: 'analyze' };

export type MaintenanceResponse = { id: number; result: unknown } | { id: number; error: string };

export interface SqliteMaintenanceOptions {
  filename: string;
  /** Checkpoint once the WAL file is bigger than this (bytes). */
  walLimitBytes?: number;
  /** How often the WAL's size is looked at, ms. */
  intervalMs?: number;
}

/** SQLite's own default threshold: 1000 pages of 4 KiB. */
const DEFAULT_WAL_LIMIT = 4 * 1024 * 1024;
const DEFAULT_INTERVAL_MS = 1000;

export class SqliteMaintenance {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private readonly timer: NodeJS.Timeout;
  private checkpointing: Promise<void> | undefined;
  private closed = false;
  private readonly walLimit: number;

  constructor(private readonly options: SqliteMaintenanceOptions) {
    this.walLimit = options.walLimitBytes ?? DEFAULT_WAL_LIMIT;
    this.timer = setInterval(() => {
      void this.checkpointIfLarge().catch(() => undefined);
    }, options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Copies the WAL into the database file when it has grown past the limit. */
  async checkpointIfLarge(): Promise<void> {
    const size = await stat(`${this.options.filename}-wal`).then(
      (s) => s.size,
      () => 0,
    );
    if (size > this.walLimit) await this.checkpoint();
  }

  /** A passive checkpoint in the worker; concurrent calls share one. */
  checkpoint(): Promise<void> {
    this.checkpointing ??= this.request('checkpoint')
      .then(() => undefined)
      .finally(() => {
        this.checkpointing = undefined;
      });
    return this.checkpointing;
  }

  /** Refreshes the planner's statistics (ANALYZE) in the worker, then checkpoints. */
  async analyze(): Promise<void> {
    await this.request('analyze');
    await this.checkpoint();
  }

  private request(op: MaintenanceRequest['op']): Promise<unknown> {
    if (this.closed) return Promise.resolve(undefined);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, op } satisfies MaintenanceRequest);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const data: MaintenanceWorkerData = { filename: this.options.filename, busyTimeoutMs: 5000 };
    const worker = startWorker(import.meta.url, './sqlite-maintenance.worker.ts', {
      workerData: data,
    });
    worker.unref();
    worker.on('message', (response: MaintenanceResponse) => {
      const waiter = this.waiting.get(response.id);
      if (!waiter) return;
      this.waiting.delete(response.id);
      if ('error' in response) waiter.reject(new Error(`SQLite maintenance: ${response.error}`));
      else waiter.resolve(response.result);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`SQLite maintenance worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
