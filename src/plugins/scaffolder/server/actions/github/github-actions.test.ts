import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AtriumConfig } from '../../../../../core/config/index.ts';
import type { Entity } from '../../../../../model/entity.ts';
import type { CatalogApi } from '../../../../catalog/server/plugin.ts';
import { FakeGithub, git } from '../publish/fake-github.testkit.ts';
import { type FakeScm, startFakeScm } from '../publish/fake-scm.testkit.ts';
import { loadTestConfig, makeTestContext, runAction, type TestActionContext } from '../testkit.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { githubActions } from './index.ts';

const TOKEN = 'ghp_actionsTOKEN_0123456789';

let scm: FakeScm;
let github: FakeGithub;
let gitRoot: string;
let config: AtriumConfig;
let actions: Map<string, TemplateAction>;
const contexts: TestActionContext[] = [];

/** The catalog the environment reviewers are looked up in. */
const CATALOG: Record<string, Partial<Entity>> = {
  'user:default/jane': { kind: 'User', metadata: { name: 'jane' } },
  'group:default/platform': { kind: 'Group', metadata: { name: 'platform' } },
  'component:default/svc': { kind: 'Component', metadata: { name: 'svc' } },
};

beforeAll(async () => {
  gitRoot = mkdtempSync(join(tmpdir(), 'atrium-fake-github-actions-'));
  scm = await startFakeScm({ gitRoot, gitAuth: { username: 'x-access-token', password: TOKEN } });
  github = await FakeGithub.start(scm, gitRoot, { tokens: { [TOKEN]: 'jane' }, orgs: ['acme'] });
  config = await loadTestConfig({
    integrations: { github: [{ host: github.host, token: TOKEN, apiBaseUrl: github.api }] },
    scaffolder: { defaultAuthor: { name: 'Atrium', email: 'atrium@example.com' } },
  });
  const catalog = {
    query: { byRefs: async (refs: string[]) => refs.map((r) => CATALOG[r] ?? null) },
  } as unknown as CatalogApi;
  const deps: ActionDeps = { config, catalog };
  actions = new Map(
    githubActions.map((a) => {
      const action = typeof a === 'function' ? a(deps) : a;
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
  github.repos.clear();
  github.workflows.clear();
  github.seed('acme/svc', { 'README.md': '# svc\n' });
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
const repoUrl = () => `${github.host}?owner=acme&repo=svc`;

it('registers the github:* actions with their Backstage ids', () => {
  expect([...actions.keys()]).toEqual([
    'github:repo:create',
    'github:repo:push',
    'github:webhook',
    'github:actions:dispatch',
    'github:environment:create',
    'github:pages:enable',
    'github:issues:label',
  ]);
  expect(actions.get('github:webhook')!.supportsDryRun).toBe(true);
  expect(actions.get('github:repo:create')!.supportsDryRun).toBeFalsy();
});

describe('github:repo:create and github:repo:push', () => {
  it('creates the repository with its settings, access, collaborators, topics, variables, sealed secrets, OIDC template and subscription', async () => {
    const t = context({
      repoUrl: `${github.host}?owner=acme&repo=new-svc`,
      description: 'New',
      repoVisibility: 'internal',
      allowSquashMerge: false,
      squashMergeCommitTitle: 'PR_TITLE',
      access: 'acme/platform',
      collaborators: [
        { user: 'user:default/bob', access: 'push' },
        { team: 'group:default/sre', access: 'maintain' },
      ],
      topics: ['Go', 'service'],
      repoVariables: { REGION: 'eu' },
      secrets: { API_KEY: 's3cr3t-value' },
      oidcCustomization: { useDefault: false, includeClaimKeys: ['repo'] },
      customProperties: { tier: 'gold' },
      subscribe: true,
    });
    await run('github:repo:create', t);
    expect(calls()).toEqual([
      'GET /api/v3/users/acme',
      'GET /api/v3/orgs/acme/teams/platform',
      'POST /api/v3/orgs/acme/repos',
      'PUT /api/v3/orgs/acme/teams/platform/repos/acme/new-svc',
      'PUT /api/v3/repos/acme/new-svc/collaborators/bob',
      'PUT /api/v3/orgs/acme/teams/sre/repos/acme/new-svc',
      'PUT /api/v3/repos/acme/new-svc/topics',
      'POST /api/v3/repos/acme/new-svc/actions/variables',
      'GET /api/v3/repos/acme/new-svc/actions/secrets/public-key',
      'PUT /api/v3/repos/acme/new-svc/actions/secrets/API_KEY',
      'PUT /api/v3/repos/acme/new-svc/actions/oidc/customization/sub',
      'PUT /api/v3/repos/acme/new-svc/subscription',
    ]);
    expect(scm.requests[2]!.body).toMatchObject({
      name: 'new-svc',
      private: false,
      visibility: 'internal',
      description: 'New',
      allow_squash_merge: false,
      squash_merge_commit_title: 'PR_TITLE',
      custom_properties: { tier: 'gold' },
    });
    expect(scm.requests[3]!.body).toEqual({ permission: 'admin' });
    expect(scm.requests[4]!.body).toEqual({ permission: 'push' });
    expect(scm.requests[6]!.body).toEqual({ names: ['go', 'service'] });
    expect(scm.requests[7]!.body).toEqual({ name: 'REGION', value: 'eu' });
    const secret = scm.requests[9]!.body as { encrypted_value: string; key_id: string };
    expect(secret.key_id).toBe('key-1');
    expect(secret.encrypted_value).not.toContain('s3cr3t');
    expect(github.openSecret(secret.encrypted_value)).toBe('s3cr3t-value');
    expect(scm.requests[10]!.body).toEqual({ use_default: false, include_claim_keys: ['repo'] });
    expect(t.outputs).toEqual({
      remoteUrl: `${scm.base}/git/acme/new-svc.git`,
      repoContentsUrl: `${scm.base}/acme/new-svc`,
    });
    expect(
      git(['--git-dir', github.bare('acme/new-svc'), 'rev-parse', '--is-bare-repository']),
    ).toBe('true');
  });

  it('refuses an access team that does not exist before creating anything', async () => {
    const t = context({ repoUrl: `${github.host}?owner=acme&repo=x`, access: 'acme/missing' });
    await expect(run('github:repo:create', t)).rejects.toThrow(
      `access: no team 'acme/missing' on ${github.host}`,
    );
    expect(github.repos.has('acme/x')).toBe(false);
  });

  it('github:repo:push pushes the first commit to the repository github:repo:create made and protects the branch', async () => {
    await run('github:repo:create', context({ repoUrl: `${github.host}?owner=acme&repo=new-svc` }));
    scm.requests.length = 0;
    const t = context({
      repoUrl: `${github.host}?owner=acme&repo=new-svc`,
      gitCommitMessage: 'initial commit',
      requiredCommitSigning: true,
      requireCodeOwnerReviews: true,
    });
    writeFileSync(join(t.workspace, 'main.go'), 'package main\n');
    await run('github:repo:push', t);
    expect(calls()).toEqual([
      'GET /api/v3/repos/acme/new-svc',
      'PUT /api/v3/repos/acme/new-svc/branches/master/protection',
      'POST /api/v3/repos/acme/new-svc/branches/master/protection/required_signatures',
    ]);
    expect(scm.requests[1]!.body).toMatchObject({
      required_pull_request_reviews: { require_code_owner_reviews: true },
    });
    const bare = github.bare('acme/new-svc');
    expect(t.outputs).toEqual({
      remoteUrl: `${scm.base}/git/acme/new-svc.git`,
      repoContentsUrl: `${scm.base}/acme/new-svc/blob/master`,
      commitHash: git(['--git-dir', bare, 'rev-parse', 'master']),
    });
    expect(github.files('acme/new-svc', 'master')).toEqual({ 'main.go': 'package main' });
    expect(git(['--git-dir', bare, 'log', '--format=%an %s', 'master'])).toBe(
      'Atrium initial commit',
    );
  });

  it('github:repo:push refuses a repository that has the branch already', async () => {
    const t = context({ repoUrl: repoUrl(), defaultBranch: 'main' });
    writeFileSync(join(t.workspace, 'x.txt'), 'x\n');
    await expect(run('github:repo:push', t)).rejects.toMatchObject({ name: 'ConflictError' });
    expect(github.files('acme/svc', 'main')).toEqual({ 'README.md': '# svc' });
  });
});

describe('github:webhook, github:actions:dispatch, github:pages:enable, github:issues:label', () => {
  it('creates a webhook with Backstage defaults, and sends nothing in a dry run', async () => {
    const t = context({
      repoUrl: repoUrl(),
      webhookUrl: 'https://ci.acme.test/hook',
      webhookSecret: 'hush',
    });
    await run('github:webhook', t);
    expect(calls()).toEqual(['POST /api/v3/repos/acme/svc/hooks']);
    expect(scm.requests[0]!.body).toEqual({
      config: {
        url: 'https://ci.acme.test/hook',
        content_type: 'form',
        secret: 'hush',
        insecure_ssl: '0',
      },
      events: ['push'],
      active: true,
    });
    scm.requests.length = 0;
    await run(
      'github:webhook',
      context({ repoUrl: repoUrl(), webhookUrl: 'https://x.test/h' }, { isDryRun: true }),
    );
    expect(scm.requests).toEqual([]);
  });

  it('dispatches a workflow with its inputs; an unknown workflow (404) or ref (422) is a task error that says so', async () => {
    github.workflows.add('acme/svc/deploy.yml');
    const t = context({
      repoUrl: repoUrl(),
      workflowId: 'deploy.yml',
      branchOrTagName: 'main',
      workflowInputs: { environment: 'staging' },
    });
    await run('github:actions:dispatch', t);
    expect(calls()).toEqual([
      'POST /api/v3/repos/acme/svc/actions/workflows/deploy.yml/dispatches',
    ]);
    expect(scm.requests[0]!.body).toEqual({ ref: 'main', inputs: { environment: 'staging' } });

    t.ctx.input = { repoUrl: repoUrl(), workflowId: 'nope.yml', branchOrTagName: 'main' };
    await expect(run('github:actions:dispatch', t)).rejects.toThrow(
      `GitHub at ${github.host} found nothing while dispatching workflow nope.yml of acme/svc (404: Not Found); check the name, and that the token can see it`,
    );
    t.ctx.input = { repoUrl: repoUrl(), workflowId: 'deploy.yml', branchOrTagName: 'gone' };
    await expect(run('github:actions:dispatch', t)).rejects.toThrow(
      `GitHub at ${github.host} refused dispatching workflow deploy.yml of acme/svc (422: No ref found for: gone)`,
    );
  });

  it('enables Pages with the build type and source, and labels an issue', async () => {
    await run('github:pages:enable', context({ repoUrl: repoUrl(), sourcePath: '/docs' }));
    await run(
      'github:issues:label',
      context({ repoUrl: repoUrl(), number: 3, labels: ['a', 'b'] }),
    );
    expect(calls()).toEqual([
      'POST /api/v3/repos/acme/svc/pages',
      'POST /api/v3/repos/acme/svc/issues/3/labels',
    ]);
    expect(scm.requests[0]!.body).toEqual({
      build_type: 'workflow',
      source: { branch: 'main', path: '/docs' },
    });
    expect(scm.requests[0]!.headers?.['x-github-api-version']).toBe('2022-11-28');
    expect(scm.requests[1]!.body).toEqual({ labels: ['a', 'b'] });
  });

  it('validates inputs against the schemas, naming the field', async () => {
    const t = context({ repoUrl: repoUrl(), number: 'three', labels: ['a'] });
    await expect(run('github:issues:label', t)).rejects.toThrow(/number/);
    t.ctx.input = { repoUrl: repoUrl(), sourcePath: '/src' };
    await expect(run('github:pages:enable', t)).rejects.toThrow(/sourcePath/);
    t.ctx.input = { repoUrl: repoUrl(), webhookUrl: 'not a url' };
    await expect(run('github:webhook', t)).rejects.toThrow(/webhookUrl/);
    t.ctx.input = { repoUrl: repoUrl(), workflowId: 'x.yml' };
    await expect(run('github:actions:dispatch', t)).rejects.toThrow(/branchOrTagName/);
    expect(scm.requests).toEqual([]);
  });

  it('a rejected token is an AuthenticationError naming the config key', async () => {
    const t = context({ repoUrl: repoUrl(), number: 1, labels: ['x'], token: 'ghp_wrong' });
    await expect(run('github:issues:label', t)).rejects.toMatchObject({
      name: 'AuthenticationError',
      message: `GitHub at ${github.host} rejected the token while adding labels to #1 of acme/svc (401: Bad credentials); check integrations.github[].token or the token input`,
    });
  });
});

describe('github:environment:create', () => {
  it('creates the environment with its policies, variables, sealed secrets and catalog reviewers', async () => {
    const t = context({
      repoUrl: repoUrl(),
      name: 'production',
      deploymentBranchPolicy: { protected_branches: false, custom_branch_policies: true },
      customBranchPolicyNames: ['main'],
      customTagPolicyNames: ['v*'],
      environmentVariables: { REGION: 'eu' },
      secrets: { DEPLOY_KEY: 'k3y' },
      waitTimer: 5,
      preventSelfReview: true,
      reviewers: [
        'user:default/jane',
        'group:default/platform',
        'component:default/svc',
        'user:default/nobody',
      ],
    });
    await run('github:environment:create', t);
    expect(calls()).toEqual([
      'GET /api/v3/repos/acme/svc',
      'GET /api/v3/users/jane',
      'GET /api/v3/orgs/acme/teams/platform',
      'PUT /api/v3/repos/acme/svc/environments/production',
      'POST /api/v3/repos/acme/svc/environments/production/deployment-branch-policies',
      'POST /api/v3/repos/acme/svc/environments/production/deployment-branch-policies',
      'POST /api/v3/repos/acme/svc/environments/production/variables',
      'GET /api/v3/repos/acme/svc/environments/production/secrets/public-key',
      'PUT /api/v3/repos/acme/svc/environments/production/secrets/DEPLOY_KEY',
    ]);
    expect(scm.requests[3]!.body).toEqual({
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      wait_timer: 5,
      prevent_self_review: true,
      reviewers: [
        { type: 'User', id: 2 },
        { type: 'Team', id: 42 },
      ],
    });
    expect(scm.requests[4]!.body).toEqual({ name: 'main', type: 'branch' });
    expect(scm.requests[5]!.body).toEqual({ name: 'v*', type: 'tag' });
    expect(scm.requests[6]!.body).toEqual({ name: 'REGION', value: 'eu' });
    const secret = scm.requests[8]!.body as { encrypted_value: string };
    expect(github.openSecret(secret.encrypted_value)).toBe('k3y');
    expect(t.logText()).toContain(
      'Reviewer component:default/svc is not a User or Group in the catalog; skipped',
    );
    expect(t.logText()).toContain(
      'Reviewer user:default/nobody is not a User or Group in the catalog; skipped',
    );
  });

  it('a missing repository fails before anything is created', async () => {
    const t = context({ repoUrl: `${github.host}?owner=acme&repo=gone`, name: 'prod' });
    await expect(run('github:environment:create', t)).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    expect(calls()).toEqual(['GET /api/v3/repos/acme/gone']);
  });
});
