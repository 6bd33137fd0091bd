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
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRecordingServer } from '../../../../../../test/helpers/recording-server.ts';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { TemplateAction } from '../types.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import { type FakeScm, type RecordedRequest, startFakeScm } from './fake-scm.testkit.ts';
import { createPublishGithubAction } from './github.ts';

const CONFIG_TOKEN = 'ghp_configTOKEN_0123456789';
const INPUT_TOKEN = 'ghu_inputTOKEN_9876543210';

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
/** Repositories the fake GitHub has, by `owner/name`. */
let repos: Set<string>;
/** Where the fake API says new repositories are cloned from (default: the fake's own git). */
let cloneBase: string | undefined;
/** Tokens the fake GitHub accepts. */
const validTokens = new Set([CONFIG_TOKEN, INPUT_TOKEN]);
const contexts: TestActionContext[] = [];

beforeAll(async () => {
  gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-github-'));
  scm = await startFakeScm({ gitRoot });
  host = new URL(scm.base).host;
  const authorized = (r: RecordedRequest) =>
    [...validTokens].some((t) => r.authorization === `token ${t}`);
  const unauthorized = { status: 401, body: { message: 'Bad credentials' } };
  const createRepo = (owner: string, body: { name: string }) => {
    const full = `${owner}/${body.name}`;
    if (repos.has(full)) {
      return {
        status: 422,
        body: {
          message: 'Repository creation failed.',
          errors: [
            {
              resource: 'Repository',
              code: 'custom',
              field: 'name',
              message: 'name already exists on this account',
            },
          ],
        },
      };
    }
    repos.add(full);
    // The clone URL leads to a real bare repository served by git http-backend.
    mkdirSync(join(gitRoot, owner), { recursive: true });
    git(['init', '--quiet', '--bare', join(gitRoot, owner, `${body.name}.git`)]);
    return {
      status: 201,
      body: {
        full_name: full,
        clone_url: `${cloneBase ?? scm.base}/git/${full}.git`,
        html_url: `${scm.base}/${full}`,
      },
    };
  };
  scm.route('GET', /^\/api\/v3\/users\/([^/]+)$/, ([, login], r) => {
    if (!authorized(r)) return unauthorized;
    if (login === 'acme') return { status: 200, body: { login, type: 'Organization' } };
    if (login === 'jane' || login === 'bob') return { status: 200, body: { login, type: 'User' } };
    return { status: 404, body: { message: 'Not Found' } };
  });
  scm.route('GET', /^\/api\/v3\/user$/, (_m, r) =>
    authorized(r) ? { status: 200, body: { login: 'jane' } } : unauthorized,
  );
  scm.route('POST', /^\/api\/v3\/orgs\/([^/]+)\/repos$/, ([, org], r) =>
    authorized(r) ? createRepo(org!, r.body as { name: string }) : unauthorized,
  );
  scm.route('POST', /^\/api\/v3\/user\/repos$/, (_m, r) =>
    authorized(r) ? createRepo('jane', r.body as { name: string }) : unauthorized,
  );
  scm.route('PUT', /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/topics$/, (_m, r) =>
    authorized(r) ? { status: 200, body: r.body } : unauthorized,
  );
  scm.route(
    'PUT',
    /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/branches\/([^/]+)\/protection$/,
    ([, , repo]) =>
      repo === 'private-free'
        ? {
            status: 403,
            body: {
              message:
                'Upgrade to GitHub Pro or make this repository public to enable this feature.',
            },
          }
        : { status: 200, body: {} },
  );
  config = await loadTestConfig({
    integrations: { github: [{ host, token: CONFIG_TOKEN, apiBaseUrl: `${scm.base}/api/v3` }] },
    scaffolder: { defaultAuthor: { name: 'Atrium', email: 'atrium@example.com' } },
  });
  action = createPublishGithubAction({ config, catalog: undefined as never });
});
afterAll(async () => {
  await scm.close();
  rmSync(gitRoot, { recursive: true, force: true });
});
beforeEach(() => {
  repos = new Set(['acme/taken']);
  scm.requests.length = 0;
  scm.gitRequests.length = 0;
});
afterEach(() => {
  for (const t of contexts.splice(0)) t.cleanup();
});

function context(input: Record<string, unknown>) {
  const t = makeTestContext(input as never);
  mkdirSync(join(t.workspace, 'src'));
  writeFileSync(join(t.workspace, 'README.md'), '# svc\n');
  writeFileSync(join(t.workspace, 'src/main.go'), 'package main\n');
  contexts.push(t);
  return t;
}

const apiCalls = () => scm.requests.map((r) => `${r.method} ${r.path}`);

describe('publish:github (against a local fake of the GitHub API and real git smart HTTP)', () => {
  it('creates an organisation repository with the configured token, pushes, sets topics and protects the branch', async () => {
    const t = context({
      repoUrl: `${host}?owner=acme&repo=svc`,
      description: 'My service',
      repoVisibility: 'internal',
      topics: ['go', 'service'],
      defaultBranch: 'main',
      gitCommitMessage: 'Initial import',
      requireCodeOwnerReviews: true,
    });
    await runAction(action, t);
    expect(apiCalls()).toEqual([
      'GET /api/v3/users/acme',
      'POST /api/v3/orgs/acme/repos',
      'PUT /api/v3/repos/acme/svc/topics',
      'PUT /api/v3/repos/acme/svc/branches/main/protection',
    ]);
    expect(scm.requests.every((r) => r.authorization === `token ${CONFIG_TOKEN}`)).toBe(true);
    expect(scm.requests[1]!.body).toMatchObject({
      name: 'svc',
      private: false,
      visibility: 'internal',
      description: 'My service',
    });
    expect(scm.requests[2]!.body).toEqual({ names: ['go', 'service'] });
    expect(scm.requests[3]!.body).toMatchObject({
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        require_code_owner_reviews: true,
      },
      restrictions: null,
    });

    // The push used the same token, as GitHub expects it over https.
    const basic = `Basic ${Buffer.from(`x-access-token:${CONFIG_TOKEN}`).toString('base64')}`;
    expect(scm.gitRequests.length).toBeGreaterThan(0);
    expect(scm.gitRequests.every((r) => r.authorization === basic)).toBe(true);

    const bare = join(gitRoot, 'acme/svc.git');
    expect(git(['--git-dir', bare, 'log', '--format=%an <%ae> %s', 'main'])).toBe(
      'Atrium <atrium@example.com> Initial import',
    );
    expect(git(['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main']).split('\n')).toEqual([
      'README.md',
      'src/main.go',
    ]);
    expect(t.outputs).toEqual({
      remoteUrl: `${scm.base}/git/acme/svc.git`,
      repoContentsUrl: `${scm.base}/acme/svc/tree/main`,
      commitHash: git(['--git-dir', bare, 'rev-parse', 'main']),
    });
    expect(t.logText()).not.toContain(CONFIG_TOKEN);
    expect(filesContaining(gitRoot, CONFIG_TOKEN)).toEqual([]);
    expect(filesContaining(t.scratch, CONFIG_TOKEN)).toEqual([]);
  });

  it("creates a user repository with the input token (which wins over config), checking it is the token's user", async () => {
    const t = context({
      repoUrl: `${host}?owner=jane&repo=tool`,
      token: INPUT_TOKEN,
      protectDefaultBranch: false,
    });
    await runAction(action, t);
    expect(apiCalls()).toEqual([
      'GET /api/v3/users/jane',
      'GET /api/v3/user',
      'POST /api/v3/user/repos',
    ]);
    expect(scm.requests.every((r) => r.authorization === `token ${INPUT_TOKEN}`)).toBe(true);
    expect(scm.requests[2]!.body).toMatchObject({ name: 'tool', private: true });
    expect(git(['--git-dir', join(gitRoot, 'jane/tool.git'), 'rev-parse', 'main'])).toBe(
      t.outputs.commitHash,
    );
    expect(t.logText()).not.toContain(INPUT_TOKEN);

    const other = context({ repoUrl: `${host}?owner=bob&repo=tool`, token: INPUT_TOKEN });
    await expect(runAction(action, other)).rejects.toThrow(
      "repoUrl: bob is a user, and GitHub creates user repositories only for the token's own user (jane)",
    );
  });

  it('reports an existing repository (422) as a conflict naming it, and pushes nothing', async () => {
    const t = context({ repoUrl: `${host}?owner=acme&repo=taken` });
    const error = await runAction(action, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toContain('Cannot create repository acme/taken: it already exists on');
    expect(error?.message).toContain('name already exists on this account');
    expect(scm.gitRequests).toEqual([]);
  });

  it('reports a rejected token (401) clearly, without the token', async () => {
    const bad = 'ghp_revoked_token_000';
    const t = context({ repoUrl: `${host}?owner=acme&repo=new`, token: bad });
    const error = await runAction(action, t).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe('AuthenticationError');
    expect(error?.message).toContain(
      `GitHub at ${host} rejected the token while looking up owner acme (401: Bad credentials)`,
    );
    expect(error?.message).not.toContain(bad);
    expect(t.logText()).not.toContain(bad);
  });

  it('warns and goes on when branch protection is not available', async () => {
    const t = context({ repoUrl: `${host}?owner=acme&repo=private-free` });
    await runAction(action, t);
    expect(t.logs.find((l) => l.level === 'warn')?.message).toContain(
      'Skipping default branch protection on acme/private-free',
    );
    expect(t.outputs.commitHash).toBeTruthy();
  });

  it('names an unknown owner, an unknown host and a missing token, and adds collaborators', async () => {
    const t = context({ repoUrl: `${host}?owner=nobody&repo=x` });
    await expect(runAction(action, t)).rejects.toThrow(
      `repoUrl: no user or organisation 'nobody' on ${host}`,
    );

    t.ctx.input = { repoUrl: 'git.unknown.example?owner=a&repo=b' };
    await expect(runAction(action, t)).rejects.toThrow(
      'No matching integration configuration for host git.unknown.example',
    );

    const noToken = createPublishGithubAction({
      config: await loadTestConfig({}),
      catalog: undefined as never,
    });
    t.ctx.input = { repoUrl: 'github.com?owner=a&repo=b' };
    await expect(runAction(noToken, t)).rejects.toThrow(
      'No token for github.com: set integrations.github[].token in app-config.yaml or pass the token input',
    );

    // Collaborators (Backstage's input) are added; one GitHub refuses is a warning.
    const u = context({
      repoUrl: `${host}?owner=acme&repo=extras`,
      collaborators: [{ user: 'user:default/x', access: 'pull' }],
      protectDefaultBranch: false,
    });
    await runAction(action, u);
    expect(apiCalls()).toContain('PUT /api/v3/repos/acme/extras/collaborators/x');
    expect(u.logText()).toContain('Skipping pull access for user:default/x');
  });
});

describe('publish:github and the allow list', () => {
  it('pushes to no clone URL outside the integration hosts and backend.reading.allow', async () => {
    const internal = await startRecordingServer();
    cloneBase = internal.base;
    try {
      const t = context({ repoUrl: `${host}?owner=acme&repo=elsewhere` });
      await expect(runAction(action, t)).rejects.toThrow(
        `Publishing to ${internal.base}/git/acme/elsewhere.git is not allowed: add ${internal.host} to backend.reading.allow`,
      );
      expect(internal.requests).toEqual([]);
    } finally {
      cloneBase = undefined;
      await internal.close();
    }
  });
});
