import { setMaxListeners } from 'node:events';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import type { EntityStore } from '../store/entity-store.ts';
import { HistoryFanout } from './event-fanout.ts';
import { HistoryStore } from './history-store.ts';
import { retentionLease, startHistoryRetention } from './retention.ts';

/**
 * Wakes readers of the event table (streams) as soon as this process commits a change.
 * Changes committed by another replica are found by the readers' periodic re-read instead.
 *
 * A reader takes `version()` before it queries and passes it to `wait`: a change committed
 * between the query and the wait then ends the wait at once instead of being missed.
 */
export class Wakeup {
  private current = 0;
  private readonly waiters = new Set<() => void>();

  version(): number {
    return this.current;
  }

  notify(): void {
    this.current++;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }

  /** Resolves on the next change (at once if one came after `seen`), after `ms`, or on abort. */
  wait(ms: number, signal: AbortSignal, seen: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || this.current !== seen) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}

/** The catalog's entity history: its table, and what its streams wait on. */
export interface CatalogHistory {
  store: HistoryStore;
  wakeup: Wakeup;
  /** The one poller of the table that every open stream reads from. */
  streams: HistoryFanout;
  /** Aborted when the server stops, so open streams end and let it close. */
  shutdown: AbortSignal;
}

/**
 * The history's reader, the poller that feeds its streams (woken by this process's writes),
 * and retention (`catalog.history`): a daily prune, its first a while after start, by one
 * replica at a time. The entity store records the events.
 */
export function setupCatalogHistory(env: PluginEnvironment, entities: EntityStore): CatalogHistory {
  const store = new HistoryStore(env.database);
  const wakeup = new Wakeup();
  const unsubscribe = entities.onEntityChanges(() => wakeup.notify());
  const shutdown = new AbortController();
  // Every open stream listens for the shutdown.
  setMaxListeners(0, shutdown.signal);
  const settings = env.config.catalog.history;
  const streams = new HistoryFanout(
    store,
    wakeup,
    { perCaller: settings.maxStreamsPerCaller, total: settings.maxStreams },
    shutdown.signal,
    env.logger,
  );
  let retention: ReturnType<typeof startHistoryRetention> | undefined;
  env.onStart(() => {
    // Only schedules: the first prune runs well after start, off the start path.
    retention = startHistoryRetention(store, settings, env.logger, {
      lease: retentionLease(env.database),
    });
  });
  env.onStop(async () => {
    unsubscribe();
    shutdown.abort();
    await retention?.stop();
  });
  return { store, wakeup, streams, shutdown: shutdown.signal };
}
