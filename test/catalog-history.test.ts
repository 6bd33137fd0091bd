/**
 * Entity history and the catalog event stream, on SQLite and PostgreSQL: events recorded in
 * the write's transaction for every change (with diffs and causes), `GET /history` paging and
 * filters, the server-sent event stream live and resumed after a disconnect, what a caller
 * with a conditional read permission sees, and retention.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryItem, HistoryPage } from '../src/plugins/catalog/common/history.ts';
import { HistoryStore } from '../src/plugins/catalog/server/history/history-store.ts';
import { startHistoryRetention } from '../src/plugins/catalog/server/history/retention.ts';
import { stringify } from 'yaml';
import { createApp, type App } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { ALICE_OWNS, eventually, ORG_CATALOG, startPolicyServer } from './helpers/permission.ts';
import type { PolicyServer } from './helpers/permission.ts';
import { ENGINES, freshDatabase, startTestServer, type TestServer } from './helpers/server.ts';

function component(name: string, owner: string, extra = ''): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
${extra}spec:
  type: service
  lifecycle: production
  owner: ${owner}
`;
}

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A server-sent event stream read with fetch, frame by frame, as EventSource would. */
async function openEvents(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  const done = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { data: '' };
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
          }
          if (event.data) events.push(event);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    response,
    events,
    comments,
    items: () => events.map((e) => JSON.parse(e.data) as HistoryItem),
    async until(check: () => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline)
          throw new Error(`Timed out; stream has ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}

for (const engine of ENGINES) {
  describe(`entity history (${engine})`, () => {
    let server: TestServer;
    let dir: string;
    let file: string;
    let store: HistoryStore;

    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/api/catalog${path}`, { headers });
      return { status: res.status, body: await res.json() };
    };
    const history = async (query: string): Promise<HistoryPage> => {
      const { status, body } = await get(`/history?${query}`);
      expect(status, JSON.stringify(body)).toBe(200);
      return body;
    };
    const refresh = async (entityRef: string) => {
      const res = await fetch(`${server.url}/api/catalog/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityRef }),
      });
      expect(res.status).toBe(200);
    };
    const write = (...docs: string[]) => writeFileSync(file, docs.join('---\n'));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-history-'));
      file = join(dir, 'catalog.yaml');
      write(
        component('orders', 'team-a', '  tags: [a]\n'),
        component('billing', 'team-a'),
        component('noise', 'team-c'),
      );
      server = await startTestServer({
        engine,
        catalog: { locations: [{ type: 'file', target: file }] },
      });
      store = new HistoryStore(server.app.database);
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('records each entity a location creates, with the location and its origin', async () => {
      const { items, nextCursor } = await history('entityRef=component:default/orders');
      expect(nextCursor).toBeUndefined();
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        entityRef: 'component:default/orders',
        kind: 'component',
        action: 'created',
        diff: null,
        cause: { type: 'location', location: { type: 'file', target: file, origin: 'config' } },
      });
      expect(Date.now() - Date.parse(items[0]!.createdAt)).toBeLessThan(60_000);
      // Entity refs are matched as the catalog matches them: case-insensitively, kind required.
      expect((await history('entityRef=Component:Orders')).items).toEqual(items);
      const bad = await get('/history?entityRef=orders');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/entityRef: .*kind/);
    });

    it('records an update with each changed value before and after', async () => {
      write(
        component('orders', 'team-b', '  tags: [a, b]\n  description: Takes orders\n'),
        component('billing', 'team-a'),
        component('noise', 'team-c'),
      );
      await refresh('component:default/orders');
      const { items } = await history('entityRef=component:default/orders');
      expect(items.map((i) => i.action)).toEqual(['updated', 'created']);
      expect(items[0]!.diff).toEqual({
        changes: [
          { path: 'metadata.description', after: 'Takes orders' },
          { path: 'metadata.tags', before: ['a'], after: ['a', 'b'] },
          { path: 'spec.owner', before: 'team-a', after: 'team-b' },
        ],
      });
      expect(items[0]!.id).toBeGreaterThan(items[1]!.id);
      // Unchanged entities of the same file record nothing.
      expect((await history('entityRef=component:default/billing')).items).toHaveLength(1);
    });

    it('records an entity its location stops emitting as orphaned', async () => {
      write(
        component('orders', 'team-b', '  tags: [a, b]\n  description: Takes orders\n'),
        component('noise', 'team-c'),
      );
      await refresh('component:default/orders');
      const { items } = await history('entityRef=component:default/billing');
      expect(items.map((i) => i.action)).toEqual(['orphaned', 'created']);
      expect(items[0]!.cause).toMatchObject({ type: 'location', location: { target: file } });
    });

    it('records a deletion through the API with the caller', async () => {
      const entity = await get('/entities/by-name/component/default/billing');
      const res = await fetch(
        `${server.url}/api/catalog/entities/by-uid/${entity.body.metadata.uid}`,
        { method: 'DELETE' },
      );
      expect(res.status).toBe(204);
      const { items } = await history('entityRef=component:default/billing');
      expect(items.map((i) => i.action)).toEqual(['deleted', 'orphaned', 'created']);
      expect(items[0]!.cause).toEqual({ type: 'delete', actor: 'user:default/guest' });
    });

    it('pages newest first, and filters by since (id or time) and kind', async () => {
      const all = (await history('limit=500')).items;
      expect(all.length).toBeGreaterThanOrEqual(7);
      const ids = all.map((i) => i.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      const paged: HistoryItem[] = [];
      let cursor: string | undefined;
      do {
        const page = await history(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        paged.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(all);

      const middle = all[3]!;
      expect((await history(`since=${middle.id}&limit=500`)).items).toEqual(all.slice(0, 3));
      const byTime = (await history(`since=${encodeURIComponent(middle.createdAt)}`)).items;
      expect(byTime.every((i) => i.createdAt >= middle.createdAt)).toBe(true);
      expect(byTime.map((i) => i.id)).toContain(middle.id);
      expect((await history('since=2999-01-01T00:00:00Z')).items).toEqual([]);
      expect(
        (await history('kind=Location&limit=500')).items.every((i) => i.kind === 'location'),
      ).toBe(true);

      for (const [query, message] of [
        ['since=yesterday', /since must be an event id or an ISO 8601 time/],
        ['cursor=abc', /cursor/],
        ['limit=0', /limit/],
        ['entityref=x', /entityref/],
      ] as const) {
        const res = await get(`/history?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.message, query).toMatch(message);
      }
    });

    it('streams new events live, and resumes after a disconnect with exactly the missed ones', async () => {
      const live = await openEvents(`${server.url}/api/catalog/events`);
      expect(live.response.status).toBe(200);
      expect(live.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      write(
        component('orders', 'team-b', '  tags: [a, b]\n  description: v1\n'),
        component('noise', 'team-c'),
      );
      await refresh('component:default/orders');
      await live.until(() => live.events.length === 1);
      const [first] = live.events;
      const item = JSON.parse(first!.data) as HistoryItem;
      expect(first!.event).toBe('updated');
      expect(first!.id).toBe(String(item.id));
      expect(item).toMatchObject({
        entityRef: 'component:default/orders',
        diff: { changes: [{ path: 'metadata.description', before: 'Takes orders', after: 'v1' }] },
      });
      await live.close();

      // Missed while disconnected: an update, a new entity, another update.
      write(
        component('orders', 'team-b', '  tags: [a, b]\n  description: v2\n'),
        component('noise', 'team-c'),
        component('shipping', 'team-a'),
      );
      await refresh('component:default/orders');
      write(
        component('orders', 'team-b', '  tags: [a, b]\n  description: v3\n'),
        component('noise', 'team-c'),
        component('shipping', 'team-a'),
      );
      await refresh('component:default/orders');
      const missed = (await store.after(item.id, 100)).map((r) => r.id);
      expect(missed.length).toBe(3);

      const resumes: Array<{ path: string; headers: Record<string, string> }> = [
        { path: '/api/catalog/events', headers: { 'last-event-id': first!.id! } },
        // EventSource repeats its URL on reconnect; the header wins over `after`.
        { path: '/api/catalog/events?after=1', headers: { 'last-event-id': first!.id! } },
        { path: `/api/catalog/events?after=${item.id}`, headers: {} },
      ];
      for (const resume of resumes) {
        const again = await openEvents(`${server.url}${resume.path}`, resume.headers);
        await again.until(() => again.events.length >= missed.length);
        // Longer than a poll: nothing more (no duplicate) arrives.
        await new Promise((r) => setTimeout(r, 900));
        expect(again.events.map((e) => Number(e.id))).toEqual(missed);
        // (A write records the entities it creates before those it updates.)
        expect(again.items().map((i) => [i.entityRef, i.action])).toEqual([
          ['component:default/shipping', 'created'],
          ['component:default/orders', 'updated'],
          ['component:default/orders', 'updated'],
        ]);
        await again.close();
      }

      const filtered = await openEvents(
        `${server.url}/api/catalog/events?after=${item.id}&entityRef=component:default/shipping`,
      );
      await filtered.until(() => filtered.events.length >= 1);
      await new Promise((r) => setTimeout(r, 900));
      expect(filtered.items().map((i) => i.entityRef)).toEqual(['component:default/shipping']);
      await filtered.close();

      const refused = await fetch(`${server.url}/api/catalog/events`, {
        headers: { 'last-event-id': 'not-a-number' },
      });
      expect(refused.status).toBe(400);
    });

    it('prunes by age and by count, keeping the newest', async () => {
      const logger = createLogger({ level: 'error' });
      const before = (await history('limit=500')).items;
      // Scheduled, not run, as it starts: the first prune comes a while later.
      const byCount = startHistoryRetention(store, { retentionDays: 0, maxEvents: 3 }, logger);
      expect((await history('limit=500')).items).toEqual(before);
      expect(await byCount.runNow()).toBe(before.length - 3);
      expect((await history('limit=500')).items).toEqual(before.slice(0, 3));
      // A second run finds nothing left to delete.
      expect(await byCount.runNow()).toBe(0);
      await byCount.stop();

      const later = Date.now() + 2 * 24 * 3600 * 1000;
      const byAge = startHistoryRetention(store, { retentionDays: 1, maxEvents: 0 }, logger, {
        now: () => later,
      });
      expect(await byAge.runNow()).toBe(3);
      await byAge.stop();
      expect((await history('limit=500')).items).toEqual([]);
      const recent = startHistoryRetention(store, { retentionDays: 1, maxEvents: 0 }, logger);
      write(component('orders', 'team-b', '  description: v4\n'), component('noise', 'team-c'));
      await refresh('component:default/orders');
      expect(await recent.runNow()).toBe(0);
      await recent.stop();

      // A stream resumed from a pruned id does not wait for what can no longer come.
      const resumed = await openEvents(`${server.url}/api/catalog/events?after=1`);
      const started = Date.now();
      await resumed.until(() => resumed.events.length >= 1, 4000);
      expect(Date.now() - started).toBeLessThan(4000);
      await resumed.close();
    });
  });

  describe(`entity history under a conditional read permission (${engine})`, () => {
    let server: PolicyServer;
    const catalogFile = () => join(server.dir, 'org.yaml');
    const call = (path: string, init?: RequestInit) =>
      fetch(`${server.url}/api/catalog${path}`, init);

    beforeAll(async () => {
      server = await startPolicyServer({
        engine,
        guest: 'user:default/alice',
        policy: `rules:
  - name: members read, refresh and delete what they own
    roles: [everyone]
    allow: [catalog.entity.read, catalog.entity.refresh, catalog.entity.delete]
    when: { isEntityOwner: true }
`,
      });
    });
    afterAll(() => server?.stop());

    it('shows a page of history only for entities the caller may read', async () => {
      const page = (await (await call('/history?limit=500')).json()) as HistoryPage;
      const refs = new Set(page.items.map((i) => i.entityRef));
      expect([...refs].sort()).toEqual(ALICE_OWNS.map((n) => `component:default/${n}`).sort());
      const hidden = (await (
        await call('/history?entityRef=component:default/beta-billing')
      ).json()) as HistoryPage;
      expect(hidden.items).toEqual([]);
    });

    it('streams only readable events; a deleted entity is left out', async () => {
      const store = new HistoryStore(server.app.database);
      const start = (await store.bounds()).max;
      const stream = await openEvents(`${server.url}/api/catalog/events`);
      expect(stream.response.status).toBe(200);
      writeFileSync(
        catalogFile(),
        ORG_CATALOG.replace('Owned by Team Alpha', 'Still owned by Team Alpha').replace(
          'metadata: { name: beta-billing }',
          'metadata: { name: beta-billing, description: changed }',
        ),
      );
      expect(
        (
          await call('/refresh', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ entityRef: 'component:default/alpha-api' }),
          })
        ).status,
      ).toBe(200);
      const notebook = await (
        await call('/entities/by-name/component/default/alpha-notebook')
      ).json();
      expect(
        (await call(`/entities/by-uid/${notebook.metadata.uid}`, { method: 'DELETE' })).status,
      ).toBe(204);

      // All three are recorded…
      let recorded: Array<[string, string]> = [];
      await eventually(async () => {
        recorded = (await store.after(start, 100)).map((r) => [r.entity_ref, r.action]);
        expect(recorded).toHaveLength(3);
      });
      expect(recorded).toEqual([
        ['component:default/alpha-api', 'updated'],
        ['component:default/beta-billing', 'updated'],
        ['component:default/alpha-notebook', 'deleted'],
      ]);
      const deletion = (await store.after(start, 100)).at(-1)!;
      expect(JSON.parse(deletion.cause)).toEqual({ type: 'delete', actor: 'user:default/alice' });
      // …but Alice reads only the first: beta-billing is not hers, alpha-notebook is gone.
      await stream.until(() => stream.events.length >= 1);
      await new Promise((r) => setTimeout(r, 900));
      expect(stream.items().map((i) => [i.entityRef, i.action])).toEqual([
        ['component:default/alpha-api', 'updated'],
      ]);
      await stream.close();
      const gone = (await (
        await call('/history?entityRef=component:default/alpha-notebook')
      ).json()) as HistoryPage;
      expect(gone.items).toEqual([]);
    });
  });
}

describe.runIf(ENGINES.includes('pg'))('entity history across replicas sharing PostgreSQL', () => {
  const apps: App[] = [];
  const urls: string[] = [];
  let drop: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-history-replicas-'));
    const database = await freshDatabase('pg', dir);
    drop = database.drop;
    const catalog = join(dir, 'catalog.yaml');
    writeFileSync(catalog, [component('one', 'team-a'), component('two', 'team-a')].join('---\n'));
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
        catalog: { refresh: { interval: false }, locations: [{ type: 'file', target: catalog }] },
      }),
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    const logger = createLogger({ level: 'error' });
    // Both created before either starts: the first ingest runs on both at once.
    const created = await Promise.all(
      [0, 1].map(() => createApp({ config, plugins: installedPlugins(), cwd: dir, logger })),
    );
    apps.push(...created);
    urls.push(...(await Promise.all(created.map((a) => a.start()))));
  });

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each change once, and streams a change made through one replica from the other', async () => {
    const [a, b] = await Promise.all(
      urls.map(async (url) => (await fetch(`${url}/api/catalog/history?kind=component`)).json()),
    );
    expect(b).toEqual(a);
    expect((a as HistoryPage).items.map((i) => [i.entityRef, i.action]).sort()).toEqual([
      ['component:default/one', 'created'],
      ['component:default/two', 'created'],
    ]);

    const stream = await openEvents(`${urls[1]}/api/catalog/events`);
    const one = await (
      await fetch(`${urls[0]}/api/catalog/entities/by-name/component/default/one`)
    ).json();
    const deleted = await fetch(`${urls[0]}/api/catalog/entities/by-uid/${one.metadata.uid}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(204);
    // Replica 1 learns of it by re-reading the table (a poll is under half a second).
    await stream.until(() => stream.events.length >= 1, 5000);
    expect(stream.items().map((i) => [i.entityRef, i.action, i.cause])).toEqual([
      ['component:default/one', 'deleted', { type: 'delete', actor: 'user:default/guest' }],
    ]);
    await stream.close();
  });
});
