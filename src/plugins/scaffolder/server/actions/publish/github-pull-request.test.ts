import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { TemplateAction } from '../types.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { FakeGithub, git } from './fake-github.testkit.ts';
import { type FakeScm, startFakeScm } from './fake-scm.testkit.ts';
import { createPublishGithubPullRequestAction } from './github-pull-request.ts';

const TOKEN = 'ghp_prTOKEN_0123456789';
const OUTSIDER = 'ghp_outsider_0123456789';

let scm: FakeScm;
let github: FakeGithub;
let gitRoot: string;
let config: AtriumConfig;
let action: TemplateAction;
const contexts: TestActionContext[] = [];

beforeAll(async () => {
  gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-github-pr-'));
  scm = await startFakeScm({
    gitRoot,
    gitAuth: { username: 'x-access-token', password: [TOKEN, OUTSIDER] },
  });
  github = await FakeGithub.start(scm, gitRoot, {
    tokens: { [TOKEN]: 'jane', [OUTSIDER]: 'olly' },
    orgs: ['acme'],
  });
  config = await loadTestConfig({
    integrations: { github: [{ host: github.host, token: TOKEN, apiBaseUrl: github.api }] },
    scaffolder: { defaultAuthor: { name: 'Atrium', email: 'atrium@example.com' } },
  });
  action = createPublishGithubPullRequestAction({ config, catalog: undefined as never });
});
afterAll(async () => {
  await scm.close();
  rmSync(gitRoot, { recursive: true, force: true });
});
beforeEach(() => {
  rmSync(gitRoot, { recursive: true, force: true });
  mkdirSync(gitRoot);
  github.repos.clear();
  github.pulls.length = 0;
  github.seed('acme/infra', { 'README.md': '# infra\n', 'services/old/app.yaml': 'old: true\n' });
  scm.requests.length = 0;
  scm.gitRequests.length = 0;
});
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

function context(input: Record<string, unknown>, options: { isDryRun?: boolean } = {}) {
  const t = makeTestContext(input as never, options);
  mkdirSync(join(t.workspace, 'svc/bin'), { recursive: true });
  writeFileSync(join(t.workspace, 'svc/catalog-info.yaml'), 'kind: Component\n');
  writeFileSync(join(t.workspace, 'svc/bin/run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(t.workspace, 'svc/bin/run.sh'), 0o755);
  writeFileSync(join(t.workspace, 'svc/.gitignore'), 'secret.env\n');
  writeFileSync(join(t.workspace, 'svc/secret.env'), 'TOKEN=x\n');
  contexts.push(t);
  return t;
}

const apiCalls = () => scm.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
const base = {
  repoUrl: '',
  branchName: 'add-svc',
  title: 'Add svc',
  description: 'Created by Atrium',
};

describe('publish:github:pull-request (against the GitHub stand-in, pushing with git)', () => {
  beforeEach(() => {
    base.repoUrl = `${github.host}?owner=acme&repo=infra`;
  });

  it("commits sourcePath into targetPath on a new branch from the default branch and opens the pull request, with Backstage's outputs", async () => {
    const t = context({
      ...base,
      sourcePath: 'svc',
      targetPath: 'services/svc',
      draft: true,
      reviewers: ['bob'],
      teamReviewers: ['platform', 'platform'],
    });
    await runAction(action, t);

    expect(apiCalls()).toEqual([
      'GET /api/v3/repos/acme/infra',
      'POST /api/v3/repos/acme/infra/pulls',
      'POST /api/v3/repos/acme/infra/pulls/1/requested_reviewers',
    ]);
    expect(scm.requests[1]!.body).toEqual({
      head: 'acme:add-svc',
      base: 'main',
      title: 'Add svc',
      body: 'Created by Atrium',
      draft: true,
    });
    expect(scm.requests[2]!.body).toEqual({ reviewers: ['bob'], team_reviewers: ['platform'] });
    expect(scm.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(t.outputs).toEqual({
      targetBranchName: 'main',
      remoteUrl: `${scm.base}/acme/infra/pull/1`,
      pullRequestNumber: 1,
    });

    // The branch is a real commit on top of main: old files kept, new ones under targetPath,
    // the ignored file left out, the executable bit kept.
    const bare = github.bare('acme/infra');
    expect(github.files('acme/infra', 'add-svc')).toEqual({
      'README.md': '# infra',
      'services/old/app.yaml': 'old: true',
      'services/svc/.gitignore': 'secret.env',
      'services/svc/bin/run.sh': '#!/bin/sh\necho hi',
      'services/svc/catalog-info.yaml': 'kind: Component',
    });
    expect(git(['--git-dir', bare, 'ls-tree', 'add-svc', 'services/svc/bin/run.sh'])).toMatch(
      /^100755 /,
    );
    expect(git(['--git-dir', bare, 'rev-parse', 'add-svc^'])).toBe(
      git(['--git-dir', bare, 'rev-parse', 'main']),
    );
    expect(git(['--git-dir', bare, 'log', '-1', '--format=%an <%ae> %s', 'add-svc'])).toBe(
      'Atrium <atrium@example.com> Add svc',
    );
    expect(github.pulls[0]).toMatchObject({ head: 'acme:add-svc', base: 'main', draft: true });
    expect(t.logText()).toContain('Added users [bob] and teams [platform] as reviewers');
    expect(t.logText()).not.toContain(TOKEN);
  });

  it('targets targetBranchName, uses commitMessage and the given author', async () => {
    git(['--git-dir', github.bare('acme/infra'), 'branch', 'release', 'main']);
    const t = context({
      ...base,
      targetBranchName: 'release',
      commitMessage: 'feat: add svc',
      gitAuthorName: 'Jane',
      gitAuthorEmail: 'jane@acme.test',
    });
    await runAction(action, t);
    expect(scm.requests[1]!.body).toMatchObject({ base: 'release', head: 'acme:add-svc' });
    expect(t.outputs.targetBranchName).toBe('release');
    expect(
      git([
        '--git-dir',
        github.bare('acme/infra'),
        'log',
        '-1',
        '--format=%an <%ae> %s',
        'add-svc',
      ]),
    ).toBe('Jane <jane@acme.test> feat: add svc');
    // Without sourcePath the whole workspace goes to the repository root.
    expect(Object.keys(github.files('acme/infra', 'add-svc'))).toContain('svc/catalog-info.yaml');
  });

  it('with update, force-pushes the branch of an open pull request and updates it instead of opening another', async () => {
    await runAction(action, context({ ...base, sourcePath: 'svc' }));
    const first = git(['--git-dir', github.bare('acme/infra'), 'rev-parse', 'add-svc']);
    scm.requests.length = 0;

    const again = context({ ...base, title: 'Add svc (v2)', sourcePath: 'svc', update: true });
    writeFileSync(join(again.workspace, 'svc/catalog-info.yaml'), 'kind: Component # v2\n');
    await runAction(action, again);
    expect(apiCalls()).toEqual([
      'GET /api/v3/repos/acme/infra',
      'GET /api/v3/repos/acme/infra/pulls',
      'PATCH /api/v3/repos/acme/infra/pulls/1',
    ]);
    expect(scm.requests[1]!.path).toBe(
      '/api/v3/repos/acme/infra/pulls?head=acme%3Aadd-svc&state=open',
    );
    expect(scm.requests[2]!.body).toEqual({ title: 'Add svc (v2)', body: 'Created by Atrium' });
    expect(again.outputs).toEqual({
      targetBranchName: 'main',
      remoteUrl: `${scm.base}/acme/infra/pull/1`,
      pullRequestNumber: 1,
    });
    const second = git(['--git-dir', github.bare('acme/infra'), 'rev-parse', 'add-svc']);
    expect(second).not.toBe(first);
    // Rebuilt on the base, not stacked on the previous commit.
    expect(git(['--git-dir', github.bare('acme/infra'), 'rev-parse', 'add-svc^'])).toBe(
      git(['--git-dir', github.bare('acme/infra'), 'rev-parse', 'main']),
    );
    expect(github.files('acme/infra', 'add-svc')['catalog-info.yaml']).toBe('kind: Component # v2');
    expect(github.pulls).toHaveLength(1);
  });

  it('without update, refuses a branch that exists and pushes nothing', async () => {
    git(['--git-dir', github.bare('acme/infra'), 'branch', 'add-svc', 'main']);
    const before = git(['--git-dir', github.bare('acme/infra'), 'rev-parse', 'add-svc']);
    const t = context(base);
    const error = await runAction(action, t).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ConflictError' });
    expect((error as Error).message).toBe(
      "The branch 'add-svc' exists already in acme/infra; set update: true to update it and its pull request, or choose another branchName",
    );
    expect(git(['--git-dir', github.bare('acme/infra'), 'rev-parse', 'add-svc'])).toBe(before);
    expect(github.pulls).toEqual([]);
  });

  it('with createWhenEmpty: false and no change, opens nothing and has no outputs; by default it opens the pull request anyway', async () => {
    const t = makeTestContext({
      ...base,
      targetPath: 'services/old',
      createWhenEmpty: false,
    } as never);
    contexts.push(t);
    writeFileSync(join(t.workspace, 'app.yaml'), 'old: true\n');
    await runAction(action, t);
    expect(t.outputs).toEqual({});
    expect(t.logText()).toContain('No changes to commit, pull request was not created');
    expect(github.pulls).toEqual([]);
    expect(scm.gitRequests.filter((r) => r.path.includes('receive-pack'))).toEqual([]);

    t.ctx.input = { ...base, targetPath: 'services/old' };
    await runAction(action, t);
    expect(t.outputs.pullRequestNumber).toBe(1);
  });

  it('with forceFork, pushes to the token user fork (created when missing) and opens the pull request from it', async () => {
    const t = context({ ...base, sourcePath: 'svc', forceFork: true });
    await runAction(action, t);
    expect(apiCalls()).toEqual([
      'GET /api/v3/repos/acme/infra',
      'GET /api/v3/user',
      'GET /api/v3/repos/acme/infra/forks',
      'POST /api/v3/repos/acme/infra/forks',
      'POST /api/v3/repos/acme/infra/pulls',
    ]);
    expect(scm.requests[4]!.body).toMatchObject({ head: 'jane:add-svc', base: 'main' });
    expect(github.files('jane/infra', 'add-svc')['catalog-info.yaml']).toBe('kind: Component');
    expect(git(['--git-dir', github.bare('acme/infra'), 'branch', '--list', 'add-svc'])).toBe('');

    // A second run finds the fork instead of creating another.
    scm.requests.length = 0;
    await runAction(action, context({ ...base, branchName: 'add-svc-2', forceFork: true }));
    expect(apiCalls()).not.toContain('POST /api/v3/repos/acme/infra/forks');
  });

  it('forks by itself when the token user may not push (as octokit-plugin-create-pull-request)', async () => {
    github.seed('bob/tool', { 'a.txt': 'a\n' });
    const t = context({
      ...base,
      repoUrl: `${github.host}?owner=bob&repo=tool`,
      token: OUTSIDER,
      sourcePath: 'svc',
    });
    await runAction(action, t);
    expect(apiCalls()).toContain('POST /api/v3/repos/bob/tool/forks');
    expect(github.pulls[0]).toMatchObject({ repo: 'bob/tool', head: 'olly:add-svc' });
    expect(scm.requests.every((r) => r.authorization === `token ${OUTSIDER}`)).toBe(true);
  });

  it('with forceEmptyGitAuthor, commits as the token user', async () => {
    const t = context({ ...base, forceEmptyGitAuthor: true, gitAuthorName: 'Ignored' });
    await runAction(action, t);
    expect(
      git(['--git-dir', github.bare('acme/infra'), 'log', '-1', '--format=%an <%ae>', 'add-svc']),
    ).toBe('jane <7+jane@users.noreply.github.com>');
  });

  it('logs reviewers GitHub refuses as an error and still outputs the pull request', async () => {
    const t = context({ ...base, reviewers: ['ghost'] });
    await runAction(action, t);
    expect(t.logs.find((l) => l.level === 'error')?.message).toContain(
      'Failure when adding reviewers to pull request 1',
    );
    expect(t.outputs.pullRequestNumber).toBe(1);
  });

  it('dry run: sends nothing and outputs the shape Backstage gives', async () => {
    const t = context(base, { isDryRun: true });
    await runAction(action, t);
    expect(scm.requests).toEqual([]);
    expect(t.outputs).toEqual({
      targetBranchName: 'add-svc',
      remoteUrl: base.repoUrl,
      pullRequestNumber: 43,
    });
  });
});

describe('publish:github:pull-request bad input and provider errors', () => {
  beforeEach(() => {
    base.repoUrl = `${github.host}?owner=acme&repo=infra`;
  });

  it('validates its input against the schema, naming the field', async () => {
    const t = context({ repoUrl: base.repoUrl, title: 'x', description: 'y' });
    await expect(runAction(action, t)).rejects.toThrow(/branchName/);
    t.ctx.input = { ...base, reviewers: 'bob' };
    await expect(runAction(action, t)).rejects.toThrow(/reviewers/);
  });

  it('names a bad branch name, an escaping sourcePath or targetPath, and a symlink out of the workspace', async () => {
    const t = context({ ...base, branchName: 'bad..name' });
    await expect(runAction(action, t)).rejects.toThrow(
      "branchName: 'bad..name' is not a valid git branch name",
    );
    t.ctx.input = { ...base, sourcePath: '../..' };
    await expect(runAction(action, t)).rejects.toThrow(
      "sourcePath: '../..' leads outside the workspace",
    );
    t.ctx.input = { ...base, targetPath: '../elsewhere' };
    await expect(runAction(action, t)).rejects.toThrow(
      "targetPath: '../elsewhere' leads outside the repository",
    );
    const outside = mkdtempSync(join(tmpdir(), 'atrium-outside-'));
    writeFileSync(join(outside, 'passwd'), 'root:x\n');
    symlinkSync(outside, join(t.workspace, 'link'));
    t.ctx.input = { ...base, sourcePath: 'link' };
    await expect(runAction(action, t)).rejects.toThrow(
      "sourcePath: 'link' leads outside the workspace through a symlink",
    );
    // A symlink inside the published folder is committed as a link, never followed.
    symlinkSync(join(outside, 'passwd'), join(t.workspace, 'svc/passwd'));
    t.ctx.input = { ...base, sourcePath: 'svc' };
    await runAction(action, t);
    const bare = github.bare('acme/infra');
    expect(git(['--git-dir', bare, 'ls-tree', 'add-svc', 'passwd'])).toMatch(/^120000 /);
    expect(github.files('acme/infra', 'add-svc').passwd).toBe(join(outside, 'passwd'));
    rmSync(outside, { recursive: true, force: true });
    expect(scm.requests.length).toBeGreaterThan(0);
  });

  it('a 404 (missing repository) says to check the name and the token', async () => {
    const t = context({ ...base, repoUrl: `${github.host}?owner=acme&repo=nope` });
    await expect(runAction(action, t)).rejects.toThrow(
      `GitHub at ${github.host} found nothing while reading repository acme/nope (404: Not Found); check the name, and that the token can see it`,
    );
  });

  it('a 401 says which token to check, without the token', async () => {
    const t = context({ ...base, token: 'ghp_revoked' });
    const error = await runAction(action, t).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'AuthenticationError' });
    expect((error as Error).message).toBe(
      `GitHub at ${github.host} rejected the token while reading repository acme/infra (401: Bad credentials); check integrations.github[].token or the token input`,
    );
  });

  it('a 422 from the pull request call names what GitHub refused', async () => {
    scm.failNext('POST', /\/pulls$/, {
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ message: 'No commits between main and add-svc' }],
      },
    });
    const t = context(base);
    const error = await runAction(action, t).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'InputError' });
    expect((error as Error).message).toBe(
      `GitHub at ${github.host} refused creating a pull request from add-svc into main (422: Validation Failed; No commits between main and add-svc)`,
    );
  });

  it('waits out a short rate limit (Retry-After) and says when to come back after a long one', async () => {
    scm.failNext('GET', /\/repos\/acme\/infra$/, {
      status: 429,
      body: { message: 'API rate limit exceeded' },
      headers: { 'retry-after': '1' },
    });
    const t = context(base);
    await runAction(action, t);
    expect(apiCalls().slice(0, 2)).toEqual([
      'GET /api/v3/repos/acme/infra',
      'GET /api/v3/repos/acme/infra',
    ]);
    expect(t.outputs.pullRequestNumber).toBe(1);

    scm.failNext('GET', /\/repos\/acme\/infra$/, {
      status: 403,
      body: { message: 'API rate limit exceeded for user ID 7.' },
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      },
    });
    const u = context({ ...base, branchName: 'other' });
    const error = await runAction(action, u).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ServiceUnavailableError' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^GitHub at ${github.host.replace(/\./g, '\\.')} is rate-limiting requests \\(403: API rate limit exceeded for user ID 7\\.\\) while reading repository acme/infra; try again in 3[56]\\d\\d seconds \\(Retry-After\\), or use a token with a higher limit \\(integrations\\.github\\[\\]\\.token\\)$`,
      ),
    );
  });
});
