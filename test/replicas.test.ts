/**
 * Several stateless Atrium processes sharing one PostgreSQL database: they start together,
 * read the same config locations, and answer the same.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { ENGINES, freshDatabase } from './helpers/server.ts';

const examples = resolve(import.meta.dirname, '../examples/catalog-info.yaml');

describe.runIf(ENGINES.includes('pg'))('replicas sharing PostgreSQL', () => {
  const apps: App[] = [];
  const urls: string[] = [];
  let drop: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-replicas-'));
    const database = await freshDatabase('pg', dir);
    drop = database.drop;
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
        catalog: { refresh: { interval: false }, locations: [{ type: 'file', target: examples }] },
      }),
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    const logger = createLogger({ level: 'error' });
    // Both created before either starts: migrations and the first ingest run concurrently.
    const created = await Promise.all(
      [0, 1].map(() => createApp({ config, plugins: installedPlugins(), cwd: dir, logger })),
    );
    apps.push(...created);
    urls.push(...(await Promise.all(created.map((a) => a.start()))));
  });

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers each config location once and reads it without conflicts', async () => {
    for (const url of urls) {
      const status = await (await fetch(`${url}/api/catalog/locations/status`)).json();
      expect(status.items).toHaveLength(1);
      expect(status.items[0].problems).toEqual([]);
      expect(status.items[0].entityCount).toBe(129);
    }
  });

  it('answers the same from every replica, and sees writes made through another', async () => {
    const query =
      '/api/catalog/entities/by-query?filter=kind=component&orderField=metadata.name,asc&limit=5';
    const [a, b] = await Promise.all(
      urls.map(async (url) => (await fetch(`${url}${query}`)).json()),
    );
    expect(a.totalItems).toBe(44);
    expect(b).toEqual(a);
    const uid = a.items[0].metadata.uid;
    const deleted = await fetch(`${urls[0]}/api/catalog/entities/by-uid/${uid}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(204);
    const gone = await fetch(`${urls[1]}/api/catalog/entities/by-uid/${uid}`);
    expect(gone.status).toBe(404);
  });
});
