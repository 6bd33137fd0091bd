/**
 * Starred entities kept per user on the server (`/api/catalog/starred`), on SQLite and on
 * PostgreSQL: the caller's own list only, only entities they may read (a star on an entity
 * that becomes hidden stays stored and comes back with the entity), changes audited; and the
 * catalog filters the home page and explorer build on them: `entityRef=` and the history's
 * `filter`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventPage } from '../src/plugins/audit/common/index.ts';
import { auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import { StarredStore } from '../src/plugins/catalog/server/store/starred-store.ts';
import { type PolicyServer, startPolicyServer } from './helpers/permission.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

/** Alice reads what she and her groups own; everyone keeps stars and reads the audit log. */
const POLICY = `rules:
  - name: everyone keeps their own stars
    roles: [everyone]
    allow: [catalog.starred.read, catalog.starred.update]
  - name: people read what they own
    roles: [everyone]
    allow: [catalog.entity.read]
    when: { isEntityOwner: true }
  - name: the test reads the audit log
    roles: [everyone]
    allow: [audit.event.read]
`;

const enc = encodeURIComponent;

for (const engine of ENGINES) {
  describe(`starred entities under a conditional read permission (${engine})`, () => {
    let server: PolicyServer;
    const catalog = () => `${server.url}/api/catalog`;
    const star = (ref: string, method: 'PUT' | 'DELETE' = 'PUT') =>
      fetch(`${catalog()}/starred/${enc(ref)}`, { method });
    const list = async () => {
      const response = await fetch(`${catalog()}/starred`);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      return ((await response.json()) as { items: Array<Record<string, string>> }).items;
    };

    beforeAll(async () => {
      server = await startPolicyServer({ engine, policy: POLICY, guest: 'user:default/alice' });
    }, 120_000);
    afterAll(() => server?.stop());

    it('starts empty, stars an entity the caller reads, and lists it with its summary', async () => {
      expect(await list()).toEqual([]);
      // Written as a person would: any case, namespace left out.
      expect((await star('Component:Alpha-API')).status).toBe(204);
      // Starring again changes nothing and is no error.
      expect((await star('component:default/alpha-api')).status).toBe(204);
      expect((await star('component:default/alpha-notebook')).status).toBe(204);
      const items = await list();
      expect(items.map((i) => i.entityRef)).toEqual([
        'component:default/alpha-api',
        'component:default/alpha-notebook',
      ]);
      expect(items[0]).toMatchObject({
        kind: 'Component',
        namespace: 'default',
        name: 'alpha-api',
        type: 'service',
      });
      expect(Date.parse(items[0]!.starredAt!)).not.toBeNaN();
    });

    it('refuses to star what the caller may not read or what does not exist, alike', async () => {
      const hidden = await star('component:default/beta-billing');
      const missing = await star('component:default/no-such-thing');
      expect(hidden.status).toBe(404);
      expect(missing.status).toBe(404);
      const hiddenBody = (await hidden.json()) as { error: { message: string } };
      expect(hiddenBody.error.message).toBe(
        'No entity component:default/beta-billing: only entities in the catalog can be starred',
      );
      expect(((await missing.json()) as { error: { message: string } }).error.message).toContain(
        'component:default/no-such-thing',
      );
      expect((await list()).map((i) => i.name)).toEqual(['alpha-api', 'alpha-notebook']);
    });

    it('answers a malformed ref with 400 naming the field', async () => {
      const response = await star('component:');
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/^ref: .*expected <kind>:\[<namespace>\/\]<name>/);
      // No kind at all.
      expect((await star('just-a-name')).status).toBe(400);
    });

    it('hides a star whose entity the caller can no longer read, and shows it again later', async () => {
      const file = join(server.dir, 'org.yaml');
      const original = readFileSync(file, 'utf8');
      const service = server.app.use(catalogServiceRef).service;
      const reassigned = original.replace(
        'metadata: { name: alpha-notebook }\nspec: { type: library, lifecycle: experimental, owner: user:alice }',
        'metadata: { name: alpha-notebook }\nspec: { type: library, lifecycle: experimental, owner: team-beta }',
      );
      expect(reassigned).not.toBe(original);
      writeFileSync(file, reassigned);
      await service.refreshAll();
      try {
        expect((await list()).map((i) => i.name)).toEqual(['alpha-api']);
      } finally {
        writeFileSync(file, original);
        await service.refreshAll();
      }
      expect((await list()).map((i) => i.name)).toEqual(['alpha-api', 'alpha-notebook']);
    });

    it('unstars, also a star on an entity that is gone, and audits every change with its ref', async () => {
      expect((await star('component:default/alpha-notebook', 'DELETE')).status).toBe(204);
      expect((await star('component:default/never-starred', 'DELETE')).status).toBe(204);
      expect((await list()).map((i) => i.name)).toEqual(['alpha-api']);
      await server.app.use(auditServiceRef).flush();
      const response = await fetch(
        `${server.url}/api/audit/events?${new URLSearchParams({ action: 'catalog.starred.update', limit: '50' })}`,
      );
      expect(response.status).toBe(200);
      const { items } = (await response.json()) as AuditEventPage;
      const seen = items
        .map((e) => [
          e.resourceRef ?? null,
          e.outcome,
          e.details?.starred ?? e.details?.status,
          e.details?.changed,
          e.actor,
        ])
        .reverse();
      const alice = 'user:default/alice';
      expect(seen).toEqual([
        ['component:default/alpha-api', 'success', true, true, alice],
        ['component:default/alpha-api', 'success', true, false, alice],
        ['component:default/alpha-notebook', 'success', true, true, alice],
        // The refused ones, recorded by the host as failures with their status.
        [null, 'failure', 404, undefined, alice],
        [null, 'failure', 404, undefined, alice],
        [null, 'failure', 400, undefined, alice],
        [null, 'failure', 400, undefined, alice],
        ['component:default/alpha-notebook', 'success', false, true, alice],
        ['component:default/never-starred', 'success', false, false, alice],
      ]);
    });
  });

  describe(`starred entities per user, and the filters built on them (${engine})`, () => {
    let server: TestServer;
    const catalog = () => `${server.url}/api/catalog`;

    beforeAll(async () => {
      server = await startTestServer({
        engine,
        catalog: { locations: [] },
        extraConfig: {
          auth: { providers: { guest: { userEntityRef: 'user:default/guest' } } },
        },
      });
      const file = join(server.dir, 'catalog-info.yaml');
      writeFileSync(
        file,
        ['orders', 'billing', 'search']
          .map(
            (name) =>
              `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec: { type: service, lifecycle: production, owner: ${name === 'search' ? 'team-b' : 'team-a'} }`,
          )
          .join('\n---\n'),
      );
      const response = await fetch(`${catalog()}/locations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'file', target: file }),
      });
      expect(response.status).toBe(201);
    }, 120_000);
    afterAll(() => server?.stop());

    it('filters lists and facet counts by entityRef', async () => {
      const q = new URLSearchParams([
        ['filter', 'entityRef=component:default/orders,entityRef=Component:default/Search'],
        ['orderField', 'metadata.name,asc'],
      ]);
      const page = (await (await fetch(`${catalog()}/entities/by-query?${q}`)).json()) as {
        items: Array<{ metadata: { name: string } }>;
        totalItems: number;
      };
      expect(page.items.map((e) => e.metadata.name)).toEqual(['orders', 'search']);
      expect(page.totalItems).toBe(2);
      // ANDed with the explorer's other filters, as its Starred view sends them.
      const owned = new URLSearchParams([
        [
          'filter',
          'entityRef=component:default/orders,entityRef=component:default/search,spec.owner=team-b',
        ],
      ]);
      const ownedPage = (await (await fetch(`${catalog()}/entities/by-query?${owned}`)).json()) as {
        items: Array<{ metadata: { name: string } }>;
      };
      expect(ownedPage.items.map((e) => e.metadata.name)).toEqual(['search']);
      const facets = (await (
        await fetch(
          `${catalog()}/entity-facets?${new URLSearchParams([
            ['facet', 'spec.owner'],
            ['filter', 'entityRef=component:default/orders,entityRef=component:default/search'],
          ])}`,
        )
      ).json()) as { facets: Record<string, Array<{ value: string; count: number }>> };
      expect(facets.facets['spec.owner']).toEqual([
        { value: 'team-a', count: 1 },
        { value: 'team-b', count: 1 },
      ]);
    });

    it('keeps each caller’s stars apart', async () => {
      expect(
        (await fetch(`${catalog()}/starred/${enc('component:default/orders')}`, { method: 'PUT' }))
          .status,
      ).toBe(204);
      // Another user's stars in the same table are not the guest's.
      const other = new StarredStore(server.app.database);
      await other.add('user:default/someone-else', 'component:default/billing');
      const items = (
        (await (await fetch(`${catalog()}/starred`)).json()) as {
          items: Array<{ entityRef: string }>;
        }
      ).items;
      expect(items.map((i) => i.entityRef)).toEqual(['component:default/orders']);
      expect((await other.list('user:default/someone-else')).map((r) => r.entity_ref)).toEqual([
        'component:default/billing',
      ]);
    });

    it('lists, pages and counts only the caller’s starred entities with starred=true', async () => {
      const put = (ref: string) =>
        fetch(`${catalog()}/starred/${enc(ref)}`, { method: 'PUT' }).then((r) => r.status);
      expect(await put('component:default/search')).toBe(204);
      const byQuery = async (params: string[][]) => {
        const response = await fetch(
          `${catalog()}/entities/by-query?${new URLSearchParams(params)}`,
        );
        expect(response.status, await response.clone().text()).toBe(200);
        return (await response.json()) as {
          items: Array<{ metadata: { name: string } }>;
          totalItems: number;
          pageInfo: { nextCursor?: string };
        };
      };
      const first = await byQuery([
        ['starred', 'true'],
        ['orderField', 'metadata.name,asc'],
        ['limit', '1'],
      ]);
      expect(first.items.map((e) => e.metadata.name)).toEqual(['orders']);
      expect(first.totalItems).toBe(2);
      const second = await byQuery([
        ['starred', 'true'],
        ['cursor', first.pageInfo.nextCursor!],
        ['limit', '1'],
      ]);
      expect(second.items.map((e) => e.metadata.name)).toEqual(['search']);
      // With the explorer's other filters.
      const teamB = await byQuery([
        ['starred', 'true'],
        ['filter', 'spec.owner=team-b'],
      ]);
      expect(teamB.items.map((e) => e.metadata.name)).toEqual(['search']);
      const facets = (await (
        await fetch(`${catalog()}/entity-facets?facet=spec.owner&starred=true`)
      ).json()) as { facets: Record<string, Array<{ value: string; count: number }>> };
      expect(facets.facets['spec.owner']).toEqual([
        { value: 'team-a', count: 1 },
        { value: 'team-b', count: 1 },
      ]);
      // No stars, no rows.
      for (const ref of ['component:default/orders', 'component:default/search']) {
        await fetch(`${catalog()}/starred/${enc(ref)}`, { method: 'DELETE' });
      }
      expect((await byQuery([['starred', 'true']])).totalItems).toBe(0);
      expect((await byQuery([['filter', 'kind=component']])).totalItems).toBe(3);
    });

    it('pages the history of the entities a filter matches', async () => {
      const q = new URLSearchParams([['filter', 'relations.ownedBy=group:default/team-b']]);
      const response = await fetch(`${catalog()}/history?${q}`);
      expect(response.status, await response.clone().text()).toBe(200);
      const { items } = (await response.json()) as { items: Array<{ entityRef: string }> };
      expect(items.map((i) => i.entityRef)).toEqual(['component:default/search']);
      const bad = await fetch(`${catalog()}/history?filter=${enc('=x')}`);
      expect(bad.status).toBe(400);
    });
  });
}
