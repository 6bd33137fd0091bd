import { createServiceRef, type Logger } from '../../../core/plugin-api.ts';
import type { WebhookEvent } from '../../catalog/server/providers/types.ts';

export type { WebhookEvent } from '../../catalog/server/providers/types.ts';

/** Where a webhook came from: the last segment of `/api/events/http/<source>`. */
export type WebhookSource = WebhookEvent['source'];

/** Receives one verified delivery of its source. A rejection is logged, never propagated. */
export type WebhookHandler = (event: WebhookEvent) => Promise<void>;

/**
 * Verified webhook deliveries, for plugins that act on them (the catalog's discovery
 * providers). Provided by the `events` plugin; declare `dependsOn: ['events']` to use it.
 */
export interface EventsService {
  /** Calls `handler` with every later delivery of `source`; the function returned unsubscribes. */
  subscribe(source: WebhookSource, handler: WebhookHandler): () => void;
  /**
   * Hands `event` to the subscribers of its source. Deliveries of one source are handled in the
   * order they were published (a later push must not be overtaken by an earlier one's read);
   * the subscribers of one delivery run side by side. Resolves when they have all finished or
   * the delivery has held its queue for {@link DELIVERY_QUEUE_TIMEOUT_MS}; never rejects.
   */
  publish(event: WebhookEvent): Promise<void>;
  /** Resolves once every delivery published so far has been handled (for stop and tests). */
  settled(): Promise<void>;
}

export const eventsServiceRef = createServiceRef<EventsService>('events');

/**
 * How long one delivery may hold up the next of its source. A subscriber stuck on a slow
 * request keeps running, but later deliveries no longer wait for it: a backlog behind one
 * hung call is what makes webhooks useless (Backstage bs#16084).
 */
export const DELIVERY_QUEUE_TIMEOUT_MS = 30_000;

/** The in-process implementation the events plugin provides. */
export function createEventsService(
  logger: Logger,
  options: { queueTimeoutMs?: number } = {},
): EventsService {
  const queueTimeoutMs = options.queueTimeoutMs ?? DELIVERY_QUEUE_TIMEOUT_MS;
  const handlers = new Map<WebhookSource, Set<WebhookHandler>>();
  const tails = new Map<WebhookSource, Promise<void>>();
  const inFlight = new Set<Promise<void>>();

  const deliver = async (event: WebhookEvent): Promise<void> => {
    const current = [...(handlers.get(event.source) ?? [])];
    await Promise.all(
      current.map(async (handler) => {
        try {
          await handler(event);
        } catch (error) {
          logger.error('A webhook subscriber failed', {
            source: event.source,
            type: event.type,
            deliveryId: event.deliveryId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  };

  const bounded = (work: Promise<void>, event: WebhookEvent): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn('A webhook delivery is still being handled; the next ones no longer wait', {
          source: event.source,
          type: event.type,
          deliveryId: event.deliveryId,
          afterMs: queueTimeoutMs,
        });
        resolve();
      }, queueTimeoutMs);
      timer.unref();
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };

  return {
    subscribe(source, handler) {
      let set = handlers.get(source);
      if (!set) {
        set = new Set();
        handlers.set(source, set);
      }
      set.add(handler);
      return () => {
        set.delete(handler);
      };
    },
    publish(event) {
      const previous = tails.get(event.source) ?? Promise.resolve();
      const done = previous.then(() => bounded(deliver(event), event));
      tails.set(event.source, done);
      inFlight.add(done);
      void done.finally(() => {
        inFlight.delete(done);
        if (tails.get(event.source) === done) tails.delete(event.source);
      });
      return done;
    },
    async settled() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
  };
}
