/**
 * The audit log end to end on every engine: ingestion's own changes with their location,
 * requests recorded by the host, `GET /api/audit/events` filters and keyset paging, and
 * retention.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventItem, AuditEventPage } from '../src/plugins/audit/common/index.ts';
import { type AuditApi, auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { newEventId } from '../src/plugins/audit/server/recorder.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const component = (name: string, owner: string, description = `The ${name} service`) =>
  [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    `metadata: { name: ${name}, description: "${description}" }`,
    `spec: { type: service, lifecycle: production, owner: ${owner} }`,
  ].join('\n');

describe.each(ENGINES)('audit log on %s', (engine) => {
  let server: TestServer;
  let audit: AuditApi;
  let file: string;
  let locationId: string;

  async function events(query: Record<string, string> = {}): Promise<AuditEventPage> {
    await audit.flush();
    const response = await fetch(`${server.url}/api/audit/events?${new URLSearchParams(query)}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as AuditEventPage;
  }

  beforeAll(async () => {
    server = await startTestServer({ engine });
    audit = server.app.use(auditServiceRef);
    file = join(server.dir, 'catalog-info.yaml');
    writeFileSync(
      file,
      [component('orders', 'team-a'), component('billing', 'team-b')].join('\n---\n'),
    );
    const response = await fetch(`${server.url}/api/catalog/locations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', target: file }),
    });
    expect(response.status).toBe(201);
    locationId = ((await response.json()) as { location: { id: string } }).location.id;
  });
  afterAll(() => server?.stop());

  it('records each entity a location creates, with the location', async () => {
    const { items } = await events({ action: 'catalog.entity.created' });
    const byRef = new Map(items.map((e) => [e.resourceRef, e]));
    for (const ref of ['component:default/orders', 'component:default/billing']) {
      const event = byRef.get(ref);
      expect(event, ref).toBeDefined();
      expect(event).toMatchObject({
        actor: 'service:atrium',
        credential: 'service',
        outcome: 'success',
        details: { location: { id: locationId, type: 'file', target: file } },
      });
    }
    // The registration itself, recorded by the host with its caller and request.
    const [created] = (await events({ action: 'catalog.location.create' })).items;
    expect(created).toMatchObject({
      actor: 'user:default/guest',
      credential: 'guest',
      outcome: 'success',
      clientAddress: '127.0.0.1',
    });
    expect(created!.requestId).toBeTruthy();
  });

  it('records an update with the paths that changed', async () => {
    writeFileSync(
      file,
      [component('orders', 'team-c'), component('billing', 'team-b')].join('\n---\n'),
    );
    const refresh = await fetch(`${server.url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/orders' }),
    });
    expect(refresh.status).toBe(200);
    const { items } = await events({ action: 'catalog.entity.updated' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      resourceRef: 'component:default/orders',
      actor: 'service:atrium',
      details: { location: { id: locationId, target: file }, changed: ['spec.owner'] },
    });
  });

  it('records an entity the location no longer emits as orphaned', async () => {
    writeFileSync(file, component('orders', 'team-c'));
    await fetch(`${server.url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/orders' }),
    });
    const { items } = await events({ action: 'catalog.entity.orphaned' });
    expect(items.map((e) => e.resourceRef)).toEqual(['component:default/billing']);
    expect(items[0]!.details).toMatchObject({ location: { id: locationId } });
  });

  it('records a deletion through the API as the caller did it, once', async () => {
    const entity = (await (
      await fetch(`${server.url}/api/catalog/entities/by-name/component/default/billing`)
    ).json()) as { metadata: { uid: string } };
    const uid = entity.metadata.uid;
    const response = await fetch(`${server.url}/api/catalog/entities/by-uid/${uid}`, {
      method: 'DELETE',
    });
    expect(response.status).toBe(204);
    const { items } = await events({ action: 'catalog.entity.delete' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      action: 'catalog.entity.delete',
      resourceRef: 'component:default/billing',
      details: { uid },
      actor: 'user:default/guest',
      credential: 'guest',
      outcome: 'success',
      clientAddress: '127.0.0.1',
    });
    // Not also as a change of ingestion: that would name Atrium as the one who deleted it.
    expect((await events({ action: 'catalog.entity.deleted' })).items).toEqual([]);
  });

  it('filters by actor, action prefix, resource, outcome and time', async () => {
    const all = (await events({ limit: '500' })).items;
    expect(all.length).toBeGreaterThan(5);
    const times = all.map((e) => e.time);
    expect([...times].sort().reverse()).toEqual(times);

    const service = (await events({ actor: 'service:atrium', limit: '500' })).items;
    expect(service.length).toBeGreaterThan(0);
    expect(service.every((e) => e.actor === 'service:atrium')).toBe(true);

    const catalog = (await events({ action: 'catalog.*', limit: '500' })).items;
    expect(catalog).toHaveLength(all.filter((e) => e.action.startsWith('catalog.')).length);
    const entity = (await events({ action: 'catalog.entity.*', limit: '500' })).items;
    expect(entity.every((e) => e.action.startsWith('catalog.entity.'))).toBe(true);
    expect([...new Set(entity.map((e) => e.action))]).toEqual(
      expect.arrayContaining([
        'catalog.entity.created',
        'catalog.entity.updated',
        'catalog.entity.orphaned',
        'catalog.entity.delete',
        'catalog.entity.refresh',
      ]),
    );
    expect(entity.length).toBeLessThan(catalog.length);
    // `_` and `%` are not wildcards.
    expect((await events({ action: 'catalog_*' })).items).toEqual([]);

    const orders = (await events({ resourceRef: 'Component:default/Orders' })).items;
    expect(new Set(orders.map((e) => e.action))).toEqual(
      new Set(['catalog.entity.created', 'catalog.entity.updated']),
    );
    expect((await events({ outcome: 'denied' })).items).toEqual([]);
    expect((await events({ outcome: 'success', limit: '500' })).items).toHaveLength(all.length);

    const middle = all[Math.floor(all.length / 2)]!.time;
    const before = (await events({ to: middle, limit: '500' })).items;
    const after = (await events({ from: middle, limit: '500' })).items;
    expect(before.every((e) => e.time < middle)).toBe(true);
    expect(after.every((e) => e.time >= middle)).toBe(true);
    expect(before.length + after.length).toBe(all.length);
    expect((await events({ from: '2999-01-01' })).items).toEqual([]);
  });

  it('pages with a keyset cursor, newest first, without gaps or repeats', async () => {
    const all = (await events({ limit: '500' })).items.map((e) => e.id);
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await events({ limit: '2', order, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(seen).toEqual(order === 'desc' ? all : [...all].reverse());
    }
  });

  it('validates the query', async () => {
    const get = (query: string) => fetch(`${server.url}/api/audit/events?${query}`);
    for (const [query, message] of [
      ['limit=501', /limit/],
      ['limit=0', /limit/],
      ['from=yesterday', /from must be an ISO 8601 date/],
      ['to=2026-13-45', /to must be an ISO 8601 date/],
      ['cursor=nonsense', /cursor is not valid/],
      ['outcome=maybe', /outcome/],
      ['action=cat*log', /action/],
      ['secret=1', /unknown property 'secret'/],
    ] as const) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect(JSON.stringify(await response.json()), query).toMatch(message);
    }
  });

  it('deletes events past the retention, harmlessly when run twice at once', async () => {
    const day = 24 * 3600 * 1000;
    const old = (days: number) => {
      const time = Date.now() - days * day;
      return {
        id: newEventId(time),
        time: new Date(time).toISOString(),
        actor: 'user:default/someone',
        credential: 'session',
        credential_id: null,
        action: 'test.old',
        resource_ref: `test:${days}`,
        outcome: 'success',
        request_id: null,
        client_address: null,
        details: null,
      };
    };
    await audit.store.insert([old(400), old(366), old(364)]);
    const [a, b] = await Promise.all([audit.applyRetention(), audit.applyRetention()]);
    expect(a + b).toBe(2);
    const left = (await events({ action: 'test.old' })).items.map((e) => e.resourceRef);
    expect(left).toEqual(['test:364']);
    expect((await events({ action: 'catalog.*' })).items.length).toBeGreaterThan(0);
  });

  it('answers items in the documented shape', async () => {
    const [item] = (await events({ limit: '1' })).items;
    expect(Object.keys(item as AuditEventItem).sort()).toEqual(
      [
        'id',
        'time',
        'actor',
        'credential',
        'credentialId',
        'action',
        'resourceRef',
        'outcome',
        'requestId',
        'clientAddress',
        'details',
      ].sort(),
    );
  });
});
