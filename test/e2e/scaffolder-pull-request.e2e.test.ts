/**
 * End-to-end in Debian's Chromium: an engineer fills the pull-request template's form (owner
 * picker, RepoUrlPicker on the GitHub stand-in's host), creates the task and watches the live
 * log as fetch:template, publish:github:pull-request and catalog:register run; the output links
 * to the pull request and to the registered entity.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/cli/web-build.ts';
import type { FakeGithub } from '../../src/plugins/scaffolder/server/actions/publish/fake-github.testkit.ts';
import type { FakeScm } from '../../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';
import { launchChromium } from '../helpers/browser.ts';
import type { serveFiles } from '../helpers/serve-files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  PR_TOKEN,
  startPullRequestStandIn,
  writePullRequestTemplate,
} from '../scaffolder-pr-setup.ts';
import { CATALOG } from '../scaffolder-helpers.ts';

const SHOTS = join(resolve(import.meta.dirname, '../..'), 'test/screenshots');

describe('a pull-request template in the browser', () => {
  let scm: FakeScm;
  let github: FakeGithub;
  let web: Awaited<ReturnType<typeof serveFiles>>;
  let dir: string;
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-pr-browser-')));
    mkdirSync(join(dir, 'git'));
    ({ scm, github, web } = await startPullRequestStandIn(join(dir, 'git')));
    server = await startTestServer({
      webRoot: WEB_DIST,
      backend: { reading: { allow: [{ host: web.host }] } },
      catalog: {
        locations: [
          { type: 'file', target: CATALOG },
          { type: 'file', target: writePullRequestTemplate(join(dir, 'template')) },
        ],
      },
      extraConfig: {
        integrations: { github: [{ host: github.host, token: PR_TOKEN, apiBaseUrl: github.api }] },
      },
    });
    browser = await launchChromium();
    page = await (
      await browser.newContext({ baseURL: server.url, viewport: { width: 1366, height: 900 } })
    ).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await scm?.close();
    await web?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fills the form, creates the task, and follows the live log to the pull request and the new entity', async () => {
    await page.goto('/create/templates/default/add-service-pr');
    await page
      .getByRole('heading', { level: 1, name: 'Add a service to the infrastructure repository' })
      .waitFor();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('payments');
    const owner = page.getByRole('combobox', { name: 'Service owner' });
    await owner.fill('team');
    await page.getByRole('option', { name: /team-a/ }).click();
    await page.getByLabel('Host').selectOption(github.host);
    await page.locator('#root_repoUrl-owner').fill('acme');
    await page.locator('#root_repoUrl-repo').fill('infra');
    await page.getByLabel('Files base URL').fill(web.base);
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review' }).waitFor();
    const review = (await page.locator('.review-page').allTextContents()).join('\n');
    expect(review).toContain(`${github.host}?owner=acme&repo=infra`);
    await page.getByRole('button', { name: 'Create' }).click();

    await page.waitForURL(/\/create\/tasks\/[\w-]+$/);
    await expect
      .poll(() => page.getByTestId('task-status').textContent(), { timeout: 60_000 })
      .toBe('completed');
    const steps = page.getByRole('list', { name: 'Steps' });
    for (const step of ['Render the skeleton', 'Open a pull request', 'Register']) {
      await expect(
        steps.locator('li', { hasText: step }).first().getAttribute('data-status'),
      ).resolves.toBe('completed');
    }
    const log = (await page.getByTestId('task-log').textContent()) ?? '';
    expect(log).toContain(`Created pull request ${scm.base}/acme/infra/pull/1`);
    expect(log).not.toContain(PR_TOKEN);
    const output = page.getByRole('region', { name: 'Output' });
    await expect(
      output.getByRole('link', { name: 'Pull request' }).getAttribute('href'),
    ).resolves.toBe(`${scm.base}/acme/infra/pull/1`);
    await output.getByText('#1 into main').waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({
      path: join(SHOTS, 'create-pull-request-task-light.png'),
      fullPage: true,
    });

    expect(github.pulls).toEqual([
      expect.objectContaining({ repo: 'acme/infra', head: 'acme:add-payments', base: 'main' }),
    ]);
    expect(Object.keys(github.files('acme/infra', 'add-payments'))).toContain(
      'services/payments/catalog-info.yaml',
    );
    await output.getByRole('link', { name: 'Open in catalog' }).click();
    await page.waitForURL('**/catalog/default/component/payments');
    await page.getByText('Added by a pull request').first().waitFor();
  });
});
