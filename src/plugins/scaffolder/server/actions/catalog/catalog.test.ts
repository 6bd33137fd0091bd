import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  ENGINES,
  startTestServer,
  type TestServer,
} from '../../../../../../test/helpers/server.ts';
import { serveFiles } from '../../../../../../test/helpers/serve-files.ts';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import { NotAllowedError } from '../../../../../core/errors.ts';
import type { Entity } from '../../../../../model/entity.ts';
import { type CatalogApi, catalogServiceRef } from '../../../../catalog/server/plugin.ts';
import { createPublishGitAction } from '../publish/publish-git.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import type { ActionDeps } from '../types.ts';
import { createCatalogFetchAction } from './fetch.ts';
import { catalogActions } from './index.ts';
import { createCatalogRegisterAction } from './register.ts';
import {
  annotatorTimestamp,
  CREATED_AT_ANNOTATION,
  catalogTimestampingAction,
} from './timestamping.ts';
import { catalogWriteAction } from './write.ts';

const EXAMPLES = fileURLToPath(
  new URL(
    '../../../../../../test/fixtures/backstage/backstage-examples/packages/catalog-model/examples',
    import.meta.url,
  ),
);

const contexts: TestActionContext[] = [];
function context(input: Record<string, unknown>, templateRef?: string) {
  const t = makeTestContext(input as never, {
    templateInfo: templateRef ? { entityRef: templateRef } : undefined,
  });
  contexts.push(t);
  return t;
}
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

describe('catalogActions', () => {
  it('contributes catalog:register (factory, no dry run), catalog:write, catalog:fetch and catalog:timestamping (dry run)', () => {
    const deps = { config: {} as AtriumConfig, catalog: {} as CatalogApi };
    const actions = catalogActions.map((a) => (typeof a === 'function' ? a(deps) : a));
    expect(actions.map((a) => [a.id, Boolean(a.supportsDryRun)])).toEqual([
      ['catalog:register', false],
      ['catalog:write', true],
      ['catalog:fetch', true],
      ['catalog:timestamping', true],
    ]);
  });
});

describe('catalog:write', () => {
  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'svc', annotations: { 'github.com/project-slug': 'acme/svc' } },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };

  it("writes the entity as YAML with the template's ref annotation, to catalog-info.yaml by default", async () => {
    const t = context({ entity }, 'template:default/node-service');
    await runAction(catalogWriteAction, t);
    const written = parse(readFileSync(join(t.workspace, 'catalog-info.yaml'), 'utf8'));
    expect(written).toEqual({
      ...entity,
      metadata: {
        name: 'svc',
        annotations: {
          'github.com/project-slug': 'acme/svc',
          'backstage.io/source-template': 'template:default/node-service',
        },
      },
    });
    expect(t.logText()).toContain('Writing catalog-info.yaml');
  });

  it('writes to filePath, creating folders; no annotation without a template ref', async () => {
    const t = context({
      entity: { ...entity, metadata: { name: 'x' } },
      filePath: 'deploy/catalog/x.yaml',
    });
    await runAction(catalogWriteAction, t);
    const written = parse(readFileSync(join(t.workspace, 'deploy/catalog/x.yaml'), 'utf8'));
    expect(written.metadata).toEqual({ name: 'x' });
  });

  it('refuses paths outside the workspace and writing through a symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'atrium-catalog-outside-'));
    try {
      const t = context({ entity, filePath: '../catalog-info.yaml' });
      await expect(runAction(catalogWriteAction, t)).rejects.toThrow(
        "filePath: '../catalog-info.yaml' leads outside the workspace",
      );
      t.ctx.input = { entity, filePath: '/tmp/catalog-info.yaml' };
      await expect(runAction(catalogWriteAction, t)).rejects.toThrow('is an absolute path');
      // A dangling link to a file that does not exist yet outside the workspace.
      symlinkSync(join(outside, 'planted.yaml'), join(t.workspace, 'dangling.yaml'));
      t.ctx.input = { entity, filePath: 'dangling.yaml' };
      await expect(runAction(catalogWriteAction, t)).rejects.toThrow(
        "filePath: 'dangling.yaml' leads outside the workspace through a symlink",
      );
      expect(existsSync(join(outside, 'planted.yaml'))).toBe(false);
      t.ctx.input = { filePath: 'x.yaml' };
      await expect(runAction(catalogWriteAction, t)).rejects.toThrow(
        /Invalid input passed to action catalog:write/,
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('catalog:timestamping', () => {
  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'svc', annotations: { 'github.com/project-slug': 'acme/svc' } },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };

  it('formats the time as the annotator module does', () => {
    const date = new Date('2024-06-15T14:30:00.000Z');
    expect(annotatorTimestamp(date)).toBe(
      `${date.toLocaleDateString()}, ${date.toLocaleTimeString('en-US')}`,
    );
    expect(annotatorTimestamp(date)).toMatch(/^\S+, \d{1,2}:\d{2}:\d{2}\s[AP]M$/);
  });

  it('adds backstage.io/createdAt to catalog-info.yaml, keeping the rest, and outputs the YAML', async () => {
    const t = context({});
    writeFileSync(join(t.workspace, 'catalog-info.yaml'), stringify(entity));
    const before = Date.now();
    await runAction(catalogTimestampingAction, t);
    const written = parse(readFileSync(join(t.workspace, 'catalog-info.yaml'), 'utf8'));
    const stamp = written.metadata.annotations[CREATED_AT_ANNOTATION] as string;
    expect(written).toEqual({
      ...entity,
      metadata: {
        name: 'svc',
        annotations: { 'github.com/project-slug': 'acme/svc', [CREATED_AT_ANNOTATION]: stamp },
        labels: {},
      },
    });
    // The stamp is now, to the second.
    expect(Math.abs(new Date(stamp.replace(', ', ' ')).getTime() - before)).toBeLessThan(5_000);
    expect(parse(t.outputs.annotatedObject as string)).toEqual(written);
    expect(t.logText()).toContain('Annotating catalog-info.yaml with current timestamp');
  });

  it('takes entityFilePath or objectYaml, writes to writeToFile, and merges labels, annotations and spec', async () => {
    const t = context({
      objectYaml: entity,
      writeToFile: 'out/entity.yaml',
      labels: { tier: 'gold' },
      annotations: { 'acme.com/x': 'y' },
      spec: { system: 'payments' },
    });
    await runAction(catalogTimestampingAction, t);
    const written = parse(readFileSync(join(t.workspace, 'out/entity.yaml'), 'utf8'));
    expect(written.metadata.labels).toEqual({ tier: 'gold' });
    expect(written.metadata.annotations).toMatchObject({
      'acme.com/x': 'y',
      [CREATED_AT_ANNOTATION]: expect.any(String),
    });
    expect(written.spec).toEqual({ ...entity.spec, system: 'payments' });
    expect(existsSync(join(t.workspace, 'catalog-info.yaml'))).toBe(false);

    const f = context({ entityFilePath: 'svc/catalog.yaml' });
    mkdirSync(join(f.workspace, 'svc'));
    writeFileSync(join(f.workspace, 'svc/catalog.yaml'), stringify(entity));
    await runAction(catalogTimestampingAction, f);
    // Written to ./catalog-info.yaml, as the module does when writeToFile is not given.
    expect(
      parse(readFileSync(join(f.workspace, 'catalog-info.yaml'), 'utf8')).metadata.annotations,
    ).toHaveProperty([CREATED_AT_ANNOTATION]);
  });

  it('names the input of a missing or broken file and of paths outside the workspace', async () => {
    const t = context({});
    await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(
      "entityFilePath: './catalog-info.yaml' does not exist in the workspace",
    );
    writeFileSync(join(t.workspace, 'bad.yaml'), 'metadata: [oops\n');
    t.ctx.input = { entityFilePath: 'bad.yaml' };
    await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(
      /^entityFilePath: 'bad.yaml' is not valid YAML/,
    );
    t.ctx.input = { entityFilePath: '../../etc/passwd' };
    await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(
      "entityFilePath: '../../etc/passwd' leads outside the workspace",
    );
    t.ctx.input = { objectYaml: entity, writeToFile: '/tmp/pwned.yaml' };
    await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(
      "writeToFile: '/tmp/pwned.yaml' is an absolute path",
    );
    const outside = mkdtempSync(join(tmpdir(), 'atrium-timestamp-outside-'));
    try {
      writeFileSync(join(outside, 'catalog-info.yaml'), stringify(entity));
      symlinkSync(outside, join(t.workspace, 'link'));
      t.ctx.input = { entityFilePath: 'link/catalog-info.yaml' };
      await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(/through a symlink/);
      t.ctx.input = { objectYaml: entity, writeToFile: 'link/catalog-info.yaml' };
      await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(/through a symlink/);
      expect(readFileSync(join(outside, 'catalog-info.yaml'), 'utf8')).toBe(stringify(entity));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    t.ctx.input = { labels: { a: 1 } };
    await expect(runAction(catalogTimestampingAction, t)).rejects.toThrow(
      /Invalid input passed to action catalog:timestamping/,
    );
  });
});

describe.each(ENGINES)('catalog:fetch and catalog:register on %s', (engine) => {
  let server: TestServer;
  let deps: ActionDeps;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let sandbox: string;

  const MULTI = [
    'apiVersion: backstage.io/v1alpha1',
    'kind: API',
    'metadata: {name: remote-api}',
    'spec: {type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0"}',
    '---',
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata: {name: generated-abc123}',
    'spec: {type: service, lifecycle: production, owner: team-a}',
    '---',
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata: {name: remote-service}',
    'spec: {type: service, lifecycle: production, owner: team-a, providesApis: [remote-api]}',
    '',
  ].join('\n');

  beforeAll(async () => {
    files = await serveFiles({
      '/repo/tree/main/catalog-info.yaml': MULTI,
      '/only-api.yaml':
        'apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: lonely-api}\nspec: {type: openapi, lifecycle: production, owner: team-a, definition: x}\n',
      '/broken.yaml':
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: [oops\n',
    });
    server = await startTestServer({
      engine,
      catalog: {
        locations: [
          { type: 'file', target: join(EXAMPLES, 'acme-corp.yaml') },
          { type: 'file', target: join(EXAMPLES, 'all-systems.yaml') },
        ],
      },
      backend: { reading: { allow: [{ host: files.host }] } },
    });
    deps = {
      config: await loadTestConfig({ catalog: { locationTypes: ['url', 'file'] } }),
      catalog: server.app.use(catalogServiceRef),
    };
    sandbox = mkdtempSync(join(tmpdir(), 'atrium-catalog-actions-'));
  });
  afterAll(async () => {
    await server?.stop();
    await files?.close();
    if (sandbox) rmSync(sandbox, { recursive: true, force: true });
  });

  async function getEntity(kind: string, name: string): Promise<Entity | undefined> {
    const response = await fetch(
      `${server.url}/api/catalog/entities/by-name/${kind}/default/${name}`,
    );
    return response.ok ? ((await response.json()) as Entity) : undefined;
  }

  it('catalog:fetch returns an entity by ref, with defaults for kind and namespace', async () => {
    const action = createCatalogFetchAction(deps);
    const t = context({ entityRef: 'team-a', defaultKind: 'Group' });
    await runAction(action, t);
    const entity = t.outputs.entity as unknown as Entity;
    expect(entity.kind).toBe('Group');
    expect(entity.metadata.name).toBe('team-a');
    expect(entity.relations?.some((r) => r.type === 'hasMember')).toBe(true);

    t.ctx.input = { entityRef: 'SYSTEM:Default/Artist-Engagement-Portal' };
    await runAction(action, t);
    expect((t.outputs.entity as unknown as Entity).metadata.name).toBe('artist-engagement-portal');
  });

  it('catalog:fetch fails for a missing entity unless optional, and fetches lists in order', async () => {
    const action = createCatalogFetchAction(deps);
    const t = context({ entityRef: 'group:default/nope' });
    await expect(runAction(action, t)).rejects.toThrow('Entity group:default/nope not found');
    t.ctx.input = { entityRef: 'group:default/nope', optional: true };
    await runAction(action, t);
    expect(t.outputs.entity).toBeNull();

    t.ctx.input = { entityRefs: ['group:team-a', 'group:nope', 'system:audio-playback'] };
    await expect(runAction(action, t)).rejects.toThrow('Entities not found: group:nope');
    t.ctx.input = {
      entityRefs: ['group:team-a', 'group:nope', 'system:audio-playback'],
      optional: true,
    };
    await runAction(action, t);
    expect(
      (t.outputs.entities as unknown as Array<Entity | null>).map((e) => e?.metadata.name ?? null),
    ).toEqual(['team-a', null, 'audio-playback']);

    t.ctx.input = { entityRef: 'team-a' };
    await expect(runAction(action, t)).rejects.toThrow(
      /entityRef: Entity reference "team-a" had missing or empty kind/,
    );
  });

  it("catalog:fetch returns only what the task's creator may read, and treats an empty entityRef as none", async () => {
    const action = createCatalogFetchAction(deps);
    const t = context({ entityRefs: ['group:team-a', 'group:team-b'] });
    const asked: string[] = [];
    t.ctx.authorize = async (permission, resource) => {
      const ref = typeof resource === 'string' ? resource : (resource?.ref ?? '');
      asked.push(`${permission.name} ${ref}`);
      if (ref === 'group:default/team-b') throw new NotAllowedError('not yours');
    };
    await expect(runAction(action, t)).rejects.toThrow('Entities not found: group:team-b');
    expect(asked).toEqual([
      'catalog.entity.read group:default/team-a',
      'catalog.entity.read group:default/team-b',
    ]);
    t.ctx.input = { entityRef: 'group:team-b', optional: true };
    await runAction(action, t);
    expect(t.outputs.entity).toBeNull();

    const empty = context({ entityRef: '' });
    await expect(runAction(action, empty)).rejects.toThrow(
      'Missing entity reference or references: give input.entityRef or input.entityRefs',
    );
    empty.ctx.input = { entityRef: '', optional: true };
    await runAction(action, empty);
    expect(empty.outputs).toEqual({});
  });

  it('publish:git to a local bare repository, then catalog:register of its contents: the entity is in the catalog with owner and system', async () => {
    const ws = context({});
    writeFileSync(
      join(ws.workspace, 'catalog-info.yaml'),
      readFileSync(join(EXAMPLES, 'components/artist-lookup-component.yaml'), 'utf8').replace(
        'name: artist-lookup',
        `name: published-${engine}`,
      ),
    );
    writeFileSync(join(ws.workspace, 'README.md'), '# published\n');
    const remote = join(sandbox, `published-${engine}.git`);
    ws.ctx.input = { remoteUrl: remote, createIfMissing: true };
    await runAction(createPublishGitAction(deps), ws);
    const repoContentsUrl = String(ws.outputs.repoContentsUrl);

    const register = createCatalogRegisterAction(deps);
    const t = context({ repoContentsUrl, catalogInfoPath: '/catalog-info.yaml' });
    await runAction(register, t);
    expect(t.outputs.entityRef).toBe(`component:default/published-${engine}`);
    expect(t.outputs.catalogInfoUrl).toBe(`${repoContentsUrl}/catalog-info.yaml`);

    // Queryable when the step has ended, relations resolved, through the public API.
    const entity = await getEntity('component', `published-${engine}`);
    expect(entity?.spec).toMatchObject({ owner: 'team-a', system: 'artist-engagement-portal' });
    expect(entity?.relations).toEqual(
      expect.arrayContaining([
        { type: 'ownedBy', targetRef: 'group:default/team-a' },
        { type: 'partOf', targetRef: 'system:default/artist-engagement-portal' },
      ]),
    );
    expect(entity?.metadata.annotations?.['backstage.io/managed-by-location']).toBe(
      `file:${fileURLToPath(repoContentsUrl)}/catalog-info.yaml`,
    );
    const team = await getEntity('group', 'team-a');
    expect(team?.relations).toContainEqual({
      type: 'ownerOf',
      targetRef: `component:default/published-${engine}`,
    });

    // A later push to the repository reaches the catalog on the next refresh.
    const clone = join(sandbox, `dev-${engine}`);
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['clone', '--quiet', remote, clone]);
    const file = join(clone, 'catalog-info.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('lifecycle: experimental', 'lifecycle: production'),
    );
    execFileSync('git', ['-c', 'user.name=d', '-c', 'user.email=d@x', 'commit', '-qam', 'GA'], {
      cwd: clone,
    });
    execFileSync('git', ['push', '--quiet'], { cwd: clone });
    await deps.catalog.service.refreshEntity(`component:default/published-${engine}`);
    expect((await getEntity('component', `published-${engine}`))?.spec?.lifecycle).toBe(
      'production',
    );
  });

  it('registers an http(s) descriptor and picks the first non-generated Component as entityRef', async () => {
    const register = createCatalogRegisterAction(deps);
    const t = context({ repoContentsUrl: `${files.base}/repo/tree/main` });
    await runAction(register, t);
    expect(t.outputs).toEqual({
      entityRef: 'component:default/remote-service',
      catalogInfoUrl: `${files.base}/repo/tree/main/catalog-info.yaml`,
    });
    expect((await getEntity('api', 'remote-api'))?.relations).toContainEqual({
      type: 'apiProvidedBy',
      targetRef: 'component:default/remote-service',
    });
    expect(await getEntity('component', 'generated-abc123')).toBeDefined();

    // Registering it again is a conflict, unless optional (then the ref is still output).
    const again = context({ catalogInfoUrl: `${files.base}/repo/tree/main/catalog-info.yaml` });
    await expect(runAction(register, again)).rejects.toThrow(
      `Location url:${files.base}/repo/tree/main/catalog-info.yaml already exists`,
    );
    again.ctx.input = {
      catalogInfoUrl: `${files.base}/repo/tree/main/catalog-info.yaml`,
      optional: true,
    };
    await runAction(register, again);
    expect(again.outputs.entityRef).toBe('component:default/remote-service');
    expect(again.logs.some((l) => l.level === 'warn' && l.message.includes('already exists'))).toBe(
      true,
    );

    // With no Component, the first non-generated entity.
    const api = context({ catalogInfoUrl: `${files.base}/only-api.yaml` });
    await runAction(register, api);
    expect(api.outputs.entityRef).toBe('api:default/lonely-api');
  });

  it('fails a broken descriptor with an error naming it, unless optional', async () => {
    const register = createCatalogRegisterAction(deps);
    const t = context({ catalogInfoUrl: `${files.base}/broken.yaml` });
    await expect(runAction(register, t)).rejects.toThrow(`${files.base}/broken.yaml`);
    const o = context({ catalogInfoUrl: `${files.base}/missing.yaml`, optional: true });
    await runAction(register, o);
    expect(o.outputs).toEqual({ catalogInfoUrl: `${files.base}/missing.yaml` });
  });

  it('refuses bad locations with errors naming the field', async () => {
    const register = createCatalogRegisterAction(deps);
    const t = context({ catalogInfoUrl: 'catalog-info.yaml' });
    await expect(runAction(register, t)).rejects.toThrow(
      "catalogInfoUrl: 'catalog-info.yaml' is neither an http(s) URL, a file: URL nor an absolute path",
    );
    t.ctx.input = {
      repoContentsUrl: `${files.base}/repo/tree/main`,
      catalogInfoPath: '/../../../etc/x.yaml',
    };
    await expect(runAction(register, t)).rejects.toThrow(
      /catalogInfoPath: .* leads outside the repository contents/,
    );
    t.ctx.input = { repoContentsUrl: pathToFileURL(sandbox).href, catalogInfoPath: '../x.yaml' };
    await expect(runAction(register, t)).rejects.toThrow(
      /catalogInfoPath: .* leads outside the repository contents/,
    );

    mkdirSync(join(t.workspace, 'sub'));
    writeFileSync(join(t.workspace, 'sub/catalog-info.yaml'), 'kind: Component');
    t.ctx.input = { catalogInfoUrl: join(t.workspace, 'sub/catalog-info.yaml') };
    await expect(runAction(register, t)).rejects.toThrow(/is inside the task workspace/);

    const urlOnly = createCatalogRegisterAction({
      ...deps,
      config: await loadTestConfig({ catalog: { locationTypes: ['url'] } }),
    });
    t.ctx.input = { catalogInfoUrl: join(EXAMPLES, 'components/petstore-component.yaml') };
    await expect(runAction(urlOnly, t)).rejects.toThrow(
      "catalog.locationTypes in app-config.yaml does not allow 'file' locations",
    );
    t.ctx.input = {};
    await expect(runAction(urlOnly, t)).rejects.toThrow(
      /Invalid input passed to action catalog:register/,
    );

    const readonly = createCatalogRegisterAction({
      ...deps,
      config: await loadTestConfig({ catalog: { readonly: true } }),
    });
    t.ctx.input = { catalogInfoUrl: `${files.base}/only-api.yaml` };
    await expect(runAction(readonly, t)).rejects.toThrow(
      'This catalog is read-only (catalog.readonly: true)',
    );
  });
});
