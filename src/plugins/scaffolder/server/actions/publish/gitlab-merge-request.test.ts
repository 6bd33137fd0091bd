import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { TemplateAction } from '../types.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { git } from './fake-github.testkit.ts';
import { FakeGitlab } from './fake-providers.testkit.ts';
import { type FakeScm, startFakeScm } from './fake-scm.testkit.ts';
import { createPublishGitlabMergeRequestAction } from './gitlab-merge-request.ts';

const TOKEN = 'glpat-mrTOKEN012345';
const OAUTH = 'oauth-mrTOKEN98765';

let scm: FakeScm;
let gitlab: FakeGitlab;
let gitRoot: string;
let config: AtriumConfig;
let action: TemplateAction;
const contexts: TestActionContext[] = [];

beforeAll(async () => {
  gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-gitlab-mr-'));
  scm = await startFakeScm({ gitRoot, gitAuth: { username: 'oauth2', password: [TOKEN, OAUTH] } });
  gitlab = new FakeGitlab(scm, gitRoot, [TOKEN, OAUTH]);
  config = await loadTestConfig({
    integrations: { gitlab: [{ host: gitlab.host, token: TOKEN, apiBaseUrl: gitlab.api }] },
    scaffolder: { defaultAuthor: { name: 'Atrium', email: 'atrium@example.com' } },
  });
  action = createPublishGitlabMergeRequestAction({ config, catalog: undefined as never });
});
afterAll(async () => {
  await scm.close();
  rmSync(gitRoot, { recursive: true, force: true });
});
beforeEach(() => {
  rmSync(gitRoot, { recursive: true, force: true });
  mkdirSync(gitRoot);
  gitlab.projects.clear();
  gitlab.mergeRequests.length = 0;
  gitlab.seed('acme/platform/infra', {
    'README.md': '# infra\n',
    'services/api/app.yaml': 'v: 1\n',
  });
  scm.requests.length = 0;
});
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

function context(input: Record<string, unknown>) {
  const t = makeTestContext(input as never);
  mkdirSync(join(t.workspace, 'out'), { recursive: true });
  writeFileSync(join(t.workspace, 'out/catalog-info.yaml'), 'kind: Component\n');
  contexts.push(t);
  return t;
}
const calls = () => scm.requests.map((r) => `${r.method} ${r.path}`);
const repoUrl = () => `${gitlab.host}?owner=acme/platform&repo=infra`;
const base = () => ({
  repoUrl: repoUrl(),
  title: 'Add svc',
  description: 'From Atrium',
  branchName: 'add-svc',
});

describe('publish:gitlab:merge-request (against the GitLab stand-in, pushing with git)', () => {
  it("commits sourcePath into targetPath on a new branch and opens the merge request with assignee, reviewers and labels; Backstage's outputs", async () => {
    const t = context({
      ...base(),
      sourcePath: 'out',
      targetPath: 'services/svc',
      assignee: 'jane',
      reviewers: ['bob', 'nobody'],
      labels: ['scaffolder'],
      removeSourceBranch: true,
    });
    await runAction(action, t);
    expect(calls()).toEqual([
      'GET /api/v4/projects/acme%2Fplatform%2Finfra',
      'GET /api/v4/users?username=jane',
      'GET /api/v4/users?username=bob',
      'GET /api/v4/users?username=nobody',
      'POST /api/v4/projects/acme%2Fplatform%2Finfra/merge_requests',
    ]);
    expect(scm.requests.every((r) => r.privateToken === TOKEN)).toBe(true);
    expect(scm.requests[4]!.body).toEqual({
      source_branch: 'add-svc',
      target_branch: 'main',
      title: 'Add svc',
      description: 'From Atrium',
      remove_source_branch: true,
      assignee_id: 7,
      reviewer_ids: [8],
      labels: ['scaffolder'],
    });
    expect(t.logText()).toContain('Failed to find the GitLab user id of nobody');
    expect(t.outputs).toEqual({
      projectid: 'acme/platform/infra',
      projectPath: 'acme/platform/infra',
      targetBranchName: 'main',
      mergeRequestUrl: `${scm.base}/acme/platform/infra/-/merge_requests/1`,
    });
    expect(gitlab.files('acme/platform/infra', 'add-svc')).toEqual({
      'README.md': '# infra',
      'services/api/app.yaml': 'v: 1',
      'services/svc/catalog-info.yaml': 'kind: Component',
    });
    const bare = gitlab.bare('acme/platform/infra');
    expect(git(['--git-dir', bare, 'log', '-1', '--format=%an %s', 'add-svc'])).toBe(
      'Atrium Add svc',
    );
  });

  it('uses targetPath as the source folder when sourcePath is absent (as Backstage), and an OAuth token input as a bearer token', async () => {
    const t = context({ ...base(), targetPath: 'out', token: OAUTH });
    await runAction(action, t);
    expect(scm.requests.every((r) => r.authorization === `Bearer ${OAUTH}`)).toBe(true);
    expect(gitlab.files('acme/platform/infra', 'add-svc')['out/catalog-info.yaml']).toBe(
      'kind: Component',
    );
  });

  it("commitAction 'create' refuses a file the branch has; 'update' one it lacks; 'delete' removes files", async () => {
    const t = makeTestContext({
      ...base(),
      targetPath: 'services/api',
      sourcePath: '.',
      commitAction: 'create',
    } as never);
    contexts.push(t);
    writeFileSync(join(t.workspace, 'app.yaml'), 'v: 2\n');
    await expect(runAction(action, t)).rejects.toThrow(
      "services/api/app.yaml exists already on the branch; commitAction 'create' only adds new files (use 'update' or 'auto')",
    );
    t.ctx.input = {
      ...base(),
      targetPath: 'services/new',
      sourcePath: '.',
      commitAction: 'update',
    };
    await expect(runAction(action, t)).rejects.toThrow(
      "services/new/app.yaml does not exist on the branch, so commitAction 'update' cannot change it",
    );
    t.ctx.input = {
      ...base(),
      targetPath: 'services/api',
      sourcePath: '.',
      commitAction: 'delete',
    };
    await runAction(action, t);
    expect(Object.keys(gitlab.files('acme/platform/infra', 'add-svc'))).toEqual(['README.md']);
  });

  it('refuses an existing branch it would change, naming its merge request', async () => {
    await runAction(action, context(base()));
    const again = context(base());
    writeFileSync(join(again.workspace, 'out/other.txt'), 'x\n');
    await expect(runAction(action, again)).rejects.toThrow(
      `branchName: the branch 'add-svc' exists already in acme/platform/infra, with the merge request ${scm.base}/acme/platform/infra/-/merge_requests/1; choose another branchName`,
    );
  });

  it('adds the approval rules’ eligible approvers as reviewers when asked', async () => {
    const t = context({ ...base(), reviewers: ['bob'], assignReviewersFromApprovalRules: true });
    await runAction(action, t);
    expect(calls().slice(-2)).toEqual([
      'GET /api/v4/projects/acme%2Fplatform%2Finfra/merge_requests/1/approval_rules',
      'PUT /api/v4/projects/acme%2Fplatform%2Finfra/merge_requests/1',
    ]);
    expect(scm.requests.at(-1)!.body).toEqual({ reviewer_ids: [9, 8] });
  });

  it('errors: an unknown project (404), a rejected token (401), a long rate limit (429 with Retry-After)', async () => {
    const t = context({ ...base(), repoUrl: `${gitlab.host}?owner=acme&repo=nope` });
    await expect(runAction(action, t)).rejects.toThrow(
      `GitLab at ${gitlab.host} found nothing while reading project acme/nope (404: 404 Project Not Found); check the name, and that the token can see it`,
    );
    t.ctx.input = { ...base(), token: 'oauth-revoked' };
    await expect(runAction(action, t)).rejects.toMatchObject({
      name: 'AuthenticationError',
      message: `GitLab at ${gitlab.host} rejected the token while reading project acme/platform/infra (401: 401 Unauthorized); check integrations.gitlab[].token or the token input`,
    });
    scm.failNext('GET', /^\/api\/v4\/projects\/[^/]+$/, {
      status: 429,
      body: { message: 'Retry later' },
      headers: { 'retry-after': '600' },
    });
    t.ctx.input = base();
    await expect(runAction(action, t)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: `GitLab at ${gitlab.host} is rate-limiting requests (429: Retry later) while reading project acme/platform/infra; try again in 600 seconds (Retry-After), or use a token with a higher limit (integrations.gitlab[].token)`,
    });
  });

  it('validates input against its schema and keeps paths inside the workspace and repository', async () => {
    const t = context({ repoUrl: repoUrl(), title: 'x' });
    await expect(runAction(action, t)).rejects.toThrow(/branchName/);
    t.ctx.input = { ...base(), commitAction: 'overwrite' };
    await expect(runAction(action, t)).rejects.toThrow(/commitAction/);
    t.ctx.input = { ...base(), sourcePath: '/etc' };
    await expect(runAction(action, t)).rejects.toThrow("sourcePath: '/etc' is an absolute path");
    t.ctx.input = { ...base(), sourcePath: 'out', targetPath: '../../x' };
    await expect(runAction(action, t)).rejects.toThrow(
      "targetPath: '../../x' leads outside the repository",
    );
    expect(scm.requests).toEqual([]);
  });
});
