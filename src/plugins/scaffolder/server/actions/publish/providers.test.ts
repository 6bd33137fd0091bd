/**
 * publish:bitbucketCloud, publish:bitbucketServer, publish:azure and publish:gerrit against
 * local stand-ins of their REST APIs, each pushing with git to a real bare repository the
 * stand-in serves; the requests they make and the credentials they send are asserted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import type { TemplateAction } from '../types.ts';
import { createPublishAzureAction } from './azure.ts';
import { createPublishBitbucketCloudAction } from './bitbucket-cloud.ts';
import { createPublishBitbucketServerAction } from './bitbucket-server.ts';
import { filesAt, git } from './fake-github.testkit.ts';
import {
  fakeAzure,
  fakeBitbucketCloud,
  fakeBitbucketServer,
  fakeGerrit,
} from './fake-providers.testkit.ts';
import { type FakeScm, startFakeScm } from './fake-scm.testkit.ts';
import { createPublishGerritAction } from './gerrit.ts';
import { publishActions } from './index.ts';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const contexts: TestActionContext[] = [];
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

function context(input: Record<string, unknown>, options: { isDryRun?: boolean } = {}) {
  const t = makeTestContext(input as never, options);
  writeFileSync(join(t.workspace, 'README.md'), '# svc\n');
  contexts.push(t);
  return t;
}

/** One stand-in server with its git root, closed after the file. */
async function standIn(password: string | string[], username?: string) {
  const gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-provider-'));
  const scm = await startFakeScm({ gitRoot, gitAuth: { username, password } });
  stops.push(async () => {
    await scm.close();
    rmSync(gitRoot, { recursive: true, force: true });
  });
  return { scm, gitRoot, host: new URL(scm.base).host };
}
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

it('contributes the publish actions with their Backstage ids; only the pull-request and Gerrit ones dry-run', async () => {
  const config = await loadTestConfig({});
  const actions = publishActions.map((a) =>
    typeof a === 'function' ? a({ config, catalog: undefined as never }) : a,
  );
  expect(actions.map((a) => [a.id, Boolean(a.supportsDryRun)])).toEqual([
    ['publish:git', false],
    ['publish:github', false],
    ['publish:github:pull-request', true],
    ['publish:gitlab', false],
    ['publish:gitlab:merge-request', false],
    ['publish:bitbucketCloud', false],
    ['publish:bitbucketServer', false],
    ['publish:azure', false],
    ['publish:gerrit', true],
  ]);
});

describe('publish:bitbucketCloud', () => {
  let scm: FakeScm;
  let gitRoot: string;
  let config: AtriumConfig;
  let action: TemplateAction;
  beforeAll(async () => {
    ({ scm, gitRoot } = await standIn(['app-pass', 'bb-access-token']));
    const { api } = fakeBitbucketCloud(
      scm,
      gitRoot,
      (r) =>
        r.authorization === basic('jane', 'app-pass') ||
        r.authorization === 'Bearer bb-access-token',
    );
    config = await loadTestConfig({
      integrations: { bitbucketCloud: [{ username: 'jane', appPassword: 'app-pass' }] },
      scaffolder: { defaultAuthor: { name: 'Atrium', email: 'atrium@example.com' } },
    });
    // bitbucket.org's API is fixed in Backstage and in Atrium's config; the test points it here.
    config.integrations.bitbucketCloud[0]!.apiBaseUrl = api;
    action = createPublishBitbucketCloudAction({ config, catalog: undefined as never });
  });

  it('creates the repository in the workspace project with the app password and pushes the first commit', async () => {
    const t = context({
      repoUrl: 'bitbucket.org?workspace=acme&project=PLAT&repo=svc',
      description: 'A service',
      defaultBranch: 'main',
    });
    await runAction(action, t);
    expect(scm.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /2.0/repositories/acme/svc',
    ]);
    expect(scm.requests[0]!.authorization).toBe(basic('jane', 'app-pass'));
    expect(scm.requests[0]!.body).toEqual({
      scm: 'git',
      description: 'A service',
      is_private: true,
      project: { key: 'PLAT' },
    });
    expect(scm.gitRequests.every((r) => r.authorization === basic('jane', 'app-pass'))).toBe(true);
    const bare = join(gitRoot, 'acme/svc.git');
    expect(filesAt(bare, 'main')).toEqual({ 'README.md': '# svc' });
    expect(t.outputs).toEqual({
      commitHash: git(['--git-dir', bare, 'rev-parse', 'main']),
      remoteUrl: `${scm.base}/git/acme/svc.git`,
      repoContentsUrl: `${scm.base}/acme/svc/src/main`,
    });
  });

  it('uses a token input as a bearer token (git: x-token-auth), and names a missing workspace or project', async () => {
    scm.requests.length = 0;
    scm.gitRequests.length = 0;
    const t = context({
      repoUrl: 'bitbucket.org?workspace=acme&project=PLAT&repo=tool',
      token: 'bb-access-token',
      repoVisibility: 'public',
    });
    await runAction(action, t);
    expect(scm.requests[0]!.authorization).toBe('Bearer bb-access-token');
    expect(scm.requests[0]!.body).toMatchObject({ is_private: false });
    expect(
      scm.gitRequests.every((r) => r.authorization === basic('x-token-auth', 'bb-access-token')),
    ).toBe(true);
    t.ctx.input = { repoUrl: 'bitbucket.org?workspace=acme&repo=x' };
    await expect(runAction(action, t)).rejects.toThrow('missing project');
  });

  it('API errors say what to do: 404 workspace, 400 project, 401 credentials', async () => {
    const t = context({ repoUrl: 'bitbucket.org?workspace=nobody&project=PLAT&repo=x' });
    await expect(runAction(action, t)).rejects.toThrow(
      'Bitbucket Cloud at bitbucket.org found nothing while creating repository nobody/x (404: No workspace with identifier nobody.); check the name, and that the token can see it',
    );
    t.ctx.input = { repoUrl: 'bitbucket.org?workspace=acme&project=NOPE&repo=x' };
    await expect(runAction(action, t)).rejects.toThrow(
      'Bitbucket Cloud at bitbucket.org refused creating repository acme/x (400: Project NOPE does not exist)',
    );
    t.ctx.input = { repoUrl: 'bitbucket.org?workspace=acme&project=PLAT&repo=x', token: 'expired' };
    await expect(runAction(action, t)).rejects.toMatchObject({
      name: 'AuthenticationError',
      message:
        'Bitbucket Cloud at bitbucket.org rejected the token while creating repository acme/x (401: Access token expired or invalid); check integrations.bitbucketCloud[] (username with appPassword or token) or the token input',
    });
  });
});

describe('publish:bitbucketServer', () => {
  let scm: FakeScm;
  let gitRoot: string;
  let host: string;
  let action: TemplateAction;
  beforeAll(async () => {
    const gitRootDir = mkdtempSync(join(tmpdir(), 'atrium-fake-bbs-'));
    scm = await startFakeScm({ gitRoot: gitRootDir, gitBearer: 'bbs-token' });
    gitRoot = gitRootDir;
    host = new URL(scm.base).host;
    stops.push(async () => {
      await scm.close();
      rmSync(gitRootDir, { recursive: true, force: true });
    });
    const { api } = fakeBitbucketServer(
      scm,
      gitRoot,
      (r) => r.authorization === 'Bearer bbs-token',
    );
    const config = await loadTestConfig({
      integrations: { bitbucketServer: [{ host, token: 'bbs-token', apiBaseUrl: api }] },
    });
    action = createPublishBitbucketServerAction({ config, catalog: undefined as never });
  });

  it('publishes, enables LFS, outputs the browse URL; a second run is a conflict naming the repository', async () => {
    const t = context({
      repoUrl: `${host}?project=PLAT&repo=svc`,
      defaultBranch: 'main',
      enableLFS: true,
    });
    await runAction(action, t);
    expect(scm.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /rest/api/1.0/projects/PLAT/repos',
      'PUT /rest/git-lfs/admin/projects/PLAT/repos/svc/enabled',
    ]);
    const bare = join(gitRoot, 'PLAT/svc.git');
    expect(t.outputs).toEqual({
      commitHash: git(['--git-dir', bare, 'rev-parse', 'main']),
      remoteUrl: `${scm.base}/git/PLAT/svc.git`,
      repoContentsUrl: `${scm.base}/projects/PLAT/repos/svc/browse`,
    });
    await expect(runAction(action, t)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `Cannot create repository PLAT/svc: it already exists on ${host} (This repository URL is already taken by 'svc' in 'PLAT')`,
    });
  });

  it('refuses a host that is not configured, and a repoUrl without project', async () => {
    const t = context({ repoUrl: 'bitbucket.other.test?project=P&repo=r' });
    await expect(runAction(action, t)).rejects.toThrow(
      'No matching integration configuration for host bitbucket.other.test',
    );
    t.ctx.input = { repoUrl: `${host}?repo=r` };
    await expect(runAction(action, t)).rejects.toThrow('missing project');
  });
});

describe('publish:azure', () => {
  let scm: FakeScm;
  let gitRoot: string;
  let config: AtriumConfig;
  let action: TemplateAction;
  const host = 'dev.azure.com';
  beforeAll(async () => {
    ({ scm, gitRoot } = await standIn(['pat-acme', 'pat-input'], 'notempty'));
    const { base } = fakeAzure(
      scm,
      gitRoot,
      (r) =>
        r.authorization === basic('PAT', 'pat-acme') ||
        r.authorization === basic('PAT', 'pat-input'),
    );
    config = await loadTestConfig({
      integrations: {
        azure: [
          {
            host,
            credentials: [
              { organizations: ['other'], personalAccessToken: 'pat-other' },
              { organizations: ['acme'], personalAccessToken: 'pat-acme' },
            ],
          },
        ],
      },
    });
    // dev.azure.com's API lives on the host itself; the test points it at the stand-in.
    config.integrations.azure[0]!.apiBaseUrl = base;
    action = createPublishAzureAction({ config, catalog: undefined as never });
  });

  it("creates the repository in the organisation's project with its credential, pushes, and outputs the repository id", async () => {
    const t = context({
      repoUrl: `${host}?organization=acme&project=platform&repo=svc`,
      defaultBranch: 'main',
      gitAuthorName: 'Jane',
      gitAuthorEmail: 'jane@acme.test',
    });
    await runAction(action, t);
    expect(scm.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /acme/platform/_apis/git/repositories?api-version=7.1',
    ]);
    expect(scm.requests[0]!.authorization).toBe(basic('PAT', 'pat-acme'));
    expect(scm.requests[0]!.body).toEqual({ name: 'svc' });
    expect(scm.gitRequests.every((r) => r.authorization === basic('notempty', 'pat-acme'))).toBe(
      true,
    );
    const bare = join(gitRoot, 'acme/platform/_git/svc.git');
    expect(git(['--git-dir', bare, 'log', '--format=%an <%ae>', 'main'])).toBe(
      'Jane <jane@acme.test>',
    );
    expect(t.outputs).toEqual({
      commitHash: git(['--git-dir', bare, 'rev-parse', 'main']),
      remoteUrl: `${scm.base}/git/acme/platform/_git/svc.git`,
      repoContentsUrl: `${scm.base}/acme/platform/_git/svc`,
      repositoryId: '5febef5a-833d-4e14-b9c0-14cb638f91e6',
    });
  });

  it('names a missing organization, missing credentials and a missing project', async () => {
    const t = context({ repoUrl: `${host}?project=platform&repo=svc` });
    await expect(runAction(action, t)).rejects.toThrow(
      "repoUrl: 'dev.azure.com?project=platform&repo=svc' has no organization",
    );
    t.ctx.input = { repoUrl: `${host}?organization=nobody&project=p&repo=r` };
    await expect(runAction(action, t)).rejects.toThrow('No credentials for ');
    t.ctx.input = {
      repoUrl: `${host}?organization=acme&project=missing&repo=r`,
      token: 'pat-input',
    };
    await expect(runAction(action, t)).rejects.toThrow(
      'Azure DevOps at dev.azure.com found nothing while creating repository r in acme/missing (404: TF200016: The following project does not exist: missing.)',
    );
  });
});

describe('publish:gerrit', () => {
  let scm: FakeScm;
  let gitRoot: string;
  let host: string;
  let action: TemplateAction;
  beforeAll(async () => {
    ({ scm, gitRoot, host } = await standIn('gerrit-http-pw', 'jane'));
    fakeGerrit(scm, gitRoot, (r) => r.authorization === basic('jane', 'gerrit-http-pw'));
    const config = await loadTestConfig({
      integrations: {
        gerrit: [
          {
            host,
            baseUrl: scm.base,
            cloneUrl: `${scm.base}/git`,
            gitilesBaseUrl: `${scm.base}/plugins/gitiles`,
            username: 'jane',
            password: 'gerrit-http-pw',
          },
        ],
      },
      scaffolder: { defaultCommitMessage: 'Initial import' },
    });
    action = createPublishGerritAction({ config, catalog: undefined as never });
  });

  it('creates the project under its parent, pushes a commit with a Change-Id, and outputs the Gitiles URL', async () => {
    const t = context({
      repoUrl: `${host}?workspace=All-Projects&owner=platform&repo=svc`,
      description: 'A service',
      defaultBranch: 'main',
    });
    await runAction(action, t);
    expect(scm.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /a/projects/svc']);
    expect(scm.requests[0]!.body).toEqual({
      parent: 'All-Projects',
      description: 'A service',
      branches: ['main'],
      owners: ['platform'],
      create_empty_commit: false,
    });
    const bare = join(gitRoot, 'a/svc.git');
    expect(git(['--git-dir', bare, 'log', '--format=%B', 'main'])).toMatch(
      /^Initial import\n\nChange-Id: I[0-9a-f]{40}$/,
    );
    expect(t.outputs).toEqual({
      remoteUrl: `${scm.base}/git/a/svc`,
      commitHash: git(['--git-dir', bare, 'rev-parse', 'main']),
      repoContentsUrl: `${scm.base}/plugins/gitiles/svc/+/refs/heads/main`,
    });
  });

  it('dry run: sends nothing; a project that exists (409) is a conflict; a missing workspace is named', async () => {
    scm.requests.length = 0;
    const dry = context({ repoUrl: `${host}?workspace=All-Projects&repo=x` }, { isDryRun: true });
    await runAction(action, dry);
    expect(scm.requests).toEqual([]);
    expect(dry.outputs).toMatchObject({
      commitHash: 'abcd-dry-run-1234',
      remoteUrl: `${scm.base}/git/a/x`,
    });
    const t = context({ repoUrl: `${host}?workspace=All-Projects&repo=taken` });
    await expect(runAction(action, t)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `Cannot create project taken: it already exists on ${host} (Project already exists)`,
    });
    t.ctx.input = { repoUrl: `${host}?repo=x` };
    await expect(runAction(action, t)).rejects.toThrow(
      'has no workspace (the parent project of the new project)',
    );
  });
});
