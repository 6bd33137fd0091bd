/**
 * The audit log end to end on every engine: ingestion's own changes with their location,
 * requests recorded by the host, `GET /api/audit/events` filters and keyset paging, and
 * retention.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventItem, AuditEventPage } from '../src/plugins/audit/common/index.ts';
import { type AuditApi, auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { newEventId } from '../src/plugins/audit/server/recorder.ts';
import { eventually } from './helpers/permission.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { CATALOG as SCAFFOLDER_CATALOG } from './scaffolder-helpers.ts';

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

/** A policy that lets everyone do everything: these changes are recorded as successes. */
const ALLOW_ALL = [
  'rules:',
  '  - name: everyone may do everything',
  '    roles: [everyone]',
  "    allow: '*'",
  '',
].join('\n');

describe.each(ENGINES)('audited changes through the API on %s', (engine) => {
  let server: TestServer;
  let audit: AuditApi;
  let policyFile: string;
  let dir: string;

  async function events(query: Record<string, string>): Promise<AuditEventItem[]> {
    await audit.flush();
    const response = await fetch(`${server.url}/api/audit/events?${new URLSearchParams(query)}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as AuditEventPage).items;
  }
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-audited-'));
    policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, ALLOW_ALL);
    // A documented component, its docs beside it.
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(join(dir, 'mkdocs.yml'), 'site_name: Documented\nnav:\n  - Home: index.md\n');
    writeFileSync(join(dir, 'docs/index.md'), '# Documented\n\nHow it works.\n');
    writeFileSync(
      join(dir, 'documented.yaml'),
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        "metadata: { name: documented, annotations: { backstage.io/techdocs-ref: 'dir:.' } }",
        'spec: { type: service, lifecycle: production, owner: team-a }',
      ].join('\n'),
    );
    server = await startTestServer({
      engine,
      dir,
      catalog: {
        locations: [
          { type: 'file', target: SCAFFOLDER_CATALOG },
          { type: 'file', target: join(dir, 'documented.yaml') },
        ],
      },
      extraConfig: {
        permission: { enabled: true, policyFile },
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
        techdocs: {
          publisher: { type: 'local', local: { publishDirectory: join(dir, 'published') } },
        },
      },
    });
    audit = server.app.use(auditServiceRef);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records a policy reload, and a reload that failed with its problem', async () => {
    writeFileSync(
      policyFile,
      `${ALLOW_ALL}  - name: nobody deletes locations\n    roles: [everyone]\n    deny: catalog.location.delet\n`,
    );
    let failed: AuditEventItem | undefined;
    await eventually(async () => {
      failed = (await events({ action: 'permission.policy.reloaded', outcome: 'failure' }))[0];
      expect(failed).toBeDefined();
    });
    expect(failed).toMatchObject({
      actor: 'service:atrium',
      resourceRef: policyFile,
      details: {
        source: 'atrium-yaml',
        status: 'stale',
        problems: [expect.stringMatching(/policy\.yaml:7 \(rules\[1\]\.deny.*Unknown permission/)],
      },
    });
    writeFileSync(
      policyFile,
      `${ALLOW_ALL}  - name: a second rule\n    roles: [everyone]\n    allow: catalog.*\n`,
    );
    await eventually(async () => {
      const reloaded = await events({ action: 'permission.policy.reloaded', outcome: 'success' });
      // The read at start, then this reload.
      expect(reloaded).toHaveLength(2);
      expect(reloaded[0]).toMatchObject({
        resourceRef: policyFile,
        details: { source: 'atrium-yaml', status: 'ok' },
      });
      expect(reloaded[0]!.time > failed!.time).toBe(true);
    });
  });

  it('records a location deleted through the API', async () => {
    const file = join(server.dir, 'to-delete.yaml');
    writeFileSync(file, component('short-lived', 'team-a'));
    const created = await send('POST', '/api/catalog/locations', { type: 'file', target: file });
    expect(created.status).toBe(201);
    const { id } = ((await created.json()) as { location: { id: string } }).location;
    const deleted = await send('DELETE', `/api/catalog/locations/${id}`);
    expect(deleted.status, await deleted.clone().text()).toBe(204);
    const items = await events({ action: 'catalog.location.delete' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      resourceRef: id,
      actor: 'user:default/guest',
      credential: 'guest',
      outcome: 'success',
      clientAddress: '127.0.0.1',
    });
    expect(items[0]!.requestId).toBeTruthy();
  });

  it('records a docs rebuild', async () => {
    const built = await send('POST', '/api/techdocs/build/default/component/documented');
    expect(built.status, await built.clone().text()).toBe(200);
    const items = await events({ action: 'techdocs.site.rebuild' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      resourceRef: 'component:default/documented',
      actor: 'user:default/guest',
      outcome: 'success',
    });
  });

  it('records a template run through REST, with its task and template', async () => {
    const run = await send('POST', '/api/scaffolder/v2/tasks', {
      templateRef: 'template:default/basic',
      values: { name: 'audited' },
      secrets: { token: 'tok-audit-1234' },
    });
    expect(run.status, await run.clone().text()).toBe(201);
    const { id } = (await run.json()) as { id: string };
    const items = await events({ action: 'scaffolder.task.create' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      resourceRef: id,
      actor: 'user:default/guest',
      outcome: 'success',
      details: { templateRef: 'template:default/basic' },
    });
    expect(JSON.stringify(items)).not.toContain('tok-audit-1234');
    // A refused run is recorded as a failure.
    const bad = await send('POST', '/api/scaffolder/v2/tasks', {
      templateRef: 'template:default/basic',
      values: { name: 'Not A Name' },
      secrets: { token: 'tok-audit-1234' },
    });
    expect(bad.status).toBe(400);
    const after = await events({ action: 'scaffolder.task.create', outcome: 'failure' });
    expect(after).toHaveLength(1);
  });
});
