/**
 * A fake discovery provider for tests: it lists what a shared {@link World} says (catalog files
 * on disk or on a local HTTP server), and maps `push` and `repository deleted` events of its
 * organisation to effects, as a real provider would. Contributed by {@link fakeDiscovery}, a
 * plugin that extends the catalog's `catalogProvidersExtensionPoint`.
 */
import { stringify } from 'yaml';
import { definePlugin, extend, type PluginDefinition } from '../../src/core/plugin-api.ts';
import { catalogProvidersExtensionPoint } from '../../src/plugins/catalog/server/plugin.ts';
import type {
  CatalogProvider,
  CatalogProviderFactory,
  DiscoveredLocation,
  ProviderEffect,
  ScanResult,
  WebhookEvent,
} from '../../src/plugins/public-api.ts';

export const PROVIDER = 'fake:acme';

export function component(name: string, owner: string): string {
  return stringify({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: { type: 'service', lifecycle: 'production', owner },
  });
}

/** What the fake organisation holds; shared by the providers of every replica. */
export interface World {
  listing: DiscoveredLocation[];
  complete: boolean;
  scans: number;
  /** While set, a scan waits for it (the lease test). */
  gate?: Promise<void>;
  /** A scan that never ends by itself: only its signal stops it. */
  hang: boolean;
  timeoutMs: number;
  scanErrors: ScanResult['errors'];
}

/** Maps `repository` events of the fake organisation to effects, as a real provider would. */
function effectOf(event: WebhookEvent, world: World): ProviderEffect | undefined {
  if (event.type === 'organization') return { rescan: true };
  const repo = (event.payload.repository as { name?: string } | undefined)?.name;
  if (!repo) return undefined;
  const listed = world.listing.find((l) => l.source === `acme/${repo}`);
  if (event.type === 'push' && listed)
    return { refresh: [{ type: listed.type, target: listed.target }] };
  if (event.type === 'repository' && event.payload.action === 'deleted' && listed)
    return { remove: [{ type: listed.type, target: listed.target }] };
  return undefined;
}

export class FakeProvider implements CatalogProvider {
  readonly id = PROVIDER;
  readonly title = 'Fake discovery acme';
  readonly frequencyMs = null;
  // Scans run when a test asks, not at start.
  readonly initialDelayMs = 3_600_000;
  constructor(private readonly world: World) {}
  get timeoutMs() {
    return this.world.timeoutMs;
  }
  async scan(signal: AbortSignal): Promise<ScanResult> {
    this.world.scans++;
    if (this.world.gate) await this.world.gate;
    if (this.world.hang)
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    return {
      locations: this.world.listing.map((l) => ({ ...l })),
      repositoriesSeen: this.world.listing.length + 1,
      cost: { requests: 7, notModified: 3, rateLimitRemaining: 4990 },
      errors: [...this.world.scanErrors],
      complete: this.world.complete,
    };
  }
  async onEvent(event: WebhookEvent) {
    return effectOf(event, this.world);
  }
}

export function fakeDiscovery(world: World): PluginDefinition {
  const factory: CatalogProviderFactory = {
    name: 'fake',
    create: () => ({ providers: [new FakeProvider(world)] }),
  };
  return definePlugin({
    id: 'fake-discovery',
    extensions: [extend(catalogProvidersExtensionPoint, factory)],
    setup() {},
  });
}

export function newWorld(): World {
  return { listing: [], complete: true, scans: 0, hang: false, timeoutMs: 10_000, scanErrors: [] };
}
