/**
 * The end-to-end path: the demo template `examples/templates/node-service` renders
 * its skeleton, pushes a new repository to a (local, bare) git remote and registers its
 * catalog-info.yaml; the new entity is then in the catalog with its owner and system. And
 * the Backstage example templates load, validate and dry-run unchanged.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogClient } from '@backstage/catalog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import {
  completionOf,
  scaffolderClient,
  stepStatus,
  type TaskEventJson,
} from './scaffolder-helpers.ts';

const DEMO_CATALOG = fileURLToPath(new URL('../examples/catalog-info.yaml', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('./fixtures/backstage/backstage-examples', import.meta.url));

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** Every file below `dir`, as dry-run `directoryContents`. */
function directoryContents(dir: string) {
  const out: Array<{ path: string; base64Content: string }> = [];
  const visit = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) visit(path);
      else
        out.push({
          path: relative(dir, path),
          base64Content: readFileSync(path).toString('base64'),
        });
    }
  };
  visit(dir);
  return out;
}

describe.each(ENGINES)('node-service template end to end (%s)', (engine) => {
  let server: TestServer;
  let dir: string;
  let api: ReturnType<typeof scaffolderClient>;
  let catalog: CatalogClient;
  let remote: string;
  let events: TaskEventJson[];
  let taskId: string;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-scaffolder-e2e-')));
    remote = join(dir, 'repos', 'parcel-locker.git');
    server = await startTestServer({
      engine,
      dir,
      catalog: { locations: [{ type: 'file', target: DEMO_CATALOG }] },
      extraConfig: {
        scaffolder: {
          workspaceDir: join(dir, 'workspaces'),
          defaultAuthor: { name: 'Template Bot', email: 'bot@kestrel.example' },
        },
      },
    });
    api = scaffolderClient(server.url);
    catalog = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
    });
    taskId = await api.create('template:default/node-service', {
      name: 'parcel-locker',
      description: 'Tracks parcels in lockers',
      owner: 'group:default/team-booking',
      system: 'system:default/booking',
      lifecycle: 'experimental',
      port: 8080,
      remote,
    });
    events = await api.stream(taskId);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every step, publish and register included', () => {
    const failed = events.filter((e) => e.body.status === 'failed');
    expect(failed.map((e) => e.body.message)).toEqual([]);
    for (const step of ['fetch-skeleton', 'write-api-entity', 'log', 'publish', 'register']) {
      expect(stepStatus(events, step)).toEqual(['processing', 'completed']);
    }
    expect(completionOf(events)?.body.message).toBe('Run completed with status: completed');
  });

  it('pushed a new repository with the rendered files in one commit', () => {
    const clone = join(dir, 'clone');
    git(['clone', '--quiet', remote, clone]);
    expect(git(['rev-parse', '--abbrev-ref', 'HEAD'], clone)).toBe('main');
    expect(git(['rev-list', '--count', 'HEAD'], clone)).toBe('1');
    expect(git(['log', '-1', '--format=%s|%an|%ae'], clone)).toBe(
      'Create parcel-locker from the Node.js service template|Template Bot|bot@kestrel.example',
    );
    const files = git(['ls-files'], clone).split('\n').sort();
    expect(files).toEqual(
      [
        'README.md',
        'api-info.yaml',
        'catalog-info.yaml',
        'docs/index.md',
        'index.js',
        'mkdocs.yml',
        'package.json',
      ].sort(),
    );
    const [component] = parseAllDocuments(
      readFileSync(join(clone, 'catalog-info.yaml'), 'utf8'),
    ).map((d) => d.toJS());
    expect(component).toMatchObject({
      kind: 'Component',
      metadata: { name: 'parcel-locker', description: 'Tracks parcels in lockers' },
      spec: {
        owner: 'group:default/team-booking',
        system: 'system:default/booking',
        lifecycle: 'experimental',
      },
    });
    const api = parseAllDocuments(readFileSync(join(clone, 'api-info.yaml'), 'utf8'))[0]!.toJS();
    expect(api.metadata.annotations['backstage.io/source-template']).toBe(
      'template:default/node-service',
    );
    expect(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).name).toBe(
      'parcel-locker',
    );
    // The commit the task reported is the one in the repository.
    const publish = events.find(
      (e) => e.body.stepId === 'publish' && e.body.status === 'completed',
    );
    expect(publish).toBeDefined();
    const output = completionOf(events)?.body.output as { text: Array<{ content: string }> };
    expect(output.text[0]!.content).toContain(git(['rev-parse', 'HEAD'], clone));
  });

  it('links to the repository and the new entity', () => {
    const output = completionOf(events)?.body.output as {
      links: Array<{ title: string; url?: string; entityRef?: string }>;
    };
    expect(output.links).toEqual([
      { title: 'Open in catalog', icon: 'catalog', entityRef: 'component:default/parcel-locker' },
      { title: 'Repository', icon: 'github', url: remote },
      { title: 'Owner', icon: 'group', entityRef: 'group:default/team-booking' },
      { title: 'System', icon: 'kind:system', entityRef: 'system:default/booking' },
    ]);
  });

  it('registered the entity: queryable at once with its owner and system relations', async () => {
    const entity = await catalog.getEntityByRef('component:default/parcel-locker');
    expect(entity?.spec?.owner).toBe('group:default/team-booking');
    const relations = (entity?.relations ?? []).map((r) => `${r.type} ${r.targetRef}`);
    expect(relations).toEqual(
      expect.arrayContaining([
        'ownedBy group:default/team-booking',
        'partOf system:default/booking',
        'providesApi api:default/parcel-locker-api',
      ]),
    );
    const team = await catalog.getEntityByRef('group:default/team-booking');
    expect((team?.relations ?? []).map((r) => `${r.type} ${r.targetRef}`)).toContain(
      'ownerOf component:default/parcel-locker',
    );
    // The API entity came through the Location in catalog-info.yaml (api-info.yaml).
    const apiEntity = await catalog.getEntityByRef('api:default/parcel-locker-api');
    expect(apiEntity?.spec?.type).toBe('openapi');
    const location = await catalog.getLocationByEntity('component:default/parcel-locker');
    expect(location?.type).toBe('file');
  });

  it('runs without a remote too (the npm start demo): publishes under localRepositoryRoots', async () => {
    const id = await api.create('node-service', {
      name: 'quiet-service',
      owner: 'group:default/team-booking',
    });
    const ev = await api.finished(id);
    expect(stepStatus(ev, 'fetch-skeleton')).toEqual(['processing', 'completed']);
    expect(stepStatus(ev, 'publish')).toEqual(['processing', 'completed']);
    expect(stepStatus(ev, 'register')).toEqual(['processing', 'completed']);
    // The first configured root is the test server's own folder.
    expect(existsSync(join(server.dir, 'repos', 'quiet-service.git', 'HEAD'))).toBe(true);
    const output = completionOf(ev)?.body.output as {
      links: Array<{ title: string; entityRef?: string }>;
    };
    expect(output.links.map((l) => l.title)).toEqual(['Open in catalog', 'Repository', 'Owner']);
    const entity = await catalog.getEntityByRef('component:default/quiet-service');
    expect(entity?.relations).toContainEqual(
      expect.objectContaining({ type: 'ownedBy', targetRef: 'group:default/team-booking' }),
    );
  });
});

/** The v1beta3 templates among Backstage's own example files. */
const BACKSTAGE_TEMPLATES: Array<{
  file: string;
  values: Record<string, unknown>;
  /** Steps that cannot run here and why (asserted). */
  unknownActions?: Record<string, string>;
}> = [
  {
    file: 'plugins/scaffolder-backend/sample-templates/conditional-output-demo/template.yaml',
    values: { name: 'demo', enableCI: 'Yes', showDetails: true },
  },
  {
    file: 'plugins/scaffolder-backend/sample-templates/conditional-parameters-demo/template.yaml',
    values: { name: 'demo', cloudProvider: 'GCP', gcpProjectId: 'p-1' },
  },
  {
    file: 'plugins/scaffolder-backend/sample-templates/local-template/gin-golan-template/template.yaml',
    values: {
      component_id: 'gin-demo',
      module: 'github.com/acme/gin-demo',
      go_version: 1.23,
      owner: 'group:default/team-a',
      port: ':8080',
      repoUrl: 'github.com?owner=acme&repo=gin-demo',
    },
  },
  {
    file: 'packages/create-app/templates/default-app/examples/template/template.yaml',
    values: { name: 'demo', repoUrl: 'github.com?owner=acme&repo=demo' },
  },
  {
    file: 'plugins/scaffolder-backend/sample-templates/notifications-demo/template.yaml',
    values: { recipients: 'broadcast', title: 'Hello' },
  },
  {
    file: 'plugins/scaffolder-backend/sample-templates/longrunning-demo/wait-action.yaml',
    values: { name: 'x' },
    unknownActions: { waitWorkflow: 'stress:waitWorkflow' },
  },
];

describe('Backstage example templates, unchanged', () => {
  let server: TestServer;
  let api: ReturnType<typeof scaffolderClient>;

  beforeAll(async () => {
    server = await startTestServer({
      engine: 'sqlite',
      catalog: {
        locations: BACKSTAGE_TEMPLATES.map((t) => ({
          type: 'file',
          target: join(EXAMPLES, t.file),
        })),
      },
    });
    api = scaffolderClient(server.url);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(BACKSTAGE_TEMPLATES)(
    '$file loads, validates and dry-runs',
    async ({ file, values, unknownActions }) => {
      const path = join(EXAMPLES, file);
      const template = parseAllDocuments(readFileSync(path, 'utf8'))[0]!.toJS();
      const name = template.metadata.name as string;
      // Loaded by the catalog without problems, listed, and its form schema served.
      const listed = (await api.get('/v2/templates')).body.items.map(
        (t: { name: string }) => t.name,
      );
      expect(listed).toContain(name);
      const schema = await api.get(`/v2/templates/default/template/${name}/parameter-schema`);
      expect(schema.status).toBe(200);
      expect(schema.body.steps.length).toBe([template.spec.parameters].flat().length);

      const r = await api.post('/v2/dry-run', {
        template,
        values,
        directoryContents: directoryContents(dirname(path)),
      });
      if (unknownActions) {
        // These steps name actions that Backstage modules (a stress-test plugin) add and
        // Atrium does not have: refused before anything runs.
        expect(r.status).toBe(400);
        expect(
          Object.fromEntries(
            r.body.errors.map((e: { stepId: string; message: string }) => [e.stepId, e.message]),
          ),
        ).toEqual(
          Object.fromEntries(
            Object.entries(unknownActions).map(([step, action]) => [
              step,
              expect.stringContaining(`action '${action}' is not registered`),
            ]),
          ),
        );
        return;
      }
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('completed');
      const failed = r.body.log.filter(
        (l: { body: { status?: string } }) => l.body.status === 'failed',
      );
      expect(failed).toEqual([]);
      if (name === 'golang-template') {
        // fetch:template rendered the skeleton; publish:github and catalog:register were
        // skipped (no dry-run support) with outputs made up from their schemas.
        const files = r.body.directoryContents.map((f: { path: string }) => f.path).sort();
        expect(files).toEqual(['catalog-info.yaml', 'go.mod', 'readme.md']);
        const info = Buffer.from(
          r.body.directoryContents.find((f: { path: string }) => f.path === 'catalog-info.yaml')
            .base64Content,
          'base64',
        ).toString('utf8');
        expect(info).toContain('gin-demo');
        const skipped = r.body.log
          .map((l: { body: { message: string } }) => l.body.message)
          .filter((m: string) => m.startsWith('Skipping because'));
        expect(skipped).toEqual([
          'Skipping because publish:github does not support dry-run; its output is made up from its schema',
          'Skipping because catalog:register does not support dry-run; its output is made up from its schema',
        ]);
      }
      // The two that publish to GitHub only dry-run here.
      if (name !== 'golang-template' && name !== 'example-nodejs-template') {
        // Nothing here needs an outside system: run it for real too (the GitHub one runs in
        // scaffolder-github.test.ts against a stand-in GitHub).
        const id = await api.create(`template:default/${name}`, values);
        const ev = await api.finished(id);
        expect(completionOf(ev)?.body).toEqual({
          message: 'Run completed with status: completed',
          output: r.body.output,
        });
      }
      if (name === 'conditional-output-demo') {
        expect(r.body.output.links.map((l: { title: string }) => l.title)).toEqual([
          'Backstage Homepage',
          'CI Dashboard',
          'CI Docs',
        ]);
        expect(r.body.output.text).toHaveLength(3);
      }
    },
  );
});
