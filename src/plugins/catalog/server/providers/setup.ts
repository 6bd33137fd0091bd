import { Leases } from '../../../../core/database/leases.ts';
import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import { type EventsService, eventsServiceRef } from '../../../events/server/events-service.ts';
import type { CatalogService } from '../catalog-service.ts';
import type { LocationStore } from '../store/location-store.ts';
import type { PrefetchStore } from './prefetch.ts';
import { registerProviderRoutes } from './routes.ts';
import { ProviderRunner } from './runner.ts';
import { ProviderStatusStore } from './status-store.ts';
import type { CatalogProvider } from './types.ts';

/**
 * Wires the discovery providers into the catalog: their routes now; at start (after the
 * catalog's own first read, as start hooks run in order) their schedules and the webhook
 * subscription; at stop, the end of both.
 */
export function setupProviders(
  env: PluginEnvironment,
  deps: {
    providers: CatalogProvider[];
    service: CatalogService;
    locations: LocationStore;
    prefetch: PrefetchStore;
  },
): ProviderRunner {
  const runner = new ProviderRunner({
    ...deps,
    statuses: new ProviderStatusStore(env.database),
    leases: new Leases(env.database, 'catalog_provider_leases', 'provider_id'),
    guard: () => env.config.catalog.removalGuard,
    logger: env.logger,
    audit: env.audit,
  });
  registerProviderRoutes(env, runner);
  const unsubscribe: Array<() => void> = [];
  env.onStart(() => {
    runner.start();
    if (!deps.providers.some((p) => p.onEvent)) return;
    // Looked up at start, not declared in `dependsOn`: a catalog installed without the events
    // plugin (the CLI, tests) simply gets no webhooks.
    let events: EventsService;
    try {
      events = env.use(eventsServiceRef);
    } catch {
      env.logger.warn(
        'Discovery providers take webhook events, but the events plugin is not installed',
      );
      return;
    }
    for (const source of ['github', 'gitlab'] as const)
      unsubscribe.push(events.subscribe(source, (event) => runner.onEvent(event)));
  });
  env.onStop(async () => {
    for (const off of unsubscribe) off();
    await runner.stop();
  });
  return runner;
}
