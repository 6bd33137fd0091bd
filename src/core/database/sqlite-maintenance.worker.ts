/**
 * The SQLite writer's upkeep, on its own connection in a worker thread (see
 * sqlite-maintenance.ts): WAL checkpoints and ANALYZE. Both copy or scan most of the file at
 * 100,000 entities (seconds), which on the writer's connection stopped the thread that
 * answers HTTP.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import type {
  MaintenanceRequest,
  MaintenanceResponse,
  MaintenanceWorkerData,
} from './sqlite-maintenance.ts';

const data = workerData as MaintenanceWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-maintenance.worker.ts runs as a worker thread only');

const db = new SQLite(data.filename, { fileMustExist: true });
// This connection never checkpoints on its own commits (ANALYZE's); the requests decide.
db.pragma('wal_autocheckpoint = 0');
db.pragma(`busy_timeout = ${Math.trunc(data.busyTimeoutMs)}`);
db.pragma('cache_size = -8192');

function run(request: MaintenanceRequest): unknown {
  switch (request.op) {
    case 'checkpoint': {
      // PASSIVE never waits for the writer or readers: it copies what no reader still needs.
      // Once the WAL is fully copied, the writer's next transaction starts it over (from the
      // beginning of the file, which keeps its size: see database.ts).
      const [row] = db.pragma('wal_checkpoint(passive)') as Array<{
        busy: number;
        log: number;
        checkpointed: number;
      }>;
      return row;
    }
    case 'analyze':
      // An approximate analysis (sampled rows per index) is enough for the planner and fast.
      db.pragma('analysis_limit = 1000');
      db.exec('analyze');
      return null;
  }
}

port.on('message', (request: MaintenanceRequest) => {
  let response: MaintenanceResponse;
  try {
    response = { id: request.id, result: run(request) };
  } catch (error) {
    response = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(response);
});
