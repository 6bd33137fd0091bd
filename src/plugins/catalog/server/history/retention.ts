import type { Logger } from '../../../../core/plugin-api.ts';
import type { HistoryStore } from './history-store.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export interface HistoryRetention {
  /** Days events are kept; 0 keeps them forever. */
  retentionDays: number;
  /** Most events kept; 0 for no limit. */
  maxEvents: number;
}

/**
 * Prunes the history at start and then every hour, as the audit log's retention does. Every
 * replica runs it; a second run finds nothing left to delete, so no coordination is needed.
 */
export function startHistoryRetention(
  store: HistoryStore,
  settings: HistoryRetention,
  logger: Logger,
  options: { intervalMs?: number; now?: () => number } = {},
): { stop(): Promise<void>; runNow(): Promise<number> } {
  const intervalMs = options.intervalMs ?? HOUR_MS;
  const now = options.now ?? Date.now;
  const enabled = settings.retentionDays > 0 || settings.maxEvents > 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const runNow = async (): Promise<number> => {
    if (!enabled) return 0;
    while (running) await running.catch(() => undefined);
    const cutoff =
      settings.retentionDays > 0
        ? new Date(now() - settings.retentionDays * DAY_MS).toISOString()
        : undefined;
    running = store.prune({ cutoff, maxEvents: settings.maxEvents || undefined });
    try {
      const deleted = await running;
      if (deleted) logger.info('Deleted catalog history events past their retention', { deleted });
      return deleted;
    } finally {
      running = undefined;
    }
  };
  const tick = () => {
    if (stopped) return;
    runNow()
      .catch((error) =>
        logger.error('Deleting old catalog history events failed', {
          error: (error as Error).message,
        }),
      )
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, intervalMs);
        timer.unref();
      });
  };
  if (enabled) tick();
  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
