import type { Logger } from '../../../core/plugin-api.ts';
import type { AuditStore } from './audit-store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes events older than the retention now (at start) and then once a day. Every replica
 * runs it; a second run finds nothing left to delete, so no coordination is needed.
 */
export function startRetention(
  store: AuditStore,
  retentionMs: number | null,
  logger: Logger,
  options: { intervalMs?: number; now?: () => number } = {},
): { stop(): Promise<void>; runNow(): Promise<number> } {
  const intervalMs = options.intervalMs ?? DAY_MS;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const runNow = async (): Promise<number> => {
    if (retentionMs === null) return 0;
    while (running) await running.catch(() => undefined);
    const cutoff = new Date(now() - retentionMs).toISOString();
    running = store.deleteBefore(cutoff);
    try {
      const deleted = await running;
      if (deleted) logger.info('Deleted audit events past their retention', { deleted, cutoff });
      return deleted;
    } finally {
      running = undefined;
    }
  };
  const tick = () => {
    if (stopped) return;
    runNow()
      .catch((error) =>
        logger.error('Deleting old audit events failed', { error: (error as Error).message }),
      )
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, intervalMs);
        timer.unref();
      });
  };
  if (retentionMs !== null) tick();
  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
