import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { createEventsService, type WebhookEvent } from './events-service.ts';

function logged() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    json: true,
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { lines, logger };
}

const push = (n: number, source: 'github' | 'gitlab' = 'github'): WebhookEvent => ({
  source,
  type: 'push',
  payload: { n },
  deliveryId: `d-${n}`,
});

describe('the events service', () => {
  it('hands each delivery to the subscribers of its source only, until they unsubscribe', async () => {
    const { logger } = logged();
    const service = createEventsService(logger);
    const github: number[] = [];
    const gitlab: number[] = [];
    const off = service.subscribe('github', async (e) => {
      github.push(e.payload.n as number);
    });
    service.subscribe('gitlab', async (e) => {
      gitlab.push(e.payload.n as number);
    });
    await service.publish(push(1));
    await service.publish(push(2, 'gitlab'));
    off();
    await service.publish(push(3));
    expect(github).toEqual([1]);
    expect(gitlab).toEqual([2]);
  });

  it('keeps the order of one source even when an earlier delivery is slower', async () => {
    const service = createEventsService(logged().logger);
    const seen: number[] = [];
    service.subscribe('github', async (e) => {
      const n = e.payload.n as number;
      // The first is the slowest: handled side by side, it would finish last.
      await new Promise((r) => setTimeout(r, n === 1 ? 60 : 1));
      seen.push(n);
    });
    for (const n of [1, 2, 3]) void service.publish(push(n));
    await service.settled();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('logs a failing subscriber with the delivery id; the others still get the event', async () => {
    const { lines, logger } = logged();
    const service = createEventsService(logger);
    const seen: string[] = [];
    service.subscribe('github', async () => {
      throw new Error('provider exploded');
    });
    service.subscribe('github', async (e) => {
      seen.push(e.deliveryId ?? '');
    });
    await expect(service.publish(push(7))).resolves.toBeUndefined();
    expect(seen).toEqual(['d-7']);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'A webhook subscriber failed',
        deliveryId: 'd-7',
        error: 'provider exploded',
      }),
    );
  });

  it('stops holding the queue for a delivery whose subscriber hangs', async () => {
    const { lines, logger } = logged();
    const service = createEventsService(logger, { queueTimeoutMs: 50 });
    const seen: number[] = [];
    service.subscribe('github', async (e) => {
      if (e.payload.n === 1) await new Promise(() => {});
      seen.push(e.payload.n as number);
    });
    void service.publish(push(1));
    await service.publish(push(2));
    expect(seen).toEqual([2]);
    expect(lines.some((l) => l.level === 'warn' && l.deliveryId === 'd-1')).toBe(true);
  });
});
