import { definePlugin, type PluginDefinition } from '../../../core/plugin-api.ts';
import { WebhookCounterStore } from './counter-store.ts';
import { createEventsService, eventsServiceRef } from './events-service.ts';
import { eventsMigrations } from './migrations.ts';
import { registerEventsRoutes } from './routes.ts';

/** How long stop waits for deliveries still being handed to subscribers. */
const STOP_WAIT_MS = 10_000;

/**
 * Webhooks from GitHub and GitLab (`POST /api/events/http/github|gitlab`), verified with the
 * secret from `events.modules.<source>.webhookSecret`, answered at once and handed to the
 * subscribers of `eventsServiceRef` (the catalog's discovery providers) afterwards. Every
 * delivery, accepted or refused, is counted in the database and recorded in the audit log.
 */
export function eventsPlugin(): PluginDefinition {
  return definePlugin({
    id: 'events',
    migrations: eventsMigrations,
    setup(env) {
      const service = createEventsService(env.logger);
      const counters = new WebhookCounterStore(env.database);
      const pending = new Set<Promise<unknown>>();
      const track = (work: Promise<unknown>) => {
        const guarded = work.catch((error: unknown) =>
          env.logger.error('Webhook bookkeeping failed', {
            error: error instanceof Error ? error.message : String(error),
          }),
        );
        pending.add(guarded);
        void guarded.finally(() => pending.delete(guarded));
      };
      env.provide(eventsServiceRef, service);
      registerEventsRoutes(env, { service, counters, track });
      env.onStop(async () => {
        const waited = (async () => {
          // A delivery published during the wait adds itself to `pending`: wait for it too.
          while (pending.size) await Promise.all([...pending]);
          await service.settled();
        })();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, STOP_WAIT_MS);
        });
        await Promise.race([waited, timeout]);
        clearTimeout(timer);
      });
    },
  });
}
