/**
 * A Backstage example template, unchanged, run for real: the gin-golang sample renders its
 * skeleton, publishes with `publish:github` and registers with `catalog:register`. GitHub is
 * the one thing this machine cannot reach, so a local server stands in for it at the HTTP
 * boundary: its REST API records every request, its git endpoint is real `git http-backend`
 * over real bare repositories, and it serves the pushed files where the catalog reads them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogClient } from '@backstage/catalog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeScm,
  startFakeScm,
} from '../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { serveFiles } from './helpers/serve-files.ts';
import {
  CATALOG,
  completionOf,
  scaffolderClient,
  stepStatus,
  type TaskEventJson,
} from './scaffolder-helpers.ts';

const GIN = fileURLToPath(
  new URL(
    './fixtures/backstage/backstage-examples/plugins/scaffolder-backend/sample-templates/local-template/gin-golan-template/template.yaml',
    import.meta.url,
  ),
);
const TOKEN = 'ghp_scaffolderE2E_0123456789abcdef';

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

describe.each(ENGINES)('Backstage gin-golang template against a stand-in GitHub (%s)', (engine) => {
  let scm: FakeScm;
  let web: Awaited<ReturnType<typeof serveFiles>>;
  let gitRoot: string;
  let server: TestServer;
  let events: TaskEventJson[];
  let host: string;

  beforeAll(async () => {
    gitRoot = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-fake-github-')));
    scm = await startFakeScm({ gitRoot, gitAuth: { username: 'x-access-token', password: TOKEN } });
    host = new URL(scm.base).host;
    // GitHub's web side: …/<repo>/tree/main/<path> answers the file at the branch head.
    const pages = new Proxy({} as Record<string, string>, {
      get(_target, key) {
        const match = typeof key === 'string' && /^\/acme\/([^/]+)\/tree\/main\/(.+)$/.exec(key);
        if (!match) return undefined;
        try {
          return git([
            '--git-dir',
            join(gitRoot, 'acme', `${match[1]}.git`),
            'show',
            `main:${match[2]}`,
          ]);
        } catch {
          return undefined;
        }
      },
    });
    web = await serveFiles(pages);
    const authorized = (authorization?: string) => authorization === `token ${TOKEN}`;
    scm.route('GET', /^\/api\/v3\/users\/acme$/, (_m, r) =>
      authorized(r.authorization)
        ? { status: 200, body: { login: 'acme', type: 'Organization' } }
        : { status: 401, body: { message: 'Bad credentials' } },
    );
    scm.route('POST', /^\/api\/v3\/orgs\/acme\/repos$/, (_m, r) => {
      if (!authorized(r.authorization))
        return { status: 401, body: { message: 'Bad credentials' } };
      const { name } = r.body as { name: string };
      mkdirSync(join(gitRoot, 'acme'), { recursive: true });
      git(['init', '--quiet', '--bare', join(gitRoot, 'acme', `${name}.git`)]);
      return {
        status: 201,
        body: {
          full_name: `acme/${name}`,
          clone_url: `${scm.base}/git/acme/${name}.git`,
          html_url: `${web.base}/acme/${name}`,
        },
      };
    });
    scm.route('PUT', /^\/api\/v3\/repos\/acme\/[^/]+\/branches\/main\/protection$/, () => ({
      status: 200,
      body: {},
    }));

    server = await startTestServer({
      engine,
      backend: { reading: { allow: [{ host: web.host }] } },
      catalog: {
        locations: [
          { type: 'file', target: CATALOG },
          { type: 'file', target: GIN },
        ],
      },
      extraConfig: {
        integrations: { github: [{ host, token: TOKEN, apiBaseUrl: `${scm.base}/api/v3` }] },
      },
    });
    const api = scaffolderClient(server.url);
    const id = await api.create('template:default/golang-template', {
      component_id: 'gin-demo',
      module: 'github.com/acme/gin-demo',
      go_version: 1.22,
      description: 'A Gin service',
      owner: 'group:default/team-a',
      port: ':8080',
      // The RepoUrlPicker value for the stand-in host (allowedHosts is a form hint only).
      repoUrl: `${host}?owner=acme&repo=gin-demo`,
    });
    events = await api.finished(id);
  });

  afterAll(async () => {
    await server?.stop();
    await scm?.close();
    await web?.close();
    rmSync(gitRoot, { recursive: true, force: true });
  });

  it('runs all three steps', () => {
    expect(events.filter((e) => e.body.status === 'failed').map((e) => e.body.message)).toEqual([]);
    for (const step of ['template', 'publish', 'register']) {
      expect(stepStatus(events, step)).toEqual(['processing', 'completed']);
    }
    // The template passes `allowedHosts` to publish:github, which has no such input.
    expect(
      events.some(
        (e) =>
          e.body.message === 'warn: input.allowedHosts is not an input of publish:github; ignored',
      ),
    ).toBe(true);
    expect(completionOf(events)?.body.output).toEqual({
      links: [
        { title: 'Repository', url: `${scm.base}/git/acme/gin-demo.git` },
        { title: 'Open in catalog', icon: 'catalog', entityRef: 'component:default/gin-demo' },
      ],
    });
  });

  it('created the repository through the API with the token and pushed the rendered skeleton', () => {
    const calls = scm.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual(
      expect.arrayContaining(['GET /api/v3/users/acme', 'POST /api/v3/orgs/acme/repos']),
    );
    const create = scm.requests.find((r) => r.path === '/api/v3/orgs/acme/repos');
    expect(create?.body).toMatchObject({ name: 'gin-demo', description: 'This is gin-demo' });
    expect(scm.gitRequests.some((r) => r.method === 'POST' && r.status === 200)).toBe(true);
    const clone = join(gitRoot, 'clone');
    git(['clone', '--quiet', '--branch', 'main', join(gitRoot, 'acme', 'gin-demo.git'), clone]);
    expect(git(['ls-files'], clone).split('\n').sort()).toEqual([
      'catalog-info.yaml',
      'go.mod',
      'readme.md',
    ]);
    expect(readFileSync(join(clone, 'go.mod'), 'utf8')).toContain(
      'module github.com/acme/gin-demo',
    );
    expect(readFileSync(join(clone, 'catalog-info.yaml'), 'utf8')).toContain('name: "gin-demo"');
  });

  it('registered the pushed catalog-info.yaml: the component is in the catalog with its owner', async () => {
    const catalog = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${server.url}/api/catalog` },
    });
    const entity = await catalog.getEntityByRef('component:default/gin-demo');
    expect(entity?.metadata.description).toBe('A Gin service');
    expect(entity?.relations?.map((r) => `${r.type} ${r.targetRef}`)).toContain(
      'ownedBy group:default/team-a',
    );
    const location = await catalog.getLocationByEntity('component:default/gin-demo');
    expect(location).toMatchObject({
      type: 'url',
      target: `${web.base}/acme/gin-demo/tree/main/catalog-info.yaml`,
    });
  });
});
