import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import { git } from '../publish/fake-github.testkit.ts';
import { FakeGitlab } from '../publish/fake-providers.testkit.ts';
import { type FakeScm, startFakeScm } from '../publish/fake-scm.testkit.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import type { TemplateAction } from '../types.ts';
import { gitlabActions } from './index.ts';

const TOKEN = 'glpat-actionsTOKEN0123';

let scm: FakeScm;
let gitlab: FakeGitlab;
let gitRoot: string;
let config: AtriumConfig;
let actions: Map<string, TemplateAction>;
let projectId: number;
const contexts: TestActionContext[] = [];

beforeAll(async () => {
  gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-gitlab-actions-'));
  scm = await startFakeScm({ gitRoot, gitAuth: { username: 'oauth2', password: TOKEN } });
  gitlab = new FakeGitlab(scm, gitRoot, [TOKEN]);
  config = await loadTestConfig({
    integrations: { gitlab: [{ host: gitlab.host, token: TOKEN, apiBaseUrl: gitlab.api }] },
    scaffolder: { defaultAuthor: { name: 'Atrium', email: 'atrium@example.com' } },
  });
  actions = new Map(
    gitlabActions.map((a) => {
      const action = typeof a === 'function' ? a({ config, catalog: undefined as never }) : a;
      return [action.id, action];
    }),
  );
});
afterAll(async () => {
  await scm.close();
  rmSync(gitRoot, { recursive: true, force: true });
});
beforeEach(() => {
  rmSync(gitRoot, { recursive: true, force: true });
  mkdirSync(gitRoot);
  gitlab.projects.clear();
  gitlab.groups.length = 0;
  projectId = gitlab.seed('acme/svc', { 'README.md': '# svc\n' }).id;
  scm.requests.length = 0;
});
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

function context(input: Record<string, unknown>, options: { isDryRun?: boolean } = {}) {
  const t = makeTestContext(input as never, options);
  contexts.push(t);
  return t;
}
const run = (id: string, t: TestActionContext) => runAction(actions.get(id)!, t);
const calls = () => scm.requests.map((r) => `${r.method} ${r.path}`);
const repoUrl = () => `${gitlab.host}?owner=acme&repo=svc`;

it('registers the gitlab:* actions with their Backstage ids', () => {
  expect([...actions.keys()]).toEqual([
    'gitlab:repo:push',
    'gitlab:group:ensureExists',
    'gitlab:projectVariable:create',
    'gitlab:pipeline:trigger',
  ]);
});

describe('gitlab:repo:push', () => {
  it('creates the branch from the default branch, commits the files into targetPath and outputs the commit', async () => {
    const t = context({
      repoUrl: repoUrl(),
      branchName: 'feature',
      commitMessage: 'Add config',
      targetPath: 'config',
    });
    writeFileSync(join(t.workspace, 'app.yaml'), 'a: 1\n');
    await run('gitlab:repo:push', t);
    expect(calls()).toEqual(['GET /api/v4/projects/acme%2Fsvc']);
    const bare = gitlab.bare('acme/svc');
    expect(t.outputs).toEqual({
      projectid: 'acme/svc',
      projectPath: 'acme/svc',
      commitHash: git(['--git-dir', bare, 'rev-parse', 'feature']),
    });
    expect(gitlab.files('acme/svc', 'feature')).toEqual({
      'README.md': '# svc',
      'config/app.yaml': 'a: 1',
    });
    expect(git(['--git-dir', bare, 'log', '-1', '--format=%s', 'feature'])).toBe('Add config');

    // A second push to the same branch builds on it; 'create' refuses the file that exists now.
    await expect(run('gitlab:repo:push', t)).rejects.toThrow(
      "config/app.yaml exists already on the branch; commitAction 'create' only adds new files",
    );
    writeFileSync(join(t.workspace, 'app.yaml'), 'a: 2\n');
    t.ctx.input = { ...t.ctx.input, commitAction: 'update', commitMessage: 'Bump' };
    await run('gitlab:repo:push', t);
    expect(gitlab.files('acme/svc', 'feature')['config/app.yaml']).toBe('a: 2');
    expect(git(['--git-dir', bare, 'log', '--format=%s', 'feature'])).toBe(
      'Bump\nAdd config\nSeed',
    );
  });

  it('commits into an empty project (no default branch yet) as the first commit', async () => {
    gitlab.seed('acme/empty');
    const t = context({
      repoUrl: `${gitlab.host}?owner=acme&repo=empty`,
      branchName: 'main',
      commitMessage: 'First',
    });
    writeFileSync(join(t.workspace, 'a.txt'), 'a\n');
    await run('gitlab:repo:push', t);
    expect(gitlab.files('acme/empty', 'main')).toEqual({ 'a.txt': 'a' });
  });

  it('validates input and names the field', async () => {
    const t = context({ repoUrl: repoUrl(), branchName: 'x' });
    await expect(run('gitlab:repo:push', t)).rejects.toThrow(/commitMessage/);
    t.ctx.input = { repoUrl: repoUrl(), branchName: 'x', commitMessage: 'm', commitAction: 'auto' };
    await expect(run('gitlab:repo:push', t)).rejects.toThrow(/commitAction/);
  });
});

describe('gitlab:group:ensureExists', () => {
  it('creates the missing groups of the path, outermost first, and outputs the innermost id', async () => {
    gitlab.groups.push({ id: 11, name: 'acme', full_path: 'acme', parent_id: null });
    const t = context({
      repoUrl: repoUrl(),
      path: ['acme', { name: 'Platform Team', slug: 'platform' }, 'services'],
    });
    await run('gitlab:group:ensureExists', t);
    expect(calls()).toEqual([
      'GET /api/v4/groups?search=acme',
      'GET /api/v4/groups?search=acme%2Fplatform',
      'POST /api/v4/groups',
      'GET /api/v4/groups?search=acme%2Fplatform%2Fservices',
      'POST /api/v4/groups',
    ]);
    expect(scm.requests[2]!.body).toEqual({
      name: 'Platform Team',
      path: 'platform',
      parent_id: 11,
    });
    const created = gitlab.groups.find((g) => g.full_path === 'acme/platform/services')!;
    expect(t.outputs).toEqual({ groupId: created.id });

    // Run again: everything exists, nothing is created.
    scm.requests.length = 0;
    await run('gitlab:group:ensureExists', t);
    expect(calls().filter((c) => c.startsWith('POST'))).toEqual([]);
    expect(t.outputs).toEqual({ groupId: created.id });
  });

  it('dry run: outputs Backstage’s placeholder id and sends nothing; bad path items are named', async () => {
    const t = context({ repoUrl: repoUrl(), path: ['a'] }, { isDryRun: true });
    await run('gitlab:group:ensureExists', t);
    expect(t.outputs).toEqual({ groupId: 42 });
    expect(scm.requests).toEqual([]);
    t.ctx.input = { repoUrl: repoUrl(), path: [] };
    await expect(run('gitlab:group:ensureExists', t)).rejects.toThrow(/path/);
    t.ctx.input = { repoUrl: repoUrl(), path: [{ name: 'x' }] };
    await expect(run('gitlab:group:ensureExists', t)).rejects.toThrow(/path\[0\]|path\/0/);
  });
});

describe('gitlab:projectVariable:create and gitlab:pipeline:trigger', () => {
  it('creates a variable with Backstage’s defaults; a taken key (400) is a task error naming it', async () => {
    const t = context({
      repoUrl: repoUrl(),
      projectId,
      key: 'DEPLOY',
      value: 'v',
      variableType: 'env_var',
      masked: true,
    });
    await run('gitlab:projectVariable:create', t);
    expect(calls()).toEqual([`POST /api/v4/projects/${projectId}/variables`]);
    expect(scm.requests[0]!.body).toEqual({
      key: 'DEPLOY',
      value: 'v',
      variable_type: 'env_var',
      protected: false,
      masked: true,
      raw: false,
      environment_scope: '*',
    });
    t.ctx.input = { ...t.ctx.input, key: 'TAKEN' };
    await expect(run('gitlab:projectVariable:create', t)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `Cannot create variable TAKEN of project ${projectId}: it already exists on ${gitlab.host} ({"key":["(TAKEN) has already been taken"]})`,
    });
    t.ctx.input = { ...t.ctx.input, key: 'bad-key!' };
    await expect(run('gitlab:projectVariable:create', t)).rejects.toThrow(/key/);
  });

  it('triggers a pipeline with a temporary trigger token, deletes the token, and outputs the pipeline URL', async () => {
    const t = context({
      repoUrl: repoUrl(),
      projectId,
      tokenDescription: 'Atrium',
      branch: 'main',
      variables: { DEPLOY: 'true' },
    });
    await run('gitlab:pipeline:trigger', t);
    const triggerId = calls()[2]!.split('/').at(-1)!;
    const triggerToken = `glptt-${triggerId}`;
    expect(calls()).toEqual([
      `POST /api/v4/projects/${projectId}/triggers`,
      `POST /api/v4/projects/${projectId}/trigger/pipeline?token=${triggerToken}&ref=main`,
      `DELETE /api/v4/projects/${projectId}/triggers/${triggerId}`,
    ]);
    expect(scm.requests[0]!.body).toEqual({ description: 'Atrium' });
    // The variables go as a form, as GitLab's trigger API takes them.
    expect(String(scm.requests[1]!.body)).toMatch(/name="variables\[DEPLOY\]"\r\n\r\ntrue\r\n/);
    expect(t.outputs).toEqual({ pipelineUrl: `${scm.base}/acme/svc/-/pipelines/77` });
    expect(gitlab.triggers.size).toBe(0);
  });

  it('deletes the trigger token when the pipeline cannot start, and says why', async () => {
    const t = context({
      repoUrl: repoUrl(),
      projectId,
      tokenDescription: 'Atrium',
      branch: 'gone',
    });
    await expect(run('gitlab:pipeline:trigger', t)).rejects.toThrow(
      `GitLab at ${gitlab.host} refused triggering the pipeline of gone in project ${projectId} (400: {"base":["Reference not found"]})`,
    );
    expect(calls().at(-1)).toMatch(/^DELETE /);
    expect(gitlab.triggers.size).toBe(0);
  });
});
