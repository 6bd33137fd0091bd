import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import {
  type Authorize,
  createExtensionPoint,
  createServiceRef,
  definePlugin,
  extend,
  type Identity,
  type Permission,
} from '../src/core/plugin-api.ts';
import { catalogPlugin } from '../src/plugins/catalog/server/plugin.ts';

const dirs: string[] = [];
const apps: App[] = [];

async function config() {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-plugin-'));
  dirs.push(dir);
  const file = join(dir, 'app-config.yaml');
  writeFileSync(
    file,
    'backend:\n  listen: { port: 0 }\n  database: { client: better-sqlite3, connection: ":memory:" }\ncatalog:\n  refresh: { interval: false }\n',
  );
  return (await loadConfig({ configPaths: [file], cwd: dir, env: {} })).config;
}

async function app(plugins: Parameters<typeof createApp>[0]['plugins'], authorize?: Authorize) {
  const created = await createApp({
    config: await config(),
    plugins,
    authorize,
    logger: createLogger({ level: 'error' }),
  });
  apps.push(created);
  return created;
}

afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('plugin API', () => {
  it('rejects invalid plugin ids when declared', () => {
    expect(() => definePlugin({ id: 'Bad Id', setup() {} })).toThrow(
      /Plugin id 'Bad Id' is invalid/,
    );
  });

  it('stops the app on two plugins with one id', async () => {
    const p = () => definePlugin({ id: 'twice', setup() {} });
    await expect(app([p(), p()])).rejects.toThrow("Two plugins have the id 'twice'");
  });

  it('stops the app on an extension for a point nobody declares', async () => {
    const point = createExtensionPoint<string>('nobody.point');
    const plugin = definePlugin({ id: 'extender', extensions: [extend(point, 'x')], setup() {} });
    await expect(app([plugin])).rejects.toThrow(
      "Plugin 'extender' extends 'nobody.point', which no installed plugin declares",
    );
  });

  it('stops the app on a route without a permission decision', async () => {
    const plugin = definePlugin({
      id: 'careless',
      setup(env) {
        env.route({ method: 'GET', url: '/x', handler: async () => 'x' } as unknown as Parameters<
          typeof env.route
        >[0]);
      },
    });
    await expect(app([plugin])).rejects.toThrow(
      "Route GET /x of plugin 'careless' has no permission decision",
    );
  });

  it('stops the app at start on an /api route registered past env.route', async () => {
    // A plugin that got hold of the HTTP server (here: from the app) and adds a route itself,
    // while the app is being set up and in its ready hook, when every other plugin is set up.
    let server: App['server'] | undefined;
    const sneaky = definePlugin({
      id: 'sneaky',
      setup(env) {
        env.onReady(() => {
          server?.get('/api/sneaky/late', async () => 'no permission asked');
        });
      },
    });
    const early = await app([sneaky]);
    early.server.post('/api/sneaky/early', async () => 'no permission asked');
    await expect(early.start()).rejects.toThrow(
      'API routes registered without env.route (no permission decision): POST /api/sneaky/early',
    );
    const late = await app([sneaky]);
    server = late.server;
    await expect(late.start()).rejects.toThrow(
      'API routes registered without env.route (no permission decision): GET /api/sneaky/late',
    );
    // The same plugin without the extra route starts.
    server = undefined;
    const fine = await app([sneaky]);
    await expect(fine.start()).resolves.toMatch(/^http:/);
  });

  it('hands contributions to the owner of the point, and services between plugins', async () => {
    const point = createExtensionPoint<string>('owner.greetings');
    const service = createServiceRef<{ hello(): string }>('owner.service');
    let seen: string[] = [];
    const owner = definePlugin({
      id: 'owner',
      extensionPoints: [point],
      setup(env) {
        seen = env.extensions(point);
        env.provide(service, { hello: () => `hello ${seen.join('+')}` });
      },
    });
    const contributor = definePlugin({
      id: 'contributor',
      extensions: [extend(point, 'a'), extend(point, 'b')],
      dependsOn: ['owner'],
      setup() {},
    });
    const created = await app([owner, contributor]);
    expect(seen).toEqual(['a', 'b']);
    expect(created.use(service).hello()).toBe('hello a+b');
  });

  it('asks authorize with the caller identity and the route permission before every handler', async () => {
    const asked: Array<{ identity: Identity; permission: Permission }> = [];
    const authorize: Authorize = async (identity, permission) => {
      asked.push({ identity, permission });
      return permission.name === 'catalog.location.create'
        ? { result: 'DENY', reason: { message: 'the test policy says no' } }
        : { result: 'ALLOW' };
    };
    const created = await app([catalogPlugin()], authorize);
    const url = await created.start();
    const list = await fetch(`${url}/api/catalog/entities`);
    expect(list.status).toBe(200);
    expect(asked.map((a) => a.permission.name)).toEqual(['catalog.entity.read']);
    expect(asked[0]!.identity.userEntityRef).toBe('user:default/guest');
    const denied = await fetch(`${url}/api/catalog/locations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'url', target: 'http://127.0.0.1:1/x.yaml' }),
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({
      error: {
        name: 'NotAllowedError',
        message: 'You need catalog.location.create: the test policy says no',
        permission: 'catalog.location.create',
        reason: { message: 'the test policy says no' },
      },
      request: { method: 'POST', url: '/locations' },
      response: { statusCode: 403 },
    });
  });
});
