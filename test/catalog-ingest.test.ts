/**
 * Ingestion as a user meets it: the demo organisation that `npm start` loads, custom kinds
 * declared in config, and file-level refresh behaviour, on every engine.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CatalogClient } from '@backstage/catalog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const examples = resolve(import.meta.dirname, '../examples/catalog-info.yaml');

function client(server: TestServer) {
  return new CatalogClient({
    discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
  });
}

describe.each(ENGINES)('demo organisation on %s', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      engine,
      catalog: { locations: [{ type: 'file', target: examples }] },
    });
  });
  afterAll(() => server?.stop());

  it('loads every entity with no problem', async () => {
    const facets = await client(server).getEntityFacets({ facets: ['kind'] });
    expect(Object.fromEntries(facets.facets.kind!.map((f) => [f.value, f.count]))).toEqual({
      API: 13,
      Component: 44,
      Domain: 3,
      Group: 13,
      Location: 3,
      Resource: 13,
      System: 9,
      Scorecard: 2,
      Template: 1,
      User: 28,
    });
    const status = await (await fetch(`${server.url}/api/catalog/locations/status`)).json();
    expect(status.items).toHaveLength(1);
    expect(status.items[0].problems).toEqual([]);
    expect(status.items[0].entityCount).toBe(129);
  });

  it('resolves $text definitions and cross-namespace relations', async () => {
    const c = client(server);
    const api = await c.getEntityByRef('api:default/booking-api');
    expect(typeof api?.spec?.definition).toBe('string');
    expect(String(api?.spec?.definition)).toMatch(/^openapi: 3\./m);
    const payments = await c.getEntityByRef('api:payments/payments-api');
    const providers = payments?.relations
      ?.filter((r) => r.type === 'apiProvidedBy')
      .map((r) => r.targetRef);
    expect(providers?.length).toBeGreaterThan(0);
    for (const ref of providers ?? []) expect(await c.getEntityByRef(ref)).toBeDefined();
  });

  it('validates pasted catalog text with lines, storing nothing', async () => {
    const content = [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata: { name: pasted-ok }',
      'spec: { type: service, lifecycle: production, owner: team-a }',
      '---',
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      '  name: Not Valid',
      'spec: { type: service, lifecycle: production, owner: team-a }',
      '---',
      'kind: [unclosed',
    ].join('\n');
    const response = await fetch(`${server.url}/api/catalog/validate-file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content, name: 'mine.yaml' }),
    });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result.valid).toBe(false);
    expect(result.entities).toEqual(['component:default/pasted-ok']);
    expect(
      result.problems.map((p: { line: number; path?: string; file: string }) => [
        p.file,
        p.line,
        p.path ?? null,
      ]),
    ).toEqual([
      ['mine.yaml', 9, 'metadata.name'],
      ['mine.yaml', 12, null],
    ]);
    expect(await client(server).getEntityByRef('component:default/pasted-ok')).toBeUndefined();
  });

  it('lists recently changed entities, newest first', async () => {
    const response = await fetch(
      `${server.url}/api/catalog/entities/recent?limit=3&filter=kind=group`,
    );
    const { items } = await response.json();
    expect(items).toHaveLength(3);
    for (const item of items) expect(item.kind).toBe('Group');
    const times = items.map((i: { updatedAt: string }) => Date.parse(i.updatedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const bad = await fetch(`${server.url}/api/catalog/entities/recent?limit=0`);
    expect(bad.status).toBe(400);
  });

  it('leaves the generated Location entities out of the recent changes', async () => {
    const locations = await client(server).getEntities({ filter: { kind: 'Location' } });
    const refs = locations.items.map((e) => `location:default/${e.metadata.name}`);
    const generated = refs.filter((ref) => ref.startsWith('location:default/generated-'));
    expect(generated).toHaveLength(1);
    const response = await fetch(
      `${server.url}/api/catalog/entities/recent?limit=100&filter=kind=location`,
    );
    const { items } = await response.json();
    // The demo's own Location entities stay; the one made for the configured location goes.
    expect(items.map((i: { entityRef: string }) => i.entityRef).sort()).toEqual(
      refs.filter((ref) => !generated.includes(ref)).sort(),
    );
    expect(items).toHaveLength(2);
  });

  it('shows a group what it owns through reverse relations', async () => {
    const owned = await client(server).getEntities({
      filter: { 'relations.ownedBy': 'group:default/team-booking' },
    });
    expect(owned.items.length).toBeGreaterThan(3);
    const group = await client(server).getEntityByRef('group:default/team-booking');
    const ownerOf = group?.relations
      ?.filter((r) => r.type === 'ownerOf')
      .map((r) => r.targetRef)
      .sort();
    expect(ownerOf).toEqual(
      owned.items
        .map((e) => `${e.kind}:${e.metadata.namespace}/${e.metadata.name}`.toLowerCase())
        .sort(),
    );
  });
});

describe.each(ENGINES)('custom kinds and refresh on %s', (engine) => {
  let server: TestServer;
  let dir: string;
  const file = () => join(dir, 'catalog', 'pipelines.yaml');
  const pipeline = (name: string, spec: string) =>
    `apiVersion: example.com/v1\nkind: Pipeline\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

  beforeAll(async () => {
    server = await startTestServer({
      engine,
      catalog: {
        locations: [{ type: 'file', target: './catalog/*.yaml' }],
        kinds: [
          {
            apiVersion: 'example.com/v1',
            kind: 'Pipeline',
            schema: {
              type: 'object',
              required: ['owner', 'repository'],
              properties: {
                owner: { type: 'string' },
                repository: { type: 'string', pattern: '^https://' },
                deploys: { type: 'array', items: { type: 'string' } },
              },
            },
            relations: [
              {
                field: 'spec.owner',
                relation: 'ownedBy',
                reverse: 'ownerOf',
                defaultKind: 'Group',
              },
              {
                field: 'spec.deploys',
                relation: 'deploys',
                reverse: 'deployedBy',
                defaultKind: 'Component',
              },
            ],
          },
        ],
      },
      dir: (() => {
        dir = join(import.meta.dirname, '../.tmp', `custom-${engine}-${Date.now()}`);
        mkdirSync(join(dir, 'catalog'), { recursive: true });
        writeFileSync(
          join(dir, 'catalog', 'pipelines.yaml'),
          [
            pipeline(
              'build-web',
              '  owner: team-a\n  repository: https://git.example/web\n  deploys: [web]',
            ),
            pipeline('bad', '  owner: team-a\n  repository: ftp://nope'),
            'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: web }\nspec: { type: website, lifecycle: production, owner: team-a }',
          ].join('\n---\n'),
        );
        return dir;
      })(),
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates custom kinds against their schema and relates them like built-ins', async () => {
    const c = client(server);
    const built = await c.getEntityByRef('pipeline:default/build-web');
    expect(built?.relations).toEqual([
      { type: 'deploys', targetRef: 'component:default/web' },
      { type: 'ownedBy', targetRef: 'group:default/team-a' },
    ]);
    const web = await c.getEntityByRef('component:default/web');
    expect(web?.relations).toContainEqual({
      type: 'deployedBy',
      targetRef: 'pipeline:default/build-web',
    });
    const filtered = await c.getEntities({
      filter: { 'relations.deployedBy': 'pipeline:default/build-web' },
    });
    expect(filtered.items.map((e) => e.metadata.name)).toEqual(['web']);
    expect(await c.getEntityByRef('pipeline:default/bad')).toBeUndefined();
    const status = await (await fetch(`${server.url}/api/catalog/locations/status`)).json();
    const problems = status.items[0].problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      level: 'error',
      path: 'spec.repository',
      file: file(),
      line: 16,
    });
  });

  it('keeps the last good version of an entity that breaks, with the error on its status', async () => {
    const c = client(server);
    const before = await c.getEntityByRef('pipeline:default/build-web');
    writeFileSync(
      file(),
      pipeline('build-web', '  owner: 42\n  repository: https://git.example/web'),
    );
    await c.refreshEntity('pipeline:default/build-web');
    const after = await c.getEntityByRef('pipeline:default/build-web');
    expect(after?.metadata.etag).toBe(before?.metadata.etag);
    expect(after?.spec?.owner).toBe('team-a');
    const { status } = after as {
      status?: { items?: Array<{ level: string; type: string; message: string }> };
    };
    expect(status?.items?.[0]).toMatchObject({
      level: 'error',
      type: 'backstage.io/catalog-processing',
    });
    expect(status?.items?.[0]?.message).toContain('spec.owner');
    const own = await (
      await fetch(`${server.url}/api/catalog/entities/by-name/pipeline/default/build-web/status`)
    ).json();
    expect(own).toMatchObject({
      entityRef: 'pipeline:default/build-web',
      location: { type: 'file', target: join(dir, 'catalog', '*.yaml') },
      orphan: false,
      items: [{ level: 'error', error: { field: 'spec.owner', file: file(), line: 6 } }],
    });
    expect(own.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(own.lastReadAt)).toBeGreaterThanOrEqual(Date.parse(own.updatedAt));
    // `web` is no longer emitted: it becomes an orphan, kept by the default strategy.
    const web = await c.getEntityByRef('component:default/web');
    expect(web?.metadata.annotations?.['backstage.io/orphan']).toBe('true');
  });
});
