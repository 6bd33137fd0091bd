import { randomUUID } from 'node:crypto';
import { Leases } from '../../../../core/database/leases.ts';
import type { Database, Logger } from '../../../../core/plugin-api.ts';
import type { HistoryStore, PruneOptions } from './history-store.ts';

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** The first prune waits this long after start, so it never competes with start-up work. */
const FIRST_RUN_DELAY_MS = 15 * MINUTE_MS;

export interface HistoryRetention {
  /** Days events are kept; 0 keeps them forever. */
  retentionDays: number;
  /** Most events kept; 0 for no limit. */
  maxEvents: number;
}

export interface RetentionOptions {
  /** Between prunes (default a day). */
  intervalMs?: number;
  /** Before the first prune (default 15 minutes). */
  firstDelayMs?: number;
  now?: () => number;
  /**
   * Replicas sharing a database take this lease for a prune and keep it for the interval, so
   * one of them prunes per interval; a replica that dies holding it frees it when it expires.
   */
  lease?: { leases: Leases; key: string };
  /** Rows per delete statement and a report of each (tests). */
  prune?: Pick<PruneOptions, 'batchSize' | 'onBatch'>;
}

/**
 * The lease every replica's retention job asks for: a row in the providers' lease table under a
 * key of its own (provider scans lock their provider's id), so no migration is needed.
 */
export function retentionLease(database: Database): { leases: Leases; key: string } {
  return {
    leases: new Leases(database, 'catalog_provider_leases', 'provider_id'),
    key: 'catalog history retention',
  };
}

export interface RetentionJob {
  stop(): Promise<void>;
  /**
   * Prunes now, if this replica gets the lease (or there is none). Returns the events deleted,
   * or `undefined` when another replica holds the lease.
   */
  runNow(): Promise<number | undefined>;
}

/**
 * Prunes the history daily (`catalog.history.retentionDays`, `maxEvents`), the first time a
 * while after start. A prune deletes in short batches (see {@link HistoryStore.prune}), so even
 * 100,000 events past their time never hold up requests for long.
 */
export function startHistoryRetention(
  store: HistoryStore,
  settings: HistoryRetention,
  logger: Logger,
  options: RetentionOptions = {},
): RetentionJob {
  const intervalMs = options.intervalMs ?? DAY_MS;
  const now = options.now ?? Date.now;
  const enabled = settings.retentionDays > 0 || settings.maxEvents > 0;
  const holder = randomUUID();
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number | undefined> | undefined;

  const prune = async (): Promise<number | undefined> => {
    const lease = options.lease;
    // Kept, not released, after the prune: it is what tells the others this interval is done.
    // A little short of the interval, so the holder's own next run finds it expired.
    const ttl = Math.max(intervalMs - Math.min(HOUR_MS, intervalMs / 10), 1);
    if (lease && !(await lease.leases.tryLock(lease.key, holder, ttl))) return undefined;
    const cutoff =
      settings.retentionDays > 0
        ? new Date(now() - settings.retentionDays * DAY_MS).toISOString()
        : undefined;
    const deleted = await store.prune({
      cutoff,
      maxEvents: settings.maxEvents || undefined,
      signal: stopping.signal,
      ...options.prune,
    });
    if (deleted) logger.info('Deleted catalog history events past their retention', { deleted });
    return deleted;
  };
  const runNow = async (): Promise<number | undefined> => {
    if (!enabled) return 0;
    while (running) await running.catch(() => undefined);
    running = prune();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };
  const schedule = (ms: number) => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    runNow()
      .catch((error) =>
        logger.error('Deleting old catalog history events failed', {
          error: (error as Error).message,
        }),
      )
      .finally(() => schedule(intervalMs));
  };
  if (enabled) schedule(options.firstDelayMs ?? FIRST_RUN_DELAY_MS);
  return {
    runNow,
    async stop() {
      stopping.abort();
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
