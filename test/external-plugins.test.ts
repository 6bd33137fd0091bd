/**
 * External plugins loaded from `plugins:` by a real Atrium: from a folder, a tarball made by
 * `npm pack`, an http URL and an npm registry (a small one on loopback); routes behind the
 * permission policy and in the audit log; `GET /api/plugins` and the web files; and every
 * refusal, which names the plugin and leaves nothing running.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION, type PluginInfo } from '../src/plugins/plugin-manager/common/index.ts';
import { type AuditApi, auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { loadExternalPlugins } from '../src/plugins/plugin-manager/server/load.ts';
import { startPolicyServer } from './helpers/permission.ts';
import { helloBackend, makePluginPackage, npmPack } from './helpers/plugin-packages.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import type { PluginEntryConfig } from '../src/core/config/index.ts';

const run = promisify(execFile);

const work = mkdtempSync(join(tmpdir(), 'atrium-ext-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A fresh folder for one app (its config, data and plugins/). */
const appDir = () => {
  const dir = join(work, `app-${++counter}`);
  mkdirSync(dir);
  return dir;
};

const greetingSchema = {
  type: 'object',
  properties: {
    channel: { type: 'string' },
    retries: { type: 'integer', default: 3 },
  },
  required: ['channel'],
  additionalProperties: false,
};

/** Starts an app in `dir` with these `plugins:` entries; expects the start to fail. */
async function refusedStart(dir: string, plugins: unknown[]): Promise<string> {
  try {
    const server = await startTestServer({ dir, extraConfig: { plugins } });
    await server.stop();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the start was expected to fail');
}

describe.each(ENGINES)('external plugins on %s', (engine) => {
  let server: TestServer;
  let folderPlugin: string;
  let tarball: { file: string; integrity: string };
  let dir: string;

  beforeAll(async () => {
    const src = join(work, `src-${engine}`);
    folderPlugin = makePluginPackage(src, {
      id: 'hello-folder',
      configSchema: greetingSchema,
      web: { 'web.mjs': 'export default {};\n', 'logo.svg': '<svg/>' },
    });
    const packed = makePluginPackage(src, { id: 'hello-tarball', version: '1.2.0' });
    tarball = await npmPack(packed, join(work, `tgz-${engine}`));
    dir = appDir();
    server = await startTestServer({
      engine,
      dir,
      extraConfig: {
        plugins: [
          { package: folderPlugin, config: { channel: '#ops' } },
          { package: tarball.file, integrity: tarball.integrity },
          { package: './nowhere', enabled: false },
        ],
      },
    });
  });
  afterAll(() => server?.stop());

  it('mounts the routes of a folder and a tarball plugin, with their validated config', async () => {
    const folder = await fetch(`${server.url}/api/hello-folder/greeting`);
    expect(folder.status).toBe(200);
    expect(await folder.json()).toEqual({
      hello: 'user:default/guest',
      // The schema's default filled in.
      config: { channel: '#ops', retries: 3 },
      apiVersion: PLUGIN_API_VERSION,
      sharedErrors: true,
    });
    const packed = await fetch(`${server.url}/api/hello-tarball/greeting`);
    expect(packed.status).toBe(200);
    expect(await packed.json()).toMatchObject({ config: null });
  });

  it('unpacks the tarball into plugins/ beside the config, with a lock file', () => {
    const lock = JSON.parse(readFileSync(join(dir, 'plugins', 'plugins-lock.json'), 'utf8'));
    const locked = lock.plugins[tarball.file];
    expect(locked).toMatchObject({
      name: '@test/atrium-plugin-hello-tarball',
      version: '1.2.0',
      integrity: tarball.integrity,
    });
    expect(existsSync(join(dir, 'plugins', locked.folder, 'dist', 'backend.mjs'))).toBe(true);
  });

  it('lists built-in and external plugins on GET /api/plugins', async () => {
    const response = await fetch(`${server.url}/api/plugins`);
    expect(response.status).toBe(200);
    const list = (await response.json()) as PluginInfo[];
    expect(list.find((p) => p.id === 'catalog')).toMatchObject({
      builtin: true,
      source: 'built-in',
      apiVersion: PLUGIN_API_VERSION,
      webUrl: null,
    });
    expect(list.find((p) => p.id === 'plugins')).toMatchObject({ builtin: true });
    const external = list.filter((p) => !p.builtin);
    expect(external.map((p) => p.id)).toEqual(['hello-folder', 'hello-tarball']);
    expect(external[0]).toEqual({
      id: 'hello-folder',
      builtin: false,
      package: '@test/atrium-plugin-hello-folder',
      version: '1.0.0',
      source: folderPlugin,
      location: expect.stringContaining('hello-folder'),
      integrity: null,
      apiVersion: '1.0.0',
      backend: true,
      webUrl: '/api/plugins/hello-folder/web/web.mjs',
    });
    expect(external[1]).toMatchObject({
      package: '@test/atrium-plugin-hello-tarball',
      version: '1.2.0',
      source: tarball.file,
      location: expect.stringMatching(/^plugins\/test-atrium-plugin-hello-tarball-1\.2\.0-/),
      integrity: tarball.integrity,
      webUrl: expect.stringMatching(/^\/api\/plugins\/hello-tarball\/web\/web\.mjs\?v=[\w-]+$/),
    });
  });

  it('serves web files as JavaScript, cached by version and integrity', async () => {
    const list = (await (await fetch(`${server.url}/api/plugins`)).json()) as PluginInfo[];
    const webUrl = list.find((p) => p.id === 'hello-tarball')!.webUrl!;
    const entry = await fetch(`${server.url}${webUrl}`);
    expect(entry.status).toBe(200);
    expect(entry.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(entry.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(await entry.text()).toContain("from './chunk.mjs'");
    // A relative import of the bundle: same folder, revalidated (no tag in its URL).
    const chunk = await fetch(`${server.url}/api/plugins/hello-tarball/web/chunk.mjs`);
    expect(chunk.status).toBe(200);
    expect(chunk.headers.get('cache-control')).toBe('private, no-cache');
    const again = await fetch(`${server.url}/api/plugins/hello-tarball/web/chunk.mjs`, {
      headers: { 'if-none-match': chunk.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    // A folder plugin's files are never cached for long: they change with each rebuild.
    const folderEntry = await fetch(`${server.url}/api/plugins/hello-folder/web/web.mjs?v=x`);
    expect(folderEntry.headers.get('cache-control')).toBe('private, no-cache');
    const svg = await fetch(`${server.url}/api/plugins/hello-folder/web/logo.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('serves nothing outside the web folder', async () => {
    // Sent as written: fetch would resolve the dots before sending.
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(server.url);
        const req = httpRequest(
          { host: url.hostname, port: url.port, path, method: 'GET' },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (const path of [
      '/api/plugins/hello-folder/web/../package.json',
      '/api/plugins/hello-folder/web/..%2Fpackage.json',
      '/api/plugins/hello-folder/web/%2e%2e/%2e%2e/package.json',
      '/api/plugins/hello-folder/web/..%2F..%2Fconfig.schema.json',
      '/api/plugins/hello-folder/web/%2Fetc%2Fpasswd',
      '/api/plugins/hello-folder/web/',
      '/api/plugins/hello-folder/web/nothing.mjs',
      '/api/plugins/catalog/web/index.html',
    ]) {
      expect(await raw(path), path).toBe(404);
    }
    // A link in a plugin folder that points outside its web folder is not followed.
    symlinkSync(join(folderPlugin, 'package.json'), join(folderPlugin, 'dist', 'pkg.json'));
    expect(await raw('/api/plugins/hello-folder/web/pkg.json')).toBe(404);
  });

  it('starts again from the lock file without unpacking again', async () => {
    await server.stop();
    const plugins = join(dir, 'plugins');
    const folder = readdirSync(plugins).find((n) => n.startsWith('test-atrium-plugin-hello'))!;
    writeFileSync(join(plugins, folder, 'marker'), 'kept');
    const before = statSync(join(plugins, folder)).mtimeMs;
    server = await startTestServer({
      engine,
      dir,
      extraConfig: { plugins: [{ package: tarball.file, integrity: tarball.integrity }] },
    });
    expect(statSync(join(plugins, folder)).mtimeMs).toBe(before);
    expect(existsSync(join(plugins, folder, 'marker'))).toBe(true);
    expect((await fetch(`${server.url}/api/hello-tarball/greeting`)).status).toBe(200);
  });
});

describe('external plugin routes and access control', () => {
  it('go through the YAML policy and the audit log like built-in routes', async () => {
    const folder = makePluginPackage(join(work, 'policy-src'), { id: 'notes' });
    const entry: PluginEntryConfig = {
      package: folder,
      enabled: true,
      baseDir: work,
      key: 'plugins[0]',
    };
    const external = await loadExternalPlugins([entry], { builtinIds: ['catalog'] });
    const server = await startPolicyServer({
      extraPlugins: external.map((p) => p.definition!),
      policy: `rules:
  - name: everyone may read and write notes
    roles: [everyone]
    allow: [notes.greeting.read, notes.note.create]
`,
    });
    try {
      const greeting = await server.call('GET', `${server.url}/api/notes/greeting`);
      expect(greeting.status).toBe(200);
      expect(greeting.body.hello).toBe('user:default/alice');
      const created = await server.call('POST', `${server.url}/api/notes/notes`, { text: 'hi' });
      expect(created.status).toBe(201);
      // No rule gives notes.note.delete: denied, with the permission named.
      const denied = await server.call('DELETE', `${server.url}/api/notes/notes/n1`);
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('You need notes.note.delete');
      // The default policy opens the plugin list to every signed-in user.
      expect((await server.call('GET', `${server.url}/api/plugins`)).status).toBe(200);

      const audit: AuditApi = server.app.use(auditServiceRef);
      await audit.flush();
      const { items } = await audit.store.list({ limit: 100 });
      expect(items.find((e) => e.action === 'notes.note.create')).toMatchObject({
        actor: 'user:default/alice',
        outcome: 'success',
      });
      expect(items.find((e) => e.action === 'permission.denied')).toMatchObject({
        actor: 'user:default/alice',
        outcome: 'denied',
        details: { permission: 'notes.note.delete' },
      });
    } finally {
      await server.stop();
    }
  });
});

describe('refusals name the plugin', () => {
  const src = join(work, 'refusals');

  it('refuses a config that does not match the plugin schema, naming key and plugin', async () => {
    const folder = makePluginPackage(src, { id: 'configured', configSchema: greetingSchema });
    const message = await refusedStart(appDir(), [
      { package: './unused', enabled: false },
      { package: folder, config: { channel: 5, colour: 'red' } },
    ]);
    expect(message).toContain(
      'Cannot load plugin configured (package @test/atrium-plugin-configured@1.0.0, plugins[1]',
    );
    expect(message).toContain('plugins[1].config.channel: must be string (plugin configured)');
    expect(message).toContain(
      'plugins[1].config.colour: is not allowed here (unknown property) (plugin configured)',
    );
    const missing = await refusedStart(appDir(), [{ package: folder }]);
    expect(missing).toContain('plugins[0].config.channel: is required (plugin configured)');
  });

  it('refuses a tarball whose integrity does not match, with both hashes', async () => {
    const tgz = await npmPack(makePluginPackage(src, { id: 'tampered' }), join(src, 'tgz'));
    const other = await npmPack(
      makePluginPackage(src, { id: 'other', version: '2.0.0' }),
      join(src, 'tgz'),
    );
    const dir = appDir();
    const message = await refusedStart(dir, [{ package: tgz.file, integrity: other.integrity }]);
    expect(message).toContain(`Cannot load plugin plugins[0] (${tgz.file})`);
    expect(message).toContain(
      `the config expects ${other.integrity}, but the tarball is ${tgz.integrity}`,
    );
    // Nothing was unpacked.
    expect(existsSync(join(dir, 'plugins', 'plugins-lock.json'))).toBe(false);
  });

  it('refuses an incompatible plugin API version, naming what it needs and what is present', async () => {
    for (const apiVersion of ['2.0.0', '1.2.0']) {
      const folder = makePluginPackage(join(src, apiVersion), { id: 'future', apiVersion });
      const message = await refusedStart(appDir(), [{ package: folder }]);
      expect(message).toContain(
        `Plugin future (@test/atrium-plugin-future@1.0.0) needs plugin API ${apiVersion}, but this Atrium provides plugin API ${PLUGIN_API_VERSION}`,
      );
    }
  });

  it('stops the start when a setup throws, after stopping what was set up', async () => {
    const marker = join(src, 'stopped.txt');
    const stopping = makePluginPackage(src, {
      id: 'stopping',
      backend: helloBackend(
        'stopping',
        `env.onStop(async () => { (await import('node:fs')).writeFileSync(${JSON.stringify(marker)}, 'stopped'); });`,
      ),
    });
    const throwing = makePluginPackage(src, {
      id: 'throwing',
      backend: helloBackend('throwing', "throw new Error('no on-call service configured');"),
    });
    const message = await refusedStart(appDir(), [{ package: stopping }, { package: throwing }]);
    expect(message).toBe(
      `Plugin throwing (package @test/atrium-plugin-throwing@1.0.0, plugins[1]: ${throwing}) failed to set up: no on-call service configured`,
    );
    expect(readFileSync(marker, 'utf8')).toBe('stopped');
  });

  it('refuses an id that a built-in or an earlier plugin has', async () => {
    const catalog = makePluginPackage(join(src, 'dup1'), { id: 'catalog' });
    expect(await refusedStart(appDir(), [{ package: catalog }])).toContain(
      'Cannot load plugin catalog (package @test/atrium-plugin-catalog@1.0.0, plugins[0]: ' +
        `${catalog}): the plugin id 'catalog' is already taken by the built-in plugin 'catalog'`,
    );
    const first = makePluginPackage(join(src, 'dup2'), { id: 'twin', name: '@a/twin' });
    const second = makePluginPackage(join(src, 'dup3'), { id: 'twin', name: '@b/twin' });
    expect(await refusedStart(appDir(), [{ package: first }, { package: second }])).toContain(
      `Cannot load plugin twin (package @b/twin@1.0.0, plugins[1]: ${second}): the plugin id 'twin' is already taken by twin (package @a/twin@1.0.0, plugins[0]: ${first})`,
    );
  });

  it('refuses a missing package, a bad manifest and a backend that does not load', async () => {
    expect(await refusedStart(appDir(), [{ package: './missing-1.0.0.tgz' }])).toMatch(
      /Cannot load plugin plugins\[0\] \(\.\/missing-1\.0\.0\.tgz\): the tarball .*missing-1\.0\.0\.tgz does not exist/,
    );
    const noField = makePluginPackage(join(src, 'bad'), {
      id: 'bad',
      atrium: { id: 'Bad Id', backend: 'dist/none.mjs' },
    });
    const bad = await refusedStart(appDir(), [{ package: noField }]);
    expect(bad).toContain('is not a valid Atrium plugin package');
    expect(bad).toContain('atrium.id: must be a plugin id');
    expect(bad).toContain('atrium.backend: dist/none.mjs does not exist in the package');
    const broken = makePluginPackage(join(src, 'broken'), {
      id: 'broken',
      backend: "throw new Error('missing dependency left-pad');",
    });
    expect(await refusedStart(appDir(), [{ package: broken }])).toContain(
      'Cannot load plugin broken (package @test/atrium-plugin-broken@1.0.0, plugins[0]: ' +
        `${broken}): its backend dist/backend.mjs failed to load: missing dependency left-pad`,
    );
    const misnamed = makePluginPackage(join(src, 'misnamed'), {
      id: 'misnamed',
      backend: helloBackend('other-name'),
    });
    expect(await refusedStart(appDir(), [{ package: misnamed }])).toContain(
      "its backend's plugin id is 'other-name', but package.json says atrium.id 'misnamed'",
    );
  });

  it('refuses tarballs with links or entries outside the package folder', async () => {
    const dir = join(src, 'evil');
    mkdirSync(join(dir, 'package'), { recursive: true });
    writeFileSync(join(dir, 'outside.txt'), 'x');
    writeFileSync(join(dir, 'package', 'package.json'), '{}');
    await run('tar', ['-czPf', 'escape.tgz', 'package/package.json', 'package/../outside.txt'], {
      cwd: dir,
    });
    symlinkSync('/etc/passwd', join(dir, 'package', 'passwd'));
    await run('tar', ['-czf', 'link.tgz', 'package'], { cwd: dir });
    const app = appDir();
    expect(await refusedStart(app, [{ package: join(dir, 'escape.tgz') }])).toContain(
      "entry 'package/../outside.txt' would be written outside the package folder",
    );
    expect(await refusedStart(app, [{ package: join(dir, 'link.tgz') }])).toContain(
      "entry 'package/passwd' is a symbolic link",
    );
    expect(existsSync(join(app, 'outside.txt'))).toBe(false);
    expect(readdirSync(join(app, 'plugins')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });
});

describe('fetched plugins', () => {
  let http: Server;
  let base: string;
  const requests: string[] = [];
  const files = new Map<string, { body: Buffer; type: string }>();

  beforeAll(async () => {
    http = createServer((req, res) => {
      requests.push(req.url ?? '');
      const file = files.get(decodeURIComponent(req.url ?? ''));
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.type }).end(file.body);
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => http.close(() => done())));

  it('downloads a tarball URL once; a restart uses what the lock file records', async () => {
    const tgz = await npmPack(
      makePluginPackage(join(work, 'url-src'), { id: 'from-url' }),
      join(work, 'url-tgz'),
    );
    files.set('/from-url-1.0.0.tgz', { body: readFileSync(tgz.file), type: 'application/gzip' });
    const dir = appDir();
    const plugins = [{ package: `${base}/from-url-1.0.0.tgz`, integrity: tgz.integrity }];
    for (let i = 0; i < 2; i++) {
      const server = await startTestServer({ dir, extraConfig: { plugins } });
      try {
        expect((await fetch(`${server.url}/api/from-url/greeting`)).status).toBe(200);
      } finally {
        await server.stop();
      }
    }
    expect(requests.filter((r) => r === '/from-url-1.0.0.tgz')).toHaveLength(1);
  });

  it('fetches a registry package with npm pack, through the .npmrc beside the config', async () => {
    const tgz = await npmPack(
      makePluginPackage(join(work, 'registry-src'), {
        id: 'from-registry',
        name: '@acme/atrium-plugin-from-registry',
        version: '1.2.0',
      }),
      join(work, 'registry-tgz'),
    );
    const tarballUrl = `${base}/tarballs/${basename(tgz.file)}`;
    files.set(`/tarballs/${basename(tgz.file)}`, {
      body: readFileSync(tgz.file),
      type: 'application/octet-stream',
    });
    const packument = {
      name: '@acme/atrium-plugin-from-registry',
      'dist-tags': { latest: '1.2.0' },
      versions: {
        '1.2.0': {
          name: '@acme/atrium-plugin-from-registry',
          version: '1.2.0',
          dist: { tarball: tarballUrl, integrity: tgz.integrity },
        },
      },
    };
    files.set('/@acme/atrium-plugin-from-registry', {
      body: Buffer.from(JSON.stringify(packument)),
      type: 'application/json',
    });
    const dir = appDir();
    writeFileSync(join(dir, '.npmrc'), `registry=${base}/\ncache=${join(dir, '.npm-cache')}\n`);
    const server = await startTestServer({
      dir,
      extraConfig: {
        plugins: [{ package: '@acme/atrium-plugin-from-registry@1.2.0', integrity: tgz.integrity }],
      },
    });
    try {
      expect((await fetch(`${server.url}/api/from-registry/greeting`)).status).toBe(200);
      const list = (await (await fetch(`${server.url}/api/plugins`)).json()) as PluginInfo[];
      expect(list.find((p) => p.id === 'from-registry')).toMatchObject({
        package: '@acme/atrium-plugin-from-registry',
        version: '1.2.0',
        source: '@acme/atrium-plugin-from-registry@1.2.0',
        integrity: tgz.integrity,
      });
    } finally {
      await server.stop();
    }
    expect(requests).toContain(`/tarballs/${basename(tgz.file)}`);
  });
});
