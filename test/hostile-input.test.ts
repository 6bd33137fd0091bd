import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../src/model/entity.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { serveFiles } from './helpers/serve-files.ts';

/**
 * Input written to hurt the server: alias bombs, deep nesting, huge globs, undefined
 * aliases, files outside the allowed folders. For each, the server keeps answering other
 * requests while it happens, the error names the limit, and nothing else is lost.
 */

/** The classic 517-byte "billion laughs": 9 levels of 9 aliases, 10^9 strings expanded. */
const BILLION_LAUGHS = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: laughs
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
spec: { type: service, lifecycle: production, owner: team-a }
`;

function component(name: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: service
  lifecycle: production
  owner: team-a
`;
}

const docs = (...parts: string[]) => parts.join('---\n');

interface LocationStatus {
  id: string;
  type: string;
  target: string;
  problems: Problem[];
}

/**
 * Runs `work` while asking the server for one entity every 50 ms; returns the work's result
 * and the slowest answer seen, so a test can show the server never stopped answering.
 */
async function whileProbing<T>(
  url: string,
  work: () => Promise<T>,
): Promise<{ result: T; worstMs: number; probes: number }> {
  let worstMs = 0;
  let probes = 0;
  let done = false;
  const probe = async () => {
    while (!done) {
      const started = performance.now();
      const response = await fetch(`${url}/api/catalog/entities?limit=1`);
      await response.arrayBuffer();
      worstMs = Math.max(worstMs, performance.now() - started);
      probes++;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const probing = probe();
  try {
    const result = await work();
    return { result, worstMs, probes };
  } finally {
    done = true;
    await probing;
  }
}

describe.each(ENGINES)('hostile input (%s)', (engine) => {
  let server: TestServer;
  let root: string;
  let outside: string;
  const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/catalog${path}`, init);
  const post = (path: string, body: unknown) =>
    api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const statusOf = async (target: string) => {
    const { items } = (await (await api('/locations/status')).json()) as {
      items: LocationStatus[];
    };
    return items.find((l) => l.target === target);
  };

  beforeAll(async () => {
    const base = mkdtempSync(join(tmpdir(), 'atrium-hostile-'));
    root = join(base, 'allowed');
    outside = join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.yaml'), 'root:$6$very-secret-hash:19000:0:99999:7:::\n');
    writeFileSync(join(outside, 'catalog-info.yaml'), component('outside-entity'));
    // A laughs file as a config location: the server must start with it.
    writeFileSync(
      join(base, 'config-laughs.yaml'),
      docs(component('config-before'), BILLION_LAUGHS, component('config-after')),
    );
    server = await startTestServer({
      engine,
      dir: base,
      catalog: {
        locationRoots: [root],
        limits: { globFiles: 50, globBytes: 64 * 1024 },
        locations: [{ type: 'file', target: join(base, 'config-laughs.yaml') }],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(join(root, '..'), { recursive: true, force: true });
  });

  describe('alias bombs', () => {
    it('a billion laughs in a config location costs only its document, and the server starts', async () => {
      for (const name of ['config-before', 'config-after']) {
        expect((await api(`/entities/by-name/component/default/${name}`)).status).toBe(200);
      }
      expect((await api('/entities/by-name/component/default/laughs')).status).toBe(404);
      const status = await statusOf(join(root, '..', 'config-laughs.yaml'));
      expect(status?.problems).toEqual([
        expect.objectContaining({
          level: 'error',
          message: expect.stringContaining('backend.limits.expandedBytes'),
          line: 10,
        }),
      ]);
    });

    it('validate-file answers at once, naming the limit, while other requests go on', async () => {
      const { result, worstMs } = await whileProbing(server.url, async () => {
        const started = performance.now();
        const response = await post('/validate-file', {
          content: docs(component('pasted-ok'), BILLION_LAUGHS),
        });
        return { response, ms: performance.now() - started };
      });
      expect(result.response.status).toBe(200);
      const body = (await result.response.json()) as { entities: string[]; problems: Problem[] };
      expect(body.entities).toEqual(['component:default/pasted-ok']);
      expect(body.problems).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('backend.limits.expandedBytes'),
          line: 10,
        }),
      ]);
      expect(result.ms).toBeLessThan(2000);
      expect(worstMs).toBeLessThan(250);
    });

    it('too many aliases of scalars are refused too, naming the alias limit', async () => {
      const aliases = Array.from({ length: 1500 }, () => '    - *s').join('\n');
      const response = await post('/validate-file', {
        content: `apiVersion: v1\nkind: Component\nmetadata:\n  name: x\n  s: &s hello\n  tags:\n${aliases}\n`,
      });
      const body = (await response.json()) as { problems: Problem[] };
      expect(body.problems[0]?.message).toContain('backend.limits.yamlAliases');
    });

    it('a registered file with a bomb keeps its valid neighbours and records the problem', async () => {
      const file = join(root, 'laughs.yaml');
      writeFileSync(file, docs(component('file-before'), BILLION_LAUGHS, component('file-after')));
      const { result, worstMs } = await whileProbing(server.url, () =>
        post('/locations', { type: 'file', target: file }),
      );
      expect(result.status).toBe(201);
      expect(worstMs).toBeLessThan(250);
      for (const name of ['file-before', 'file-after']) {
        expect((await api(`/entities/by-name/component/default/${name}`)).status).toBe(200);
      }
      const status = await statusOf(file);
      expect(status?.problems[0]).toMatchObject({
        file,
        line: 10,
        message: expect.stringContaining('backend.limits.expandedBytes'),
      });
    });

    it('a url location serving a bomb is read without harm', async () => {
      const files = await serveFiles({
        '/laughs.yaml': docs(component('url-before'), BILLION_LAUGHS),
      });
      const allowed = await startTestServer({
        engine,
        backend: { reading: { allow: [{ host: files.host }] } },
        catalog: { locations: [{ type: 'url', target: `${files.base}/laughs.yaml` }] },
      });
      try {
        const get = (path: string) => fetch(`${allowed.url}/api/catalog${path}`);
        expect((await get('/entities/by-name/component/default/url-before')).status).toBe(200);
        const { items } = (await (await get('/locations/status')).json()) as {
          items: LocationStatus[];
        };
        const status = items.find((l) => l.target.endsWith('/laughs.yaml'));
        expect(status?.problems[0]?.message).toContain('backend.limits.expandedBytes');
      } finally {
        await allowed.stop();
        await files.close();
      }
    });
  });

  it('an endless url download stops at the size cap, while other requests go on', async () => {
    let sent = 0;
    const endless = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/yaml' });
      const chunk = Buffer.alloc(64 * 1024, '# padding\n');
      const pump = () => {
        while (!response.destroyed && sent < 500 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      pump();
    });
    await new Promise<void>((done) => endless.listen(0, '127.0.0.1', done));
    const { port } = endless.address() as AddressInfo;
    const reading = await startTestServer({
      engine,
      backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
    });
    try {
      const { result, worstMs } = await whileProbing(reading.url, () =>
        fetch(`${reading.url}/api/catalog/locations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'url', target: `http://127.0.0.1:${port}/huge.yaml` }),
        }),
      );
      expect(result.status).toBe(201);
      expect(worstMs).toBeLessThan(250);
      const { items } = (await (
        await fetch(`${reading.url}/api/catalog/locations/status`)
      ).json()) as { items: LocationStatus[] };
      const status = items.find((l) => l.target.endsWith('/huge.yaml'));
      expect(status?.problems[0]?.message).toMatch(/larger than 10 MB/);
      // The download stopped near the cap (socket buffers aside), not at the end of the stream.
      expect(sent).toBeLessThan(40 * 1024 * 1024);
    } finally {
      await reading.stop();
      endless.closeAllConnections();
      await new Promise<void>((done) => endless.close(() => done()));
    }
  });

  describe('deep nesting', () => {
    it('100,000-deep YAML is a problem on its document, not a crash', async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const { result, worstMs } = await whileProbing(server.url, () =>
        post('/validate-file', {
          content: docs(
            component('deep-neighbour'),
            `apiVersion: v1\nkind: Component\nmetadata: { name: deep }\nspec: ${deep}\n`,
          ),
        }),
      );
      expect(result.status).toBe(200);
      const body = (await result.json()) as { entities: string[]; problems: Problem[] };
      expect(body.entities).toEqual(['component:default/deep-neighbour']);
      expect(body.problems[0]?.message).toContain('backend.limits.nestingDepth');
      expect(worstMs).toBeLessThan(250);
    });

    it.each([
      [
        '/validate-entity',
        (deep: string) => `{"location":"url:https://x/y.yaml","entity":${deep}}`,
      ],
      ['/entities/by-refs', (deep: string) => `{"entityRefs":["a:b/c"],"fields":${deep}}`],
      ['/validate-file', (deep: string) => `{"content":"a: 1","name":${deep}}`],
      ['/locations', (deep: string) => `{"type":"url","target":${deep}}`],
    ])('a 100,000-deep JSON body to %s answers 400 naming the limit', async (path, body) => {
      const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      const response = await post(path, body(deep));
      expect(response.status).toBe(400);
      const error = (await response.json()) as { error: { name: string; message: string } };
      expect(error.error.name).toBe('InputError');
      expect(error.error.message).toContain('backend.limits.nestingDepth');
      // and the server still answers
      expect((await api('/entities?limit=1')).status).toBe(200);
    });
  });

  describe('files outside catalog.locationRoots', () => {
    it.each([
      ['a file outside', () => join(outside, 'secret.yaml')],
      ['a glob outside', () => join(outside, '*')],
      ['/etc/*', () => '/etc/*'],
      ['/usr/**', () => '/usr/**/*.yaml'],
      ['a glob that climbs out with ..', () => join(root, '**', '..', '..', 'outside', '*.yaml')],
      ['a path that climbs out with ..', () => `${root}/../outside/secret.yaml`],
    ])(
      '%s is refused, for a registration and a dry run, quoting nothing',
      async (_what, target) => {
        for (const query of ['', '?dryRun=true']) {
          const started = performance.now();
          const response = await post(`/locations${query}`, { type: 'file', target: target() });
          expect(performance.now() - started).toBeLessThan(1000);
          expect(response.status).toBe(403);
          const text = await response.text();
          expect(text).toContain('catalog.locationRoots');
          expect(text).not.toContain('very-secret');
          expect(text).not.toContain('passwd');
        }
        const { items } = (await (await api('/locations/status')).json()) as {
          items: LocationStatus[];
        };
        expect(items.map((l) => l.target)).not.toContain(target());
      },
    );

    it('analyze-location does not read or quote a file outside the roots', async () => {
      for (const target of [join(outside, 'secret.yaml'), '/etc/passwd', outside]) {
        const response = await post('/analyze-location', { location: { type: 'file', target } });
        const text = await response.text();
        expect(response.status).toBeLessThan(500);
        expect(text).not.toContain('very-secret');
        expect(text).not.toContain('root:');
        expect(text).not.toContain('outside-entity');
      }
    });

    it('a Location entity inside a root cannot point outside, nor can a symbolic link', async () => {
      const dir = join(root, 'pointing-out');
      mkdirSync(dir);
      symlinkSync(join(outside, 'secret.yaml'), join(dir, 'linked.yaml'));
      writeFileSync(
        join(dir, 'catalog-info.yaml'),
        docs(
          component('inside-entity'),
          `apiVersion: backstage.io/v1alpha1
kind: Location
metadata: { name: out }
spec:
  targets: [../../outside/catalog-info.yaml, /etc/passwd, ./linked.yaml]
`,
        ),
      );
      const file = join(dir, 'catalog-info.yaml');
      const response = await post('/locations', { type: 'file', target: file });
      expect(response.status).toBe(201);
      expect((await api('/entities/by-name/component/default/inside-entity')).status).toBe(200);
      expect((await api('/entities/by-name/component/default/outside-entity')).status).toBe(404);
      const status = await statusOf(file);
      const text = JSON.stringify(status?.problems);
      expect(status?.problems.length).toBe(3);
      expect(text).toContain('catalog.locationRoots');
      expect(text).not.toContain('very-secret');
      expect(text).not.toContain('root:');
    });

    it("a config location outside the roots still works (config is the operator's)", async () => {
      expect((await api('/entities/by-name/component/default/config-before')).status).toBe(200);
    });
  });

  describe('globs', () => {
    it('a glob matching more files than catalog.limits.globFiles reads none of them and says why', async () => {
      const dir = join(root, 'many');
      mkdirSync(dir);
      for (let i = 0; i < 60; i++) writeFileSync(join(dir, `c${i}.yaml`), component(`many-${i}`));
      const response = await post('/locations', { type: 'file', target: join(dir, '*.yaml') });
      expect(response.status).toBe(201);
      const status = await statusOf(join(dir, '*.yaml'));
      expect(status?.problems[0]?.message).toContain('catalog.limits.globFiles');
      expect((await api('/entities/by-name/component/default/many-1')).status).toBe(404);
    });

    it('a glob whose files add up to more than catalog.limits.globBytes stops reading there', async () => {
      const dir = join(root, 'big');
      mkdirSync(dir);
      const padding = `# ${'x'.repeat(20_000)}\n`;
      for (let i = 0; i < 5; i++)
        writeFileSync(join(dir, `c${i}.yaml`), padding + component(`big-${i}`));
      const response = await post('/locations', { type: 'file', target: join(dir, '*.yaml') });
      expect(response.status).toBe(201);
      const status = await statusOf(join(dir, '*.yaml'));
      const message = status?.problems.find((p) => p.message.includes('globBytes'))?.message;
      expect(message).toMatch(/limit catalog\.limits\.globBytes\); 2 of 5 files were not read/);
      expect((await api('/entities/by-name/component/default/big-0')).status).toBe(200);
      expect((await api('/entities/by-name/component/default/big-4')).status).toBe(404);
    });

    it('an undefined alias in one file of a glob costs that document only; refresh never answers 500', async () => {
      const dir = join(root, 'undefined-alias');
      mkdirSync(dir);
      writeFileSync(join(dir, 'a.yaml'), component('alias-neighbour-a'));
      writeFileSync(
        join(dir, 'b.yaml'),
        docs(
          component('alias-same-file'),
          `apiVersion: v1\nkind: Component\nmetadata:\n  name: *nope\n`,
        ),
      );
      writeFileSync(join(dir, 'c.yaml'), component('alias-neighbour-c'));
      const target = join(dir, '*.yaml');
      const response = await post('/locations', { type: 'file', target });
      expect(response.status).toBe(201);
      for (const name of ['alias-neighbour-a', 'alias-same-file', 'alias-neighbour-c']) {
        expect((await api(`/entities/by-name/component/default/${name}`)).status, name).toBe(200);
      }
      const status = await statusOf(target);
      expect(status?.problems).toEqual([
        expect.objectContaining({ file: join(dir, 'b.yaml'), line: 13, level: 'error' }),
      ]);
      expect(status?.problems[0]?.message).toMatch(/nope/);
      const { location } = (await response.json()) as { location: { entityRef: string } };
      const refresh = await post('/refresh', { entityRef: location.entityRef });
      expect(refresh.status).toBe(200);
      expect((await statusOf(target))?.problems).toHaveLength(1);
    });

    it('a registration that fails is not stored', async () => {
      const missing = join(root, 'missing-dir', '*.yaml');
      const before = ((await (await api('/locations')).json()) as unknown[]).length;
      await post('/locations', { type: 'file', target: join(outside, 'x.yaml') });
      expect(((await (await api('/locations')).json()) as unknown[]).length).toBe(before);
      // A glob that matches nothing is a registration with a problem, as before.
      expect((await post('/locations', { type: 'file', target: missing })).status).toBe(201);
    });
  });
});

describe.each(ENGINES)('no catalog.locationRoots (%s)', (engine) => {
  let server: TestServer;
  let dir: string;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/catalog${path}`, init);
  const post = (path: string, body: unknown) =>
    api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const targets = async () =>
    ((await (await api('/locations')).json()) as Array<{ data: { target: string } }>).map(
      (l) => l.data.target,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-no-roots-'));
    writeFileSync(join(dir, 'catalog-info.yaml'), component('local-entity'));
    files = await serveFiles({ '/catalog-info.yaml': component('remote-entity') });
    server = await startTestServer({
      engine,
      dir,
      // The default: no folder may be read by a location registered through the API.
      catalog: { locationRoots: [], locations: [] },
      backend: { reading: { allow: [{ host: files.host }] } },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await files?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file location through the API with a clear message, and stores nothing', async () => {
    const target = join(dir, 'catalog-info.yaml');
    for (const query of ['', '?dryRun=true']) {
      const response = await post(`/locations${query}`, { type: 'file', target });
      expect(response.status, query).toBe(403);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toBe(
        'file locations cannot be registered through the API: catalog.locationRoots in app-config.yaml lists no folder (register url locations, or list the folders that may be read)',
      );
    }
    expect(await targets()).not.toContain(target);
    const entity = await api('/entities/by-name/component/default/local-entity');
    expect(entity.status).toBe(404);
  });

  it('still registers url locations', async () => {
    const target = `${files.base}/catalog-info.yaml`;
    const response = await post('/locations', { type: 'url', target });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(await targets()).toContain(target);
    expect((await api('/entities/by-name/component/default/remote-entity')).status).toBe(200);
  });
});
