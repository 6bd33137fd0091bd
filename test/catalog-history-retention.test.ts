/**
 * History retention on SQLite and PostgreSQL: a prune deletes in bounded batches with a turn of
 * the event loop between them (other requests keep being answered while 20,000 events go), and
 * of two servers sharing one PostgreSQL only one prunes per interval (a lease).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import type { Database } from '../src/core/database/database.ts';
import { createLogger } from '../src/core/logger.ts';
import { HistoryStore } from '../src/plugins/catalog/server/history/history-store.ts';
import {
  retentionLease,
  startHistoryRetention,
} from '../src/plugins/catalog/server/history/retention.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { ENGINES, freshDatabase, startTestServer, type TestServer } from './helpers/server.ts';

const logger = createLogger({ level: 'error' });
const DAY_MS = 24 * 3600 * 1000;

/** Adds `count` events recorded `ageDays` ago, straight into the table. */
async function addEvents(database: Database, count: number, ageDays: number): Promise<void> {
  const createdAt = new Date(Date.now() - ageDays * DAY_MS).toISOString();
  for (let i = 0; i < count; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - i) }, (_v, j) => ({
      created_at: createdAt,
      entity_ref: `component:default/pruned-${i + j}`,
      kind: 'component',
      action: 'created',
      diff: null,
      cause: '{"type":"delete","actor":"user:default/test"}',
    }));
    await database.db.insertInto('catalog_entity_events').values(rows).execute();
  }
}

async function countEvents(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('catalog_entity_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const engine of ENGINES) {
  describe(`history retention (${engine})`, () => {
    let server: TestServer;
    let store: HistoryStore;

    beforeAll(async () => {
      server = await startTestServer({ engine, catalog: { locations: [] } });
      store = new HistoryStore(server.app.database);
    }, 60_000);
    afterAll(() => server?.stop());

    it('prunes by age in bounded batches, answering requests between them', async () => {
      const database = server.app.database;
      await database.db.deleteFrom('catalog_entity_events').execute();
      await addEvents(database, 20_000, 100);
      await addEvents(database, 300, 0);

      // Turns of the event loop, and how long each batch held it.
      let turns = 0;
      let spinning = true;
      const spin = () => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const batches: Array<{ deleted: number; turns: number }> = [];
      // Requests asked throughout the prune all get answers while it runs.
      const answered: number[] = [];
      const first = performance.now();
      let asking = true;
      const ask = (async () => {
        while (asking) {
          const res = await fetch(`${server.url}/api/catalog/entities?limit=1`);
          await res.arrayBuffer();
          answered.push(performance.now());
        }
      })();

      const job = startHistoryRetention(store, { retentionDays: 90, maxEvents: 0 }, logger, {
        prune: { batchSize: 1000, onBatch: (deleted) => batches.push({ deleted, turns }) },
      });
      const deleted = await job.runNow();
      const pruned = performance.now();
      await job.stop();
      spinning = false;
      asking = false;
      await ask;

      expect(deleted).toBe(20_000);
      expect(await countEvents(database)).toBe(300);
      expect(batches.map((b) => b.deleted)).toEqual([...Array(20).fill(1000), 0]);
      // The event loop turned between every two batches.
      for (let i = 1; i < batches.length; i++) {
        expect(batches[i]!.turns, `turns before batch ${i}`).toBeGreaterThan(batches[i - 1]!.turns);
      }
      // Requests were answered while it ran, not only once it was over.
      expect(answered.filter((t) => t > first && t < pruned).length).toBeGreaterThan(1);
    });

    it('prunes the oldest past maxEvents in bounded batches, keeping the newest', async () => {
      const database = server.app.database;
      await database.db.deleteFrom('catalog_entity_events').execute();
      await addEvents(database, 2_500, 1);
      const newest = await store.page({ limit: 10 });
      const batches: number[] = [];
      const job = startHistoryRetention(store, { retentionDays: 0, maxEvents: 10 }, logger, {
        prune: { batchSize: 1000, onBatch: (n) => batches.push(n) },
      });
      expect(await job.runNow()).toBe(2_490);
      await job.stop();
      expect(batches).toEqual([1000, 1000, 490]);
      expect((await store.page({ limit: 20 })).rows).toEqual(newest.rows);
    });

    it('schedules the first prune a while after start, not on the start path', async () => {
      const database = server.app.database;
      await database.db.deleteFrom('catalog_entity_events').execute();
      await addEvents(database, 50, 100);
      await addEvents(database, 10, 0);
      const before = await countEvents(database);
      const prune = vi.spyOn(store, 'prune');
      const job = startHistoryRetention(store, { retentionDays: 1, maxEvents: 0 }, logger);
      await new Promise((r) => setTimeout(r, 300));
      await job.stop();
      expect(prune).not.toHaveBeenCalled();
      expect(await countEvents(database)).toBe(before);

      // With a short first delay the scheduled run does prune.
      const soon = startHistoryRetention(store, { retentionDays: 1, maxEvents: 0 }, logger, {
        firstDelayMs: 10,
      });
      await vi.waitFor(async () => expect(await countEvents(database)).toBe(before - 50), {
        timeout: 5000,
      });
      await soon.stop();
      expect(prune).toHaveBeenCalledTimes(1);
      prune.mockRestore();
    });
  });
}

describe.runIf(ENGINES.includes('pg'))(
  'history retention on two servers sharing PostgreSQL',
  () => {
    const apps: App[] = [];
    let drop: () => Promise<void>;
    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-retention-replicas-'));
      const database = await freshDatabase('pg', dir);
      drop = database.drop;
      const file = join(dir, 'app-config.yaml');
      writeFileSync(
        file,
        stringify({
          backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
          catalog: { refresh: { interval: false }, locations: [] },
        }),
      );
      const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
      for (let i = 0; i < 2; i++) {
        const app = await createApp({ config, plugins: installedPlugins(), cwd: dir, logger });
        apps.push(app);
        await app.start();
      }
    }, 60_000);

    afterAll(async () => {
      for (const app of apps) await app.stop();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('prunes on one of them per interval', async () => {
      const [a, b] = apps as [App, App];
      await addEvents(a.database, 3_000, 1);
      const prune = vi.spyOn(HistoryStore.prototype, 'prune');
      const settings = { retentionDays: 0, maxEvents: 1000 };
      // As each server sets up its job (catalog-history.ts), due at the same moment on both.
      const jobs = [a, b].map((app) =>
        startHistoryRetention(new HistoryStore(app.database), settings, logger, {
          lease: retentionLease(app.database),
          intervalMs: 1500,
          firstDelayMs: 3_600_000,
        }),
      );
      const results = await Promise.all(jobs.map((job) => job.runNow()));
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect(results.find((r) => r !== undefined)).toBe(2_000);
      expect(prune).toHaveBeenCalledTimes(1);
      // The lease is kept for the interval: neither prunes again before it is over…
      expect(await Promise.all(jobs.map((job) => job.runNow()))).toEqual([undefined, undefined]);
      expect(prune).toHaveBeenCalledTimes(1);
      // …and once it is, one of them does.
      await new Promise((r) => setTimeout(r, 1500));
      const next = await Promise.all(jobs.map((job) => job.runNow()));
      expect(next.filter((r) => r === 0)).toHaveLength(1);
      expect(prune).toHaveBeenCalledTimes(2);
      for (const job of jobs) await job.stop();
      prune.mockRestore();
      expect(await countEvents(a.database)).toBe(1000);
    });
  },
);
