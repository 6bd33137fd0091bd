/**
 * Access control inside the database queries, per engine: the conformance suite for read
 * conditions. A generated catalog (300 components across 6 teams, a template per team, three
 * documented components) and a policy under which a caller reads what their team owns, plus
 * one entity labelled public, minus what is labelled secret. Every read surface must show
 * exactly that: catalog lists, by-query totals and cursors, facets, by-refs, single entities
 * (404, not 403), the graph, search results and their counts, docs, templates and tasks.
 *
 * The decisions come from the real evaluator (src/core/permissions/evaluator.ts) with a
 * policy built here and the app's own resource types, passed to the app as its Authorize.
 * Requests are made as `caller`; the host's identity (the guest, without sign-in) is replaced
 * by it, so the same server answers as the restricted user and as a super user. A second
 * server checks the same conditions end to end: written in a policy file, read by the
 * permission plugin, for the guest signed in as Alice with her groups from the catalog.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostRegistryRef } from '../src/core/host-services.ts';
import { PermissionEvaluator } from '../src/core/permissions/evaluator.ts';
import type { Policy, PolicyRule } from '../src/core/permissions/policy-model.ts';
import type {
  Authorize,
  Identity,
  PermissionCriteria,
  RouteContext,
} from '../src/core/plugin-api.ts';
import { createLogger } from '../src/core/logger.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import { searchIndexServiceRef } from '../src/plugins/search/server/api.ts';
import { createSearchEngine } from '../src/plugins/search/server/engine/index.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const TEAMS = 6;
const PER_TEAM = 50;
const MY_TEAM = 2;

const ALICE: Identity = {
  userEntityRef: 'user:default/alice',
  ownershipEntityRefs: ['user:default/alice', `group:default/team-${MY_TEAM}`],
  isGuest: false,
  credential: 'session',
};
const ADMIN: Identity = {
  userEntityRef: 'user:default/admin',
  ownershipEntityRefs: ['user:default/admin'],
  isGuest: false,
  credential: 'session',
};

const source = { file: 'access-filtering.test.ts' };
const rule = (r: Omit<PolicyRule, 'source' | 'roles'>): PolicyRule => ({
  ...r,
  roles: ['everyone'],
  source,
});
const condition = (name: string, params: Record<string, unknown>): PermissionCriteria => ({
  rule: name,
  resourceType: 'catalog-entity',
  params,
});
const POLICY: Policy = {
  roles: [],
  superUsers: [ADMIN.userEntityRef],
  admins: [],
  rules: [
    rule({
      name: 'members read what their team owns',
      effect: 'allow',
      permissions: ['catalog.entity.read'],
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['$ownerRefs'] },
      },
    }),
    rule({
      name: 'everyone reads what is public',
      effect: 'allow',
      permissions: ['catalog.entity.read'],
      conditions: {
        rule: 'HAS_LABEL',
        resourceType: 'catalog-entity',
        params: { label: 'public' },
      },
    }),
    rule({
      name: 'nobody reads secrets',
      effect: 'deny',
      permissions: ['catalog.entity.read'],
      conditions: {
        rule: 'HAS_LABEL',
        resourceType: 'catalog-entity',
        params: { label: 'secret' },
      },
    }),
    rule({
      name: 'members rebuild the docs of what they own',
      effect: 'allow',
      permissions: ['techdocs.site.rebuild'],
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['$ownerRefs'] },
      },
    }),
    rule({ name: 'everyone runs templates', effect: 'allow', permissions: ['scaffolder.*'] }),
  ],
};

interface Generated {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    title?: string;
    description?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

const refOf = (e: Generated) => `${e.kind}:default/${e.metadata.name}`.toLowerCase();

/** The catalog: 6 teams of 50 widgets, a template per team, two users. */
function generate(): Generated[] {
  const out: Generated[] = [];
  for (let t = 0; t < TEAMS; t++) {
    out.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: `team-${t}` },
      spec: { type: 'team', children: [] },
    });
    for (let i = 0; i < PER_TEAM; i++) {
      const labels: Record<string, string> = {};
      const annotations: Record<string, string> = {};
      const spec: Record<string, unknown> = {
        type: i % 2 ? 'service' : 'website',
        lifecycle: 'production',
        owner: `team-${t}`,
      };
      if (t === 3 && i === 7) labels.public = 'yes';
      if (t === MY_TEAM && i === 9) labels.secret = 'yes';
      if (i === 0 && (t === MY_TEAM || t === 3))
        annotations['backstage.io/techdocs-ref'] = `dir:./docs-${t}`;
      if (t === 3 && i === 7) annotations['backstage.io/techdocs-ref'] = 'dir:./docs-public';
      if (t === MY_TEAM && i === 1)
        spec.dependsOn = ['component:widget-3-1', `component:widget-${MY_TEAM}-2`];
      out.push({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: `widget-${t}-${i}`,
          title: `Widget ${t}-${i}`,
          description: `A gadget service of team ${t}`,
          ...(Object.keys(labels).length ? { labels } : {}),
          ...(Object.keys(annotations).length ? { annotations } : {}),
        },
        spec,
      });
    }
    out.push({
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: `template-${t}`, title: `Starter of team ${t}` },
      spec: {
        type: 'service',
        owner: `team-${t}`,
        parameters: [{ title: 'Name', properties: { name: { type: 'string' } } }],
        steps: [{ id: 'log', action: 'debug:log', input: { message: 'hello' } }],
      },
    });
  }
  for (const [name, team] of [
    ['alice', MY_TEAM],
    ['admin', 0],
  ] as const) {
    out.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name },
      spec: { memberOf: [`team-${team}`] },
    });
  }
  return out;
}

/** What the policy lets Alice read, decided here from the generated YAML, not by src/. */
function aliceReads(e: Generated): boolean {
  const labels = e.metadata.labels ?? {};
  if ('secret' in labels) return false;
  return e.spec.owner === `team-${MY_TEAM}` || 'public' in labels;
}

function writeDocs(dir: string, name: string, words: string) {
  mkdirSync(join(dir, name, 'docs'), { recursive: true });
  writeFileSync(
    join(dir, name, 'mkdocs.yml'),
    `site_name: Docs ${name}\nnav:\n  - Home: index.md\n`,
  );
  writeFileSync(
    join(dir, name, 'docs/index.md'),
    `# Handbook ${name}\n\nThe ${words} handbook.\n\n## Running\n\nHow to run the ${words} gadget.\n`,
  );
}

interface SearchResult {
  type: string;
  document: { location: string; entityRef?: string; title: string };
}
interface SearchPage {
  results: SearchResult[];
  numberOfResults?: number;
  numberOfResultsIsLowerBound?: boolean;
  nextPageCursor?: string;
}

for (const engine of ENGINES) {
  describe(`access filtering inside queries (${engine})`, () => {
    let server: TestServer;
    let dir: string;
    let caller: Identity = ALICE;
    let evaluator: PermissionEvaluator | undefined;
    let policy: Policy = POLICY;
    const entities = generate();
    const all = new Set(entities.map(refOf));
    const readable = new Set(entities.filter(aliceReads).map(refOf));
    const byRef = new Map(entities.map((e) => [refOf(e), e]));

    const authorize: Authorize = (_identity, permission, resource) => {
      if (!evaluator) throw new Error('a decision was asked for before the server had started');
      return evaluator.authorize(caller, permission, resource);
    };

    const as = async <T>(who: Identity, fn: () => Promise<T>): Promise<T> => {
      const before = caller;
      caller = who;
      try {
        return await fn();
      } finally {
        caller = before;
      }
    };
    const request = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      // biome-ignore lint/suspicious/noExplicitAny: JSON answers of many routes, read loosely
      return { status: res.status, body: json as any, headers: res.headers };
    };
    const ok = async (method: string, path: string, body?: unknown) => {
      const r = await request(method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      return r.body;
    };
    const refsOf = (
      items: Array<{ kind: string; metadata: { name: string; namespace?: string } }>,
    ) =>
      items.map((e) =>
        `${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`.toLowerCase(),
      );

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-access-'));
      writeFileSync(join(dir, 'catalog.yaml'), entities.map((e) => stringify(e)).join('---\n'));
      writeDocs(dir, `docs-${MY_TEAM}`, 'zephyr');
      writeDocs(dir, 'docs-3', 'zephyr');
      writeDocs(dir, 'docs-public', 'zephyr');
      server = await startTestServer({
        engine,
        catalog: { locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }] },
        extraConfig: {
          permission: { enabled: true },
          techdocs: {
            publisher: { type: 'local', local: { publishDirectory: join(dir, 'published') } },
          },
        },
        authorize,
      });
      evaluator = new PermissionEvaluator({
        enabled: () => true,
        policy: () => policy,
        resourceTypes: server.app.use(hostRegistryRef).resourceTypes(),
      });
      // Documents about no entity: every caller finds them.
      await server.app.use(searchIndexServiceRef).upsert('faq', [
        { title: 'Zephyr questions', text: 'about the gadget', location: '/faq/1' },
        { title: 'More zephyr questions', text: 'gadget again', location: '/faq/2' },
      ]);
      // The super user builds every site, which puts their pages in search.
      await as(ADMIN, async () => {
        for (const name of [`widget-${MY_TEAM}-0`, 'widget-3-0', 'widget-3-7']) {
          const r = await fetch(`${server.url}/api/techdocs/sync/default/component/${name}`);
          const text = await r.text();
          expect(text, text).toMatch(/event: finish/);
        }
      });
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('sets the scene: the super user sees all, Alice a known part', async () => {
      expect(readable.size).toBe(PER_TEAM - 1 + 1 + 1);
      const everything = await as(ADMIN, () =>
        ok('GET', '/api/catalog/entities?fields=kind,metadata'),
      );
      expect(new Set(refsOf(everything)).size).toBeGreaterThanOrEqual(all.size);
      for (const ref of all) expect(refsOf(everything)).toContain(ref);
    });

    describe('catalog', () => {
      it('GET /entities lists exactly what Alice may read, whole and in linked pages', async () => {
        const items = await ok('GET', '/api/catalog/entities?fields=kind,metadata');
        expect(new Set(refsOf(items))).toEqual(readable);
        expect(items).toHaveLength(readable.size);

        const seen: string[] = [];
        let next: string | undefined = '/entities?fields=kind&fields=metadata&limit=7';
        while (next) {
          const r = await request('GET', `/api/catalog${next}`);
          expect(r.status).toBe(200);
          const link = r.headers.get('link');
          if (link) expect(r.body).toHaveLength(7);
          seen.push(...refsOf(r.body));
          next = link ? /^<([^>]+)>/.exec(link)![1] : undefined;
        }
        expect(seen).toHaveLength(readable.size);
        expect(new Set(seen)).toEqual(readable);
      });

      it('by-query: totalItems counts what Alice may read, cursors walk it without gaps or repeats', async () => {
        for (const order of ['metadata.name,asc', 'metadata.name,desc', undefined]) {
          const seen: string[] = [];
          const first = await ok(
            'GET',
            `/api/catalog/entities/by-query?limit=10&fields=kind,metadata${order ? `&orderField=${order}` : ''}`,
          );
          expect(first.totalItems).toBe(readable.size);
          let page = first;
          for (;;) {
            seen.push(...refsOf(page.items));
            if (!page.pageInfo.nextCursor) break;
            expect(page.items).toHaveLength(10);
            page = await ok(
              'GET',
              `/api/catalog/entities/by-query?cursor=${encodeURIComponent(page.pageInfo.nextCursor)}`,
            );
            expect(page.totalItems).toBe(readable.size);
          }
          expect(seen).toHaveLength(readable.size);
          expect(new Set(seen)).toEqual(readable);
          if (order === 'metadata.name,asc') {
            const names = seen.map((r) => r.split('/')[1]!);
            expect(names).toEqual([...names].sort());
          }
        }
      });

      it('by-query with a filter and a full-text term narrows within what Alice may read', async () => {
        const components = [...readable].filter((r) => r.startsWith('component:'));
        const get = await ok(
          'GET',
          '/api/catalog/entities/by-query?filter=kind=component&limit=1000&fields=kind,metadata',
        );
        expect(get.totalItems).toBe(components.length);
        expect(new Set(refsOf(get.items))).toEqual(new Set(components));

        const post = await ok('POST', '/api/catalog/entities/by-query', {
          query: { kind: 'component' },
          fullTextFilter: { term: 'widget-3', fields: ['metadata.name'] },
          limit: 20,
          fields: ['kind', 'metadata'],
        });
        expect(refsOf(post.items)).toEqual(['component:default/widget-3-7']);
        expect(post.totalItems).toBe(1);

        const admin = await as(ADMIN, () =>
          ok('POST', '/api/catalog/entities/by-query', {
            query: { kind: 'component' },
            fullTextFilter: { term: 'widget-3', fields: ['metadata.name'] },
            limit: 1,
          }),
        );
        expect(admin.totalItems).toBe(PER_TEAM);
      });

      it('a cursor replayed by another caller is filtered for that caller', async () => {
        const adminFirst = await as(ADMIN, () =>
          ok('GET', '/api/catalog/entities/by-query?limit=5&orderField=metadata.name,asc'),
        );
        const replay = await ok(
          'GET',
          `/api/catalog/entities/by-query?cursor=${encodeURIComponent(adminFirst.pageInfo.nextCursor)}`,
        );
        for (const ref of refsOf(replay.items)) expect(readable).toContain(ref);
      });

      // Each condition once as the single-entity check (evaluated on the loaded entity) and
      // once as the list's SQL filter: the two must agree, entity for entity.
      const meta = (e: Generated) => e.metadata as Record<string, unknown>;
      const techdocs = (e: Generated) =>
        'backstage.io/techdocs-ref' in (e.metadata.annotations ?? {});
      const CONDITION_CASES: Array<[string, PermissionCriteria, (e: Generated) => boolean]> = [
        ['hasSpec (key)', condition('HAS_SPEC', { key: 'memberOf' }), (e) => 'memberOf' in e.spec],
        [
          'hasSpec (key and value)',
          condition('HAS_SPEC', { key: 'type', value: 'website' }),
          (e) => e.spec.type === 'website',
        ],
        [
          'hasMetadata (key and value)',
          condition('HAS_METADATA', { key: 'description', value: 'A gadget service of team 3' }),
          (e) => meta(e).description === 'A gadget service of team 3',
        ],
        [
          'hasAnnotation',
          condition('HAS_ANNOTATION', { annotation: 'backstage.io/techdocs-ref' }),
          techdocs,
        ],
        [
          'isEntityKind',
          condition('IS_ENTITY_KIND', { kinds: ['Template', 'group'] }),
          (e) => e.kind === 'Template' || e.kind === 'Group',
        ],
        [
          'not',
          { not: condition('IS_ENTITY_KIND', { kinds: ['component'] }) },
          (e) => e.kind !== 'Component',
        ],
        [
          'anyOf',
          {
            anyOf: [
              condition('HAS_ANNOTATION', { annotation: 'backstage.io/techdocs-ref' }),
              condition('IS_ENTITY_KIND', { kinds: ['user'] }),
            ],
          },
          (e) => techdocs(e) || e.kind === 'User',
        ],
        [
          'allOf',
          {
            allOf: [
              condition('IS_ENTITY_KIND', { kinds: ['component'] }),
              condition('HAS_SPEC', { key: 'type', value: 'website' }),
              {
                not: condition('HAS_METADATA', {
                  key: 'description',
                  value: 'A gadget service of team 2',
                }),
              },
            ],
          },
          (e) =>
            e.kind === 'Component' &&
            e.spec.type === 'website' &&
            meta(e).description !== 'A gadget service of team 2',
        ],
      ];

      it.each(CONDITION_CASES)(
        '%s: the list and its totalItems hold exactly the entities a single GET answers',
        async (_name, conditions, holds) => {
          policy = {
            ...POLICY,
            rules: [
              rule({
                name: 'read by condition',
                effect: 'allow',
                permissions: ['catalog.entity.read'],
                conditions,
              }),
            ],
          };
          try {
            const listed: string[] = [];
            let page = await ok(
              'GET',
              '/api/catalog/entities/by-query?limit=100&fields=kind,metadata',
            );
            const total = page.totalItems;
            for (;;) {
              listed.push(...refsOf(page.items));
              if (!page.pageInfo.nextCursor) break;
              page = await ok(
                'GET',
                `/api/catalog/entities/by-query?cursor=${encodeURIComponent(page.pageInfo.nextCursor)}`,
              );
            }
            const single = new Set<string>();
            const candidates = [...new Set([...all, ...listed])];
            for (let i = 0; i < candidates.length; i += 16) {
              await Promise.all(
                candidates.slice(i, i + 16).map(async (ref) => {
                  const [kind, rest] = ref.split(':') as [string, string];
                  const [namespace, name] = rest.split('/') as [string, string];
                  const r = await request(
                    'GET',
                    `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
                  );
                  expect([200, 404], ref).toContain(r.status);
                  if (r.status === 200) single.add(ref);
                }),
              );
            }
            expect(listed).toHaveLength(new Set(listed).size);
            expect(new Set(listed)).toEqual(single);
            expect(total).toBe(single.size);
            // And both are what the condition means, decided here from the generated YAML.
            const expected = new Set(entities.filter(holds).map(refOf));
            expect(expected.size).toBeGreaterThan(0);
            expect(expected.size).toBeLessThan(all.size);
            expect(new Set(listed.filter((r) => all.has(r)))).toEqual(expected);
          } finally {
            policy = POLICY;
          }
        },
      );

      it('facets count only what Alice may read', async () => {
        const expected = (field: (e: Generated) => string | undefined) => {
          const counts = new Map<string, number>();
          for (const ref of readable) {
            const value = field(byRef.get(ref)!);
            if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
          }
          return counts;
        };
        const asMap = (list: Array<{ value: string; count: number }>) =>
          new Map(list.map((f) => [f.value.toLowerCase(), f.count]));
        const get = await ok('GET', '/api/catalog/entity-facets?facet=kind&facet=spec.owner');
        expect(asMap(get.facets.kind)).toEqual(expected((e) => e.kind.toLowerCase()));
        expect(asMap(get.facets['spec.owner'])).toEqual(
          expected((e) => (e.spec.owner as string | undefined)?.toLowerCase()),
        );
        const post = await ok('POST', '/api/catalog/entity-facets', {
          facets: ['spec.type'],
          query: { kind: 'component' },
        });
        expect(asMap(post.facets['spec.type'])).toEqual(
          expected((e) => (e.kind === 'Component' ? (e.spec.type as string) : undefined)),
        );
      });

      it('by-refs answers null for what Alice may not read', async () => {
        const asked = [
          `component:default/widget-${MY_TEAM}-3`,
          'component:default/widget-4-3',
          `component:default/widget-${MY_TEAM}-9`,
          'component:default/widget-3-7',
          'group:default/team-2',
          'component:default/does-not-exist',
        ];
        const { items } = await ok('POST', '/api/catalog/entities/by-refs', { entityRefs: asked });
        expect(items.map((e: Generated | null) => (e ? refOf(e) : null))).toEqual([
          asked[0],
          null,
          null,
          asked[3],
          null,
          null,
        ]);
      });

      it('a single entity Alice may not read answers 404, as a missing one does', async () => {
        const other = '/api/catalog/entities/by-name/component/default/widget-4-3';
        const missing = '/api/catalog/entities/by-name/component/default/no-such-widget';
        const hidden = await request('GET', other);
        const absent = await request('GET', missing);
        expect(hidden.status).toBe(404);
        expect(absent.status).toBe(404);
        expect(hidden.body.error.message).toMatch(/No entity named 'widget-4-3' found/);
        expect((await request('GET', `${other}/status`)).status).toBe(404);
        expect((await request('GET', `${other}/ancestry`)).status).toBe(404);
        expect(
          (await request('GET', '/api/catalog/entities/by-name/component/default/widget-2-9'))
            .status,
        ).toBe(404);
        expect(
          (
            await request(
              'GET',
              `/api/catalog/entities/by-name/component/default/widget-${MY_TEAM}-3`,
            )
          ).status,
        ).toBe(200);
        // by uid: the super user learns it, Alice still gets 404.
        const entity = await as(ADMIN, () => ok('GET', other));
        expect(
          (await request('GET', `/api/catalog/entities/by-uid/${entity.metadata.uid}`)).status,
        ).toBe(404);
        // Where it comes from would tell that it exists.
        expect(
          (await request('GET', '/api/catalog/locations/by-entity/component/default/widget-4-3'))
            .status,
        ).toBe(404);
        expect(
          (
            await request(
              'GET',
              `/api/catalog/locations/by-entity/component/default/widget-${MY_TEAM}-3`,
            )
          ).status,
        ).toBe(200);
      });

      it('recent entities hold only what Alice may read', async () => {
        const { items } = await ok('GET', '/api/catalog/entities/recent?limit=100');
        expect(items.length).toBe(readable.size);
        for (const item of items) expect(readable).toContain(item.entityRef);
      });

      it('the graph leaves out entities Alice may not read, and their edges', async () => {
        const root = `component:default/widget-${MY_TEAM}-1`;
        const graph = await ok('GET', `/api/catalog/graph?root=${encodeURIComponent(root)}`);
        const nodes = graph.nodes.map((n: { ref: string }) => n.ref);
        expect(nodes).toContain(root);
        expect(nodes).toContain(`component:default/widget-${MY_TEAM}-2`);
        expect(nodes).not.toContain('component:default/widget-3-1');
        expect(nodes).not.toContain(`group:default/team-${MY_TEAM}`);
        for (const ref of nodes) expect(readable).toContain(ref);
        for (const edge of graph.edges) {
          expect(nodes).toContain(edge.source);
          expect(nodes).toContain(edge.target);
        }
        const full = await as(ADMIN, () =>
          ok('GET', `/api/catalog/graph?root=${encodeURIComponent(root)}`),
        );
        expect(full.nodes.map((n: { ref: string }) => n.ref)).toContain(
          'component:default/widget-3-1',
        );
        const hidden = await request('GET', '/api/catalog/graph?root=component:default/widget-3-1');
        expect(hidden.status).toBe(404);
      });
    });

    describe('search', () => {
      /** Every result of a query, page by page, checking that each page but the last is full. */
      const collect = async (query: string, pageLimit: number) => {
        const results: SearchResult[] = [];
        let page: SearchPage = await ok('GET', `/api/search/query?${query}&pageLimit=${pageLimit}`);
        const total = page.numberOfResults;
        for (;;) {
          results.push(...page.results);
          if (!page.nextPageCursor) break;
          expect(page.results).toHaveLength(pageLimit);
          page = await ok(
            'GET',
            `/api/search/query?${query}&pageLimit=${pageLimit}&pageCursor=${page.nextPageCursor}`,
          );
          expect(page.numberOfResults).toBe(total);
        }
        expect(page.numberOfResultsIsLowerBound).toBeUndefined();
        return { total, results };
      };
      const visible = (r: SearchResult) =>
        r.document.entityRef === undefined || readable.has(r.document.entityRef);

      for (const [label, query] of [
        ['every document', 'term='],
        ['a word in titles', 'term=widget'],
        ['a word in texts', 'term=gadget'],
        ['a fragment inside words', 'term=idge'],
        ['a word, filtered by kind', 'term=widget&filters[kind]=component'],
        ['one type', 'term=&types[0]=software-catalog'],
        ['docs pages', 'term=zephyr&types[0]=techdocs'],
        ['docs and questions', 'term=zephyr'],
      ] as const) {
        it(`${label}: results and numberOfResults hold only what Alice may read, in full pages`, async () => {
          const admin = await as(ADMIN, () => collect(query, 10));
          const expected = admin.results
            .filter(visible)
            .map((r) => `${r.type} ${r.document.location}`);
          expect(admin.results.length).toBeGreaterThan(expected.length);
          expect(expected.length).toBeGreaterThan(0);
          const mine = await collect(query, 10);
          expect(mine.total).toBe(expected.length);
          const got = mine.results.map((r) => `${r.type} ${r.document.location}`);
          expect(got).toHaveLength(expected.length);
          expect(new Set(got)).toEqual(new Set(expected));
          for (const r of mine.results) expect(visible(r)).toBe(true);
        });
      }

      it('documents about no entity are found by everyone; docs of hidden entities by nobody else', async () => {
        const { results } = await collect('term=zephyr', 25);
        const locations = results.map((r) => r.document.location);
        expect(locations).toEqual(expect.arrayContaining(['/faq/1', '/faq/2']));
        expect(
          locations.some((l) => l.startsWith(`/docs/default/component/widget-${MY_TEAM}-0/`)),
        ).toBe(true);
        expect(locations.some((l) => l.startsWith('/docs/default/component/widget-3-7/'))).toBe(
          true,
        );
        expect(locations.some((l) => l.startsWith('/docs/default/component/widget-3-0/'))).toBe(
          false,
        );
      });

      it('the engines filter in every ranking path (rank limit exceeded, fragments unranked)', async () => {
        const catalog = server.app.use(catalogServiceRef);
        const ctx = {
          identity: ALICE,
          decide: (
            p: Parameters<RouteContext['decide']>[0],
            r?: Parameters<RouteContext['decide']>[1],
          ) => evaluator!.authorize(ALICE, p, r),
        } as unknown as RouteContext;
        const filter = await catalog.readFilter(ctx);
        expect(filter).toBeDefined();
        // Ranking limited to 5 documents; SQLite checks matches against the list of visible
        // ids (51 here) or, with a list limit of 10, on their rows.
        const engines = await Promise.all(
          [5000, 10].map((visibleListLimit) =>
            createSearchEngine(server.app.database, createLogger({ level: 'error' }), {
              rankLimit: 5,
              countLimit: 100_000,
              visibleListLimit,
            }),
          ),
        );
        for (const [searchEngine, term] of engines.flatMap((e) =>
          ['widget', 'idge', 'gadget', 'zephyr', ''].map((t) => [e, t] as const),
        )) {
          const walk = async (restricted: boolean) => {
            const hits: Array<{ type: string; location: string; entityRef?: string }> = [];
            let total = -1;
            for (let offset = 0; ; offset += 10) {
              const page = await searchEngine.query({
                term,
                offset,
                limit: 10,
                ...(restricted ? { entityRefs: catalog.query.refsMatching(filter!) } : {}),
              });
              if (total === -1) total = page.total;
              expect(page.total).toBe(total);
              hits.push(
                ...page.hits.map((h) => ({
                  type: h.type,
                  location: h.document.location,
                  entityRef: h.document.entityRef,
                })),
              );
              if (page.hits.length < 10) break;
            }
            return { total, hits };
          };
          const everything = await walk(false);
          const mine = await walk(true);
          const expected = everything.hits
            .filter((h) => h.entityRef === undefined || readable.has(h.entityRef))
            .map((h) => `${h.type} ${h.location}`);
          expect(mine.total, term).toBe(expected.length);
          const got = mine.hits.map((h) => `${h.type} ${h.location}`);
          expect(got, term).toHaveLength(expected.length);
          expect(new Set(got), term).toEqual(new Set(expected));
        }
      });
    });

    describe('docs', () => {
      const docsRoutes = (name: string) => [
        `/api/techdocs/static/docs/default/component/${name}/index.html`,
        `/api/techdocs/metadata/techdocs/default/component/${name}`,
        `/api/techdocs/metadata/entity/default/component/${name}`,
        `/api/techdocs/builds/default/component/${name}`,
        `/api/techdocs/sync/default/component/${name}`,
      ];

      it('serves the docs of what Alice may read, and 404 for the rest', async () => {
        for (const name of [`widget-${MY_TEAM}-0`, 'widget-3-7']) {
          for (const path of docsRoutes(name)) {
            const r = await fetch(`${server.url}${path}`);
            await r.text();
            expect(r.status, path).toBe(200);
          }
        }
        for (const path of docsRoutes('widget-3-0')) {
          const r = await request('GET', path);
          expect(r.status, path).toBe(404);
          expect(r.body.error.message).not.toMatch(/permission|not allowed/i);
        }
      });

      it('lists only the sites of what Alice may read', async () => {
        const { items } = await ok('GET', '/api/techdocs/sites');
        expect(items.map((s: { entityRef: string }) => s.entityRef).sort()).toEqual(
          [`component:default/widget-${MY_TEAM}-0`, 'component:default/widget-3-7'].sort(),
        );
        const admin = await as(ADMIN, () => ok('GET', '/api/techdocs/sites'));
        expect(admin.items).toHaveLength(3);
      });

      it('rebuilds only what the rebuild conditions allow: 403 when readable, 404 when not', async () => {
        const own = await request(
          'POST',
          `/api/techdocs/build/default/component/widget-${MY_TEAM}-0`,
        );
        expect(own.status, JSON.stringify(own.body)).toBe(200);
        const publicOne = await request('POST', '/api/techdocs/build/default/component/widget-3-7');
        expect(publicOne.status).toBe(403);
        expect(publicOne.body.error.message).toMatch(/techdocs\.site\.rebuild/);
        const hidden = await request('POST', '/api/techdocs/build/default/component/widget-3-0');
        expect(hidden.status).toBe(404);
      });
    });

    describe('scaffolder', () => {
      const ended = async (id: string): Promise<string> => {
        for (let i = 0; i < 400; i++) {
          const task = await as(ADMIN, () => ok('GET', `/api/scaffolder/v2/tasks/${id}`));
          if (['completed', 'failed', 'cancelled'].includes(task.status)) return task.status;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`task ${id} did not end`);
      };

      it('lists only the templates Alice may read', async () => {
        const { items } = await ok('GET', '/api/scaffolder/v2/templates');
        expect(items.map((t: { entityRef: string }) => t.entityRef)).toEqual([
          `template:default/template-${MY_TEAM}`,
        ]);
        const admin = await as(ADMIN, () => ok('GET', '/api/scaffolder/v2/templates'));
        expect(admin.items).toHaveLength(TEAMS);
      });

      it('answers 404 for the parameters of a template Alice may not read, and for running it', async () => {
        const schema = (name: string) =>
          request('GET', `/api/scaffolder/v2/templates/default/template/${name}/parameter-schema`);
        expect((await schema(`template-${MY_TEAM}`)).status).toBe(200);
        const hidden = await schema('template-4');
        expect(hidden.status).toBe(404);
        expect(hidden.body.error.message).toBe('Template template:default/template-4 not found');
        expect((await schema('template-nope')).body.error.message).toBe(
          'Template template:default/template-nope not found',
        );

        const run = (templateRef: string) =>
          request('POST', '/api/scaffolder/v2/tasks', { templateRef, values: { name: 'x' } });
        const denied = await run('template:default/template-4');
        expect(denied.status).toBe(404);
        expect(denied.body.error.message).toBe('Template template:default/template-4 not found');
        const mine = await run(`template:default/template-${MY_TEAM}`);
        expect(mine.status, JSON.stringify(mine.body)).toBe(201);
        // Ended before the server stops, so the run does not outlive the database.
        expect(await ended(mine.body.id)).toBe('completed');
      });

      it('answers 404 for retrying a task of a template Alice may not read', async () => {
        const created = await as(ADMIN, () =>
          ok('POST', '/api/scaffolder/v2/tasks', {
            templateRef: 'template:default/template-4',
            values: { name: 'x' },
          }),
        );
        await ended(created.id);
        const retry = await request('POST', `/api/scaffolder/v2/tasks/${created.id}/retry`);
        expect(retry.status).toBe(404);
        expect(retry.body.error.message).toBe('Template template:default/template-4 not found');
        // The super user may read the template: what stops the retry is the task's state.
        const admin = await as(ADMIN, () =>
          request('POST', `/api/scaffolder/v2/tasks/${created.id}/retry`),
        );
        expect(admin.status).toBe(409);
      });
    });
  });

  /**
   * The same conditions from a policy file, for the guest signed in as Alice: her ownership
   * refs come from the catalog (her team), the rules from YAML through the permission plugin.
   */
  describe(`access filtering with a policy file and a signed-in user (${engine})`, () => {
    let server: TestServer;
    let dir: string;
    const entities = generate();
    const readable = new Set(entities.filter(aliceReads).map(refOf));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-access-file-'));
      writeFileSync(join(dir, 'catalog.yaml'), entities.map((e) => stringify(e)).join('---\n'));
      writeFileSync(
        join(dir, 'policy.yaml'),
        stringify({
          rules: [
            {
              name: 'members read what their team owns',
              roles: ['everyone'],
              allow: ['catalog.entity.read'],
              when: { isEntityOwner: true },
            },
            {
              name: 'everyone reads what is public',
              roles: ['everyone'],
              allow: ['catalog.entity.read'],
              when: { hasLabel: 'public' },
            },
            {
              name: 'nobody reads secrets',
              roles: ['everyone'],
              deny: ['catalog.entity.read'],
              when: { hasLabel: 'secret' },
            },
            { name: 'everyone runs templates', roles: ['everyone'], allow: ['scaffolder.*'] },
          ],
        }),
      );
      server = await startTestServer({
        engine,
        catalog: { locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }] },
        extraConfig: {
          auth: { providers: { guest: { userEntityRef: ALICE.userEntityRef } } },
          permission: { enabled: true, policyFile: join(dir, 'policy.yaml') },
        },
      });
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const get = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      return { status: res.status, body: await res.json() };
    };

    it('counts, pages and searches only what the policy lets Alice read', async () => {
      const first = await get('/api/catalog/entities/by-query?limit=20&fields=kind,metadata');
      expect(first.status).toBe(200);
      expect(first.body.totalItems).toBe(readable.size);
      const seen: string[] = [];
      let page = first.body;
      for (;;) {
        seen.push(...page.items.map((e: Generated) => refOf(e)));
        if (!page.pageInfo.nextCursor) break;
        page = (
          await get(
            `/api/catalog/entities/by-query?cursor=${encodeURIComponent(page.pageInfo.nextCursor)}`,
          )
        ).body;
      }
      expect(seen).toHaveLength(readable.size);
      expect(new Set(seen)).toEqual(readable);

      const widgets = [...readable].filter((r) => r.startsWith('component:'));
      const search = await get(
        '/api/search/query?term=widget&types[0]=software-catalog&pageLimit=100',
      );
      expect(search.status).toBe(200);
      expect(search.body.numberOfResults).toBe(widgets.length);
      expect(new Set(search.body.results.map((r: SearchResult) => r.document.entityRef))).toEqual(
        new Set(widgets),
      );

      expect((await get('/api/catalog/entities/by-name/component/default/widget-4-3')).status).toBe(
        404,
      );
      const templates = await get('/api/scaffolder/v2/templates');
      expect(templates.body.items.map((t: { entityRef: string }) => t.entityRef)).toEqual([
        `template:default/template-${MY_TEAM}`,
      ]);
    });
  });
}
