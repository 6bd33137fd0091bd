import { setMaxListeners } from 'node:events';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import type { EntityStore } from '../store/entity-store.ts';
import { HistoryStore } from './history-store.ts';
import { startHistoryRetention } from './retention.ts';

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
  /** Aborted when the server stops, so open streams end and let it close. */
  shutdown: AbortSignal;
}

/**
 * The history's reader, the wake-up of streams on this process's writes, and retention
 * (`catalog.history`), pruned at start and hourly. The entity store records the events.
 */
export function setupCatalogHistory(env: PluginEnvironment, entities: EntityStore): CatalogHistory {
  const store = new HistoryStore(env.database);
  const wakeup = new Wakeup();
  const unsubscribe = entities.onEntityChanges(() => wakeup.notify());
  const shutdown = new AbortController();
  // Every open stream listens for the shutdown.
  setMaxListeners(0, shutdown.signal);
  let retention: ReturnType<typeof startHistoryRetention> | undefined;
  env.onStart(() => {
    retention = startHistoryRetention(store, env.config.catalog.history, env.logger);
  });
  env.onStop(async () => {
    unsubscribe();
    shutdown.abort();
    await retention?.stop();
  });
  return { store, wakeup, shutdown: shutdown.signal };
}
