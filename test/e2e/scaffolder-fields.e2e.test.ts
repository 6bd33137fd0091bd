/**
 * End-to-end: Backstage's form fields for repositories in Debian's Chromium against a real
 * Atrium. A RepoUrlPicker asks for what its host's kind needs (a Bitbucket Cloud workspace and
 * project, an Azure DevOps organization and project, a GitLab owner for a configured GitLab
 * host), RepoBranchPicker reads the chosen repository, `requestUserCredentials` collects a
 * secret, and a `ui:field` Atrium does not have is a plain input with a note. The test checks
 * the values in the request and in the log of the task the server ran.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/cli/web-build.ts';
import { type AuthTestServer, startOidcAtrium } from '../helpers/auth.ts';
import { signInInBrowser } from '../helpers/auth-browser.ts';
import { launchChromium } from '../helpers/browser.ts';
import { ENGINES, startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'bb-user-token-5150';
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

/** Pickers that depend on who fills the form in (the organisation of test/helpers/auth.ts). */
const MINE_TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: mine
  title: Mine
spec:
  owner: team-alpha
  type: service
  parameters:
    - title: Yours
      required: [component, team]
      properties:
        component:
          title: Component
          type: string
          ui:field: OwnedEntityPicker
          ui:options:
            allowedKinds: [Component]
            defaultKind: Component
        team:
          title: Team
          type: string
          ui:field: MyGroupsPicker
        reviewers:
          title: Reviewers
          type: array
          items:
            type: string
          ui:field: MultiEntityPicker
          ui:options:
            catalogFilter:
              kind: User
            defaultKind: User
  steps:
    - id: echo
      name: Echo
      action: debug:log
      input:
        message: component=\${{ parameters.component }} team=\${{ parameters.team }} reviewers=\${{ parameters.reviewers | join(',') }}
`;

const TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: repo-fields
  title: Repository fields
spec:
  owner: team-platform
  type: library
  parameters:
    - title: Where
      required: [repoUrl, azureRepo, vendor]
      properties:
        repoUrl:
          title: Repository location
          type: string
          ui:field: RepoUrlPicker
          ui:options:
            allowedHosts: [bitbucket.org, gitlab.acme.test, dev.azure.com]
            requestUserCredentials:
              secretsKey: USER_TOKEN
              additionalScopes:
                bitbucket: [repository:write]
        azureRepo:
          title: Mirror on Azure DevOps
          type: string
          ui:field: RepoUrlPicker
          ui:options:
            allowedHosts: [dev.azure.com]
            allowedOrganizations: [kestrel-org]
        branch:
          title: Branch
          type: string
          ui:field: RepoBranchPicker
        vendor:
          title: Vendor id
          type: string
          ui:field: AcmePicker
  steps:
    - id: echo
      name: Echo
      action: debug:log
      input:
        message: repo=\${{ parameters.repoUrl }} azure=\${{ parameters.azureRepo }} branch=\${{ parameters.branch }} vendor=\${{ parameters.vendor }}
`;

describe.each(ENGINES)('scaffolder form fields end to end on %s', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const taskRequests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-fields-e2e-'));
    writeFileSync(join(dir, 'templates.yaml'), TEMPLATE);
    server = await startTestServer({
      engine,
      webRoot: WEB_DIST,
      catalog: {
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'templates.yaml') },
        ],
      },
      extraConfig: {
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
        integrations: { gitlab: [{ host: 'gitlab.acme.test', token: 'glpat-never-shown' }] },
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ baseURL: server.url, viewport: { width: 1366, height: 900 } });
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && request.url().includes('/api/scaffolder/v2/tasks')) {
        taskRequests.push(request.postData() ?? '');
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tells the form the kind of each host, and no token', async () => {
    const res = await fetch(`${server.url}/api/scaffolder/v2/integrations`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ host: string; type: string }> };
    expect(body.items.map((i) => `${i.host}=${i.type}`)).toEqual(
      expect.arrayContaining([
        'gitlab.acme.test=gitlab',
        'bitbucket.org=bitbucketCloud',
        'dev.azure.com=azure',
      ]),
    );
    expect(JSON.stringify(body)).not.toContain('glpat');
  });

  it('asks each host for its parts and sends the values Backstage would', async () => {
    await page.goto('/create/templates/default/repo-fields');
    await page.getByRole('heading', { level: 2, name: 'Where' }).waitFor();
    const host = page.locator('#root_repoUrl');
    const input = (field: string, part: string) => page.locator(`#root_${field}-${part}`);

    // The first allowed host is chosen, and Bitbucket Cloud asks for workspace and project.
    await expect.poll(() => host.inputValue()).toBe('bitbucket.org');
    await input('repoUrl', 'workspace').waitFor();
    await input('repoUrl', 'project').waitFor();
    await expect(input('repoUrl', 'owner').count()).resolves.toBe(0);
    await input('repoUrl', 'workspace').fill('kestrel-ws');

    // A configured GitLab host asks for an owner (nested groups allowed), not a workspace.
    await host.selectOption('gitlab.acme.test');
    await input('repoUrl', 'owner').waitFor();
    await expect(input('repoUrl', 'owner').getAttribute('placeholder')).resolves.toBe(
      'group/subgroup',
    );
    await expect(input('repoUrl', 'workspace').count()).resolves.toBe(0);
    await input('repoUrl', 'owner').fill('acme/platform');
    await host.selectOption('bitbucket.org');
    await expect(input('repoUrl', 'workspace').inputValue()).resolves.toBe('kestrel-ws');

    // Next without project and repository says which parts are missing.
    await page.getByRole('button', { name: 'Review' }).click();
    await expect
      .poll(() => page.locator('#root_repoUrl__error').textContent())
      .toBe('is incomplete: the project and repository must be filled in');
    await input('repoUrl', 'project').fill('PARCEL');
    await input('repoUrl', 'repo').fill('parcel-lib');
    await expect.poll(() => page.locator('#root_repoUrl__error').count()).toBe(0);

    // requestUserCredentials: a token of the user's own, masked, kept out of the values.
    const token = page.getByLabel('Your access token for bitbucket.org');
    await expect(token.getAttribute('type')).resolves.toBe('password');
    await token.fill(TOKEN);

    // Azure DevOps: the only allowed organization is chosen; project and repository typed.
    await expect.poll(() => page.locator('#root_azureRepo').inputValue()).toBe('dev.azure.com');
    await expect(input('azureRepo', 'organization').inputValue()).resolves.toBe('kestrel-org');
    await expect(input('azureRepo', 'owner').count()).resolves.toBe(0);
    await input('azureRepo', 'project').fill('Logistics');
    await input('azureRepo', 'repo').fill('parcel-api');

    // The branch picker names the repository chosen above.
    await page
      .getByText('The branch of the repository (bitbucket.org: kestrel-ws/PARCEL/parcel-lib)')
      .waitFor();
    await page.locator('#root_branch').fill('release/1.x');

    // A ui:field Atrium does not have: the input for its type, and a note naming it.
    await expect(page.getByTestId('unknown-field-note').textContent()).resolves.toBe(
      "ui:field 'AcmePicker' is not available in Atrium; enter the value directly",
    );
    await page.getByRole('textbox', { name: 'Vendor id' }).fill('acme-42');
    if (engine === 'sqlite') {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'create-repo-fields-light.png'), fullPage: true });
    }

    await page.getByRole('button', { name: 'Review' }).click();
    const review = page.locator('.review-page');
    await review
      .getByText('bitbucket.org?repo=parcel-lib&workspace=kestrel-ws&project=PARCEL')
      .waitFor();
    expect(await review.textContent()).not.toContain(TOKEN);
    taskRequests.length = 0;
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 })
      .toBe('completed');

    const sent = JSON.parse(taskRequests[0] ?? '{}') as {
      values: Record<string, unknown>;
      secrets: Record<string, string>;
    };
    expect(sent.values).toEqual({
      repoUrl: 'bitbucket.org?repo=parcel-lib&workspace=kestrel-ws&project=PARCEL',
      azureRepo: 'dev.azure.com?repo=parcel-api&organization=kestrel-org&project=Logistics',
      branch: 'release/1.x',
      vendor: 'acme-42',
    });
    expect(sent.secrets).toEqual({ USER_TOKEN: TOKEN });
    // The badge can say "completed" (the task as fetched) before the live log has delivered
    // the step's last lines: wait for them as a user would.
    const line =
      'repo=bitbucket.org?repo=parcel-lib&workspace=kestrel-ws&project=PARCEL azure=dev.azure.com?repo=parcel-api&organization=kestrel-org&project=Logistics branch=release/1.x vendor=acme-42';
    await expect
      .poll(async () => (await page.getByTestId('task-log').textContent()) ?? '', {
        timeout: 10_000,
      })
      .toContain(line);
    expect(await page.getByTestId('task-log').textContent()).not.toContain(TOKEN);
  });
});

describe('scaffolder pickers for the signed-in user', () => {
  let server: AuthTestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const taskRequests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-fields-auth-e2e-'));
    writeFileSync(join(dir, 'templates.yaml'), MINE_TEMPLATE);
    server = await startOidcAtrium({
      dir,
      webRoot: WEB_DIST,
      extraConfig: {
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
        // The organisation startOidcAtrium writes, and the template.
        catalog: {
          refresh: { interval: false },
          locationRoots: [tmpdir()],
          locations: [
            { type: 'file', target: join(dir, 'org.yaml') },
            { type: 'file', target: join(dir, 'templates.yaml') },
          ],
        },
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ baseURL: server.url, viewport: { width: 1366, height: 900 } });
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && request.url().includes('/api/scaffolder/v2/tasks')) {
        taskRequests.push(request.postData() ?? '');
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers what Alice owns and her group, and completes typed refs', async () => {
    await signInInBrowser(page, 'alice', '/create/templates/default/mine');
    await page.goto('/create/templates/default/mine');
    await page.getByRole('heading', { level: 2, name: 'Yours' }).waitFor();

    // OwnedEntityPicker: components owned by Alice, her team and its parent group only.
    const component = page.getByRole('combobox', { name: 'Component' });
    await component.click();
    const suggestions = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option');
    await expect
      .poll(() => suggestions.allTextContents())
      .toEqual(['alpha-api', 'alpha-notebook', 'platform-handbook']);
    await suggestions.filter({ hasText: 'alpha-notebook' }).click();

    // MyGroupsPicker: required, and Alice is in one group, so it is chosen.
    await expect
      .poll(() => page.getByRole('combobox', { name: 'Team' }).inputValue())
      .toBe('team-alpha');

    // MultiEntityPicker: a typed name becomes a full ref with the default kind.
    const reviewers = page.getByRole('combobox', { name: 'Reviewers' });
    await reviewers.fill('bob');
    await reviewers.press('Enter');
    await expect(
      page.getByRole('list', { name: 'Chosen entities' }).locator('li').allTextContents(),
    ).resolves.toEqual(['bob×']);

    await page.getByRole('button', { name: 'Review' }).click();
    taskRequests.length = 0;
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 30_000 })
      .toBe('completed');
    const sent = JSON.parse(taskRequests[0] ?? '{}') as { values: Record<string, unknown> };
    expect(sent.values).toEqual({
      component: 'component:default/alpha-notebook',
      team: 'group:default/team-alpha',
      reviewers: ['user:default/bob'],
    });
    // As above: the live log may still be delivering the step's lines.
    await expect
      .poll(async () => (await page.getByTestId('task-log').textContent()) ?? '', {
        timeout: 10_000,
      })
      .toContain(
        'component=component:default/alpha-notebook team=group:default/team-alpha reviewers=user:default/bob',
      );
  });
});
