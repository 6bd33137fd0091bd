/**
 * `GET /api/catalog/graph?nearRelations=…`: relation types followed from the root only, which
 * the graph tab uses for a service's owner and system and a group's members.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphResponse } from '../src/plugins/catalog/common/graph.ts';
import { HUB, ORG_MEMBERS, writeGraphCatalog } from './helpers/graph-catalog.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

describe.each(ENGINES)('graph near relations (%s)', (engine) => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-graph-near-'));
    server = await startTestServer({
      engine,
      catalog: { locations: [{ type: 'file', target: writeGraphCatalog(dir) }] },
    });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function get(query: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${server.url}/api/catalog/graph?${query}`);
    return { status: response.status, body: await response.json() };
  }
  async function graph(query: string): Promise<GraphResponse> {
    const { status, body } = await get(query);
    expect(status, JSON.stringify(body)).toBe(200);
    return body as GraphResponse;
  }
  const refs = (g: GraphResponse, prefix: string) =>
    g.nodes.map((n) => n.ref).filter((r) => r.startsWith(prefix));

  it('follows near relations from the root only', async () => {
    const team = 'root=group:default/team-hub&depth=2&relations=childOf&relations=parentOf';
    const members = '&nearRelations=hasMember&nearRelations=memberOf';
    const near = await graph(team + members);
    expect(refs(near, 'user:').sort()).toEqual([0, 1, 2].map((i) => `user:default/hub-dev-${i}`));
    // The parent and its other children, through the relations followed to the depth.
    expect(refs(near, 'group:').sort()).toEqual([
      'group:default/org',
      'group:default/team-hub',
      'group:default/team-mega',
      'group:default/team-other',
    ]);
    expect(near.edges).toContainEqual({
      source: 'user:default/hub-dev-0',
      type: 'memberOf',
      target: 'group:default/team-hub',
    });
    // The same types followed to the depth bring the parent's 40 members in.
    const deep = await graph(`${team}&relations=hasMember&relations=memberOf`);
    expect(refs(deep, 'user:')).toHaveLength(3 + ORG_MEMBERS);
  });

  it('follows nothing further when only near relations are named', async () => {
    const g = await graph(
      'root=user:default/hub-dev-0&depth=3&nearRelations=memberOf&nearRelations=hasMember',
    );
    expect(g.nodes.map((n) => n.ref).sort()).toEqual([
      'group:default/team-hub',
      'user:default/hub-dev-0',
    ]);
  });

  it("draws a service's owner and system beside it, not what else they hold", async () => {
    const apis = ['providesApi', 'consumesApi', 'dependsOn'].map((r) => `relations=${r}`);
    const near = ['ownedBy', 'partOf', 'hasPart'].map((r) => `nearRelations=${r}`);
    const g = await graph(`root=${HUB}&depth=2&${[...apis, ...near].join('&')}`);
    expect(g.nodes).toHaveLength(51);
    expect(refs(g, 'group:')).toEqual(['group:default/team-hub']);
    expect(refs(g, 'system:')).toEqual(['system:default/hub-system']);
    // lib-core is both a dependency and a part: one node, two edges.
    expect(
      g.edges.filter((e) => [e.source, e.target].includes('component:default/lib-core')),
    ).toEqual([
      { source: HUB, type: 'dependsOn', target: 'component:default/lib-core' },
      { source: 'component:default/lib-core', type: 'partOf', target: HUB },
    ]);
  });

  it('names an unknown near relation in its error', async () => {
    const { status, body } = await get(`root=${HUB}&nearRelations=ownedBy&nearRelations=nope`);
    expect(status).toBe(400);
    expect((body as { error: { message: string } }).error.message).toBe(
      "Unknown relation type 'nope'",
    );
  });
});
