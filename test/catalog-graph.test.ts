import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import type { GraphResponse } from '../src/plugins/catalog/common/graph.ts';

const DEMO = fileURLToPath(new URL('../examples/catalog-info.yaml', import.meta.url));

interface ErrorBody {
  error: { name: string; message: string };
  request: { method: string; url: string };
  response: { statusCode: number };
}

async function get(server: TestServer, query: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/api/catalog/graph?${query}`);
  return { status: response.status, body: await response.json() };
}

async function graph(server: TestServer, query: string): Promise<GraphResponse> {
  const { status, body } = await get(server, query);
  expect(status, JSON.stringify(body)).toBe(200);
  return body as GraphResponse;
}

const refs = (g: GraphResponse) => g.nodes.map((n) => n.ref).sort();
const edgeKeys = (g: GraphResponse) =>
  g.edges.map((e) => `${e.source} ${e.type} ${e.target}`).sort();
const depths = (g: GraphResponse) => Object.fromEntries(g.nodes.map((n) => [n.ref, n.depth]));

// --------------------------------------------------------------------------------------------
// A generated catalog with known shape:
// - group big-team owns 2,000 components c0000..c1999, in 200 chains of ten
//   (c0000 → c0001 → … → c0009, c0010 → … → c0019, …; `→` is dependsOn);
// - component cNNNN is part of system s{floor(NNNN/200)}; s0..s4 in domain d1, s5..s9 in d2;
// - c0000 provides api-0, c1999 consumes it; api-0 has no system;
// - group other-team owns the systems, domains, api-0, the pipeline and `lonely`, and has 983
//   users as members; `lonely` (no system) depends on component ghost, which does not exist;
// - a custom kind Pipeline whose `deploys` field gives the pair deploys/deployedBy.

const COMPONENTS = 2000;
const USERS = 983;
const c = (i: number) => `c${String(i).padStart(4, '0')}`;
const cref = (i: number) => `component:default/${c(i)}`;

function generatedCatalog(): object[] {
  const docs: object[] = [];
  const meta = (kind: string, name: string, spec: object, apiVersion = 'backstage.io/v1alpha1') =>
    docs.push({ apiVersion, kind, metadata: { name }, spec });
  meta('Group', 'big-team', { type: 'team', children: [] });
  meta('Group', 'other-team', { type: 'team', children: [] });
  meta('Domain', 'd1', { owner: 'other-team' });
  meta('Domain', 'd2', { owner: 'other-team' });
  for (let s = 0; s < 10; s++)
    meta('System', `s${s}`, { owner: 'other-team', domain: s < 5 ? 'd1' : 'd2' });
  meta('API', 'api-0', {
    type: 'openapi',
    lifecycle: 'production',
    owner: 'other-team',
    definition: 'openapi: 3.0.0',
  });
  for (let i = 0; i < COMPONENTS; i++) {
    const spec: Record<string, unknown> = {
      type: 'service',
      lifecycle: 'production',
      owner: 'big-team',
      system: `s${Math.floor(i / 200)}`,
    };
    if ((i + 1) % 10 !== 0) spec.dependsOn = [cref(i + 1)];
    if (i === 0) spec.providesApis = ['api-0'];
    if (i === COMPONENTS - 1) spec.consumesApis = ['api-0'];
    meta('Component', c(i), spec);
  }
  meta('Component', 'lonely', {
    type: 'service',
    lifecycle: 'experimental',
    owner: 'other-team',
    dependsOn: ['component:ghost'],
  });
  for (let i = 0; i < USERS; i++)
    meta('User', `u${String(i).padStart(4, '0')}`, { memberOf: ['other-team'] });
  meta('Pipeline', 'p1', { owner: 'other-team', deploys: [c(0)] }, 'example.com/v1');
  return docs;
}

const PIPELINE_KIND = {
  apiVersion: 'example.com/v1',
  kind: 'Pipeline',
  schema: {
    type: 'object',
    required: ['owner'],
    properties: {
      owner: { type: 'string' },
      deploys: { type: 'array', items: { type: 'string' } },
    },
  },
  relations: [
    { field: 'spec.owner', relation: 'ownedBy', reverse: 'ownerOf', defaultKind: 'Group' },
    { field: 'spec.deploys', relation: 'deploys', reverse: 'deployedBy', defaultKind: 'Component' },
  ],
};

describe.each(ENGINES)('graph endpoint on the demo catalog on %s', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      engine,
      catalog: { locations: [{ type: 'file', target: DEMO }] },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the depth-1 neighbourhood of a component with summaries and canonical edges', async () => {
    const g = await graph(server, 'root=component:default/storefront-web&depth=1');
    expect(g.root).toBe('component:default/storefront-web');
    expect(g.truncated).toBe(false);
    expect(g.limit).toBe(500);
    expect(refs(g)).toEqual([
      'api:default/storefront-graphql',
      'component:default/storefront-web',
      'component:default/ui-kit',
      'component:payments/checkout-widget',
      'group:default/team-storefront',
      'system:default/storefront',
    ]);
    expect(edgeKeys(g)).toEqual([
      'api:default/storefront-graphql ownedBy group:default/team-storefront',
      'api:default/storefront-graphql partOf system:default/storefront',
      'component:default/storefront-web consumesApi api:default/storefront-graphql',
      'component:default/storefront-web dependsOn component:default/ui-kit',
      'component:default/storefront-web dependsOn component:payments/checkout-widget',
      'component:default/storefront-web ownedBy group:default/team-storefront',
      'component:default/storefront-web partOf system:default/storefront',
      'component:default/ui-kit ownedBy group:default/team-storefront',
      'component:default/ui-kit partOf system:default/storefront',
      'system:default/storefront ownedBy group:default/team-storefront',
    ]);
    expect(g.nodes[0]).toEqual({
      ref: 'component:default/storefront-web',
      kind: 'Component',
      namespace: 'default',
      name: 'storefront-web',
      title: 'Storefront',
      type: 'website',
      lifecycle: 'production',
      depth: 0,
    });
    const widget = g.nodes.find((n) => n.ref === 'component:payments/checkout-widget');
    expect(widget).toMatchObject({ kind: 'Component', namespace: 'payments', depth: 1 });
    // Summaries only: no whole entities.
    for (const node of g.nodes) {
      expect(
        Object.keys(node).every((k) =>
          ['ref', 'kind', 'namespace', 'name', 'title', 'type', 'lifecycle', 'depth'].includes(k),
        ),
      ).toBe(true);
    }
  });

  it('follows only the chosen relations, outgoing or both ways', async () => {
    const out = await graph(
      server,
      'root=component:storefront-web&relations=dependsOn&direction=outgoing&depth=3',
    );
    expect(out.root).toBe('component:default/storefront-web');
    expect(out.edges.every((e) => e.type === 'dependsOn')).toBe(true);
    expect(refs(out)).toContain('component:default/ui-kit');
    expect(refs(out)).not.toContain('group:default/team-storefront');
    // ui-kit is used by other websites: only `both` finds them, as dependsOn edges into it.
    const both = await graph(server, 'root=component:ui-kit&relations=dependsOn&depth=1');
    expect(edgeKeys(both)).toContain(
      'component:default/business-portal dependsOn component:default/ui-kit',
    );
    const outgoing = await graph(
      server,
      'root=component:ui-kit&relations=dependsOn&depth=1&direction=outgoing',
    );
    expect(refs(outgoing)).toEqual(['component:default/ui-kit']);
  });

  it('rolls components up into systems and domains on the demo', async () => {
    const g = await graph(server, 'root=group:default/team-storefront&depth=1&rollup=domain');
    expect(refs(g)).toContain('domain:default/commerce');
    expect(refs(g).some((r) => r.startsWith('component:'))).toBe(false);
    for (const node of g.nodes) expect(node.count).toBeGreaterThanOrEqual(1);
  });

  it('answers 404 in the Backstage error shape for an unknown root', async () => {
    const { status, body } = await get(server, 'root=component:default/nope');
    expect(status).toBe(404);
    const error = body as ErrorBody;
    expect(error.error.name).toBe('NotFoundError');
    expect(error.error.message).toContain('component:default/nope');
    expect(error.response.statusCode).toBe(404);
    expect(error.request.method).toBe('GET');
  });

  it.each([
    ['unknown parameter', 'root=component:storefront-web&foo=1'],
    ['missing root', 'depth=1'],
    ['root without a kind', 'root=storefront-web'],
    ['depth 0', 'root=component:storefront-web&depth=0'],
    ['depth 11', 'root=component:storefront-web&depth=11'],
    ['non-integer depth', 'root=component:storefront-web&depth=two'],
    ['limit 0', 'root=component:storefront-web&limit=0'],
    ['limit 5001', 'root=component:storefront-web&limit=5001'],
    ['bad direction', 'root=component:storefront-web&direction=incoming'],
    ['bad rollup', 'root=component:storefront-web&rollup=team'],
    ['unknown relation', 'root=component:storefront-web&relations=dependsOn&relations=likes'],
  ])('answers 400 for %s', async (_label, query) => {
    const { status, body } = await get(server, query);
    expect(status).toBe(400);
    expect((body as ErrorBody).error.name).toBe('InputError');
  });
});

describe.each(ENGINES)(
  'graph endpoint on a generated catalog of 3,000 entities on %s',
  (engine) => {
    let server: TestServer;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-graph-'));
      const docs = generatedCatalog();
      expect(docs.length).toBe(3000);
      writeFileSync(join(dir, 'catalog.yaml'), docs.map((d) => stringify(d)).join('---\n'));
      server = await startTestServer({
        engine,
        catalog: {
          locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }],
          kinds: [PIPELINE_KIND],
        },
      });
      const count = await fetch(`${server.url}/api/catalog/entities/by-query?limit=0`);
      // The 3,000 entities and the Location entity generated for the registered file.
      expect(((await count.json()) as { totalItems: number }).totalItems).toBe(3001);
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('returns the whole 2,000-component group at depth 2 within limit 5000', async () => {
      const g = await graph(server, 'root=group:default/big-team&depth=2&limit=5000');
      expect(g.truncated).toBe(false);
      expect(g.limit).toBe(5000);
      // root + 2000 components (depth 1) + 10 systems + api-0 (depth 2).
      expect(g.nodes).toHaveLength(2012);
      const byDepth = [0, 1, 2].map((d) => g.nodes.filter((n) => n.depth === d).length);
      expect(byDepth).toEqual([1, 2000, 11]);
      // ownedBy ×2000, dependsOn ×1800, partOf ×2000, providesApi, consumesApi; one per pair.
      const byType: Record<string, number> = {};
      for (const e of g.edges) byType[e.type] = (byType[e.type] ?? 0) + 1;
      expect(byType).toEqual({
        ownedBy: 2000,
        dependsOn: 1800,
        partOf: 2000,
        providesApi: 1,
        consumesApi: 1,
      });
      expect(new Set(edgeKeys(g)).size).toBe(g.edges.length);
      const returned = new Set(g.nodes.map((n) => n.ref));
      for (const e of g.edges) {
        expect(returned.has(e.source) && returned.has(e.target)).toBe(true);
      }
    });

    it('stops at limit, sets truncated and keeps only edges between returned nodes', async () => {
      const g = await graph(server, 'root=group:default/big-team&depth=1');
      expect(g.truncated).toBe(true);
      expect(g.limit).toBe(500);
      expect(g.nodes).toHaveLength(500);
      // The first 499 components in ref order, deterministic on every engine.
      expect(refs(g)).toEqual(
        ['group:default/big-team', ...Array.from({ length: 499 }, (_, i) => cref(i))].sort(),
      );
      // 499 ownedBy, plus the dependsOn links inside c0000..c0498: 498 pairs minus 49 chain ends.
      expect(g.edges.filter((e) => e.type === 'ownedBy')).toHaveLength(499);
      expect(g.edges.filter((e) => e.type === 'dependsOn')).toHaveLength(449);
      expect(g.edges).toHaveLength(948);

      const one = await graph(server, 'root=group:default/big-team&limit=1');
      expect(one).toEqual({
        root: 'group:default/big-team',
        nodes: [
          {
            ref: 'group:default/big-team',
            kind: 'Group',
            namespace: 'default',
            name: 'big-team',
            type: 'team',
            depth: 0,
          },
        ],
        edges: [],
        truncated: true,
        limit: 1,
      });

      const exact = await graph(server, `root=${cref(5)}&relations=dependsOn&depth=10&limit=10`);
      expect(exact.nodes).toHaveLength(10);
      expect(exact.truncated).toBe(false);
    });

    it('limits depth and follows direction', async () => {
      const both = await graph(server, `root=${cref(5)}&relations=dependsOn&depth=2`);
      expect(depths(both)).toEqual({
        [cref(3)]: 2,
        [cref(4)]: 1,
        [cref(5)]: 0,
        [cref(6)]: 1,
        [cref(7)]: 2,
      });
      expect(edgeKeys(both)).toEqual([
        `${cref(3)} dependsOn ${cref(4)}`,
        `${cref(4)} dependsOn ${cref(5)}`,
        `${cref(5)} dependsOn ${cref(6)}`,
        `${cref(6)} dependsOn ${cref(7)}`,
      ]);

      const whole = await graph(server, `root=${cref(5)}&relations=dependsOn&depth=10`);
      expect(refs(whole)).toEqual(Array.from({ length: 10 }, (_, i) => cref(i)));
      expect(whole.edges).toHaveLength(9);

      const out = await graph(
        server,
        `root=${cref(5)}&relations=dependsOn&depth=10&direction=outgoing`,
      );
      expect(depths(out)).toEqual({
        [cref(5)]: 0,
        [cref(6)]: 1,
        [cref(7)]: 2,
        [cref(8)]: 3,
        [cref(9)]: 4,
      });
      expect(out.edges).toHaveLength(4);

      // Outgoing over the reverse name walks the other way; edges keep the forward name.
      const up = await graph(
        server,
        `root=${cref(5)}&relations=dependencyOf&depth=10&direction=outgoing`,
      );
      expect(refs(up)).toEqual(Array.from({ length: 6 }, (_, i) => cref(i)));
      expect(edgeKeys(up)).toEqual(
        Array.from({ length: 5 }, (_, i) => `${cref(i)} dependsOn ${cref(i + 1)}`),
      );
    });

    it('filters by relation type, custom relations included', async () => {
      const owner = await graph(server, `root=${cref(5)}&relations=ownedBy&depth=1`);
      expect(refs(owner)).toEqual(['component:default/c0005', 'group:default/big-team']);
      expect(edgeKeys(owner)).toEqual([`${cref(5)} ownedBy group:default/big-team`]);

      const deployed = await graph(
        server,
        `root=${cref(0)}&relations=deployedBy&direction=outgoing&depth=1`,
      );
      expect(edgeKeys(deployed)).toEqual([`pipeline:default/p1 deploys ${cref(0)}`]);
      expect(deployed.nodes.find((n) => n.ref === 'pipeline:default/p1')?.kind).toBe('Pipeline');
      // Relation names are matched ignoring case.
      const lower = await graph(server, `root=${cref(0)}&relations=DEPLOYEDBY&depth=1`);
      expect(edgeKeys(lower)).toEqual(edgeKeys(deployed));

      const members = await graph(
        server,
        'root=group:default/other-team&relations=hasMember&depth=1&limit=5000',
      );
      expect(members.nodes).toHaveLength(USERS + 1);
      expect(members.edges.every((e) => e.type === 'memberOf' && e.target === members.root)).toBe(
        true,
      );
    });

    it('marks dangling targets as missing', async () => {
      const g = await graph(server, 'root=component:default/lonely&depth=1');
      expect(edgeKeys(g)).toEqual([
        'component:default/lonely dependsOn component:default/ghost',
        'component:default/lonely ownedBy group:default/other-team',
      ]);
      expect(g.nodes.find((n) => n.ref === 'component:default/ghost')).toEqual({
        ref: 'component:default/ghost',
        kind: 'Component',
        namespace: 'default',
        name: 'ghost',
        depth: 1,
        missing: true,
      });
      expect(g.nodes.filter((n) => n.missing)).toHaveLength(1);
    });

    it('rolls up components into systems with counts', async () => {
      const g = await graph(server, 'root=group:default/big-team&depth=2&limit=5000&rollup=system');
      expect(g.truncated).toBe(false);
      const counts = Object.fromEntries(g.nodes.map((n) => [n.ref, n.count]));
      const systems = Object.fromEntries(
        Array.from({ length: 10 }, (_, s) => [`system:default/s${s}`, 201]),
      );
      expect(counts).toEqual({ 'group:default/big-team': 1, 'api:default/api-0': 1, ...systems });
      expect(depths(g)['system:default/s3']).toBe(1);
      expect(edgeKeys(g)).toEqual(
        [
          'system:default/s0 providesApi api:default/api-0',
          'system:default/s9 consumesApi api:default/api-0',
          ...Array.from(
            { length: 10 },
            (_, s) => `system:default/s${s} ownedBy group:default/big-team`,
          ),
        ].sort(),
      );
    });

    it('rolls up systems into domains with counts', async () => {
      const g = await graph(server, 'root=group:default/big-team&depth=2&limit=5000&rollup=domain');
      const counts = Object.fromEntries(g.nodes.map((n) => [n.ref, n.count]));
      expect(counts).toEqual({
        'group:default/big-team': 1,
        'api:default/api-0': 1,
        'domain:default/d1': 1005,
        'domain:default/d2': 1005,
      });
      expect(g.nodes.find((n) => n.ref === 'domain:default/d1')).toMatchObject({
        kind: 'Domain',
        name: 'd1',
        depth: 1,
      });
      expect(edgeKeys(g)).toEqual([
        'domain:default/d1 ownedBy group:default/big-team',
        'domain:default/d1 providesApi api:default/api-0',
        'domain:default/d2 consumesApi api:default/api-0',
        'domain:default/d2 ownedBy group:default/big-team',
      ]);

      // The root stays itself; its neighbours roll up around it.
      const fromComponent = await graph(
        server,
        `root=${cref(0)}&relations=dependsOn&relations=providesApi&depth=10&rollup=system`,
      );
      expect(refs(fromComponent)).toEqual(['api:default/api-0', cref(0), 'system:default/s0']);
      expect(fromComponent.nodes.find((n) => n.ref === 'system:default/s0')?.count).toBe(9);
    });
  },
);
