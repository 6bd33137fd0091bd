/**
 * End-to-end in Debian's Chromium: the access-control page (sources, the roles × permissions
 * matrix, a file role read-only with its file, a database role created and edited, a decision
 * explained), the sidebar entry only for those who may read the policy, and the "why" shown
 * when unregistering an entity is refused.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/browser.ts';
import { POLICY_YAML, type PolicyServer, startPolicyServer } from '../helpers/permission.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

describe('access control end to end', () => {
  let server: PolicyServer;
  let bobServer: PolicyServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    // Alice (team-alpha) is a policy administrator; Bob is not.
    const permission = { rbac: { admin: { users: [{ name: 'user:default/alice' }] } } };
    server = await startPolicyServer({ policy: POLICY_YAML, webRoot: WEB_DIST, permission });
    bobServer = await startPolicyServer({
      policy: POLICY_YAML,
      webRoot: WEB_DIST,
      permission,
      guest: 'user:default/bob',
    });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await bobServer?.stop();
  });

  it('lists Access control in the sidebar for a policy administrator only', async () => {
    await page.goto('/');
    const sidebar = page.getByRole('navigation', { name: 'Main' });
    await sidebar.getByRole('link', { name: 'Access control' }).click();
    await expect.poll(() => page.title()).toBe('Access control | Atrium');

    const bob = await browser.newPage({ baseURL: bobServer.url });
    try {
      await bob.goto('/');
      const bobSidebar = bob.getByRole('navigation', { name: 'Main' });
      await bobSidebar.getByRole('link', { name: 'Catalog', exact: true }).waitFor();
      // The entry disappears once the server has said no.
      await expect
        .poll(() => bobSidebar.getByRole('link', { name: 'Access control' }).count())
        .toBe(0);
      // Opened anyway, the page says why not.
      await bob.goto('/admin/access');
      await expect
        .poll(() => bob.getByRole('alert').textContent())
        .toMatch(/You need permission\.policy\.read; no rule gives it to you/);
    } finally {
      await bob.close();
    }
  });

  it('shows the matrix, with a file role read-only and the file it came from', async () => {
    await page.goto('/admin/access');
    const matrix = page.getByTestId('access-matrix');
    await matrix.waitFor();
    const adminsRow = matrix.locator('tr[data-role="platform-admins"]');
    await expect(adminsRow.locator('th').textContent()).resolves.toBe(
      `platform-admins${server.policyFile}:2`,
    );
    await expect(
      adminsRow.locator('td[data-permission="catalog.location.create"]').getAttribute('title'),
    ).resolves.toBe('platform-admins: catalog.location.create allowed');
    await expect(
      matrix
        .locator('tr[data-role="everyone"] td[data-permission="catalog.entity.delete"]')
        .getAttribute('class'),
    ).resolves.toContain('cell-conditional');

    const card = page.getByRole('region', { name: 'Role platform-admins' });
    await expect(card.getByTestId('role-source').textContent()).resolves.toBe(
      `Read-only: declared in ${server.policyFile}:2; change it in that file`,
    );
    await expect(card.getByRole('button').count()).resolves.toBe(0);
    await expect(card.textContent()).resolves.toContain('user:default/carol');
    const sources = page.getByTestId('policy-sources');
    await expect(sources.textContent()).resolves.toContain(server.policyFile);
    await page.screenshot({ path: join(SHOTS, 'access-control.png'), fullPage: true });
  });

  it('creates and edits a role kept in the database', async () => {
    await page.goto('/admin/access');
    await page.getByRole('button', { name: 'New role' }).click();
    const form = page.getByRole('form', { name: 'New role' });
    await form.getByLabel('Name', { exact: true }).fill('release-managers');
    await form.getByLabel('Description').fill('Register locations');
    await form.getByLabel(/^Members/).fill('user:default/bob');
    await form.getByLabel('Rule name').fill('release managers register locations');
    await form.getByLabel(/^Permissions/).fill('catalog.location.creat');
    await form.getByRole('button', { name: 'Save role' }).click();
    // The server's validation, naming the field.
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toMatch(
        /body\.rules\[0\]\.permissions\[0\]: Unknown permission 'catalog\.location\.creat'; did you mean 'catalog\.location\.create'/,
      );
    await form.getByLabel(/^Permissions/).fill('catalog.location.create');
    await form.getByRole('button', { name: 'Save role' }).click();
    await form.waitFor({ state: 'detached' });

    const card = page.getByRole('region', { name: 'Role release-managers' });
    await expect
      .poll(() => card.getByTestId('role-source').textContent())
      .toMatch(/^Kept in the database, last changed by user:default\/alice/);
    const row = page.getByTestId('access-matrix').locator('tr[data-role="release-managers"]');
    await expect(
      row.locator('td[data-permission="catalog.location.create"]').getAttribute('class'),
    ).resolves.toContain('cell-allow');

    await card.getByRole('button', { name: 'Edit release-managers' }).click();
    const edit = page.getByRole('form', { name: 'Edit role release-managers' });
    await expect(edit.getByLabel('Name', { exact: true }).isDisabled()).resolves.toBe(true);
    await edit.getByLabel(/^Members/).fill('user:default/bob\ngroup:default/team-alpha');
    await edit.getByLabel('Effect').selectOption('deny');
    await edit.getByRole('button', { name: 'Save role' }).click();
    await edit.waitFor({ state: 'detached' });
    await expect.poll(() => card.textContent()).toContain('group:default/team-alpha');
    await expect
      .poll(() =>
        row.locator('td[data-permission="catalog.location.create"]').getAttribute('class'),
      )
      .toContain('cell-deny');
    // In force for Alice (team-alpha) at once: the API says so too.
    const decision = await server.call('POST', '/authorize', {
      items: [{ permission: 'catalog.location.create' }],
    });
    expect(decision.body.items[0]).toMatchObject({
      result: 'DENY',
      reason: { rule: 'release managers register locations', source: 'database' },
    });

    await card.getByRole('button', { name: 'Delete release-managers' }).click();
    await card.getByRole('button', { name: 'Really delete release-managers' }).click();
    await expect
      .poll(() => page.getByRole('region', { name: 'Role release-managers' }).count())
      .toBe(0);
  });

  it('explains a decision for any user', async () => {
    await page.goto('/admin/access');
    const form = page.getByRole('form', { name: 'Explain a decision' });
    await form.getByLabel('User').fill('alice');
    await form.getByLabel('Permission').selectOption('catalog.entity.delete');
    await form.getByLabel(/^Entity ref/).fill('component:default/beta-billing');
    await form.getByRole('button', { name: 'Explain' }).click();
    const answer = page.getByTestId('explain-answer');
    await expect
      .poll(() => answer.getByTestId('explain-reason').textContent())
      .toBe(
        `Why: the rule 'team members may unregister what they own' did not match because you do not own this entity (neither you nor one of your groups) (${server.policyFile}:8)`,
      );
    await expect(answer.textContent()).resolves.toMatch(/^Denied user:default\/alice/);
    await form.getByLabel('User').fill('bob');
    await form.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => answer.textContent()).toMatch(/^Allowed user:default\/bob/);
  });

  it('shows a policy file problem with its line while the last good version stays', async () => {
    writeFileSync(
      server.policyFile,
      POLICY_YAML.replace('allow: [catalog.entity.delete', 'allow: [catalog.entity.delet'),
    );
    await page.goto('/admin/access');
    const sources = page.getByTestId('policy-sources');
    await expect
      .poll(() => sources.textContent(), { timeout: 15_000 })
      .toContain(
        `${server.policyFile}:10 (rules[0].allow[0]): Unknown permission 'catalog.entity.delet'; did you mean 'catalog.entity.delete'?`,
      );
    await expect(sources.textContent()).resolves.toContain(
      'has errors: the last good version stays in force',
    );
    await page.screenshot({ path: join(SHOTS, 'access-control-problem.png'), fullPage: true });
    writeFileSync(server.policyFile, POLICY_YAML);
    await expect
      .poll(() => sources.textContent(), { timeout: 15_000 })
      .not.toContain('Unknown permission');
  });

  it('says why unregistering an entity of another team is refused', async () => {
    await page.goto('/catalog/default/component/beta-billing');
    await page.getByRole('button', { name: 'Unregister entity' }).click();
    await page.getByRole('button', { name: 'Unregister', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('unregister-error').textContent())
      .toBe(
        "You need catalog.entity.delete; the rule 'team members may unregister what they own' did not match because you do not own this entity (neither you nor one of your groups)",
      );
    await page.screenshot({ path: join(SHOTS, 'unregister-denied.png'), fullPage: true });
    // Still there.
    const still = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/beta-billing`,
    );
    expect(still.status).toBe(200);

    // What Alice's team owns, she may unregister.
    await page.goto('/catalog/default/component/alpha-notebook');
    await page.getByRole('button', { name: 'Unregister entity' }).click();
    await page.getByRole('button', { name: 'Unregister', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/catalog');
    const gone = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/alpha-notebook`,
    );
    expect(gone.status).toBe(404);
  });
});
