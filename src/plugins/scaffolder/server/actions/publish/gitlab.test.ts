import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { TemplateAction } from '../types.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { type FakeScm, type RecordedRequest, startFakeScm } from './fake-scm.testkit.ts';
import { createPublishGitlabAction } from './gitlab.ts';

const CONFIG_TOKEN = 'glpat-configTOKEN012345';
const INPUT_TOKEN = 'oauth-inputTOKEN98765';

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const visit = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && readFileSync(path).includes(needle)) found.push(path);
    }
  };
  if (existsSync(dir)) visit(dir);
  return found;
}

let scm: FakeScm;
let gitRoot: string;
let host: string;
let config: AtriumConfig;
let action: TemplateAction;
/** Projects the fake GitLab has: path → id. */
let projects: Map<string, number>;
const contexts: TestActionContext[] = [];
const NAMESPACES: Record<string, { id: number; kind: string }> = {
  'acme/backend': { id: 42, kind: 'group' },
  jane: { id: 7, kind: 'user' },
};

beforeAll(async () => {
  gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-gitlab-'));
  scm = await startFakeScm({
    gitRoot,
    gitAuth: { username: 'oauth2', password: [CONFIG_TOKEN, INPUT_TOKEN] },
  });
  host = new URL(scm.base).host;
  const authorized = (r: RecordedRequest) =>
    r.privateToken === CONFIG_TOKEN || r.authorization === `Bearer ${INPUT_TOKEN}`;
  const unauthorized = { status: 401, body: { message: '401 Unauthorized' } };
  const projectBody = (path: string, id: number) => ({
    id,
    path_with_namespace: path,
    http_url_to_repo: `${scm.base}/git/${path}.git`,
    web_url: `${scm.base}/${path}`,
  });
  scm.route('GET', /^\/api\/v4\/namespaces\/(.+)$/, ([, id], r) => {
    if (!authorized(r)) return unauthorized;
    const ns = NAMESPACES[decodeURIComponent(id!)];
    return ns
      ? { status: 200, body: { ...ns, full_path: decodeURIComponent(id!) } }
      : { status: 404, body: { message: '404 Namespace Not Found' } };
  });
  scm.route('GET', /^\/api\/v4\/projects\/(.+)$/, ([, id], r) => {
    if (!authorized(r)) return unauthorized;
    const path = decodeURIComponent(id!);
    const found = projects.get(path);
    return found
      ? { status: 200, body: projectBody(path, found) }
      : { status: 404, body: { message: '404 Project Not Found' } };
  });
  scm.route('POST', /^\/api\/v4\/projects$/, (_m, r) => {
    if (!authorized(r)) return unauthorized;
    const body = r.body as { namespace_id: number; path: string };
    const ns = Object.entries(NAMESPACES).find(([, v]) => v.id === body.namespace_id)?.[0];
    const path = `${ns}/${body.path}`;
    if (projects.has(path)) {
      return {
        status: 400,
        body: { message: { name: ['has already been taken'], path: ['has already been taken'] } },
      };
    }
    const id = 1000 + projects.size;
    projects.set(path, id);
    mkdirSync(dirname(join(gitRoot, path)), { recursive: true });
    git(['init', '--quiet', '--bare', join(gitRoot, `${path}.git`)]);
    return { status: 201, body: projectBody(path, id) };
  });
  config = await loadTestConfig({
    integrations: { gitlab: [{ host, token: CONFIG_TOKEN, apiBaseUrl: `${scm.base}/api/v4` }] },
  });
  action = createPublishGitlabAction({ config, catalog: undefined as never });
});
afterAll(async () => {
  await scm.close();
  rmSync(gitRoot, { recursive: true, force: true });
});
beforeEach(() => {
  projects = new Map([['acme/backend/existing', 5]]);
  scm.requests.length = 0;
  scm.gitRequests.length = 0;
});
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

function context(input: Record<string, unknown>) {
  const t = makeTestContext(input as never);
  writeFileSync(join(t.workspace, 'README.md'), '# api\n');
  writeFileSync(join(t.workspace, '.gitlab-ci.yml'), 'test:\n  script: [true]\n');
  contexts.push(t);
  return t;
}

const apiCalls = () => scm.requests.map((r) => `${r.method} ${r.path}`);

describe('publish:gitlab (against a local fake of the GitLab API and real git smart HTTP)', () => {
  it('looks up the group namespace, creates the project with the configured token and pushes', async () => {
    const t = context({
      repoUrl: `${host}?owner=acme/backend&repo=api`,
      repoVisibility: 'internal',
      defaultBranch: 'main',
      topics: ['api'],
      settings: { ci_config_path: '.gitlab-ci.yml', description: 'The API' },
    });
    await runAction(action, t);
    expect(apiCalls()).toEqual(['GET /api/v4/namespaces/acme%2Fbackend', 'POST /api/v4/projects']);
    expect(scm.requests.every((r) => r.privateToken === CONFIG_TOKEN && !r.authorization)).toBe(
      true,
    );
    expect(scm.requests[1]!.body).toEqual({
      namespace_id: 42,
      name: 'api',
      path: 'api',
      visibility: 'internal',
      topics: ['api'],
      ci_config_path: '.gitlab-ci.yml',
      description: 'The API',
    });
    const basic = `Basic ${Buffer.from(`oauth2:${CONFIG_TOKEN}`).toString('base64')}`;
    expect(scm.gitRequests.length).toBeGreaterThan(0);
    expect(scm.gitRequests.every((r) => r.authorization === basic && r.status === 200)).toBe(true);

    const bare = join(gitRoot, 'acme/backend/api.git');
    expect(git(['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main']).split('\n')).toEqual([
      '.gitlab-ci.yml',
      'README.md',
    ]);
    expect(t.outputs).toEqual({
      remoteUrl: `${scm.base}/git/acme/backend/api`,
      repoContentsUrl: `${scm.base}/git/acme/backend/api/-/tree/main`,
      projectId: 1001,
      commitHash: git(['--git-dir', bare, 'rev-parse', 'main']),
      created: true,
    });
    expect(t.logText()).not.toContain(CONFIG_TOKEN);
    expect(filesContaining(gitRoot, CONFIG_TOKEN)).toEqual([]);
    expect(filesContaining(t.scratch, CONFIG_TOKEN)).toEqual([]);
  });

  it('uses an input token as an OAuth bearer token, in a user namespace, on master by default', async () => {
    const t = context({ repoUrl: `${host}?owner=jane&repo=tool`, token: INPUT_TOKEN });
    await runAction(action, t);
    expect(
      scm.requests.every((r) => r.authorization === `Bearer ${INPUT_TOKEN}` && !r.privateToken),
    ).toBe(true);
    expect(scm.requests[1]!.body).toMatchObject({ namespace_id: 7, visibility: 'private' });
    expect(git(['--git-dir', join(gitRoot, 'jane/tool.git'), 'rev-parse', 'master'])).toBe(
      t.outputs.commitHash,
    );
    expect(t.outputs.repoContentsUrl).toBe(`${scm.base}/git/jane/tool/-/tree/master`);
    expect(t.logText()).not.toContain(INPUT_TOKEN);
  });

  it('with skipExisting, outputs an existing project without pushing', async () => {
    const t = context({ repoUrl: `${host}?owner=acme/backend&repo=existing`, skipExisting: true });
    await runAction(action, t);
    expect(apiCalls()).toEqual(['GET /api/v4/projects/acme%2Fbackend%2Fexisting']);
    expect(t.outputs).toEqual({
      remoteUrl: `${scm.base}/git/acme/backend/existing`,
      repoContentsUrl: `${scm.base}/git/acme/backend/existing/-/tree/master`,
      projectId: 5,
      created: false,
    });
    expect(scm.gitRequests).toEqual([]);
  });

  it('reports an existing project as a conflict naming it', async () => {
    const t = context({ repoUrl: `${host}?owner=acme/backend&repo=existing` });
    const error = await runAction(action, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toContain(
      'Cannot create project acme/backend/existing: it already exists on',
    );
    expect(scm.gitRequests).toEqual([]);
  });

  it('reports a rejected token and an unknown namespace clearly', async () => {
    const bad = 'glpat-revoked-0000';
    const t = context({ repoUrl: `${host}?owner=acme/backend&repo=x`, token: bad });
    const error = await runAction(action, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe('AuthenticationError');
    expect(error?.message).toContain(
      `GitLab at ${host} rejected the token while looking up namespace acme/backend (401`,
    );
    expect(error?.message).not.toContain(bad);

    const u = context({ repoUrl: `${host}?owner=nobody&repo=x` });
    await expect(runAction(action, u)).rejects.toThrow(
      `repoUrl: the namespace nobody does not exist on ${host}, or the token cannot see it`,
    );
  });
});
