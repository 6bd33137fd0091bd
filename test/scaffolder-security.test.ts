/**
 * Scaffolder tasks run through the API: a publish to a remote outside the allow list sends
 * nothing there, and task logs show no server paths or stack traces.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { definePlugin, extend } from '../src/core/plugin-api.ts';
import { catalogPlugin } from '../src/plugins/catalog/server/plugin.ts';
import type { TemplateAction } from '../src/plugins/scaffolder/server/actions/types.ts';
import {
  scaffolderActionsExtensionPoint,
  scaffolderPlugin,
} from '../src/plugins/scaffolder/server/plugin.ts';
import { type RecordingServer, startRecordingServer } from './helpers/recording-server.ts';
import { freshDatabase } from './helpers/server.ts';
import { CATALOG, completionOf, scaffolderClient, stepStatus } from './scaffolder-helpers.ts';

const TEMPLATES = [
  {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'publish-remote', title: 'Publish to a remote' },
    spec: {
      owner: 'team-a',
      type: 'service',
      parameters: [{ properties: { remoteUrl: { type: 'string' } } }],
      steps: [
        {
          id: 'write',
          name: 'Write a file',
          action: 'debug:log',
          input: { message: 'about to publish' },
        },
        {
          id: 'publish',
          name: 'Publish',
          action: 'publish:git',
          input: { remoteUrl: '${{ parameters.remoteUrl }}', token: 'tok_publish_secret' },
        },
      ],
    },
  },
  {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'leaky', title: 'An action that names server paths' },
    spec: {
      owner: 'team-a',
      type: 'service',
      steps: [{ id: 'render', name: 'Render the skeleton', action: 'test:leaky' }],
    },
  },
];

/**
 * An action of the kind that lets server paths slip out: it logs absolute paths of the
 * workspace and its scratch folder, then fails with Node's own ENOENT error (absolute path,
 * stack trace) for a workspace file.
 */
const leakyAction: TemplateAction = {
  id: 'test:leaky',
  schema: { input: { type: 'object' } },
  async handler(ctx) {
    const scratch = await ctx.createTemporaryDirectory();
    ctx.logger.info(`Rendering ${ctx.workspacePath}/skeleton into ${ctx.workspacePath}`);
    ctx.logger.info(`Scratch space: ${scratch}/render; server folder: ${process.cwd()}/data`);
    await readFile(join(ctx.workspacePath, 'skeleton', 'README.md'));
  },
};

describe('scaffolder tasks and what they may reach or show', () => {
  let dir: string;
  let app: App;
  let url: string;
  let drop: () => Promise<void>;
  let internal: RecordingServer;

  beforeAll(async () => {
    internal = await startRecordingServer();
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-scaffolder-security-')));
    const database = await freshDatabase('sqlite', dir);
    drop = database.drop;
    writeFileSync(join(dir, 'templates.yaml'), TEMPLATES.map((t) => stringify(t)).join('---\n'));
    mkdirSync(join(dir, 'repos'));
    writeFileSync(
      join(dir, 'app-config.yaml'),
      stringify({
        backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
        catalog: {
          refresh: { interval: false },
          locations: [
            { type: 'file', target: CATALOG },
            { type: 'file', target: join(dir, 'templates.yaml') },
          ],
        },
        scaffolder: {
          workspaceDir: join(dir, 'workspaces'),
          localRepositoryRoots: [join(dir, 'repos')],
        },
      }),
    );
    const { config } = await loadConfig({
      configPaths: [join(dir, 'app-config.yaml')],
      cwd: dir,
      env: {},
    });
    app = await createApp({
      config,
      plugins: [
        catalogPlugin(),
        scaffolderPlugin(),
        definePlugin({
          id: 'test-actions',
          extensions: [extend(scaffolderActionsExtensionPoint, leakyAction)],
          async setup() {},
        }),
      ],
      cwd: dir,
      logger: createLogger({ level: 'error' }),
    });
    url = await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await drop?.();
    await internal?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publish:git to a loopback remote outside backend.reading.allow sends it nothing', async () => {
    const api = scaffolderClient(url);
    const remoteUrl = `${internal.base}/team/app.git`;
    const id = await api.create('publish-remote', { remoteUrl });
    const events = await api.finished(id);
    expect(stepStatus(events, 'publish')).toEqual(['processing', 'failed']);
    const completion = completionOf(events);
    expect(completion?.body.error).toEqual({
      name: 'NotAllowedError',
      message: `Publishing to ${remoteUrl} is not allowed: add ${internal.host} to backend.reading.allow or configure it under integrations in app-config.yaml`,
    });
    expect(internal.requests).toEqual([]);
  });

  it('shows workspace paths relative to the workspace, and no server path or stack trace', async () => {
    const api = scaffolderClient(url);
    const id = await api.create('leaky', {});
    await api.finished(id);
    const { status, body: events } = await api.get(`/v2/tasks/${id}/events`);
    expect(status).toBe(200);
    const messages = (events as Array<{ body: { message: string } }>).map((e) => e.body.message);
    const text = JSON.stringify(events);
    expect(text).not.toContain(dir);
    expect(text).not.toContain(tmpdir());
    expect(text).not.toContain(process.cwd());
    expect(text).not.toMatch(/\n\s+at /);
    expect(messages).toContain('info: Rendering skeleton into .');
    expect(messages).toContain('info: Scratch space: <tmp>/render; server folder: <server>/data');
    expect(messages).toContain(
      "Error: ENOENT: no such file or directory, open 'skeleton/README.md'",
    );
    expect(completionOf(events)?.body.error).toEqual({
      name: 'Error',
      message: "ENOENT: no such file or directory, open 'skeleton/README.md'",
    });
    // The SSE stream carries the same scrubbed events.
    const streamed = JSON.stringify(await api.stream(id));
    expect(streamed).not.toContain(dir);
    expect(streamed).toContain("open 'skeleton/README.md'");
  });
});
