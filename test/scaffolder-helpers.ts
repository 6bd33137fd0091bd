/**
 * Helpers for the scaffolder tests: an HTTP client for /api/scaffolder written from
 * COMPAT.md §6.4 (not from the server code), an SSE reader, and an app that can be stopped
 * and started again on the same database (restart tests).
 */
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { catalogPlugin } from '../src/plugins/catalog/server/plugin.ts';
import {
  type ScaffolderPluginOptions,
  scaffolderPlugin,
} from '../src/plugins/scaffolder/server/plugin.ts';
import type { Engine } from './helpers/server.ts';
import { freshDatabase } from './helpers/server.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/scaffolder/', import.meta.url));
export const CATALOG = join(FIXTURES, 'catalog-info.yaml');

export interface TaskEventJson {
  id: number;
  taskId: string;
  type: string;
  body: {
    message: string;
    stepId?: string;
    status?: string;
    output?: Record<string, unknown>;
    error?: { name: string; message: string };
  };
  createdAt: string;
}

export interface TaskJson {
  id: string;
  status: string;
  spec: { steps: Array<{ id: string; name: string; action: string }>; parameters: unknown };
  createdAt: string;
  createdBy?: string;
  lastHeartbeatAt?: string;
}

export function scaffolderClient(baseUrl: string) {
  const base = `${baseUrl}/api/scaffolder`;
  const json = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const post = (path: string, body?: unknown) =>
    json(path, {
      method: 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  return {
    base,
    get: (path: string) => json(path),
    post,
    async create(templateRef: string, values: unknown, secrets?: Record<string, string>) {
      const r = await post('/v2/tasks', { templateRef, values, ...(secrets ? { secrets } : {}) });
      if (r.status !== 201)
        throw new Error(`create ${templateRef}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    async task(id: string): Promise<TaskJson> {
      return (await json(`/v2/tasks/${id}`)).body;
    },
    /** Reads the event stream until it ends (after the completion event). */
    async stream(id: string, after?: number): Promise<TaskEventJson[]> {
      const response = await fetch(
        `${base}/v2/tasks/${id}/eventstream${after === undefined ? '' : `?after=${after}`}`,
      );
      if (response.status !== 200) throw new Error(`eventstream: ${response.status}`);
      return parseSse(await response.text());
    },
    /** Waits until the task has ended and returns all its events. */
    async finished(id: string, timeoutMs = 30_000): Promise<TaskEventJson[]> {
      const deadline = Date.now() + timeoutMs;
      let after: number | undefined;
      const all: TaskEventJson[] = [];
      while (Date.now() < deadline) {
        const r = await json(
          `/v2/tasks/${id}/events${after === undefined ? '' : `?after=${after}`}`,
        );
        for (const e of r.body as TaskEventJson[]) {
          if (!all.some((x) => x.id === e.id)) all.push(e);
          after = Math.max(after ?? 0, e.id);
        }
        if (all.some((e) => e.type === 'completion')) return all;
      }
      throw new Error(`task ${id} did not finish in ${timeoutMs} ms`);
    },
    /** Polls until the task has reached `status` (e.g. processing). */
    async until(
      id: string,
      predicate: (t: TaskJson, events: TaskEventJson[]) => boolean,
      timeoutMs = 20_000,
    ) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const task = (await json(`/v2/tasks/${id}`)).body as TaskJson;
        const events = (await json(`/v2/tasks/${id}/events?after=0`)).body as TaskEventJson[];
        if (predicate(task, events)) return { task, events };
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`task ${id}: condition not reached in ${timeoutMs} ms`);
    },
  };
}

/** `event: <type>\ndata: <json>\n\n` frames (COMPAT.md §6.4) into events. */
export function parseSse(text: string): TaskEventJson[] {
  const events: TaskEventJson[] = [];
  for (const frame of text.split('\n\n')) {
    if (!frame.trim()) continue;
    const lines = frame.split('\n');
    const type = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    const event = JSON.parse(data) as TaskEventJson;
    if (event.type !== type) throw new Error(`frame event '${type}' but data type '${event.type}'`);
    events.push(event);
  }
  return events;
}

/** The statuses a step went through, from its log events (what the web page reads). */
export const stepStatus = (events: TaskEventJson[], stepId: string) =>
  events
    .filter((e) => e.type === 'log' && e.body.stepId === stepId && e.body.status)
    .map((e) => e.body.status);

export const completionOf = (events: TaskEventJson[]) =>
  events.find((e) => e.type === 'completion');

/**
 * A database and a config that outlive one app: start an app, stop it, start another on
 * the same data (and the same workspace directory).
 */
export async function restartableSetup(options: {
  engine: Engine;
  extraConfig?: Record<string, unknown>;
  catalogLocations?: Array<{ type: string; target: string }>;
}) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-scaffolder-restart-')));
  const database = await freshDatabase(options.engine, dir);
  const configFile = join(dir, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
      catalog: {
        refresh: { interval: false },
        locations: options.catalogLocations ?? [{ type: 'file', target: CATALOG }],
      },
      scaffolder: { workspaceDir: join(dir, 'workspaces') },
      ...options.extraConfig,
    }),
  );
  const apps: App[] = [];
  return {
    dir,
    configFile,
    databaseConfig: database.config,
    async start(pluginOptions: ScaffolderPluginOptions = {}): Promise<{ app: App; url: string }> {
      const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
      const app = await createApp({
        config,
        plugins: [catalogPlugin(), scaffolderPlugin(pluginOptions)],
        cwd: dir,
        logger: createLogger({ level: (process.env.LOG_LEVEL as 'debug') ?? 'error' }),
      });
      apps.push(app);
      return { app, url: await app.start() };
    },
    async cleanup() {
      for (const app of apps) await app.stop();
      await database.drop();
    },
  };
}
