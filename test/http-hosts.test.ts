/**
 * The HTTP server answers only for its own host names (`backend.allowedHosts`; 421 otherwise)
 * and marks every response `X-Content-Type-Options: nosniff`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { CATALOG, scaffolderClient } from './scaffolder-helpers.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request to 127.0.0.1:port with any `Host` header (fetch would not send one). */
function get(
  port: number,
  path: string,
  host: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        setHost: false,
        headers: { host, ...init.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

interface Started {
  app: App;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** A real server (all plugins, a built web app stand-in) in the given environment. */
async function start(options: {
  environment: string;
  backend?: Record<string, unknown>;
  app?: Record<string, unknown>;
}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-hosts-'));
  const webRoot = join(dir, 'web');
  mkdirSync(join(webRoot, 'assets'), { recursive: true });
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Atrium</title>');
  writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1);');
  writeFileSync(
    join(dir, 'app-config.yaml'),
    stringify({
      ...(options.app ? { app: options.app } : {}),
      backend: {
        listen: { host: '127.0.0.1', port: 0 },
        database: { client: 'better-sqlite3', connection: ':memory:' },
        ...options.backend,
      },
      catalog: { refresh: { interval: false }, locations: [{ type: 'file', target: CATALOG }] },
      techdocs: { buildOnStart: false },
      scaffolder: { workspaceDir: join(dir, 'workspaces') },
    }),
  );
  const { config } = await loadConfig({
    configPaths: [join(dir, 'app-config.yaml')],
    cwd: dir,
    env: {},
  });
  const app = await createApp({
    config,
    plugins: installedPlugins(),
    cwd: dir,
    webRoot,
    environment: options.environment,
    logger: createLogger({ level: 'error' }),
  });
  await app.start();
  const { port } = app.server.server.address() as { port: number };
  return {
    app,
    port,
    dir,
    async stop() {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PATHS = ['/api/catalog/entities', '/', '/catalog/some/page', '/no/such/file.js', '/api/nope'];

function expectMisdirected(answer: Answer, path: string, host: string) {
  expect(answer.status, `${host} ${path}`).toBe(421);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  const body = JSON.parse(answer.body);
  expect(body).toEqual({
    error: {
      name: 'MisdirectedRequestError',
      message: `This server does not serve the host ${JSON.stringify(host)}: add it to backend.allowedHosts in app-config.yaml`,
    },
    request: { method: 'GET', url: expect.any(String) },
    response: { statusCode: 421 },
  });
}

describe('allowed hosts in development (NODE_ENV is not production)', () => {
  let server: Started;
  beforeAll(async () => {
    server = await start({ environment: 'development' });
  });
  afterAll(() => server?.stop());

  it('serves loopback names on any port and the configured base URL host', async () => {
    for (const host of [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `[::1]:${server.port}`,
      'localhost',
      'localhost:7007',
    ]) {
      expect((await get(server.port, '/api/catalog/entities', host)).status, host).toBe(200);
      expect((await get(server.port, '/', host)).status, host).toBe(200);
    }
    expect((await get(server.port, '/api/nope', `127.0.0.1:${server.port}`)).status).toBe(404);
  });

  it('answers 421 for other hosts on API routes, the web app and unknown paths', async () => {
    const hostile = [
      'evil.example',
      'evil.example:7007',
      '',
      // DNS rebinding: a name the attacker controls, resolving to this loopback address.
      `attacker.test:${server.port}`,
      'localhost.attacker.test',
      '127.0.0.1.nip.io',
    ];
    for (const host of hostile) {
      for (const path of PATHS) expectMisdirected(await get(server.port, path, host), path, host);
    }
  });
});

describe('allowed hosts in production', () => {
  let server: Started;
  beforeAll(async () => {
    server = await start({
      environment: 'production',
      app: { baseUrl: 'https://portal.example.com' },
      backend: { baseUrl: 'https://api.portal.example.com:8443' },
    });
  });
  afterAll(() => server?.stop());

  it('serves the hosts of app.baseUrl and backend.baseUrl only', async () => {
    for (const host of [
      'portal.example.com',
      'portal.example.com:443',
      'PORTAL.example.com',
      'api.portal.example.com:8443',
    ]) {
      expect((await get(server.port, '/api/catalog/entities', host)).status, host).toBe(200);
    }
    for (const host of [
      `localhost:${server.port}`,
      `127.0.0.1:${server.port}`,
      '[::1]',
      'api.portal.example.com:9999',
      'evil.example',
    ]) {
      for (const path of PATHS) expectMisdirected(await get(server.port, path, host), path, host);
    }
  });
});

describe('backend.allowedHosts', () => {
  it('lists hosts explicitly, with or without ports; * allows every host', async () => {
    const listed = await start({
      environment: 'production',
      backend: { allowedHosts: ['localhost', 'portal.example.com:8080', '*.internal.example'] },
    });
    try {
      for (const [host, status] of [
        [`localhost:${listed.port}`, 200],
        ['portal.example.com:8080', 200],
        ['portal.example.com:8081', 421],
        ['a.internal.example', 200],
        ['internal.example', 421],
        // Not in the list: the default (backend.baseUrl's host) no longer applies.
        ['localhost.example', 421],
        [`127.0.0.1:${listed.port}`, 421],
      ] as const) {
        expect((await get(listed.port, '/api/catalog/entities', host)).status, host).toBe(status);
      }
    } finally {
      await listed.stop();
    }
    const any = await start({ environment: 'production', backend: { allowedHosts: ['*'] } });
    try {
      expect((await get(any.port, '/api/catalog/entities', 'whatever.example')).status).toBe(200);
    } finally {
      await any.stop();
    }
  });
});

describe('X-Content-Type-Options: nosniff', () => {
  let server: Started;
  beforeAll(async () => {
    server = await start({ environment: 'development' });
  });
  afterAll(() => server?.stop());

  it('is set on API answers, errors, 404s, static files, the app shell and event streams', async () => {
    const host = `127.0.0.1:${server.port}`;
    const answers: Array<[string, Answer]> = [
      ['api', await get(server.port, '/api/catalog/entities', host)],
      [
        'error',
        await get(server.port, '/api/catalog/locations', host, {
          method: 'POST',
          body: '{not json',
          headers: { 'content-type': 'application/json' },
        }),
      ],
      ['404', await get(server.port, '/api/catalog/nothing-here', host)],
      ['missing asset', await get(server.port, '/assets/missing.js', host)],
      ['static file', await get(server.port, '/assets/app.js', host)],
      ['app shell', await get(server.port, '/catalog', host)],
    ];
    expect(answers.map(([name, a]) => [name, a.status])).toEqual([
      ['api', 200],
      ['error', 400],
      ['404', 404],
      ['missing asset', 404],
      ['static file', 200],
      ['app shell', 200],
    ]);
    for (const [name, answer] of answers) {
      expect(answer.headers['x-content-type-options'], name).toBe('nosniff');
    }

    const api = scaffolderClient(`http://${host}`);
    const id = await api.create('template:default/wait', { seconds: 0 });
    await api.finished(id);
    const stream = await get(server.port, `/api/scaffolder/v2/tasks/${id}/eventstream`, host);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    expect(stream.body).toContain('event: completion');
  });
});
