/**
 * The discovery provider framework (src/plugins/catalog/server/providers/): a fake provider,
 * contributed through `catalogProvidersExtensionPoint` by a test plugin, lists repositories
 * whose catalog files live on disk (`file`) or on a local HTTP server (`url`); the catalog
 * creates, reads, skips and removes their locations, holds a mass removal for confirmation,
 * applies webhook effects and lets one replica scan at a time.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { definePlugin, extend } from '../src/core/plugin-api.ts';
import { auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import type { ProviderStatus } from '../src/plugins/catalog/common/providers.ts';
import {
  catalogPlugin,
  catalogProvidersExtensionPoint,
  catalogServiceRef,
} from '../src/plugins/catalog/server/plugin.ts';
import { eventsServiceRef } from '../src/plugins/events/server/events-service.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import type { CatalogProviderFactory, DiscoveredLocation } from '../src/plugins/public-api.ts';
import {
  component,
  FakeProvider,
  fakeDiscovery,
  newWorld,
  PROVIDER,
  type World,
} from './helpers/fake-provider.ts';
import { type Engine, ENGINES, freshDatabase } from './helpers/server.ts';
import { serveDirectory } from './helpers/serve-files.ts';

const SECRET = 'webhook-secret-for-tests';

async function startApp(
  dir: string,
  database: Record<string, unknown>,
  world: World,
  host: string,
): Promise<{ app: App; url: string }> {
  const file = join(dir, `app-config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    stringify({
      backend: {
        listen: { host: '127.0.0.1', port: 0 },
        database,
        reading: { allow: [{ host }] },
      },
      catalog: {
        refresh: { interval: false },
        locationRoots: [dir],
        removalGuard: { maxShare: 0.1, minCount: 2 },
      },
      events: { modules: { github: { webhookSecret: SECRET } } },
      techdocs: { buildOnStart: false },
    }),
  );
  const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
  const app = await createApp({
    config,
    plugins: [...installedPlugins(), fakeDiscovery(world)],
    cwd: dir,
    logger: createLogger({ level: (process.env.LOG_LEVEL as 'debug') ?? 'error' }),
  });
  return { app, url: await app.start() };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(ENGINES)('catalog discovery providers (%s)', (engine: Engine) => {
  let dir: string;
  let app: App;
  let url: string;
  let drop: () => Promise<void>;
  let files: Awaited<ReturnType<typeof serveDirectory>>;
  const world: World = newWorld();
  const repos = Array.from({ length: 20 }, (_, i) => `repo-${String(i).padStart(2, '0')}`);
  const fileLocation = (repo: string): DiscoveredLocation => ({
    type: 'file',
    target: join(dir, 'org', repo, 'catalog-info.yaml'),
    source: `acme/${repo}`,
  });
  const webUrl = () => `${files.base}/web/catalog-info.yaml`;
  const webRequests = () => files.requests.filter((r) => r.url === '/web/catalog-info.yaml').length;

  const api = (path: string, init?: RequestInit) => fetch(`${url}/api/catalog${path}`, init);
  const post = (path: string) => api(path, { method: 'POST' });
  async function status(): Promise<ProviderStatus> {
    const response = await api('/providers');
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: ProviderStatus[] };
    const found = items.find((p) => p.id === PROVIDER);
    expect(found).toBeDefined();
    return found!;
  }
  async function scan(): Promise<ProviderStatus> {
    const response = await post(`/providers/${encodeURIComponent(PROVIDER)}/refresh?wait=true`);
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as { provider: ProviderStatus }).provider;
  }
  const entity = (name: string) => api(`/entities/by-name/component/default/${name}`);
  async function ownerOf(name: string): Promise<string | undefined> {
    const response = await entity(name);
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { spec: { owner: string } }).spec.owner;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-providers-'));
    for (const repo of repos) {
      mkdirSync(join(dir, 'org', repo), { recursive: true });
      writeFileSync(join(dir, 'org', repo, 'catalog-info.yaml'), component(repo, 'team-a'));
    }
    mkdirSync(join(dir, 'served', 'web'), { recursive: true });
    writeFileSync(join(dir, 'served', 'web', 'catalog-info.yaml'), component('web', 'team-served'));
    files = await serveDirectory(join(dir, 'served'));
    const database = await freshDatabase(engine, dir);
    drop = database.drop;
    ({ app, url } = await startApp(dir, database.config, world, files.host));
  });

  afterAll(async () => {
    await app?.stop();
    await files?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a location per listed repository, reads it and reports the scan', async () => {
    world.listing = [
      ...repos.map(fileLocation),
      {
        type: 'url',
        target: webUrl(),
        source: 'acme/web',
        prefetched: { content: component('web', 'team-prefetched'), version: 'v1' },
      },
    ];
    world.scanErrors = [
      {
        source: 'acme/broken',
        message: 'catalog file unreadable',
        file: 'catalog-info.yaml',
        line: 3,
      },
    ];
    const provider = await scan();
    expect(provider).toMatchObject({
      id: PROVIDER,
      title: 'Fake discovery acme',
      state: 'idle',
      locations: 21,
      pendingRemoval: null,
      lastScan: {
        trigger: 'manual',
        complete: true,
        repositoriesSeen: 22,
        locations: 21,
        locationsCreated: 21,
        locationsRead: 21,
        locationsUnchanged: 0,
        locationsRemoved: 0,
        // Each file's Component and the generated Location of each location.
        entitiesAdded: 42,
        requests: 7,
        notModified: 3,
        rateLimitRemaining: 4990,
      },
    });
    expect(provider.errors).toContainEqual({
      source: 'acme/broken',
      message: 'catalog file unreadable',
      file: 'catalog-info.yaml',
      line: 3,
    });
    expect(await ownerOf('repo-07')).toBe('team-a');
    const locations = (await (await api('/locations/status')).json()) as {
      items: Array<{ target: string; origin: string; providerId?: string }>;
    };
    expect(locations.items.find((l) => l.target === fileLocation('repo-07').target)).toMatchObject({
      origin: 'provider',
      providerId: PROVIDER,
    });
  });

  it('reads a prefetched file without a request, and skips it while its version is unchanged', async () => {
    // The scan's text, not the server's, and the server was never asked.
    expect(await ownerOf('web')).toBe('team-prefetched');
    expect(webRequests()).toBe(0);

    const unchanged = await scan();
    expect(unchanged.lastScan).toMatchObject({ locationsUnchanged: 1, locationsRead: 20 });

    world.listing[20] = {
      ...world.listing[20]!,
      prefetched: { content: component('web', 'team-prefetched-2'), version: 'v2' },
    };
    const changed = await scan();
    expect(changed.lastScan).toMatchObject({
      locationsUnchanged: 0,
      locationsRead: 21,
      entitiesUpdated: 1,
    });
    expect(await ownerOf('web')).toBe('team-prefetched-2');
    expect(webRequests()).toBe(0);
  });

  it('applies a push webhook: the location is read again at once, from its source', async () => {
    writeFileSync(
      join(dir, 'org', 'repo-04', 'catalog-info.yaml'),
      component('repo-04', 'team-pushed'),
    );
    const body = JSON.stringify({ ref: 'refs/heads/main', repository: { name: 'repo-04' } });
    const started = Date.now();
    const response = await fetch(`${url}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'delivery-1',
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(response.status).toBe(202);
    await waitFor('the pushed owner', async () =>
      (await ownerOf('repo-04')) === 'team-pushed' ? true : undefined,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor(
      'the webhook on the status',
      async () => (await status()).lastWebhook ?? undefined,
    );
    expect((await status()).lastWebhook).toMatchObject({
      type: 'push',
      deliveryId: 'delivery-1',
      refreshed: 1,
      removed: 0,
    });

    // A webhook read fetches the file from its source: the url location's server is asked.
    await app.use(eventsServiceRef).publish({
      source: 'github',
      type: 'push',
      payload: { repository: { name: 'web' } },
    });
    expect(await ownerOf('web')).toBe('team-served');
    expect(webRequests()).toBe(1);
  });

  it('applies a repository deletion event at once, deleting the entities (no guard)', async () => {
    await app.use(eventsServiceRef).publish({
      source: 'github',
      type: 'repository',
      payload: { action: 'deleted', repository: { name: 'repo-19' } },
    });
    expect((await entity('repo-19')).status).toBe(404);
    expect((await status()).lastWebhook).toMatchObject({ type: 'repository', removed: 1 });
    world.listing = world.listing.filter((l) => l.source !== 'acme/repo-19');
  });

  it('scans within seconds when an event asks for a rescan', async () => {
    const before = world.scans;
    const finishedBefore = (await status()).lastScan?.finishedAt;
    await app.use(eventsServiceRef).publish({
      source: 'github',
      type: 'organization',
      payload: { action: 'member_added' },
    });
    expect((await status()).lastWebhook).toMatchObject({ type: 'organization', rescan: true });
    const scanned = await waitFor('the rescan', async () => {
      const last = (await status()).lastScan;
      return last && last.finishedAt !== finishedBefore ? last : undefined;
    });
    expect(scanned.trigger).toBe('event');
    expect(world.scans).toBe(before + 1);
  });

  it('removes a repository no longer listed with its entities, recorded with the provider', async () => {
    world.listing = world.listing.filter((l) => l.source !== 'acme/repo-00');
    const provider = await scan();
    expect(provider.lastScan).toMatchObject({ locationsRemoved: 1, entitiesRemoved: 2 });
    // Deleted, not orphaned.
    expect((await entity('repo-00')).status).toBe(404);
    const audit = app.use(auditServiceRef);
    await audit.flush();
    const response = await fetch(
      `${url}/api/audit/events?${new URLSearchParams({ action: 'catalog.entity.deleted', resourceRef: 'component:default/repo-00' })}`,
    );
    const { items } = (await response.json()) as {
      items: Array<{ details: { location: { origin: string } } }>;
    };
    expect(items[0]?.details.location.origin).toBe(`provider:${PROVIDER}`);
    const scans = await fetch(
      `${url}/api/audit/events?${new URLSearchParams({ action: 'catalog.provider.scan' })}`,
    );
    const scanEvents = (await scans.json()) as {
      items: Array<{ resourceRef: string; outcome: string }>;
    };
    expect(scanEvents.items[0]).toMatchObject({ resourceRef: PROVIDER, outcome: 'success' });
  });

  it('removes nothing after an incomplete scan', async () => {
    world.complete = false;
    const listed = world.listing;
    world.listing = listed.filter((l) => l.source !== 'acme/repo-01');
    try {
      const provider = await scan();
      expect(provider.lastScan).toMatchObject({ complete: false, locationsRemoved: 0 });
      expect(provider.errors[0]?.message).toMatch(/could not see everything.*nothing was removed/);
      expect(await ownerOf('repo-01')).toBe('team-a');
    } finally {
      world.complete = true;
      world.listing = listed;
    }
  });

  it('holds a removal above the guard for confirmation; dismiss keeps, confirm removes', async () => {
    const listed = world.listing;
    // 3 of 19 locations (16%): more than 10% and more than minCount 2.
    const held = ['acme/repo-01', 'acme/repo-02', 'acme/repo-03'];
    world.listing = listed.filter((l) => !held.includes(l.source));
    const tripped = await scan();
    expect(tripped.state).toBe('awaiting-confirmation');
    expect(tripped.pendingRemoval).toMatchObject({ count: 3, total: 19 });
    expect(tripped.pendingRemoval!.share).toBeCloseTo(3 / 19);
    expect([...tripped.pendingRemoval!.sources].sort()).toEqual(held);
    expect(tripped.lastScan?.locationsRemoved).toBe(0);
    for (const name of ['repo-01', 'repo-02', 'repo-03'])
      expect(await ownerOf(name), name).toBe('team-a');

    expect((await post(`/providers/${encodeURIComponent(PROVIDER)}/removals/dismiss`)).status).toBe(
      204,
    );
    expect(await status()).toMatchObject({ state: 'idle', pendingRemoval: null });
    expect(await ownerOf('repo-02')).toBe('team-a');

    expect((await scan()).state).toBe('awaiting-confirmation');
    // Seen alive after the scan (a push to repo-03): the confirmation keeps it.
    world.listing = listed;
    await app.use(eventsServiceRef).publish({
      source: 'github',
      type: 'push',
      payload: { repository: { name: 'repo-03' } },
    });
    const confirm = await post(`/providers/${encodeURIComponent(PROVIDER)}/removals/confirm`);
    expect(confirm.status).toBe(200);
    expect(await confirm.json()).toEqual({ removed: 2, entitiesRemoved: 4, kept: 1 });
    expect((await entity('repo-01')).status).toBe(404);
    expect((await entity('repo-02')).status).toBe(404);
    expect(await ownerOf('repo-03')).toBe('team-a');
    expect(await status()).toMatchObject({ state: 'idle', pendingRemoval: null });
    const again = await post(`/providers/${encodeURIComponent(PROVIDER)}/removals/confirm`);
    expect(again.status).toBe(409);
    world.listing = listed.filter((l) => !['acme/repo-01', 'acme/repo-02'].includes(l.source));
  });

  it('leaves provider locations out of the periodic refresh', async () => {
    writeFileSync(join(dir, 'org', 'repo-05', 'catalog-info.yaml'), component('repo-05', 'team-b'));
    const apiFile = join(dir, 'registered.yaml');
    writeFileSync(apiFile, component('registered', 'team-a'));
    const registered = await api('/locations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', target: apiFile }),
    });
    expect(registered.status).toBe(201);
    writeFileSync(apiFile, component('registered', 'team-b'));
    await app.use(catalogServiceRef).service.refreshAll();
    expect(await ownerOf('registered')).toBe('team-b');
    expect(await ownerOf('repo-05')).toBe('team-a');
    // The provider's scan is what reads it.
    await scan();
    expect(await ownerOf('repo-05')).toBe('team-b');
  });

  it('lets a user delete a provider location; the next scan brings it back', async () => {
    const { items } = (await (await api('/locations/status')).json()) as {
      items: Array<{ id: string; target: string }>;
    };
    const row = items.find((l) => l.target === fileLocation('repo-06').target)!;
    expect((await api(`/locations/${row.id}`, { method: 'DELETE' })).status).toBe(204);
    const response = await entity('repo-06');
    // Deleted or orphaned as catalog.orphanStrategy says (keep: orphaned).
    expect(response.status).toBe(200);
    const provider = await scan();
    expect(provider.lastScan?.locationsCreated).toBe(1);
    expect(await ownerOf('repo-06')).toBe('team-a');
    const body = (await (await entity('repo-06')).json()) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(body.metadata.annotations['backstage.io/orphan']).toBeUndefined();
  });

  it('aborts a scan past its timeout and records the failure', async () => {
    world.hang = true;
    world.timeoutMs = 300;
    try {
      const provider = await scan();
      expect(provider.state).toBe('failed');
      expect(provider.lastScan?.error).toMatch(/longer than 300 ms/);
      expect(provider.errors[0]?.message).toMatch(/The scan failed: .*longer than 300 ms/);
      // Nothing was removed by a failed scan.
      expect(await ownerOf('repo-07')).toBe('team-a');
    } finally {
      world.hang = false;
      world.timeoutMs = 10_000;
    }
    expect((await scan()).state).toBe('idle');
  });

  it('answers 404 for an unknown provider and validates ids', async () => {
    expect((await post('/providers/nope/refresh')).status).toBe(404);
    expect((await post('/providers/nope/removals/confirm')).status).toBe(404);
    expect(
      (await post(`/providers/${encodeURIComponent(PROVIDER)}/refresh?wait=maybe`)).status,
    ).toBe(400);
  });
});

describe.runIf(ENGINES.includes('pg'))('provider scans across replicas (pg)', () => {
  let dir: string;
  const apps: App[] = [];
  const urls: string[] = [];
  let drop: () => Promise<void>;
  const world: World = newWorld();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-providers-replicas-'));
    mkdirSync(join(dir, 'org', 'one'), { recursive: true });
    writeFileSync(join(dir, 'org', 'one', 'catalog-info.yaml'), component('one', 'team-a'));
    world.listing = [
      { type: 'file', target: join(dir, 'org', 'one', 'catalog-info.yaml'), source: 'acme/one' },
    ];
    const database = await freshDatabase('pg', dir);
    drop = database.drop;
    for (let i = 0; i < 2; i++) {
      const started = await startApp(dir, database.config, world, '127.0.0.1:1');
      apps.push(started.app);
      urls.push(started.url);
    }
  });

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets one replica scan a provider at a time', async () => {
    let release!: () => void;
    world.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const refresh = (i: number, wait = false) =>
      fetch(
        `${urls[i]}/api/catalog/providers/${encodeURIComponent(PROVIDER)}/refresh${wait ? '?wait=true' : ''}`,
        {
          method: 'POST',
        },
      );
    expect((await refresh(0)).status).toBe(202);
    await waitFor('the first scan', async () => (world.scans === 1 ? true : undefined));
    const second = await refresh(1);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(
      /another replica is scanning it/,
    );
    const seen = (await (await fetch(`${urls[1]}/api/catalog/providers`)).json()) as {
      items: ProviderStatus[];
    };
    expect(seen.items[0]?.state).toBe('scanning');
    expect(world.scans).toBe(1);
    world.gate = undefined;
    release();
    // Once the first replica is done, the other may scan; both show the same status.
    const after = await waitFor('the lease to be released', async () => {
      const response = await refresh(1, true);
      return response.status === 200 ? response : undefined;
    });
    expect(((await after.json()) as { provider: ProviderStatus }).provider.state).toBe('idle');
    expect(world.scans).toBe(2);
    for (const url of urls) {
      const response = await fetch(`${url}/api/catalog/entities/by-name/component/default/one`);
      expect(response.status).toBe(200);
    }
  });
});

describe('provider factories at setup', () => {
  async function setupWith(factories: CatalogProviderFactory[]) {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-providers-setup-'));
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      'backend:\n  listen: { port: 0 }\n  database: { client: better-sqlite3, connection: ":memory:" }\ncatalog:\n  refresh: { interval: false }\n',
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    try {
      const app = await createApp({
        config,
        plugins: [
          catalogPlugin(),
          definePlugin({
            id: 'factories',
            extensions: factories.map((f) => extend(catalogProvidersExtensionPoint, f)),
            setup() {},
          }),
        ],
        logger: createLogger({ level: 'error' }),
      });
      await app.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const world: World = newWorld();
  const factory = (
    name: string,
    extra: Partial<ReturnType<CatalogProviderFactory['create']>> = {},
  ) => ({
    name,
    create: () => ({ providers: [new FakeProvider(world)], ...extra }),
  });

  it('refuses two providers with one id, naming both factories', async () => {
    await expect(setupWith([factory('first'), factory('second')])).rejects.toThrow(
      `Provider id '${PROVIDER}' is created by both factory 'first' and factory 'second'`,
    );
  });

  it('refuses a reader for a type already handled, naming the factory', async () => {
    const reader = {
      type: 'url',
      read: async () => ({ files: [], problems: [] }),
      resolve: (base: string) => base,
      readReferenced: async () => ({ target: '', content: '' }),
    };
    await expect(setupWith([factory('readers', { readers: [reader] })])).rejects.toThrow(
      "Provider factory 'readers' brings a reader for type 'url', which another reader handles already",
    );
  });
});
