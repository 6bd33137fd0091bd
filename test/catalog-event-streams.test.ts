/**
 * The catalog event stream under many open streams, on SQLite and PostgreSQL: one reader of the
 * event table per process however many streams are open (counted on the real history store),
 * each stream gets exactly the events its caller may read (a conditional policy, route
 * filters), streams are capped per caller and in all (429 naming the key), a stream resuming
 * while the others are live gets what it missed, and the reader stops with the last stream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import type { HistoryItem } from '../src/plugins/catalog/common/history.ts';
import { createLogger } from '../src/core/logger.ts';
import { Wakeup } from '../src/plugins/catalog/server/history/catalog-history.ts';
import {
  type EventSubscription,
  HistoryFanout,
} from '../src/plugins/catalog/server/history/event-fanout.ts';
import { HistoryStore } from '../src/plugins/catalog/server/history/history-store.ts';
import { ORG_CATALOG } from './helpers/auth.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const POLICY = `rules:
  - name: everyone reads groups
    roles: [everyone]
    allow: [catalog.entity.read]
    when: { isEntityKind: group }
  - name: owners read what they own
    roles: [everyone]
    allow: [catalog.entity.read]
    when: { isEntityOwner: true }
  - name: everyone may refresh
    roles: [everyone]
    allow: [catalog.entity.refresh]
`;

const SERVICES = ['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4'];
const tokenOf = (subject: string) => `stream-test-token-${subject}-0123456789abcdef`;

const NEW_ENTITIES = `---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: new-alpha }
spec: { type: service, lifecycle: production, owner: team-alpha }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: new-beta }
spec: { type: service, lifecycle: production, owner: team-beta }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-gamma }
spec: { type: team, parent: engineering, children: [] }
`;

interface Stream {
  response: Response;
  items(): HistoryItem[];
  close(): Promise<void>;
}

/** A server-sent event stream read with fetch, as EventSource would. */
async function openEvents(url: string, headers: Record<string, string>): Promise<Stream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const items: HistoryItem[] = [];
  const done = (async () => {
    if (response.status !== 200 || !response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .find((line) => line.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data) items.push(JSON.parse(data.slice(6)) as HistoryItem);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    response,
    items: () => items,
    async close() {
      controller.abort();
      await done;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: () => string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${what()}`);
    await sleep(25);
  }
}

for (const engine of ENGINES) {
  describe(`catalog event streams, many at once (${engine})`, () => {
    let server: TestServer;
    let dir: string;
    // Spied on the real store's class: every reader of the table in this process is counted.
    let after: MockInstance<HistoryStore['after']>;
    const open: Stream[] = [];

    beforeAll(async () => {
      after = vi.spyOn(HistoryStore.prototype, 'after');
      // The policy, the guest as Alice, tokens for five services.
      dir = mkdtempSync(join(tmpdir(), 'atrium-streams-'));
      writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG);
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      server = await startTestServer({
        engine,
        dir,
        catalog: {
          locations: [{ type: 'file', target: join(dir, 'org.yaml') }],
          history: { maxStreamsPerCaller: 10, maxStreams: 50 },
        },
        backend: {
          auth: {
            externalAccess: SERVICES.map((subject) => ({
              type: 'static',
              options: { token: tokenOf(subject), subject },
            })),
          },
        },
        extraConfig: {
          auth: { providers: { guest: { userEntityRef: 'user:default/alice' } } },
          permission: { enabled: true, policyFile: join(dir, 'policy.yaml') },
        },
      });
    }, 60_000);
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      after.mockRestore();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const events = (query: string, caller?: string, headers: Record<string, string> = {}) =>
      openEvents(`${server.url}/api/catalog/events${query}`, {
        ...headers,
        ...(caller ? { authorization: `Bearer ${tokenOf(caller)}` } : {}),
      });
    const refs = (s: Stream) => s.items().map((i) => `${i.entityRef} ${i.action}`);

    it('reads the table once per tick for 50 streams, and each gets what its caller may read', async () => {
      const store = new HistoryStore(server.app.database);
      const start = (await store.bounds()).max;
      // Alice (the guest): her own entities and groups; services: groups only.
      const alice = await Promise.all(
        [
          '',
          '?kind=component',
          '?entityRef=component:default/new-beta',
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ].map((q) => events(q)),
      );
      const services = await Promise.all(
        SERVICES.slice(0, 4).flatMap((s) =>
          Array.from({ length: 10 }, (_v, i) => events(i === 1 ? '?kind=component' : '', s)),
        ),
      );
      open.push(...alice, ...services);
      expect(open.map((s) => s.response.status)).toEqual(Array(50).fill(200));

      // The caps: an 11th stream of one caller, and a 51st on the server.
      for (const [caller, key] of [
        [undefined, 'catalog.history.maxStreamsPerCaller'],
        ['svc-0', 'catalog.history.maxStreamsPerCaller'],
        ['svc-4', 'catalog.history.maxStreams'],
      ] as const) {
        const refused = await fetch(`${server.url}/api/catalog/events`, {
          headers: caller ? { authorization: `Bearer ${tokenOf(caller)}` } : {},
        });
        expect(refused.status, caller).toBe(429);
        expect((await refused.json()).error.message, caller).toContain(key);
      }

      // Quiet: one read of the table per tick (400 ms), not one per stream.
      await sleep(500);
      after.mockClear();
      await sleep(2000);
      expect(after.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(after.mock.calls.length).toBeLessThanOrEqual(2000 / 400 + 2);

      after.mockClear();
      writeFileSync(join(server.dir, 'org.yaml'), ORG_CATALOG + NEW_ENTITIES);
      const refreshed = await fetch(`${server.url}/api/catalog/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityRef: 'component:default/alpha-api' }),
      });
      expect(refreshed.status).toBe(200);
      const recorded = (await store.after(start, 100)).map((r) => `${r.entity_ref} ${r.action}`);
      expect(recorded.sort()).toEqual([
        'component:default/new-alpha created',
        'component:default/new-beta created',
        'group:default/team-gamma created',
      ]);
      await until(
        () => alice[0]!.items().length >= 2 && services[0]!.items().length >= 1,
        () => `alice ${refs(alice[0]!)}, svc-0 ${refs(services[0]!)}`,
      );
      // Longer than a poll: nothing more (no duplicate, nothing hidden) arrives.
      await sleep(900);
      const byId = (a: string, b: string) => a.localeCompare(b);
      const aliceAll = ['component:default/new-alpha created', 'group:default/team-gamma created'];
      expect(refs(alice[0]!).sort(byId)).toEqual(aliceAll);
      for (const s of alice.slice(3)) expect(refs(s).sort(byId)).toEqual(aliceAll);
      expect(refs(alice[1]!)).toEqual(['component:default/new-alpha created']);
      expect(refs(alice[2]!)).toEqual([]);
      services.forEach((s, i) => {
        expect(refs(s), `service stream ${i}`).toEqual(
          i % 10 === 1 ? [] : ['group:default/team-gamma created'],
        );
      });
      // Each stream in id order, with the ids it can resume from.
      for (const s of open) {
        const ids = s.items().map((i) => i.id);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
      }
      // The change woke the reader; 50 streams still cost a handful of reads, not 50 each.
      expect(after.mock.calls.length).toBeLessThanOrEqual(12);

      // A stream resuming while the others are live reads what it missed, then joins them.
      await services[9]!.close();
      const resumed = await events('', 'svc-0', { 'last-event-id': String(start) });
      open.push(resumed);
      await until(
        () => resumed.items().length >= 1,
        () => refs(resumed).join(),
      );
      await sleep(900);
      expect(refs(resumed)).toEqual(['group:default/team-gamma created']);
    });

    it('lets a stream that reads slower than events come fall behind without holding them in memory', async () => {
      const database = server.app.database;
      const store = new HistoryStore(database);
      const stopped = new AbortController();
      const fanout = new HistoryFanout(
        store,
        new Wakeup(),
        { perCaller: 10, total: 10 },
        stopped.signal,
        createLogger({ level: 'error' }),
        { pollMs: 20 },
      );
      const start = (await store.bounds()).max;
      const prompt = fanout.subscribe('prompt', start, start);
      const slow = fanout.subscribe('slow', start, start);
      const read = async (subscription: EventSubscription, count: number, ids: number[]) => {
        const signal = AbortSignal.timeout(15_000);
        while (ids.length < count && !signal.aborted) {
          ids.push(...(await subscription.next(signal)).map((r) => r.id));
        }
      };
      const promptIds: number[] = [];
      const reading = read(prompt, 2500, promptIds);
      // 2,500 events in five writes; the slow stream reads nothing meanwhile.
      for (let i = 0; i < 5; i++) {
        await database.db
          .insertInto('catalog_entity_events')
          .values(
            Array.from({ length: 500 }, (_v, j) => ({
              created_at: new Date().toISOString(),
              entity_ref: `component:default/burst-${i * 500 + j}`,
              kind: 'component',
              action: 'created',
              diff: null,
              cause: '{"type":"delete","actor":"user:default/test"}',
            })),
          )
          .execute();
        await sleep(60);
      }
      await reading;
      expect(promptIds).toHaveLength(2500);
      // Past its queue's bound the slow stream was dropped back to reading the table itself…
      expect(slow.live).toBe(false);
      const slowIds: number[] = [];
      await read(slow, 2500, slowIds);
      // …and still gets every event once, in order, as the prompt one did.
      expect(slowIds).toEqual(promptIds);
      expect(promptIds).toEqual([...promptIds].sort((a, b) => a - b));
      prompt.close();
      slow.close();
      await vi.waitFor(() => expect(fanout.polling).toBe(false));
      stopped.abort();
    });

    it('stops reading the table when the last stream closes, and starts again with the next', async () => {
      const streams = await Promise.all([events(''), events('', 'svc-1')]);
      open.push(...streams);
      await sleep(500);
      await Promise.all(open.splice(0).map((s) => s.close()));
      await sleep(600);
      after.mockClear();
      await sleep(1500);
      expect(after.mock.calls.length).toBe(0);

      const again = await events('?entityRef=group:default/team-delta', 'svc-2');
      open.push(again);
      await sleep(1000);
      expect(after.mock.calls.length).toBeGreaterThanOrEqual(1);
      writeFileSync(
        join(server.dir, 'org.yaml'),
        `${ORG_CATALOG + NEW_ENTITIES}---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-delta }
spec: { type: team, parent: engineering, children: [] }
`,
      );
      await fetch(`${server.url}/api/catalog/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityRef: 'component:default/alpha-api' }),
      });
      await until(
        () => again.items().length >= 1,
        () => refs(again).join(),
      );
      expect(refs(again)).toEqual(['group:default/team-delta created']);
    });
  });
}
