/**
 * README's worked example of a team's own template action: the plugin in
 * examples/plugins/acme-scaffolder-actions, as written (it imports `@atrium/plugin-api`,
 * which is Atrium's public-api.ts here, as in a running Atrium), added to an app through the
 * `scaffolder.actions` extension point and used by a template through the API.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import type { PluginDefinition } from '../src/core/plugin-api.ts';
import { catalogPlugin } from '../src/plugins/catalog/server/plugin.ts';
import { makeTestContext, runAction } from '../src/plugins/scaffolder/server/actions/testkit.ts';
import type { TemplateAction } from '../src/plugins/scaffolder/server/actions/types.ts';
import { scaffolderPlugin } from '../src/plugins/scaffolder/server/plugin.ts';
import { freshDatabase } from './helpers/server.ts';
import { CATALOG, completionOf, scaffolderClient, stepStatus } from './scaffolder-helpers.ts';

vi.mock('@atrium/plugin-api', () => import('../src/plugins/public-api.ts'));

const EXAMPLE = new URL(
  '../examples/plugins/acme-scaffolder-actions/src/backend.ts',
  import.meta.url,
);

const template = (name: string, owners: unknown) => ({
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name },
  spec: {
    owner: 'team-a',
    type: 'service',
    steps: [
      {
        id: 'codeowners',
        name: 'Write CODEOWNERS',
        action: 'acme:codeowners:write',
        input: { owners },
      },
      {
        id: 'read',
        name: 'Read it back',
        action: 'fs:read',
        input: { path: '.github/CODEOWNERS' },
      },
    ],
    output: {
      codeowners: '${{ steps.read.output.content }}',
      path: '${{ steps.codeowners.output.path }}',
    },
  },
});

describe("a team's own action through scaffolder.actions (examples/plugins/acme-scaffolder-actions)", () => {
  let dir: string;
  let app: App;
  let url: string;
  let drop: () => Promise<void>;
  let example: { default: PluginDefinition; codeownersAction: TemplateAction };

  beforeAll(async () => {
    // A plain string import: the example's `@atrium/plugin-api` is resolved by the mock above.
    example = await import(/* @vite-ignore */ EXAMPLE.href);
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-plugin-action-')));
    const database = await freshDatabase('sqlite', dir);
    drop = database.drop;
    writeFileSync(
      join(dir, 'templates.yaml'),
      [
        template('codeowners', ['@acme/payments', 'lead@acme.com']),
        template('bad-owners', ['payments']),
      ]
        .map((t) => stringify(t))
        .join('---\n'),
    );
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
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
      }),
    );
    const { config } = await loadConfig({
      configPaths: [join(dir, 'app-config.yaml')],
      cwd: dir,
      env: {},
    });
    app = await createApp({
      config,
      plugins: [catalogPlugin(), scaffolderPlugin(), example.default],
      cwd: dir,
      logger: createLogger({ level: 'error' }),
    });
    url = await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is listed by GET /v2/actions with its schemas', async () => {
    const { body } = await scaffolderClient(url).get('/v2/actions');
    const listed = body.find((a: { id: string }) => a.id === 'acme:codeowners:write');
    expect(listed.description).toBe(
      'Writes .github/CODEOWNERS so that the given owners review every change.',
    );
    expect(listed.schema.input.required).toEqual(['owners']);
    expect(listed.schema.output.properties.path.type).toBe('string');
  });

  it('runs in a template like a built-in action', async () => {
    const api = scaffolderClient(url);
    const events = await api.finished(await api.create('codeowners', {}));
    expect(completionOf(events)?.body.output).toEqual({
      codeowners: '# Written by the template that created this\n* @acme/payments lead@acme.com\n',
      path: '.github/CODEOWNERS',
    });
  });

  it('fails the step with an error naming the field', async () => {
    const api = scaffolderClient(url);
    const events = await api.finished(await api.create('bad-owners', {}));
    expect(stepStatus(events, 'codeowners')).toEqual(['processing', 'failed']);
    expect(completionOf(events)?.body.error).toEqual({
      name: 'InputError',
      message: "owners[0]: 'payments' is neither @user, @org/team nor an e-mail",
    });
  });

  it('has its input validated by the registry, and never writes through a link out of the workspace', async () => {
    const t = makeTestContext({ owners: [] });
    try {
      await expect(runAction(example.codeownersAction, t)).rejects.toThrow(
        'Invalid input passed to action acme:codeowners:write',
      );
      const outside = join(t.scratch, 'outside');
      mkdirSync(outside);
      symlinkSync(outside, join(t.workspace, '.github'));
      t.ctx.input = { owners: ['@acme/payments'] };
      await expect(runAction(example.codeownersAction, t)).rejects.toThrow(
        '.github leads outside the workspace',
      );
      expect(() => readFileSync(join(outside, 'CODEOWNERS'))).toThrow(/ENOENT/);
    } finally {
      t.cleanup();
    }
  });
});
