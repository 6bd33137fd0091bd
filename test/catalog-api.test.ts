import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CATALOG_FILTER_EXISTS,
  CatalogClient,
  type QueryEntitiesInitialRequest,
} from '@backstage/catalog-client';
import type { Entity } from '@backstage/catalog-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { backstageVerdict } from '../src/model/backstage-oracle.testkit.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { ALL_KINDS, generatedRef, refOf } from './helpers/refs.ts';
import { serveFiles } from './helpers/serve-files.ts';
import type { Problem } from '../src/model/entity.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, 'fixtures', 'catalog');
const EXAMPLES = fileURLToPath(new URL('./fixtures/backstage/backstage-examples', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Kinds the known catalog uses; set explicitly so Atrium's permissive default plays no part. */

// --------------------------------------------------------------------------------------------
// Helpers (independent of the server code: computed from COMPAT.md, not from src/).

function namesOf(
  items: Array<{ metadata?: { name?: string } } | undefined>,
): Array<string | undefined> {
  return items.map((e) => e?.metadata?.name);
}

function sorted<T>(items: T[]): T[] {
  return [...items].sort();
}

/** 1-based line of the first line of `file` that matches `pattern`. */
function lineOf(file: string, pattern: RegExp): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => pattern.test(l));
  if (index < 0) throw new Error(`${pattern} not found in ${file}`);
  return index + 1;
}

interface ErrorBody {
  error: { name: string; message: string };
  request: { method: string; url: string };
  response: { statusCode: number };
}

interface LocationStatus {
  id: string;
  type: string;
  target: string;
  problems: Problem[];
}

// Files served over HTTP for the addLocation tests (Backstage only registers `url` locations).
const EXTRA_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: extra-service
spec:
  type: service
  lifecycle: experimental
  owner: web
  providesApis: [extra-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: extra-api
spec:
  type: openapi
  lifecycle: experimental
  owner: web
  definition: "openapi: 3.0.0"
`;

describe.each(ENGINES)('catalog REST API on the known catalog (%s)', (engine) => {
  let server: TestServer;
  let client: CatalogClient;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let dir: string;
  let root: string;
  let mixed: string;
  let extraUrl: string;

  const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/catalog${path}`, init);
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    // A private copy: the refresh tests edit files on disk.
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-api-fixtures-')));
    cpSync(FIXTURES, dir, { recursive: true });
    root = file('catalog-info.yaml');
    mixed = file('mixed.yaml');
    files = await serveFiles({ '/extra/catalog-info.yaml': EXTRA_YAML });
    extraUrl = `${files.base}/extra/catalog-info.yaml`;
    server = await startTestServer({
      engine,
      backend: { reading: { allow: [{ host: files.host }] } },
      catalog: {
        rules: [{ allow: ALL_KINDS }],
        locations: [
          { type: 'file', target: root },
          { type: 'file', target: mixed },
        ],
      },
    });
    client = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await files?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('getEntities', () => {
    it('returns the whole known catalog, nothing more', async () => {
      const { items } = await client.getEntities();
      expect(sorted(items.map(refOf))).toEqual(
        sorted([
          'api:default/checkout-api',
          'api:default/payments-api',
          'api:default/search-api',
          'component:default/admin-ui',
          'component:default/auth-lib',
          'component:default/checkout',
          'component:default/payments',
          'component:default/search',
          'component:default/storefront',
          'component:default/ui-kit',
          'component:ops/metrics-agent',
          'domain:default/commerce',
          'group:default/acme',
          'group:default/guests',
          'group:default/platform',
          'group:default/web',
          'location:default/atrium-test-catalog',
          generatedRef('file', root),
          generatedRef('file', mixed),
          'resource:default/orders-db',
          'resource:default/payments-queue',
          'system:default/infra',
          'system:default/shop',
          'user:default/alice',
          'user:default/bob',
          'user:default/carol',
          'user:default/dave',
        ]),
      );
    });

    it('filters on one key, on several keys (AND) and on several values of one key (OR)', async () => {
      const byKind = await client.getEntities({ filter: { kind: 'API' } });
      expect(sorted(namesOf(byKind.items))).toEqual(['checkout-api', 'payments-api', 'search-api']);

      const websites = await client.getEntities({
        filter: { kind: 'component', 'spec.type': 'website' },
      });
      expect(sorted(namesOf(websites.items))).toEqual(['admin-ui', 'storefront']);

      const notProduction = await client.getEntities({
        filter: { kind: 'component', 'spec.lifecycle': ['experimental', 'deprecated'] },
      });
      expect(sorted(namesOf(notProduction.items))).toEqual([
        'admin-ui',
        'auth-lib',
        'metrics-agent',
        'search',
      ]);
    });

    it('ORs several filter objects', async () => {
      const { items } = await client.getEntities({
        filter: [{ kind: 'group' }, { kind: 'user', 'relations.memberOf': 'group:default/web' }],
      });
      expect(sorted(items.map(refOf))).toEqual([
        'group:default/acme',
        'group:default/guests',
        'group:default/platform',
        'group:default/web',
        'user:default/bob',
        'user:default/carol',
      ]);
    });

    it('matches keys and values case-insensitively, array items both ways, namespaces and relations', async () => {
      const java = await client.getEntities({
        filter: { KIND: 'COMPONENT', 'metadata.tags': 'JAVA' },
      });
      expect(sorted(namesOf(java.items))).toEqual(['auth-lib', 'checkout']);
      const javaKey = await client.getEntities({
        filter: { kind: 'component', 'metadata.tags.java': 'true' },
      });
      expect(sorted(namesOf(javaKey.items))).toEqual(['auth-lib', 'checkout']);
      const ops = await client.getEntities({ filter: { 'metadata.namespace': 'ops' } });
      expect(ops.items.map(refOf)).toEqual(['component:ops/metrics-agent']);
      // The holder's namespace is the default for a ref (COMPAT.md §3.2).
      const opsOwned = await client.getEntities({
        filter: { 'relations.ownedBy': 'group:ops/platform' },
      });
      expect(opsOwned.items.map(refOf)).toEqual(['component:ops/metrics-agent']);
      const label = await client.getEntities({ filter: { 'metadata.labels.tier': 'Backend' } });
      expect(sorted(namesOf(label.items))).toEqual(['checkout', 'payments']);
    });

    it('filters on existence with CATALOG_FILTER_EXISTS', async () => {
      const labelled = await client.getEntities({
        filter: { kind: 'component', 'metadata.labels.tier': CATALOG_FILTER_EXISTS },
      });
      expect(sorted(namesOf(labelled.items))).toEqual(['checkout', 'payments', 'storefront']);
      const sub = await client.getEntities({
        filter: { 'spec.subcomponentOf': CATALOG_FILTER_EXISTS },
      });
      expect(namesOf(sub.items)).toEqual(['admin-ui']);
      const titled = await client.getEntities({
        filter: { kind: 'component', 'metadata.title': CATALOG_FILTER_EXISTS },
      });
      expect(sorted(namesOf(titled.items))).toEqual(['checkout', 'payments', 'ui-kit']);
    });

    it('projects `fields` to exact object shapes, in `order`', async () => {
      const { items } = await client.getEntities({
        filter: { kind: 'api' },
        fields: [
          'kind',
          'metadata.name',
          'spec.type',
          'metadata.annotations.backstage.io/managed-by-location',
        ],
        order: { field: 'metadata.name', order: 'desc' },
      });
      const location = `file:${file('apis.yaml')}`;
      expect(items).toEqual([
        {
          kind: 'API',
          metadata: {
            name: 'search-api',
            annotations: { 'backstage.io/managed-by-location': location },
          },
          spec: { type: 'graphql' },
        },
        {
          kind: 'API',
          metadata: {
            name: 'payments-api',
            annotations: { 'backstage.io/managed-by-location': location },
          },
          spec: { type: 'grpc' },
        },
        {
          kind: 'API',
          metadata: {
            name: 'checkout-api',
            annotations: { 'backstage.io/managed-by-location': location },
          },
          spec: { type: 'openapi' },
        },
      ]);
    });

    it('orders by several fields with limit/offset, and sorts entities lacking a field last', async () => {
      const page = await client.getEntities({
        filter: { kind: 'component' },
        fields: ['metadata.name'],
        order: [
          { field: 'spec.type', order: 'desc' },
          { field: 'metadata.name', order: 'asc' },
        ],
        limit: 3,
        offset: 2,
      });
      // website: admin-ui, storefront | service: checkout, metrics-agent, payments, search | library: …
      expect(page.items).toEqual([
        { metadata: { name: 'checkout' } },
        { metadata: { name: 'metrics-agent' } },
        { metadata: { name: 'payments' } },
      ]);

      const bySystem = await client.getEntities({
        filter: { kind: 'component' },
        fields: ['metadata.name'],
        order: [
          { field: 'spec.system', order: 'desc' },
          { field: 'metadata.name', order: 'asc' },
        ],
        limit: 20,
      });
      expect(namesOf(bySystem.items)).toEqual([
        'admin-ui',
        'checkout',
        'payments',
        'storefront', // shop
        'auth-lib',
        'search', // infra
        'metrics-agent', // default/infra
        'ui-kit', // no spec.system: last, whatever the direction
      ]);
    });

    it('pages with the `link` header and its `after` cursor', async () => {
      const response = await api(
        '/entities?filter=kind%3Duser&fields=metadata.name&order=asc%3Ametadata.name&limit=3',
      );
      expect(response.status).toBe(200);
      expect(((await response.json()) as Entity[]).map((e) => e.metadata.name)).toEqual([
        'alice',
        'bob',
        'carol',
      ]);
      const link = response.headers.get('link');
      expect(link).toMatch(/^<\/entities\?.*after=[^&>]+.*>; rel="next"$/);
      const after = new URLSearchParams(
        link!.slice(link!.indexOf('?') + 1, link!.indexOf('>')),
      ).get('after')!;
      const next = await client.getEntities({
        filter: { kind: 'user' },
        fields: ['metadata.name'],
        order: { field: 'metadata.name', order: 'asc' },
        after,
      });
      expect(namesOf(next.items)).toEqual(['dave']);
    });

    it('returns spec arrays sorted and spec values as written', async () => {
      const storefront = await client.getEntityByRef('component:default/storefront');
      expect(storefront?.spec?.consumesApis).toEqual(['checkout-api', 'search-api']);
      const bob = await client.getEntityByRef('user:default/bob');
      expect(bob?.spec?.memberOf).toEqual(['platform', 'web']);
      const agent = await client.getEntityByRef('component:ops/metrics-agent');
      expect(agent?.spec).toEqual({
        type: 'service',
        lifecycle: 'experimental',
        owner: 'platform',
        system: 'default/infra',
        dependsOn: ['component:default/search'],
      });
    });
  });

  describe('queryEntities', () => {
    const COMPONENTS = [
      'admin-ui',
      'auth-lib',
      'checkout',
      'metrics-agent',
      'payments',
      'search',
      'storefront',
      'ui-kit',
    ];

    it('walks every page with cursors, forwards and back', async () => {
      const pages: string[][] = [];
      let response = await client.queryEntities({
        filter: { kind: 'component' },
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['metadata.name'],
        limit: 3,
      });
      expect(response.pageInfo.prevCursor).toBeUndefined();
      const cursors: Array<string | undefined> = [];
      for (;;) {
        expect(response.totalItems).toBe(8);
        pages.push(namesOf(response.items) as string[]);
        cursors.push(response.pageInfo.prevCursor);
        const next = response.pageInfo.nextCursor;
        if (!next) break;
        // Cursors are base64 JSON without `query` for GET queries (COMPAT.md §5.4).
        expect(JSON.parse(Buffer.from(next, 'base64').toString('utf8'))).not.toHaveProperty(
          'query',
        );
        response = await client.queryEntities({
          cursor: next,
          limit: 3,
          fields: ['metadata.name'],
        });
      }
      expect(pages).toEqual([
        ['admin-ui', 'auth-lib', 'checkout'],
        ['metrics-agent', 'payments', 'search'],
        ['storefront', 'ui-kit'],
      ]);
      expect(pages.flat()).toEqual(COMPONENTS);
      expect(cursors[0]).toBeUndefined();
      expect(cursors[1]).toEqual(expect.any(String));
      expect(cursors[2]).toEqual(expect.any(String));

      // Back from the last page: the middle page, then the first (which has no prevCursor).
      const back = await client.queryEntities({
        cursor: cursors[2]!,
        limit: 3,
        fields: ['metadata.name'],
      });
      expect(namesOf(back.items)).toEqual(['metrics-agent', 'payments', 'search']);
      expect(back.totalItems).toBe(8);
      expect(back.pageInfo.nextCursor).toEqual(expect.any(String));
      const first = await client.queryEntities({
        cursor: back.pageInfo.prevCursor!,
        limit: 3,
        fields: ['metadata.name'],
      });
      expect(namesOf(first.items)).toEqual(['admin-ui', 'auth-lib', 'checkout']);
      expect(first.pageInfo.prevCursor).toBeUndefined();
      const again = await client.queryEntities({
        cursor: first.pageInfo.nextCursor!,
        limit: 3,
        fields: ['metadata.name'],
      });
      expect(namesOf(again.items)).toEqual(['metrics-agent', 'payments', 'search']);
    });

    it('orders descending and leaves out entities that lack the order field', async () => {
      const desc = await client.queryEntities({
        filter: { kind: 'component' },
        orderFields: { field: 'metadata.name', order: 'desc' },
        fields: ['metadata.name'],
      });
      expect(namesOf(desc.items)).toEqual([...COMPONENTS].reverse());
      expect(desc.pageInfo).toEqual({});

      // Groups have no spec.lifecycle: excluded from items and from totalItems.
      const byLifecycle = await client.queryEntities({
        filter: { kind: ['component', 'group'] },
        orderFields: { field: 'spec.lifecycle', order: 'asc' },
        fields: ['kind', 'metadata.name'],
        limit: 100,
      });
      expect(byLifecycle.totalItems).toBe(8);
      expect(byLifecycle.items.every((e) => e.kind === 'Component')).toBe(true);
      expect(byLifecycle.items.map((e) => e.metadata.name).slice(0, 1)).toEqual(['auth-lib']); // deprecated first

      const excluded = await client.queryEntities({
        filter: { kind: 'user' },
        totalItems: 'exclude',
        limit: 1,
      });
      expect(excluded.totalItems).toBe(0);
      expect(excluded.items).toHaveLength(1);
    });

    it('applies offset to the first page and limit 0 to count only', async () => {
      const offset = await client.queryEntities({
        filter: { kind: 'component' },
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['metadata.name'],
        offset: 6,
      });
      expect(namesOf(offset.items)).toEqual(['storefront', 'ui-kit']);
      expect(offset.totalItems).toBe(8);
      const count = await client.queryEntities({ filter: { kind: 'component' }, limit: 0 });
      expect(count).toEqual({ items: [], totalItems: 8, pageInfo: {} });
    });

    it('matches a full-text term (trimmed, any case) in the given fields', async () => {
      const pay = await client.queryEntities({
        filter: { kind: ['component', 'api', 'resource'] },
        fullTextFilter: { term: ' PAY ', fields: ['metadata.name', 'metadata.title'] },
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['kind', 'metadata.name'],
      });
      expect(pay.items).toEqual([
        { kind: 'Component', metadata: { name: 'payments' } },
        { kind: 'API', metadata: { name: 'payments-api' } },
        { kind: 'Resource', metadata: { name: 'payments-queue' } },
      ]);
      expect(pay.totalItems).toBe(3);
      const title = await client.queryEntities({
        fullTextFilter: { term: 'service', fields: ['metadata.title'] },
        fields: ['metadata.name'],
      });
      expect(namesOf(title.items)).toEqual(['checkout']);
      const displayName = await client.queryEntities({
        filter: { kind: 'user' },
        fullTextFilter: { term: 'archer', fields: ['metadata.name', 'spec.profile.displayName'] },
        fields: ['metadata.name'],
      });
      expect(namesOf(displayName.items)).toEqual(['alice']);
    });

    it('takes a `query` predicate (POST) and keeps it in the cursor', async () => {
      const query: NonNullable<QueryEntitiesInitialRequest['query']> = {
        $all: [
          { kind: 'component' },
          { $any: [{ 'spec.lifecycle': 'production' }, { 'metadata.tags': { $in: ['go'] } }] },
          { $not: { 'spec.type': 'library' } },
        ],
      };
      const pages: string[][] = [];
      let response = await client.queryEntities({
        query,
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['metadata.name'],
        limit: 2,
      });
      for (;;) {
        expect(response.totalItems).toBe(5);
        pages.push(namesOf(response.items) as string[]);
        const next = response.pageInfo.nextCursor;
        if (!next) break;
        // The client continues with POST exactly when the cursor holds `query`.
        expect(JSON.parse(Buffer.from(next, 'base64').toString('utf8'))).toHaveProperty('query');
        response = await client.queryEntities({
          cursor: next,
          limit: 2,
          fields: ['metadata.name'],
        });
      }
      expect(pages).toEqual([
        ['checkout', 'metrics-agent'],
        ['payments', 'search'],
        ['storefront'],
      ]);

      const prefix = await client.queryEntities({
        query: { 'metadata.name': { $hasPrefix: 'pay' } },
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['metadata.name'],
      });
      expect(namesOf(prefix.items)).toEqual(['payments', 'payments-api', 'payments-queue']);

      const owned = await client.queryEntities({
        query: {
          kind: 'component',
          relations: { $contains: { type: 'ownedBy', targetRef: 'group:default/web' } },
        },
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['metadata.name'],
      } as Parameters<CatalogClient['queryEntities']>[0]);
      expect(namesOf(owned.items)).toEqual(['admin-ui', 'storefront', 'ui-kit']);

      const combined = await client.queryEntities({
        filter: { kind: 'api' },
        query: { 'spec.lifecycle': 'production' },
        fields: ['metadata.name'],
        orderFields: { field: 'metadata.name', order: 'asc' },
      });
      expect(namesOf(combined.items)).toEqual(['checkout-api', 'payments-api']);
    });

    it('streams every page', async () => {
      const pages: string[][] = [];
      for await (const page of client.streamEntities({
        filter: { kind: 'user' },
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: ['metadata.name'],
        pageSize: 3,
      })) {
        pages.push(namesOf(page) as string[]);
      }
      expect(pages).toEqual([['alice', 'bob', 'carol'], ['dave']]);
    });
  });

  describe('single entities', () => {
    it('returns a full entity with annotations, uid, etag and sorted relations', async () => {
      const entity = await client.getEntityByRef('api:default/payments-api');
      expect(entity).toEqual({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'API',
        metadata: {
          namespace: 'default',
          name: 'payments-api',
          description: 'Internal payments gRPC API',
          annotations: {
            'backstage.io/managed-by-location': `file:${file('apis.yaml')}`,
            'backstage.io/managed-by-origin-location': `file:${root}`,
          },
          uid: expect.stringMatching(UUID),
          etag: expect.stringMatching(/^\S+$/),
        },
        spec: {
          type: 'grpc',
          lifecycle: 'production',
          owner: 'platform',
          system: 'shop',
          definition: 'syntax = "proto3";\nservice Payments {}\n',
        },
        relations: [
          { type: 'apiConsumedBy', targetRef: 'component:default/checkout' },
          { type: 'apiProvidedBy', targetRef: 'component:default/payments' },
          { type: 'ownedBy', targetRef: 'group:default/platform' },
          { type: 'partOf', targetRef: 'system:default/shop' },
        ],
      });
      const byUid = await api(`/entities/by-uid/${entity!.metadata.uid}`);
      expect(byUid.status).toBe(200);
      expect(await byUid.json()).toEqual(entity);
    });

    it('looks refs up case-insensitively and returns undefined for unknown ones', async () => {
      const exact = await client.getEntityByRef('component:default/checkout');
      expect(exact?.metadata.name).toBe('checkout');
      const shouting = await client.getEntityByRef('COMPONENT:Default/CHECKOUT');
      expect(shouting?.metadata.uid).toBe(exact?.metadata.uid);
      const compound = await client.getEntityByRef({
        kind: 'Component',
        namespace: 'OPS',
        name: 'Metrics-Agent',
      });
      expect(compound ? refOf(compound) : undefined).toBe('component:ops/metrics-agent');
      expect(await client.getEntityByRef('component:default/nope')).toBeUndefined();
      expect(await client.getEntityByRef('component:ops/checkout')).toBeUndefined();
      // The invalid document of mixed.yaml never became an entity.
      expect(await client.getEntityByRef('component:default/broken-widget')).toBeUndefined();
    });

    it('sets the location annotations to the file and to the root location', async () => {
      const expectations: Array<[string, string]> = [
        ['component:default/checkout', 'components.yaml'],
        ['group:default/acme', 'org.yaml'],
        ['system:default/shop', 'systems.yaml'],
        ['resource:default/orders-db', 'apis.yaml'],
        ['location:default/atrium-test-catalog', 'catalog-info.yaml'],
      ];
      for (const [ref, name] of expectations) {
        const entity = await client.getEntityByRef(ref);
        expect(entity?.metadata.annotations, ref).toEqual({
          'backstage.io/managed-by-location': `file:${file(name)}`,
          'backstage.io/managed-by-origin-location': `file:${root}`,
        });
      }
      const dave = await client.getEntityByRef('user:default/dave');
      expect(dave?.metadata.annotations).toEqual({
        'backstage.io/managed-by-location': `file:${mixed}`,
        'backstage.io/managed-by-origin-location': `file:${mixed}`,
      });
    });

    it('returns entities by refs in order, undefined where missing, with fields and filters', async () => {
      const refs = [
        'component:default/checkout',
        'component:default/nope',
        'api:default/search-api',
        'Component:default/Checkout', // not canonical: never matches (COMPAT.md §5.5)
        'component:ops/metrics-agent',
      ];
      const { items } = await client.getEntitiesByRefs({
        entityRefs: refs,
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      });
      expect(items).toEqual([
        { kind: 'Component', metadata: { name: 'checkout', namespace: 'default' } },
        undefined,
        { kind: 'API', metadata: { name: 'search-api', namespace: 'default' } },
        undefined,
        { kind: 'Component', metadata: { name: 'metrics-agent', namespace: 'ops' } },
      ]);
      const filtered = await client.getEntitiesByRefs({
        entityRefs: refs,
        fields: ['metadata.name'],
        filter: { kind: 'component' },
      });
      expect(namesOf(filtered.items)).toEqual([
        'checkout',
        undefined,
        undefined,
        undefined,
        'metrics-agent',
      ]);
      const queried = await client.getEntitiesByRefs({
        entityRefs: refs,
        fields: ['metadata.name'],
        query: { 'metadata.namespace': 'ops' },
      });
      expect(namesOf(queried.items)).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        'metrics-agent',
      ]);
      const full = await client.getEntitiesByRefs({ entityRefs: ['resource:default/orders-db'] });
      expect(full.items[0]?.relations).toEqual([
        { type: 'dependencyOf', targetRef: 'component:default/checkout' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'system:default/shop' },
      ]);
    });

    it('answers the 404 error body in Backstage shape', async () => {
      const response = await api('/entities/by-name/component/default/nope');
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({
        error: {
          name: 'NotFoundError',
          message: "No entity named 'nope' found, with kind 'component' in namespace 'default'",
        },
        request: { method: 'GET', url: '/entities/by-name/component/default/nope' },
        response: { statusCode: 404 },
      });
      const uid = await api('/entities/by-uid/00000000-0000-4000-8000-000000000000');
      expect(uid.status).toBe(404);
      expect(((await uid.json()) as ErrorBody).error).toEqual({
        name: 'NotFoundError',
        message: 'No entity with uid 00000000-0000-4000-8000-000000000000',
      });
    });
  });

  describe('facets', () => {
    it('counts spec.type, spec.lifecycle and tags of components exactly', async () => {
      const response = await client.getEntityFacets({
        facets: ['spec.type', 'metadata.tags', 'spec.lifecycle'],
        filter: { kind: 'component' },
      });
      expect(response).toEqual({
        facets: {
          'spec.type': [
            { value: 'library', count: 2 },
            { value: 'service', count: 4 },
            { value: 'website', count: 2 },
          ],
          'metadata.tags': [
            { value: 'design-system', count: 1 },
            { value: 'frontend', count: 1 },
            { value: 'go', count: 3 },
            { value: 'java', count: 2 },
            { value: 'payments', count: 2 },
            { value: 'react', count: 3 },
          ],
          'spec.lifecycle': [
            { value: 'deprecated', count: 1 },
            { value: 'experimental', count: 3 },
            { value: 'production', count: 4 },
          ],
        },
      });
    });

    it('counts kinds over the whole catalog, keeping the original case', async () => {
      const { facets } = await client.getEntityFacets({ facets: ['kind'] });
      expect(facets).toEqual({
        kind: [
          { value: 'API', count: 3 },
          { value: 'Component', count: 8 },
          { value: 'Domain', count: 1 },
          { value: 'Group', count: 4 },
          { value: 'Location', count: 3 },
          { value: 'Resource', count: 2 },
          { value: 'System', count: 2 },
          { value: 'User', count: 4 },
        ],
      });
    });

    it('counts with a predicate query (POST) and facets on relations', async () => {
      const byQuery = await client.getEntityFacets({
        facets: ['spec.lifecycle'],
        query: { kind: 'api' },
      });
      expect(byQuery).toEqual({
        facets: {
          'spec.lifecycle': [
            { value: 'experimental', count: 1 },
            { value: 'production', count: 2 },
          ],
        },
      });
      const owners = await client.getEntityFacets({
        facets: ['relations.ownedBy'],
        filter: { kind: 'component' },
      });
      expect(owners).toEqual({
        facets: {
          'relations.ownedBy': [
            { value: 'group:default/platform', count: 4 },
            { value: 'group:default/web', count: 3 },
            { value: 'group:ops/platform', count: 1 },
          ],
        },
      });
    });
  });

  describe('relations', () => {
    const relationsOf = async (ref: string) => (await client.getEntityByRef(ref))?.relations;

    it('derives the forward relations of a component, sorted', async () => {
      expect(await relationsOf('component:default/checkout')).toEqual([
        { type: 'consumesApi', targetRef: 'api:default/payments-api' },
        { type: 'dependsOn', targetRef: 'component:default/payments' },
        { type: 'dependsOn', targetRef: 'resource:default/orders-db' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'system:default/shop' },
        { type: 'providesApi', targetRef: 'api:default/checkout-api' },
      ]);
      expect(await relationsOf('component:default/admin-ui')).toEqual([
        { type: 'consumesApi', targetRef: 'api:default/checkout-api' },
        { type: 'ownedBy', targetRef: 'group:default/web' },
        { type: 'partOf', targetRef: 'component:default/storefront' },
        { type: 'partOf', targetRef: 'system:default/shop' },
      ]);
    });

    it('shows the reverse relations on the targets', async () => {
      expect(await relationsOf('group:default/platform')).toEqual([
        { type: 'childOf', targetRef: 'group:default/acme' },
        { type: 'hasMember', targetRef: 'user:default/alice' },
        { type: 'hasMember', targetRef: 'user:default/bob' },
        { type: 'ownerOf', targetRef: 'api:default/checkout-api' },
        { type: 'ownerOf', targetRef: 'api:default/payments-api' },
        { type: 'ownerOf', targetRef: 'api:default/search-api' },
        { type: 'ownerOf', targetRef: 'component:default/auth-lib' },
        { type: 'ownerOf', targetRef: 'component:default/checkout' },
        { type: 'ownerOf', targetRef: 'component:default/payments' },
        { type: 'ownerOf', targetRef: 'component:default/search' },
        { type: 'ownerOf', targetRef: 'resource:default/orders-db' },
        { type: 'ownerOf', targetRef: 'resource:default/payments-queue' },
        { type: 'ownerOf', targetRef: 'system:default/infra' },
      ]);
      expect(await relationsOf('api:default/checkout-api')).toEqual([
        { type: 'apiConsumedBy', targetRef: 'component:default/admin-ui' },
        { type: 'apiConsumedBy', targetRef: 'component:default/storefront' },
        { type: 'apiProvidedBy', targetRef: 'component:default/checkout' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'system:default/shop' },
      ]);
      expect(await relationsOf('component:default/storefront')).toEqual([
        { type: 'consumesApi', targetRef: 'api:default/checkout-api' },
        { type: 'consumesApi', targetRef: 'api:default/search-api' },
        { type: 'hasPart', targetRef: 'component:default/admin-ui' },
        { type: 'ownedBy', targetRef: 'group:default/web' },
        { type: 'partOf', targetRef: 'system:default/shop' },
      ]);
      expect(await relationsOf('system:default/shop')).toEqual([
        { type: 'hasPart', targetRef: 'api:default/checkout-api' },
        { type: 'hasPart', targetRef: 'api:default/payments-api' },
        { type: 'hasPart', targetRef: 'component:default/admin-ui' },
        { type: 'hasPart', targetRef: 'component:default/checkout' },
        { type: 'hasPart', targetRef: 'component:default/payments' },
        { type: 'hasPart', targetRef: 'component:default/storefront' },
        { type: 'hasPart', targetRef: 'resource:default/orders-db' },
        { type: 'hasPart', targetRef: 'resource:default/payments-queue' },
        { type: 'ownedBy', targetRef: 'group:default/web' },
        { type: 'partOf', targetRef: 'domain:default/commerce' },
      ]);
      expect(await relationsOf('group:default/acme')).toEqual([
        { type: 'ownerOf', targetRef: 'domain:default/commerce' },
        { type: 'parentOf', targetRef: 'group:default/platform' },
        { type: 'parentOf', targetRef: 'group:default/web' },
      ]);
      expect(await relationsOf('user:default/bob')).toEqual([
        { type: 'memberOf', targetRef: 'group:default/platform' },
        { type: 'memberOf', targetRef: 'group:default/web' },
      ]);
    });

    it('de-duplicates a pair stated from both sides (dependsOn / dependencyOf)', async () => {
      expect(await relationsOf('resource:default/payments-queue')).toEqual([
        { type: 'dependencyOf', targetRef: 'component:default/payments' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'system:default/shop' },
      ]);
      expect(await relationsOf('component:default/payments')).toEqual([
        { type: 'dependencyOf', targetRef: 'component:default/checkout' },
        { type: 'dependsOn', targetRef: 'resource:default/payments-queue' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'system:default/shop' },
        { type: 'providesApi', targetRef: 'api:default/payments-api' },
      ]);
    });

    it('defaults refs to the holder namespace and crosses namespaces', async () => {
      expect(await relationsOf('component:ops/metrics-agent')).toEqual([
        { type: 'dependsOn', targetRef: 'component:default/search' },
        { type: 'ownedBy', targetRef: 'group:ops/platform' },
        { type: 'partOf', targetRef: 'system:default/infra' },
      ]);
      expect(await relationsOf('system:default/infra')).toEqual([
        { type: 'hasPart', targetRef: 'api:default/search-api' },
        { type: 'hasPart', targetRef: 'component:default/auth-lib' },
        { type: 'hasPart', targetRef: 'component:default/search' },
        { type: 'hasPart', targetRef: 'component:ops/metrics-agent' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'domain:default/commerce' },
      ]);
      expect(await relationsOf('component:default/search')).toEqual([
        { type: 'dependencyOf', targetRef: 'component:ops/metrics-agent' },
        { type: 'ownedBy', targetRef: 'group:default/platform' },
        { type: 'partOf', targetRef: 'system:default/infra' },
        { type: 'providesApi', targetRef: 'api:default/search-api' },
      ]);
    });
  });

  describe('ancestry', () => {
    it('walks from an entity up to the generated root Location entity', async () => {
      const response = await client.getEntityAncestors({ entityRef: 'component:default/checkout' });
      const rootRef = generatedRef('file', root);
      expect(response.rootEntityRef).toBe('component:default/checkout');
      expect(response.items.map((i) => [refOf(i.entity), i.parentEntityRefs])).toEqual([
        ['component:default/checkout', ['location:default/atrium-test-catalog']],
        ['location:default/atrium-test-catalog', [rootRef]],
        [rootRef, []],
      ]);
      const generated = response.items[2]!.entity;
      expect(generated).toEqual({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Location',
        metadata: {
          namespace: 'default',
          name: rootRef.slice('location:default/'.length),
          annotations: {
            'backstage.io/managed-by-location': `file:${root}`,
            'backstage.io/managed-by-origin-location': `file:${root}`,
          },
          uid: expect.stringMatching(UUID),
          etag: expect.any(String),
        },
        spec: { type: 'file', target: root },
        relations: [],
      });
      const mixedAncestry = await client.getEntityAncestors({ entityRef: 'user:default/dave' });
      expect(mixedAncestry.items.map((i) => [refOf(i.entity), i.parentEntityRefs])).toEqual([
        ['user:default/dave', [generatedRef('file', mixed)]],
        [generatedRef('file', mixed), []],
      ]);
      await expect(
        client.getEntityAncestors({ entityRef: 'component:default/nope' }),
      ).rejects.toMatchObject({
        name: 'ResponseError',
        statusCode: 404,
      });
    });
  });

  describe('location status', () => {
    it('reports the invalid document with its file, line and field, and nothing for clean files', async () => {
      const response = await api('/locations/status');
      expect(response.status).toBe(200);
      const { items } = (await response.json()) as { items: LocationStatus[] };
      const rootStatus = items.find((l) => l.target === root);
      const mixedStatus = items.find((l) => l.target === mixed);
      expect(rootStatus).toMatchObject({ type: 'file', target: root, problems: [] });
      expect(mixedStatus).toMatchObject({ type: 'file', target: mixed });
      expect(mixedStatus!.problems).toHaveLength(1);
      const [problem] = mixedStatus!.problems;
      expect(problem).toMatchObject({
        level: 'error',
        file: mixed,
        line: lineOf(mixed, /^ {2}lifecycle: \[production\]/),
        path: 'spec.lifecycle',
      });
      expect(problem!.message).toContain('spec.lifecycle');

      const one = await api(`/locations/${mixedStatus!.id}/status`);
      expect(one.status).toBe(200);
      expect(await one.json()).toEqual(mixedStatus);
      const unknown = await api('/locations/00000000-0000-4000-8000-000000000000/status');
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as ErrorBody).error.name).toBe('NotFoundError');
    });

    it('ingested the valid documents around the invalid one', async () => {
      const { items } = await client.getEntities({
        filter: { 'metadata.annotations.backstage.io/managed-by-location': `file:${mixed}` },
      });
      expect(sorted(items.map(refOf))).toEqual(
        sorted([generatedRef('file', mixed), 'group:default/guests', 'user:default/dave']),
      );
    });
  });

  describe('validateEntity', () => {
    const valid: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'new-thing' },
      spec: { type: 'service', lifecycle: 'production', owner: 'web' },
    };

    it('accepts a valid entity', async () => {
      expect(
        await client.validateEntity(valid, 'url:https://example.com/catalog-info.yaml'),
      ).toEqual({ valid: true });
    });

    it('rejects an invalid entity with errors that name the field', async () => {
      const badName = await client.validateEntity(
        { ...valid, metadata: { name: 'not a valid name' } },
        'url:https://example.com/catalog-info.yaml',
      );
      expect(badName.valid).toBe(false);
      if (badName.valid) return;
      expect(badName.errors.length).toBeGreaterThan(0);
      expect(badName.errors[0]!.name).toBe('InputError');
      expect(badName.errors.map((e) => e.message).join('\n')).toContain('metadata.name');

      const noOwner = await client.validateEntity(
        { ...valid, spec: { type: 'service', lifecycle: 'production' } },
        'url:https://example.com/catalog-info.yaml',
      );
      expect(noOwner.valid).toBe(false);
      if (noOwner.valid) return;
      expect(noOwner.errors.map((e) => e.message).join('\n')).toMatch(/owner/);

      const badKind = await client.validateEntity(
        { ...valid, kind: 'component' },
        'url:https://example.com/x.yaml',
      );
      expect(badKind.valid).toBe(false);
    });

    it('requires a url: location ref (COMPAT.md §5.5)', async () => {
      const fileRef = await client.validateEntity(valid, `file:${root}`);
      expect(fileRef.valid).toBe(false);
      if (fileRef.valid) return;
      expect(fileRef.errors.map((e) => e.message).join('\n')).toContain('url:');
    });
  });

  describe('locations', () => {
    let locationId: string;

    it('dry-runs addLocation: returns the entities, stores nothing', async () => {
      const response = await client.addLocation({ type: 'url', target: extraUrl, dryRun: true });
      expect(response.exists).toBe(false);
      expect(response.location).toEqual({
        id: `url:${extraUrl}`,
        type: 'url',
        target: extraUrl,
        entityRef: generatedRef('url', extraUrl),
      });
      expect(sorted(response.entities.map(refOf))).toEqual(
        sorted([
          generatedRef('url', extraUrl),
          'api:default/extra-api',
          'component:default/extra-service',
        ]),
      );
      const service = response.entities.find((e) => e.metadata.name === 'extra-service')!;
      expect(service.metadata.annotations?.['backstage.io/managed-by-location']).toBe(
        `url:${extraUrl}`,
      );
      expect(service.metadata.annotations?.['backstage.io/managed-by-origin-location']).toBe(
        `url:${extraUrl}`,
      );
      // Processed, not stitched.
      expect(service.metadata.uid).toBeUndefined();
      expect(service.relations).toBeUndefined();

      expect(await client.getEntityByRef('component:default/extra-service')).toBeUndefined();
      expect(await client.getLocationByRef(`url:${extraUrl}`)).toBeUndefined();
    });

    it('adds a location (201) whose entities are queryable at once', async () => {
      const response = await client.addLocation({ type: 'url', target: extraUrl });
      expect(response).toEqual({
        location: {
          id: expect.stringMatching(UUID),
          type: 'url',
          target: extraUrl,
          entityRef: generatedRef('url', extraUrl),
        },
        entities: [],
      });
      locationId = response.location.id;
      const service = await client.getEntityByRef('component:default/extra-service');
      expect(service?.metadata.annotations).toEqual({
        'backstage.io/managed-by-location': `url:${extraUrl}`,
        'backstage.io/managed-by-origin-location': `url:${extraUrl}`,
        'backstage.io/view-url': extraUrl,
        // No SCM integration for 127.0.0.1: no source-location / edit-url (COMPAT.md §4).
      });
      expect(service?.relations).toEqual([
        { type: 'ownedBy', targetRef: 'group:default/web' },
        { type: 'providesApi', targetRef: 'api:default/extra-api' },
      ]);
      expect((await client.getEntityByRef('api:default/extra-api'))?.relations).toEqual([
        { type: 'apiProvidedBy', targetRef: 'component:default/extra-service' },
        { type: 'ownedBy', targetRef: 'group:default/web' },
      ]);
      const ancestry = await client.getEntityAncestors({
        entityRef: 'component:default/extra-service',
      });
      expect(ancestry.items.map((i) => [refOf(i.entity), i.parentEntityRefs])).toEqual([
        ['component:default/extra-service', [generatedRef('url', extraUrl)]],
        [generatedRef('url', extraUrl), []],
      ]);
    });

    it('refuses a duplicate with a ConflictError (409), or refreshes on request', async () => {
      const error = await client.addLocation({ type: 'url', target: extraUrl }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        name: 'ResponseError',
        statusCode: 409,
        body: {
          error: { name: 'ConflictError', message: `Location url:${extraUrl} already exists` },
          request: { method: 'POST' },
          response: { statusCode: 409 },
        },
        cause: { name: 'ConflictError' },
      });
      const again = await client.addLocation({
        type: 'url',
        target: extraUrl,
        onConflict: 'refresh',
      });
      expect(again.location.id).toBe(locationId);
      const dry = await client.addLocation({ type: 'url', target: extraUrl, dryRun: true });
      expect(dry.exists).toBe(true);
    });

    it('finds the location by ref, by id and by entity', async () => {
      const expected = {
        id: locationId,
        type: 'url',
        target: extraUrl,
        entityRef: generatedRef('url', extraUrl),
      };
      expect(await client.getLocationByRef(`url:${extraUrl}`)).toEqual(expected);
      expect(await client.getLocationById(locationId)).toEqual(expected);
      expect(await client.getLocationByEntity('component:default/extra-service')).toEqual(expected);
      expect(await client.getLocationById('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      expect(await client.getLocationByEntity('component:default/nope')).toBeUndefined();
      const { items } = await client.getLocations();
      expect(items.filter((l) => l.type === 'url')).toEqual([expected]);
      const queried = await client.queryLocations({ query: { type: 'url' } });
      expect(queried.items).toEqual([expected]);
      expect(queried.totalItems).toBe(1);
    });

    it('removes the location: its Location entity goes, its entities become orphans (keep)', async () => {
      await client.removeLocationById(locationId);
      expect(await client.getLocationById(locationId)).toBeUndefined();
      expect(await client.getEntityByRef(generatedRef('url', extraUrl))).toBeUndefined();
      const service = await client.getEntityByRef('component:default/extra-service');
      expect(service?.metadata.annotations?.['backstage.io/orphan']).toBe('true');
      const orphans = await client.getEntities({
        filter: { 'metadata.annotations.backstage.io/orphan': 'true' },
      });
      expect(sorted(orphans.items.map(refOf))).toEqual([
        'api:default/extra-api',
        'component:default/extra-service',
      ]);
      const missing = await api('/locations/00000000-0000-4000-8000-000000000000', {
        method: 'DELETE',
      });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: {
          name: 'NotFoundError',
          message: 'Found no location with ID 00000000-0000-4000-8000-000000000000',
        },
        request: { method: 'DELETE', url: '/locations/00000000-0000-4000-8000-000000000000' },
        response: { statusCode: 404 },
      });
    });
  });

  describe('mutations', () => {
    it('removes an entity by uid', async () => {
      const orphan = await client.getEntityByRef('component:default/extra-service');
      await client.removeEntityByUid(orphan!.metadata.uid!);
      expect(await client.getEntityByRef('component:default/extra-service')).toBeUndefined();
      const byUid = await api(`/entities/by-uid/${orphan!.metadata.uid}`);
      expect(byUid.status).toBe(404);
      // Unknown uid: still 204.
      await expect(
        client.removeEntityByUid('00000000-0000-4000-8000-000000000000'),
      ).resolves.toBeUndefined();
      // The relation that pointed at it from the API no longer has a source.
      expect((await client.getEntityByRef('api:default/extra-api'))?.relations).toEqual([
        { type: 'ownedBy', targetRef: 'group:default/web' },
      ]);
    });

    it('refreshes an entity from its changed file; a deleted but still emitted entity comes back', async () => {
      const before = await client.getEntityByRef('component:default/checkout');
      const uiKit = await client.getEntityByRef('component:default/ui-kit');
      // Deleted with a plain DELETE (no Content-Type), so that this test does not depend on
      // the one above.
      expect(
        (await api(`/entities/by-uid/${uiKit!.metadata.uid}`, { method: 'DELETE' })).status,
      ).toBe(204);
      expect(await client.getEntityByRef('component:default/ui-kit')).toBeUndefined();

      const path = file('components.yaml');
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(
          'description: Takes the money',
          'description: Takes more money',
        ),
      );
      await expect(client.refreshEntity('component:default/checkout')).resolves.toBeUndefined();

      const after = await client.getEntityByRef('component:default/checkout');
      expect(after?.metadata.description).toBe('Takes more money');
      expect(after?.metadata.uid).toBe(before?.metadata.uid);
      expect(after?.metadata.etag).not.toBe(before?.metadata.etag);
      const back = await client.getEntityByRef('component:default/ui-kit');
      expect(back?.metadata.name).toBe('ui-kit');
      expect(back?.metadata.uid).not.toBe(uiKit?.metadata.uid);
      expect(back?.metadata.annotations?.['backstage.io/orphan']).toBeUndefined();

      await expect(client.refreshEntity('component:default/nope')).rejects.toMatchObject({
        statusCode: 404,
      });
    });
  });
});

// --------------------------------------------------------------------------------------------
// Backstage's own example files.

type Doc = Record<string, unknown> & {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: Record<string, unknown>;
};

interface ExampleLocation {
  /** Path relative to EXAMPLES. */
  target: string;
  /** Per-location `rules` kinds (COMPAT.md §5.7). */
  allow?: string[];
}

/** Global rules as in the create-app config (COMPAT.md §10), plus Domain. */
const EXAMPLE_GLOBAL_ALLOW = ['Component', 'System', 'API', 'Resource', 'Location', 'Domain'];

const EXAMPLE_LOCATIONS: ExampleLocation[] = [
  // AiResource is allowed here so that the check reaches kind validation (as it would with a
  // module that allows the kind): the expected failure is "kind unknown", not "not allowed".
  { target: 'packages/catalog-model/examples/all.yaml', allow: ['AiResource'] },
  { target: 'packages/catalog-model/examples/acme-corp.yaml', allow: ['User', 'Group'] },
  { target: 'packages/catalog-model/examples/components/invalid-component.yaml' },
  { target: 'packages/catalog-model/examples/components/different-namespace.yaml' },
  { target: 'packages/create-app/templates/default-app/examples/entities.yaml' },
  {
    target: 'packages/create-app/templates/default-app/examples/org.yaml',
    allow: ['User', 'Group'],
  },
  {
    target: 'packages/create-app/templates/default-app/examples/template/template.yaml',
    allow: ['Template'],
  },
  {
    target: 'plugins/scaffolder-backend/sample-templates/conditional-output-demo/template.yaml',
    allow: ['Template'],
  },
  {
    target: 'plugins/scaffolder-backend/sample-templates/conditional-parameters-demo/template.yaml',
    allow: ['Template'],
  },
  {
    target: 'plugins/scaffolder-backend/sample-templates/notifications-demo/template.yaml',
    allow: ['Template'],
  },
  {
    target: 'plugins/scaffolder-backend/sample-templates/longrunning-demo/wait-action.yaml',
    allow: ['Template'],
  },
  {
    target: 'plugins/scaffolder-backend/sample-templates/local-template/template.yaml',
    allow: ['Template'],
  },
  { target: 'plugins/techdocs-backend/examples/documented-component/catalog-info.yaml' },
  {
    target:
      'plugins/techdocs-backend/examples/documented-component-default-mkdocs/catalog-info.yaml',
  },
  { target: 'plugins/techdocs-backend/examples/documented-component-with-title/catalog-info.yaml' },
];

interface OracleResult {
  /** ref -> the example location (relative target) that emits it first. */
  accepted: Map<string, string>;
  /** `<relative file> <ref or target>: <why>` for everything Backstage refuses. */
  rejected: string[];
  /** ref -> locations that emit it after the first one. */
  conflicts: Map<string, string[]>;
}

/**
 * What Backstage makes of the example files, computed with `@backstage/catalog-model`'s own
 * policies and kind validators (Template kinds, validated by the scaffolder module, are all
 * valid per BACKSTAGE-SPEC.md §13.3). Placeholders: relative `$text` in the same folder tree
 * is read; an absolute URL is refused (its host is not in backend.reading.allow).
 */
async function backstageOracle(): Promise<OracleResult> {
  const result: OracleResult = { accepted: new Map(), rejected: [], conflicts: new Map() };
  for (const location of EXAMPLE_LOCATIONS) {
    const allow = new Set(
      [...EXAMPLE_GLOBAL_ALLOW, ...(location.allow ?? [])].map((k) => k.toLowerCase()),
    );
    const rootDir = dirname(join(EXAMPLES, location.target));
    const queue = [join(EXAMPLES, location.target)];
    const emit = (ref: string) => {
      if (result.accepted.has(ref))
        result.conflicts.set(ref, [...(result.conflicts.get(ref) ?? []), location.target]);
      else result.accepted.set(ref, location.target);
    };
    emit(generatedRef('file', join(EXAMPLES, location.target)));
    while (queue.length) {
      const path = queue.shift()!;
      const rel = relative(EXAMPLES, path);
      if (!existsSync(path)) {
        result.rejected.push(`${rel}: file does not exist`);
        continue;
      }
      for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const doc = document.toJS() as Doc | null;
        if (doc === null) continue;
        const ref = refOf(doc as Parameters<typeof refOf>[0]);
        let placeholderError: string | undefined;
        const substitute = (value: unknown): unknown => {
          if (Array.isArray(value)) return value.map(substitute);
          if (value && typeof value === 'object') {
            const entries = Object.entries(value);
            if (
              entries.length === 1 &&
              entries[0]![0] === '$text' &&
              typeof entries[0]![1] === 'string'
            ) {
              const target = entries[0]![1];
              if (/^[a-z]+:\/\//i.test(target)) {
                placeholderError = `$text ${target} is not readable`;
                return value;
              }
              const resolved = resolve(dirname(path), target);
              if (!resolved.startsWith(`${rootDir}/`) || !existsSync(resolved)) {
                placeholderError = `$text ${target} cannot be read`;
                return value;
              }
              return readFileSync(resolved, 'utf8');
            }
            return Object.fromEntries(entries.map(([k, v]) => [k, substitute(v)]));
          }
          return value;
        };
        const entity = substitute(doc) as Entity;
        if (placeholderError) {
          result.rejected.push(`${rel} ${ref}: ${placeholderError}`);
          continue;
        }
        // Backstage's own verdict; its catalog-model validators do not know Template, which the
        // scaffolder's entity model module adds in a default app.
        const verdict = await backstageVerdict(entity);
        const template =
          entity.kind === 'Template' && entity.apiVersion === 'scaffolder.backstage.io/v1beta3';
        if (!verdict.ok && !(template && verdict.error?.startsWith('No processor'))) {
          result.rejected.push(`${rel} ${ref}: ${verdict.error?.split('\n')[0]}`);
          continue;
        }
        if (!allow.has(entity.kind.toLowerCase())) {
          result.rejected.push(`${rel} ${ref}: kind not allowed`);
          continue;
        }
        emit(ref);
        if (entity.kind === 'Location') {
          const spec = entity.spec as { target?: string; targets?: string[] };
          for (const target of [...(spec.target ? [spec.target] : []), ...(spec.targets ?? [])]) {
            queue.push(resolve(dirname(path), target));
          }
        }
      }
    }
  }
  return result;
}

describe.each(ENGINES)("Backstage's example files (%s)", (engine) => {
  let server: TestServer;
  let client: CatalogClient;
  let oracle: OracleResult;
  let statuses: LocationStatus[];

  const abs = (rel: string) => join(EXAMPLES, rel);
  const examples = 'packages/catalog-model/examples';

  beforeAll(async () => {
    oracle = await backstageOracle();
    server = await startTestServer({
      engine,
      catalog: {
        rules: [{ allow: EXAMPLE_GLOBAL_ALLOW }],
        locations: EXAMPLE_LOCATIONS.map((l) => ({
          type: 'file',
          target: abs(l.target),
          ...(l.allow ? { rules: [{ allow: l.allow }] } : {}),
        })),
      },
    });
    client = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
    });
    const response = await fetch(`${server.url}/api/catalog/locations/status`);
    statuses = ((await response.json()) as { items: LocationStatus[] }).items;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the oracle refuses exactly what Backstage is known to refuse', () => {
    expect(sorted(oracle.rejected.map((r) => r.replace(/:.*$/, '')))).toEqual(
      sorted([
        `${examples}/ai-resources/code-review-plugin.yaml airesource`,
        `${examples}/ai-resources/frontend-design-skill.yaml airesource`,
        `${examples}/ai-resources/use-internal-apis-rule.yaml airesource`,
        `${examples}/apis/backstage-mcp-server-api.yaml api`,
        `${examples}/apis/spotify-api.yaml api`,
        `${examples}/apis/swapi-graphql.yaml`,
        `${examples}/apis/wayback-archive-api.yaml api`,
        `${examples}/apis/wayback-search-api.yaml api`,
        `${examples}/components/invalid-component.yaml component`,
      ]),
    );
    expect([...oracle.conflicts.keys()]).toEqual(['user:default/guest']);
    const catalogModel = 14 + 3 + 3 + 1 + 9 + 17 + 9 + 5; // Component (13 + different-namespace), System, Domain, Resource, Group, User, Location, valid API
    const createApp = 1 + 1 + 1 + 1 + 1; // System, Component, API, Group guests (User guest conflicts), Template
    const sampleTemplates = 5 + 1; // Templates + the local-templates Location
    const techdocs = 3;
    const generatedRoots = EXAMPLE_LOCATIONS.length;
    expect(oracle.accepted.size).toBe(
      catalogModel + createApp + sampleTemplates + techdocs + generatedRoots,
    );
  });

  it('ingests every entity Backstage accepts, and nothing else', async () => {
    const { items } = await client.getEntities({
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    });
    expect(sorted(items.map(refOf))).toEqual(sorted([...oracle.accepted.keys()]));
  });

  it('resolves a relative $text placeholder in the same folder', async () => {
    const webhook = await client.getEntityByRef('api:default/petstore-webhook');
    expect(webhook?.spec?.definition).toBe(
      readFileSync(abs(`${examples}/apis/petstore-webhook.oas.yaml`), 'utf8'),
    );
  });

  const problemsOf = (rel: string) => {
    const status = statuses.find((s) => s.target === abs(rel));
    if (!status) throw new Error(`no status for ${rel}`);
    return status.problems;
  };
  /** Problems of the all.yaml location that name one file below examples/. */
  const problemsFor = (rel: string) =>
    problemsOf(`${examples}/all.yaml`).filter((p) => p.file === abs(`${examples}/${rel}`));

  it('reports the AiResource kind as unknown, on its line', () => {
    for (const name of ['code-review-plugin', 'frontend-design-skill', 'use-internal-apis-rule']) {
      const rel = `ai-resources/${name}.yaml`;
      const problems = problemsFor(rel);
      expect(problems, rel).toHaveLength(1);
      expect(problems[0], rel).toMatchObject({
        level: 'error',
        path: 'kind',
        line: lineOf(abs(`${examples}/${rel}`), /^kind: AiResource/),
      });
      expect(problems[0]!.message, rel).toContain('AiResource');
    }
  });

  it('reports the API without a definition', () => {
    const problems = problemsFor('apis/backstage-mcp-server-api.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ level: 'error', path: 'spec.definition' });
    expect(problems[0]!.message).toContain('definition');
  });

  it('refuses cross-repo $text URLs as URLs outside backend.reading.allow, one problem each', () => {
    for (const name of ['spotify-api', 'wayback-archive-api', 'wayback-search-api']) {
      const rel = `apis/${name}.yaml`;
      const problems = problemsFor(rel);
      expect(problems, rel).toHaveLength(1);
      expect(problems[0], rel).toMatchObject({
        level: 'error',
        path: 'spec.definition',
        line: lineOf(abs(`${examples}/${rel}`), /^ {2}definition:/),
      });
      // Read through the url reader and refused there (COMPAT.md §1.3: an absolute URL is a
      // URL, not a path relative to the file).
      expect(problems[0]!.message, rel).toMatch(/https:\/\/github\.com\/APIs-guru\//);
      expect(problems[0]!.message, rel).toMatch(/not allowed/i);
      expect(problems[0]!.message, rel).not.toContain('ENOENT');
    }
  });

  it('reports the missing swapi-graphql.yaml target', () => {
    const problems = problemsFor('apis/swapi-graphql.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ level: 'error', name: 'NotFoundError' });
    expect(problems[0]!.message).toContain('swapi-graphql.yaml');
  });

  it('reports nothing else for all.yaml', () => {
    const expectedFiles = [
      'ai-resources/code-review-plugin.yaml',
      'ai-resources/frontend-design-skill.yaml',
      'ai-resources/use-internal-apis-rule.yaml',
      'apis/backstage-mcp-server-api.yaml',
      'apis/spotify-api.yaml',
      'apis/swapi-graphql.yaml',
      'apis/wayback-archive-api.yaml',
      'apis/wayback-search-api.yaml',
    ].map((rel) => abs(`${examples}/${rel}`));
    expect(
      problemsOf(`${examples}/all.yaml`)
        .map((p) => p.file)
        .sort(),
    ).toEqual(expectedFiles.sort());
  });

  it("reports invalid-component.yaml's name and tag with their lines", () => {
    const file = abs(`${examples}/components/invalid-component.yaml`);
    const problems = problemsOf(`${examples}/components/invalid-component.yaml`);
    expect(sorted(problems.map((p) => `${p.level} ${p.path} ${p.file}:${p.line}`))).toEqual(
      sorted([
        `error metadata.name ${file}:${lineOf(file, /^ {2}name: invalid component/)}`,
        `error metadata.tags[1] ${file}:${lineOf(file, /^ {4}- go 1\.15\.3/)}`,
      ]),
    );
    expect(problems.find((p) => p.path === 'metadata.name')!.message).toContain(
      'invalid component',
    );
    expect(problems.find((p) => p.path === 'metadata.tags[1]')!.message).toContain('go 1.15.3');
  });

  it('reports the user:default/guest conflict once, on the location that does not keep it', async () => {
    // user:default/guest is in acme's team-a file and in create-app's org.yaml: one location
    // keeps it, the other reports a ConflictError (Backstage only logs a warning). Which one
    // keeps it (the first in config order) is checked strictly in catalog-bad-input.test.ts.
    const acme = `${examples}/acme-corp.yaml`;
    const org = 'packages/create-app/templates/default-app/examples/org.yaml';
    const guest = await client.getEntityByRef('user:default/guest');
    const owner = guest?.metadata.annotations?.['backstage.io/managed-by-origin-location'];
    expect([`file:${abs(acme)}`, `file:${abs(org)}`]).toContain(owner);
    const loser = owner === `file:${abs(acme)}` ? org : acme;
    const winner = loser === org ? acme : org;
    expect(problemsOf(winner)).toEqual([]);
    const problems = problemsOf(loser);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ level: 'error', name: 'ConflictError' });
    expect(problems[0]!.message).toContain('user:default/guest');
  });

  it('reports no problem for every other location', () => {
    const clean = EXAMPLE_LOCATIONS.map((l) => l.target).filter(
      (t) =>
        ![
          `${examples}/all.yaml`,
          `${examples}/components/invalid-component.yaml`,
          `${examples}/acme-corp.yaml`,
          'packages/create-app/templates/default-app/examples/org.yaml',
        ].includes(t),
    );
    expect(clean).toHaveLength(11);
    for (const target of clean) expect(problemsOf(target), target).toEqual([]);
    expect(statuses).toHaveLength(EXAMPLE_LOCATIONS.length);
  });
});
