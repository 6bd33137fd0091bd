/**
 * The health endpoints load balancers and orchestrators probe, where Backstage has them, on
 * SQLite and PostgreSQL: `/healthcheck` and liveness answer `{"status":"ok"}` without credentials
 * and without a database query, readiness answers 503 until every start hook has run and again
 * while the server stops, and 503 when the database does not answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { definePlugin } from '../src/core/plugin-api.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { freePort } from './helpers/auth.ts';
import { ENGINES, freshDatabase } from './helpers/server.ts';

const LIVENESS = '/.backstage/health/v1/liveness';
const READINESS = '/.backstage/health/v1/readiness';

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

for (const engine of ENGINES) {
  describe(`health endpoints (${engine})`, () => {
    let app: App;
    let url: string;
    let dir: string;
    let drop: () => Promise<void>;
    const startGate = gate();
    const stopGate = gate();
    let starting: Promise<string>;
    let startHookRunning = false;
    let stopHookRunning = false;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-health-'));
      const database = await freshDatabase(engine, dir);
      drop = database.drop;
      const port = await freePort();
      url = `http://localhost:${port}`;
      const file = join(dir, 'app-config.yaml');
      writeFileSync(
        file,
        stringify({
          backend: {
            baseUrl: url,
            listen: { host: '127.0.0.1', port },
            database: database.config,
          },
          catalog: { refresh: { interval: false }, locations: [] },
          // Guest access off: the probes have no credentials, and must not need any.
          auth: { environment: 'production', providers: {} },
          techdocs: { buildOnStart: false },
        }),
      );
      const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
      // A plugin whose start and stop hooks wait, to look at readiness meanwhile.
      const slow = definePlugin({
        id: 'slow-start',
        setup(env) {
          env.onStart(async () => {
            startHookRunning = true;
            await startGate.promise;
          });
          env.onStop(async () => {
            stopHookRunning = true;
            await stopGate.promise;
          });
        },
      });
      app = await createApp({
        config,
        plugins: [...installedPlugins(), slow],
        cwd: dir,
        logger: createLogger({ level: 'error' }),
        environment: 'production',
      });
      starting = app.start();
      await vi.waitFor(() => expect(startHookRunning).toBe(true), { timeout: 20_000 });
    }, 60_000);

    afterAll(async () => {
      startGate.open();
      stopGate.open();
      await app?.stop();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    });

    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`);
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), text };
    };

    it('answers liveness at once, and readiness 503 until start-up has finished', async () => {
      for (const path of ['/healthcheck', LIVENESS]) {
        const res = await get(path);
        expect(res, path).toMatchObject({ status: 200, text: '{"status":"ok"}' });
        expect(res.type, path).toMatch(/^application\/json/);
      }
      const notYet = await get(READINESS);
      expect(notYet.status).toBe(503);
      expect(JSON.parse(notYet.text)).toEqual({ status: 'error', message: 'Atrium is starting' });

      startGate.open();
      await starting;
      expect(await get(READINESS)).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    });

    it('checks the database for readiness only, through the read pool', async () => {
      const executor = app.database.reader.getExecutor();
      const query = vi.spyOn(executor, 'executeQuery');
      const healthQueries = () =>
        query.mock.calls.filter(([q]) => /^select 1$/i.test(q.sql.trim())).length;
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        expect((await get(LIVENESS)).status).toBe(200);
        expect((await get('/healthcheck')).status).toBe(200);
        times.push(performance.now() - started);
      }
      expect(healthQueries()).toBe(0);
      expect(Math.max(...times)).toBeLessThan(250);
      expect((await get(READINESS)).status).toBe(200);
      expect(healthQueries()).toBe(1);

      // A database that fails: not ready, but alive.
      query.mockImplementation(async () => {
        throw new Error('connection refused');
      });
      const failing = await get(READINESS);
      expect(failing.status).toBe(503);
      expect(JSON.parse(failing.text).message).toBe('The database does not answer');
      // The cause stays in the log: a public probe must not learn the server's internals.
      expect(failing.text).not.toContain('connection refused');
      expect((await get(LIVENESS)).status).toBe(200);
      query.mockRestore();
      expect((await get(READINESS)).status).toBe(200);
    });

    it('is listed as public routes without a permission, and needs no credentials', async () => {
      const { hostRegistryRef } = await import('../src/core/host-services.ts');
      const health = app
        .use(hostRegistryRef)
        .routes()
        .filter((r) => r.plugin === 'host');
      expect(health.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
        'GET /.backstage/health/v1/liveness',
        'GET /.backstage/health/v1/readiness',
        'GET /healthcheck',
      ]);
      for (const route of health) expect(route).toMatchObject({ public: true, permission: null });
      // An API route of the same server refuses the same caller.
      expect((await get('/api/catalog/entities?limit=1')).status).toBe(401);
      // A bad credential is no reason to fail a probe.
      const res = await fetch(`${url}${LIVENESS}`, {
        headers: { authorization: 'Bearer nonsense' },
      });
      expect(res.status).toBe(200);
    });

    it('answers readiness 503 while the server stops', async () => {
      const stopping = app.stop();
      await vi.waitFor(() => expect(stopHookRunning).toBe(true), { timeout: 10_000 });
      const res = await get(READINESS);
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text).message).toBe('Atrium is stopping');
      expect((await get(LIVENESS)).status).toBe(200);
      stopGate.open();
      await stopping;
    });
  });
}
