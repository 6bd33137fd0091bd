/**
 * Scaffolder tasks run through the API: a publish to a remote outside the allow list sends
 * nothing there, no action that takes a path reads or writes outside its workspace, and task
 * logs show no server paths or stack traces.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

const TEMPLATES: Array<Record<string, unknown>> = [
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
 * Every action that takes a workspace path, with the input field that holds it: each is run
 * through the API with a path that climbs out of its workspace to a real file.
 */
const PATH_ACTIONS: Array<{ action: string; input: Record<string, unknown>; field: string }> = [
  { action: 'fs:read', input: { path: '${{ parameters.path }}' }, field: 'path' },
  {
    action: 'fs:append',
    input: { files: [{ path: '${{ parameters.path }}', content: 'pwned' }] },
    field: 'files[0].path',
  },
  {
    action: 'catalog:timestamping',
    input: { entityFilePath: '${{ parameters.path }}' },
    field: 'entityFilePath',
  },
  {
    action: 'catalog:timestamping',
    input: {
      objectYaml: { kind: 'Component', metadata: { name: 'x' } },
      writeToFile: '${{ parameters.path }}',
    },
    field: 'writeToFile',
  },
  {
    action: 'fetch:cookiecutter',
    input: { url: './skeleton', targetPath: '${{ parameters.path }}' },
    field: 'targetPath',
  },
  {
    action: 'roadiehq:utils:fs:write',
    input: { path: '${{ parameters.path }}', content: 'pwned' },
    field: 'path',
  },
  {
    action: 'roadiehq:utils:fs:append',
    input: { path: '${{ parameters.path }}', content: 'pwned' },
    field: 'path',
  },
  {
    action: 'roadiehq:utils:fs:replace',
    input: { files: [{ file: '${{ parameters.path }}', find: 'secret', replaceWith: 'pwned' }] },
    field: 'files[0].file',
  },
  { action: 'roadiehq:utils:fs:parse', input: { path: '${{ parameters.path }}' }, field: 'path' },
  {
    action: 'roadiehq:utils:merge',
    input: { path: '${{ parameters.path }}', content: { a: 1 } },
    field: 'path',
  },
  {
    action: 'roadiehq:utils:json:merge',
    input: { path: '${{ parameters.path }}', content: { a: 1 } },
    field: 'path',
  },
  {
    action: 'roadiehq:utils:jsonata:yaml:transform',
    input: { path: '${{ parameters.path }}', expression: '$' },
    field: 'path',
  },
  {
    action: 'roadiehq:utils:jsonata:json:transform',
    input: { path: '${{ parameters.path }}', expression: '$' },
    field: 'path',
  },
  // The provider actions publish a workspace folder (their hosts are configured below, with
  // API addresses where nothing listens: the path is refused before any request).
  ...[
    ['publish:github', { repoUrl: 'github.example.test?owner=o&repo=r' }],
    [
      'publish:github:pull-request',
      {
        repoUrl: 'github.example.test?owner=o&repo=r',
        branchName: 'b',
        title: 't',
        description: 'd',
      },
    ],
    ['github:repo:push', { repoUrl: 'github.example.test?owner=o&repo=r' }],
    ['publish:gitlab', { repoUrl: 'gitlab.example.test?owner=o&repo=r' }],
    [
      'publish:gitlab:merge-request',
      { repoUrl: 'gitlab.example.test?owner=o&repo=r', branchName: 'b', title: 't' },
    ],
    [
      'gitlab:repo:push',
      { repoUrl: 'gitlab.example.test?owner=o&repo=r', branchName: 'b', commitMessage: 'm' },
    ],
    ['publish:bitbucketCloud', { repoUrl: 'bitbucket.org?workspace=w&project=P&repo=r' }],
    ['publish:bitbucketServer', { repoUrl: 'bitbucket.example.test?project=P&repo=r' }],
    ['publish:azure', { repoUrl: 'dev.azure.com?organization=o&project=p&repo=r' }],
    ['publish:gerrit', { repoUrl: 'gerrit.example.test?workspace=All-Projects&repo=r' }],
  ].map(([action, input]) => ({
    action: action as string,
    input: { ...(input as object), sourcePath: '${{ parameters.path }}' },
    field: 'sourcePath',
  })),
  {
    action: 'publish:gitlab:merge-request',
    input: {
      repoUrl: 'gitlab.example.test?owner=o&repo=r',
      branchName: 'b',
      title: 't',
      targetPath: '${{ parameters.path }}',
    },
    field: 'targetPath',
  },
];

/** Where the configured provider APIs point: a port nothing listens on. */
const NOWHERE = 'http://127.0.0.1:9';

for (const [i, { action, input }] of PATH_ACTIONS.entries()) {
  TEMPLATES.push({
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: `escape-${i}`, title: `${action} outside the workspace` },
    spec: {
      owner: 'team-a',
      type: 'service',
      parameters: [{ properties: { path: { type: 'string' } } }],
      steps: [{ id: 'escape', name: `Run ${action}`, action, input }],
    },
  });
}

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
    writeFileSync(join(dir, 'secret.txt'), 'the secret');
    mkdirSync(join(dir, 'skeleton'));
    writeFileSync(join(dir, 'skeleton', 'README.md'), '# {{ cookiecutter.name }}\n');
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
        integrations: {
          github: [{ host: 'github.example.test', token: 't', apiBaseUrl: `${NOWHERE}/api/v3` }],
          gitlab: [{ host: 'gitlab.example.test', token: 't', apiBaseUrl: `${NOWHERE}/api/v4` }],
          bitbucketCloud: [{ token: 't' }],
          bitbucketServer: [{ host: 'bitbucket.example.test', token: 't', apiBaseUrl: NOWHERE }],
          azure: [{ host: 'dev.azure.com', token: 't' }],
          gerrit: [{ host: 'gerrit.example.test', baseUrl: NOWHERE, username: 'u', password: 'p' }],
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

  it.each(PATH_ACTIONS.map((a, i) => [a.action, a.field, i] as const))(
    '%s refuses a %s outside its workspace, and reads or writes nothing there',
    async (_action, field, i) => {
      const api = scaffolderClient(url);
      for (const path of ['../../secret.txt', join(dir, 'secret.txt')]) {
        const id = await api.create(`escape-${i}`, { path });
        const events = await api.finished(id);
        expect(stepStatus(events, 'escape')).toEqual(['processing', 'failed']);
        const error = completionOf(events)?.body.error;
        expect(error?.name).toBe('InputError');
        expect(error?.message.startsWith(`${field}: `)).toBe(true);
        expect(error?.message).toMatch(/leads outside the workspace|is an absolute path/);
        expect(JSON.stringify(events)).not.toContain('the secret');
      }
      expect(readFileSync(join(dir, 'secret.txt'), 'utf8')).toBe('the secret');
      expect(readdirSync(dir).filter((name) => name.startsWith('secret'))).toEqual(['secret.txt']);
    },
  );

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
