import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { createApp, type App } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { type Database, openDatabase } from '../../src/core/database/database.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Authorize } from '../../src/core/plugin-api.ts';
import { appPlugins } from '../../src/plugins/index.ts';

export type Engine = 'sqlite' | 'pg';

const REPOSITORY = resolve(import.meta.dirname, '../..');

/** The engines the suite runs on. PostgreSQL comes from scripts/test.sh (ATRIUM_TEST_PG). */
export const ENGINES: Engine[] = process.env.ATRIUM_TEST_PG ? ['sqlite', 'pg'] : ['sqlite'];

/** A fresh, empty database per call: a temp SQLite file, or a new PostgreSQL database. */
export async function freshDatabase(
  engine: Engine,
  dir: string,
): Promise<{ config: Record<string, unknown>; drop(): Promise<void> }> {
  if (engine === 'sqlite') {
    return {
      config: { client: 'better-sqlite3', connection: { filename: join(dir, 'atrium.sqlite') } },
      drop: async () => {},
    };
  }
  const admin = process.env.ATRIUM_TEST_PG;
  if (!admin)
    throw new Error(
      'ATRIUM_TEST_PG is not set: run the suite through `npm test`, which starts PostgreSQL',
    );
  const name = `atrium_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    config: { client: 'pg', connection: url.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** {@link freshDatabase}, opened: for tests of a store on its own, without a server. */
export async function openFreshDatabase(
  engine: Engine,
  dir: string,
): Promise<{ database: Database; drop(): Promise<void> }> {
  const fresh = await freshDatabase(engine, dir);
  const cfg = fresh.config as
    | { client: 'better-sqlite3'; connection: { filename: string } }
    | { client: 'pg'; connection: string };
  const database = await openDatabase(
    cfg.client === 'pg'
      ? { client: 'pg', connection: cfg.connection }
      : { client: 'better-sqlite3', filename: cfg.connection.filename },
  );
  return { database, drop: fresh.drop };
}

export interface TestServer {
  app: App;
  /** e.g. http://localhost:41234 */
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts a real Atrium (real config loading, real database, real HTTP on a random loopback
 * port) with the given catalog config, and returns once the initial ingest is done.
 */
export async function startTestServer(options: {
  engine?: Engine;
  catalog?: Record<string, unknown>;
  backend?: Record<string, unknown>;
  dir?: string;
  /** Serve a built web app from this folder (end-to-end tests). */
  webRoot?: string;
  /** Other top-level config sections (`scaffolder`, `techdocs`, `search`, `integrations`). */
  extraConfig?: Record<string, unknown>;
  /** Replaces the app's policy evaluator (access-control tests decide with their own policy). */
  authorize?: Authorize;
}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'atrium-test-'));
  const database = await freshDatabase(options.engine ?? 'sqlite', dir);
  const configFile = join(dir, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: {
        listen: { host: '127.0.0.1', port: 0 },
        database: database.config,
        ...options.backend,
      },
      catalog: {
        refresh: { interval: false },
        // Tests register files from temporary folders and the repository (fixtures included).
        locationRoots: [tmpdir(), REPOSITORY],
        ...options.catalog,
      },
      ...options.extraConfig,
      // Docs are built when a test opens them, never behind its back.
      techdocs: {
        buildOnStart: false,
        ...(options.extraConfig?.techdocs as object | undefined),
      },
      // Tests publish template repositories into temporary folders.
      scaffolder: {
        localRepositoryRoots: [join(dir, 'repos'), tmpdir()],
        ...(options.extraConfig?.scaffolder as object | undefined),
      },
    }),
  );
  const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
  const app = await createApp({
    config,
    // As `atrium start` does: the built-in plugins, then those `plugins:` lists.
    ...(await appPlugins(config)),
    cwd: dir,
    webRoot: options.webRoot,
    authorize: options.authorize,
    logger: createLogger({ level: (process.env.LOG_LEVEL as 'debug') ?? 'error' }),
  });
  const url = await app.start();
  return {
    app,
    url,
    dir,
    async stop() {
      await app.stop();
      await database.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
