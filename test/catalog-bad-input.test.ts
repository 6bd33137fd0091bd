import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogClient } from '@backstage/catalog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { ALL_KINDS, generatedRef, refOf } from './helpers/refs.ts';
import { serveFiles } from './helpers/serve-files.ts';
import type { Problem } from '../src/model/entity.ts';

/** A valid Component document (8 lines, ends with a newline). */
function component(name: string, extra = ''): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}${extra}
spec:
  type: service
  lifecycle: production
  owner: team-a
`;
}

/** Documents joined with `---` lines. */
function docs(...parts: string[]): string {
  return parts.join('---\n');
}

/** 1-based line of the first line of `text` that matches `pattern`. */
function lineIn(text: string, pattern: RegExp): number {
  const index = text.split('\n').findIndex((l) => pattern.test(l));
  if (index < 0) throw new Error(`${pattern} not found`);
  return index + 1;
}

interface LocationStatus {
  id: string;
  type: string;
  target: string;
  problems: Problem[];
}

interface ErrorBody {
  error: { name: string; message: string };
  request: { method: string; url: string };
  response: { statusCode: number };
}

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

// The bad documents. Each sits between two valid ones in its file.
const SYNTAX = docs(
  component('syntax-before'),
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: syntax-broken
  description: a: b: c
spec:
  type: service
`,
  component('syntax-after'),
);
const LIST = docs(component('list-before'), '- just\n- a list\n', component('list-after'));
const WRONG_TYPE = docs(
  component('type-before'),
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: type-broken
spec:
  type: service
  lifecycle: production
  owner: 42
`,
  component('type-after'),
);
const LONG_NAME = 'n'.repeat(64);
const LONG = docs(component('long-before'), component(LONG_NAME), component('long-after'));
const UNKNOWN_KIND = docs(
  // A ref to a kind nobody defines is fine: the relation is kept, dangling (COMPAT.md §3.2).
  component('kind-before', '\n  annotations:\n    example.com/note: dangling ref below').replace(
    '  owner: team-a\n',
    '  owner: team-a\n  dependsOn: [foo:default/bar]\n',
  ),
  `apiVersion: backstage.io/v1alpha1
kind: Foo
metadata:
  name: kind-broken
spec:
  type: service
`,
  component('kind-after'),
);

describe.each(ENGINES)('bad catalog input (%s)', (engine) => {
  let server: TestServer;
  let client: CatalogClient;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let dir: string;
  let statuses: LocationStatus[];
  let unreachable: string;
  let notAllowed: string;
  let reachable: string;
  let configLocations: Array<{ type: string; target: string }>;

  const path = (name: string) => join(dir, name);
  const api = (p: string, init?: RequestInit) => fetch(`${server.url}/api/catalog${p}`, init);
  const statusOf = (target: string) => {
    const status = statuses.find((s) => s.target === target);
    if (!status)
      throw new Error(`no location ${target}; have ${statuses.map((s) => s.target).join(', ')}`);
    return status;
  };
  const refreshStatuses = async () => {
    statuses = ((await (await api('/locations/status')).json()) as { items: LocationStatus[] })
      .items;
  };
  /** Refs of the entities (other than generated Locations) that one file emitted. */
  const refsFrom = async (locationRef: string) => {
    const { items } = await client.getEntities({
      filter: { 'metadata.annotations.backstage.io/managed-by-location': locationRef },
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    });
    return items
      .map(refOf)
      .filter((r) => !r.startsWith('location:default/generated-'))
      .sort();
  };

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-bad-input-')));
    writeFileSync(path('syntax.yaml'), SYNTAX);
    writeFileSync(path('list.yaml'), LIST);
    writeFileSync(path('wrong-type.yaml'), WRONG_TYPE);
    writeFileSync(path('long-name.yaml'), LONG);
    writeFileSync(path('unknown-kind.yaml'), UNKNOWN_KIND);

    // A 50 MB file (generated here, never committed) next to a valid one.
    mkdirSync(path('huge'));
    writeFileSync(path('huge/ok.yaml'), component('huge-ok'));
    const header = Buffer.from(`${component('huge-thing')}  description: "`);
    const huge = Buffer.alloc(50 * 1024 * 1024, 'x');
    header.copy(huge);
    huge.write('"\n', huge.length - 2);
    writeFileSync(path('huge/huge.yaml'), huge);

    // A binary file (PNG header, NUL bytes) named .yaml next to a valid one.
    mkdirSync(path('binary'));
    writeFileSync(path('binary/ok.yaml'), component('binary-ok'));
    writeFileSync(
      path('binary/blob.yaml'),
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
        Buffer.alloc(4096, 0),
      ]),
    );

    // A symbolic link loop under a `**` glob: loop/sub/loop -> .. (= loop/).
    mkdirSync(path('loop/sub'), { recursive: true });
    writeFileSync(path('loop/ok.yaml'), component('loop-ok'));
    writeFileSync(path('loop/sub/other.yaml'), component('loop-other'));
    symlinkSync('..', path('loop/sub/loop'));

    // Conflicts: a and b (config, in that order) and c (registered later) emit dup-thing.
    writeFileSync(path('conflict-a.yaml'), component('dup-thing', '\n  description: from A'));
    writeFileSync(
      path('conflict-b.yaml'),
      docs(component('dup-thing', '\n  description: from B'), component('conflict-b-only')),
    );

    // Orphaning and refreshes.
    writeFileSync(path('orphans.yaml'), docs(component('orphan-a'), component('orphan-b')));
    writeFileSync(
      path('stable.yaml'),
      `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: stable-root
spec:
  targets: [./stable-a.yaml, ./stable-b.yaml]
`,
    );
    writeFileSync(
      path('stable-a.yaml'),
      docs(component('stable-one'), component('stable-two', '\n  tags: [keep]')),
    );
    writeFileSync(path('stable-b.yaml'), component('stable-three', '\n  description: first'));

    files = await serveFiles({
      '/ok.yaml': component('url-ok'),
      '/conflict-c.yaml': docs(
        component('dup-thing', '\n  description: from C'),
        component('conflict-c-only'),
      ),
    });
    const closed = await closedPort();
    reachable = `${files.base}/ok.yaml`;
    notAllowed = `http://localhost:${files.base.split(':')[2]}/ok.yaml`;
    unreachable = `http://127.0.0.1:${closed}/x.yaml`;

    configLocations = [
      { type: 'file', target: path('conflict-a.yaml') },
      { type: 'file', target: path('conflict-b.yaml') },
      { type: 'file', target: path('syntax.yaml') },
      { type: 'file', target: path('list.yaml') },
      { type: 'file', target: path('wrong-type.yaml') },
      { type: 'file', target: path('long-name.yaml') },
      { type: 'file', target: path('unknown-kind.yaml') },
      { type: 'file', target: path('huge/*.yaml') },
      { type: 'file', target: path('binary/*.yaml') },
      { type: 'file', target: path('loop/**/*.yaml') },
      { type: 'url', target: reachable },
      { type: 'url', target: notAllowed },
      { type: 'url', target: unreachable },
      { type: 'file', target: path('orphans.yaml') },
      { type: 'file', target: path('stable.yaml') },
    ];
    server = await startTestServer({
      engine,
      backend: { reading: { allow: [{ host: files.host }, { host: `127.0.0.1:${closed}` }] } },
      catalog: {
        rules: [{ allow: ALL_KINDS }],
        locations: configLocations,
      },
    });
    client = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
    });
    await refreshStatuses();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await files?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('broken documents: one clear problem, the neighbours ingested', () => {
    it('a YAML syntax error names the file and the line', async () => {
      const { problems } = statusOf(path('syntax.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        level: 'error',
        file: path('syntax.yaml'),
        line: lineIn(SYNTAX, /a: b: c/),
      });
      expect(problems[0]!.message).toMatch(/yaml/i);
      expect(await refsFrom(`file:${path('syntax.yaml')}`)).toEqual([
        'component:default/syntax-after',
        'component:default/syntax-before',
      ]);
    });

    it('a document that is a list, not an object', async () => {
      const { problems } = statusOf(path('list.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        level: 'error',
        file: path('list.yaml'),
        line: lineIn(LIST, /^- just/),
      });
      expect(problems[0]!.message).toMatch(/object/i);
      expect(await refsFrom(`file:${path('list.yaml')}`)).toEqual([
        'component:default/list-after',
        'component:default/list-before',
      ]);
    });

    it('a wrong type in a field (spec.owner: 42)', async () => {
      const { problems } = statusOf(path('wrong-type.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        level: 'error',
        file: path('wrong-type.yaml'),
        line: lineIn(WRONG_TYPE, /owner: 42/),
        path: 'spec.owner',
      });
      expect(problems[0]!.message).toContain('spec.owner');
      expect(await refsFrom(`file:${path('wrong-type.yaml')}`)).toEqual([
        'component:default/type-after',
        'component:default/type-before',
      ]);
      expect(await client.getEntityByRef('component:default/type-broken')).toBeUndefined();
    });

    it('a name of 64 characters', async () => {
      const { problems } = statusOf(path('long-name.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        level: 'error',
        file: path('long-name.yaml'),
        line: lineIn(LONG, new RegExp(`name: ${LONG_NAME}`)),
        path: 'metadata.name',
      });
      expect(problems[0]!.message).toContain('metadata.name');
      expect(problems[0]!.message).toMatch(/63/);
      expect(await refsFrom(`file:${path('long-name.yaml')}`)).toEqual([
        'component:default/long-after',
        'component:default/long-before',
      ]);
    });

    it('a kind that does not exist (kind: Foo); a ref to an unknown kind is kept dangling', async () => {
      const { problems } = statusOf(path('unknown-kind.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        level: 'error',
        file: path('unknown-kind.yaml'),
        line: lineIn(UNKNOWN_KIND, /^kind: Foo/),
        path: 'kind',
      });
      expect(problems[0]!.message).toContain('Foo');
      expect(await refsFrom(`file:${path('unknown-kind.yaml')}`)).toEqual([
        'component:default/kind-after',
        'component:default/kind-before',
      ]);
      const before = await client.getEntityByRef('component:default/kind-before');
      expect(before?.relations).toEqual([
        { type: 'dependsOn', targetRef: 'foo:default/bar' },
        { type: 'ownedBy', targetRef: 'group:default/team-a' },
      ]);
    });
  });

  describe('broken files: named in the status, the rest of the location ingested', () => {
    it('a 50 MB file', async () => {
      const { problems } = statusOf(path('huge/*.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ level: 'error', file: path('huge/huge.yaml') });
      expect(problems[0]!.message).toMatch(/\bMB\b/);
      expect(await refsFrom(`file:${path('huge/ok.yaml')}`)).toEqual(['component:default/huge-ok']);
      expect(await client.getEntityByRef('component:default/huge-thing')).toBeUndefined();
    });

    it('a binary file', async () => {
      const { problems } = statusOf(path('binary/*.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ level: 'error', file: path('binary/blob.yaml') });
      expect(problems[0]!.message).toMatch(/binary/i);
      expect(await refsFrom(`file:${path('binary/ok.yaml')}`)).toEqual([
        'component:default/binary-ok',
      ]);
    });

    it('a symbolic link loop under a ** glob: reported, each real file read once', async () => {
      const { problems } = statusOf(path('loop/**/*.yaml'));
      expect(problems.length).toBeGreaterThan(0);
      for (const problem of problems) {
        expect(problem.file).toMatch(new RegExp(`^${path('loop/')}`));
        expect(problem.message).toMatch(/link/i);
      }
      const { items } = await client.getEntities({
        filter: {
          'metadata.annotations.backstage.io/managed-by-origin-location': `file:${path('loop/**/*.yaml')}`,
        },
        fields: ['kind', 'metadata.name', 'metadata.annotations'],
      });
      expect(
        items
          .map(refOf)
          .filter((r) => !r.startsWith('location:'))
          .sort(),
      ).toEqual(['component:default/loop-ok', 'component:default/loop-other']);
      const byName = Object.fromEntries(
        items.map((e) => [
          e.metadata.name,
          e.metadata.annotations?.['backstage.io/managed-by-location'],
        ]),
      );
      expect(byName['loop-ok']).toBe(`file:${path('loop/ok.yaml')}`);
      expect(byName['loop-other']).toBe(`file:${path('loop/sub/other.yaml')}`);
    });
  });

  describe('url locations', () => {
    it('reads an allowed host', async () => {
      expect(statusOf(reachable).problems).toEqual([]);
      expect(await refsFrom(`url:${reachable}`)).toEqual(['component:default/url-ok']);
    });

    it('refuses a host outside backend.reading.allow', async () => {
      const { problems } = statusOf(notAllowed);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ level: 'error', file: notAllowed });
      expect(problems[0]!.message).toContain(new URL(notAllowed).host);
      expect(problems[0]!.message).toMatch(/not allowed/i);
      expect(problems[0]!.message).toContain('backend.reading.allow');
    });

    it('reports an unreachable url', async () => {
      const { problems } = statusOf(unreachable);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ level: 'error', file: unreachable });
      expect(problems[0]!.message).toContain(unreachable);
      expect(problems[0]!.message).toMatch(/ECONNREFUSED|reach|connect/i);
    });
  });

  describe('malformed requests are 400 InputError in Backstage shape, never 500', () => {
    const bad: Array<[string, string, RequestInit?]> = [
      ['filter with an empty key', '/entities?filter==x'],
      ['filter with an empty key among others', '/entities?filter=kind%3Dcomponent%2C%3Dx'],
      ['by-query filter with an empty key', '/entities/by-query?filter==component'],
      ['cursor that is not base64 JSON', '/entities/by-query?cursor=%25%25not-a-cursor'],
      [
        'cursor that is base64 of non-JSON',
        `/entities/by-query?cursor=${Buffer.from('hello').toString('base64')}`,
      ],
      [
        'cursor of the wrong shape',
        `/entities/by-query?cursor=${Buffer.from('{"foo":1}').toString('base64')}`,
      ],
      ['after cursor that is garbage', '/entities?limit=2&after=%25%25garbage'],
      ['unknown query parameter on /entities', '/entities?bogus=1'],
      ['unknown query parameter on /entities/by-query', '/entities/by-query?orderBy=metadata.name'],
      ['unknown query parameter on /entity-facets', '/entity-facets?facet=kind&bogus=1'],
      ['orderField with a bad direction', '/entities/by-query?orderField=metadata.name%2Csideways'],
      [
        'orderField with too many parts',
        '/entities/by-query?orderField=metadata.name%2Casc%2Cdesc',
      ],
      ['order without a direction', '/entities?order=metadata.name'],
      ['order with a bad direction', '/entities?order=up%3Ametadata.name'],
      ['limit that is not a number', '/entities/by-query?limit=ten'],
      ['negative limit', '/entities?limit=-1'],
      ['fields with array indexing', '/entities?fields=metadata.tags%5B0%5D'],
      ['facets without facet', '/entity-facets'],
      ['totalItems with a bad value', '/entities/by-query?totalItems=maybe'],
      [
        'predicate query that is a primitive',
        '/entities/by-query',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'kind=component' }),
        },
      ],
      [
        'predicate with an unknown operator',
        '/entities/by-query',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: { kind: { $like: 'c%' } } }),
        },
      ],
      [
        'by-refs without entityRefs',
        '/entities/by-refs',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refs: [] }),
        },
      ],
      [
        'by-refs that is not JSON',
        '/entities/by-refs',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"entityRefs": [',
        },
      ],
      [
        'location without a target',
        '/locations',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'url' }),
        },
      ],
      [
        'location with an unknown body key',
        '/locations',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'url', target: 'http://x/y.yaml', extra: 1 }),
        },
      ],
      [
        'refresh with an empty body',
        '/refresh',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
      ],
    ];

    it.each(bad)('%s', async (_what, url, init) => {
      const response = await api(url, init);
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(text) as ErrorBody;
      expect(body).toEqual({
        error: { name: 'InputError', message: expect.any(String) },
        request: { method: init?.method ?? 'GET', url },
        response: { statusCode: 400 },
      });
      expect(body.error.message.length).toBeGreaterThan(5);
    });

    it('ignores empty filter statements and treats `key=` as equal to the empty string', async () => {
      const trailing = await api(
        '/entities?filter=kind%3Dcomponent%2Cmetadata.name%3Dlist-before%2C',
      );
      expect(trailing.status).toBe(200);
      expect(
        ((await trailing.json()) as Array<{ metadata: { name: string } }>).map(
          (e) => e.metadata.name,
        ),
      ).toEqual(['list-before']);
      const empty = await api('/entities?filter=metadata.description%3D');
      expect(empty.status).toBe(200);
      expect(await empty.json()).toEqual([]);
    });

    it('keeps running after all of the above', async () => {
      const response = await api('/entities?filter=kind%3Dcomponent&fields=metadata.name');
      expect(response.status).toBe(200);
      expect(((await response.json()) as unknown[]).length).toBeGreaterThan(10);
    });
  });

  describe('the same entity from two locations', () => {
    it('reads config locations in config order, so that "first" is well defined', () => {
      // The order of /locations/status is the order in which locations are read. Config
      // locations created within one millisecond must not be shuffled (ordering by
      // created_at, then by a random id, does that).
      const config = new Set(configLocations.map((l) => l.target));
      expect(statuses.map((s) => s.target).filter((t) => config.has(t))).toEqual(
        configLocations.map((l) => l.target),
      );
    });

    it('the first config location keeps it; the second reports a ConflictError', async () => {
      const dup = await client.getEntityByRef('component:default/dup-thing');
      expect(dup?.metadata.description).toBe('from A');
      expect(dup?.metadata.annotations?.['backstage.io/managed-by-location']).toBe(
        `file:${path('conflict-a.yaml')}`,
      );
      expect(statusOf(path('conflict-a.yaml')).problems).toEqual([]);
      const { problems } = statusOf(path('conflict-b.yaml'));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        level: 'error',
        name: 'ConflictError',
        file: path('conflict-b.yaml'),
      });
      expect(problems[0]!.message).toContain('component:default/dup-thing');
      expect(await refsFrom(`file:${path('conflict-b.yaml')}`)).toEqual([
        'component:default/conflict-b-only',
      ]);
    });

    it('a location registered later reports a ConflictError and does not take it over', async () => {
      const target = `${files.base}/conflict-c.yaml`;
      await client.addLocation({ type: 'url', target });
      await refreshStatuses();
      const { problems } = statusOf(target);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ level: 'error', name: 'ConflictError', file: target });
      expect(problems[0]!.message).toContain('component:default/dup-thing');
      expect(
        (await client.getEntityByRef('component:default/dup-thing'))?.metadata.description,
      ).toBe('from A');
      expect(await refsFrom(`url:${target}`)).toEqual(['component:default/conflict-c-only']);
    });
  });

  describe('refresh', () => {
    it('orphans an entity removed from its file (POST /refresh with the root location ref)', async () => {
      const before = await client.getEntityByRef('component:default/orphan-b');
      expect(before?.metadata.annotations?.['backstage.io/orphan']).toBeUndefined();
      writeFileSync(path('orphans.yaml'), component('orphan-a'));
      const response = await api('/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityRef: generatedRef('file', path('orphans.yaml')) }),
      });
      expect(response.status).toBe(200);
      const after = await client.getEntityByRef('component:default/orphan-b');
      expect(after?.metadata.annotations?.['backstage.io/orphan']).toBe('true');
      expect(after?.metadata.uid).toBe(before?.metadata.uid);
      const a = await client.getEntityByRef('component:default/orphan-a');
      expect(a?.metadata.annotations?.['backstage.io/orphan']).toBeUndefined();
      const orphans = await client.getEntities({
        filter: { 'metadata.annotations.backstage.io/orphan': 'true' },
      });
      expect(orphans.items.map(refOf)).toEqual(['component:default/orphan-b']);

      // Emitted again: adopted again, no longer an orphan.
      writeFileSync(path('orphans.yaml'), docs(component('orphan-a'), component('orphan-b')));
      await client.refreshEntity('component:default/orphan-a');
      const readopted = await client.getEntityByRef('component:default/orphan-b');
      expect(readopted?.metadata.annotations?.['backstage.io/orphan']).toBeUndefined();
      expect(readopted?.metadata.uid).toBe(before?.metadata.uid);
    });

    it('an unchanged refresh writes nothing; a changed file rewrites only its entities', async () => {
      const refs = [
        'component:default/stable-one',
        'component:default/stable-two',
        'component:default/stable-three',
        'location:default/stable-root',
      ];
      const snapshot = async () =>
        (await client.getEntitiesByRefs({ entityRefs: refs })).items.map((e) => [
          e?.metadata.uid,
          e?.metadata.etag,
          e?.metadata.description,
        ]);
      const before = await snapshot();
      expect(
        before.every(([uid, etag]) => typeof uid === 'string' && typeof etag === 'string'),
      ).toBe(true);

      await client.refreshEntity(generatedRef('file', path('stable.yaml')));
      expect(await snapshot()).toEqual(before);
      await client.refreshEntity('component:default/stable-two');
      expect(await snapshot()).toEqual(before);

      writeFileSync(path('stable-b.yaml'), component('stable-three', '\n  description: second'));
      await client.refreshEntity('component:default/stable-three');
      const after = await snapshot();
      expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
      expect(after[3]).toEqual(before[3]);
      expect(after[2]![0]).toBe(before[2]![0]); // same uid
      expect(after[2]![1]).not.toBe(before[2]![1]); // new etag
      expect(after[2]![2]).toBe('second');
    });

    it('refresh of an unknown entity is 404', async () => {
      const response = await api('/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityRef: 'component:default/does-not-exist' }),
      });
      expect(response.status).toBe(404);
      expect(((await response.json()) as ErrorBody).error.name).toBe('NotFoundError');
    });
  });
});

describe.each(ENGINES)('orphanStrategy delete (%s)', (engine) => {
  let server: TestServer;
  let client: CatalogClient;
  let dir: string;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-orphan-delete-')));
    writeFileSync(join(dir, 'catalog.yaml'), docs(component('del-a'), component('del-b')));
    server = await startTestServer({
      engine,
      catalog: {
        rules: [{ allow: ALL_KINDS }],
        orphanStrategy: 'delete',
        locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }],
      },
    });
    client = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
    });
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deletes an entity removed from its file', async () => {
    expect((await client.getEntityByRef('component:default/del-b'))?.metadata.name).toBe('del-b');
    writeFileSync(join(dir, 'catalog.yaml'), component('del-a'));
    await client.refreshEntity(generatedRef('file', join(dir, 'catalog.yaml')));
    expect(await client.getEntityByRef('component:default/del-b')).toBeUndefined();
    expect(
      (await client.getEntityByRef('component:default/del-a'))?.metadata.annotations?.[
        'backstage.io/orphan'
      ],
    ).toBeUndefined();
    const { items } = await client.getEntities({ filter: { kind: 'component' } });
    expect(items.map(refOf)).toEqual(['component:default/del-a']);
  });
});
