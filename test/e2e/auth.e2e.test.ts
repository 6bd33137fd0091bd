/**
 * End-to-end sign-in: the built web app in Debian's Chromium, a real OpenID provider
 * (oidc-provider) on loopback with its own login page, and a small organisation catalog.
 * Alice signs in, lands on the home page as herself, sees what she and her groups own, makes
 * a change (the CSRF header goes with it), and signs out. Helpers for other end-to-end tests
 * that need a signed-in user are in ../helpers/auth-browser.ts and ../helpers/auth.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { ALICE_OWNS, type AuthTestServer, startOidcAtrium } from '../helpers/auth.ts';
import { signInInBrowser, signOutInBrowser } from '../helpers/auth-browser.ts';
import { launchChromium } from '../helpers/browser.ts';

const SHOTS = join(resolve(import.meta.dirname, '../..'), 'test/screenshots');

let server: AuthTestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;
const problems: string[] = [];

describe('sign-in in the browser', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-e2e-'));
    // The demo's kind of policy: teams may unregister what they own, nothing else.
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      [
        'rules:',
        '  - name: team members may unregister what they own',
        '    roles: [everyone]',
        '    allow: [catalog.entity.delete]',
        '    when: { isEntityOwner: true }',
        '',
      ].join('\n'),
    );
    // A second location that holds only what another team owns (for the health page's "Mine").
    const betaFile = join(dir, 'beta.yaml');
    writeFileSync(
      betaFile,
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: beta-worker }\nspec: { type: service, lifecycle: production, owner: team-beta }\n',
    );
    server = await startOidcAtrium({
      dir,
      webRoot: WEB_DIST,
      extraConfig: { permission: { enabled: true, policyFile } },
      locations: [{ type: 'file', target: betaFile }],
    });
    browser = await launchChromium();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    page = await context.newPage();
    // A Content-Security-Policy violation or a script error is a failure of its own.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the sign-in page with the configured provider to visitors', async () => {
    await page.goto('/catalog');
    await page.getByRole('heading', { name: 'Sign in to Atrium' }).waitFor();
    const link = page.getByRole('link', { name: /^Sign in with OpenID Connect/ });
    expect(await link.textContent()).toBe(
      `Sign in with OpenID Connect (${new URL(server.oidc.issuer).host})`,
    );
    // It comes back to the page that was asked for.
    expect(await link.getAttribute('href')).toBe('/api/auth/oidc/start?redirect=%2Fcatalog');
    await page.screenshot({ path: join(SHOTS, 'sign-in-light.png') });
  });

  it("signs Alice in through the provider's login page onto the home page", async () => {
    await signInInBrowser(page, 'alice');
    expect(new URL(page.url()).pathname).toBe('/');
    const menu = page.getByTestId('user-menu');
    const me = menu.getByRole('link', { name: 'Alice Able' });
    expect(await me.getAttribute('href')).toBe('/catalog/default/user/alice');
    expect(await me.getAttribute('title')).toBe('user:default/alice');
  });

  it('shows what she owns, directly and through her team and its parent group', async () => {
    const owned = page.getByTestId('owned-by-you');
    await owned.waitFor();
    await expect.poll(() => owned.getByRole('link').allTextContents()).toEqual(ALICE_OWNS);
    expect(await page.getByText('You and your groups own 3 entities').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'home-signed-in-light.png'), fullPage: true });
  });

  it('keeps the session cookie from scripts; changes carry the CSRF header', async () => {
    const cookies = await page.evaluate(() => document.cookie);
    expect(cookies).toMatch(/atrium_csrf=/);
    expect(cookies).not.toMatch(/atrium_session=/);
    // A change made through the web app (validating pasted YAML is a POST).
    await page.goto('/catalog-health');
    await page
      .getByLabel('Paste catalog-info.yaml (nothing is registered)')
      .fill(
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: pasted }\nspec: { type: service, lifecycle: production, owner: team-alpha }\n',
      );
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await page
      .getByTestId('validate-results')
      .getByText(/^Valid: 1 entity would be ingested/)
      .waitFor();
    // The same request without the header, from the page's own origin, is refused.
    const bare = await page.evaluate(async () => {
      const response = await fetch('/api/catalog/validate-file', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'kind: x', name: 'x.yaml' }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(bare.status).toBe(403);
    expect(bare.body.error.message).toMatch(/must carry the header x-atrium-csrf/);
  });

  it("shows under the health page's 'Mine' only the locations holding what she owns", async () => {
    await page.goto('/catalog-health');
    const cards = page.getByTestId('location-list').locator('section.location-card');
    const labels = () => cards.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    await expect.poll(labels).toHaveLength(2);
    expect((await labels()).some((l) => /beta\.yaml$/.test(l ?? ''))).toBe(true);
    await page.getByRole('radio', { name: 'Mine' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('show')).toBe('mine');
    // org.yaml holds what she owns directly, through her team and its parent group (three);
    // beta.yaml only what team-beta owns.
    await expect.poll(labels).toEqual([expect.stringMatching(/org\.yaml$/)]);
    expect(await cards.getByTestId('owned-count').textContent()).toBe(
      ` (${ALICE_OWNS.length} yours)`,
    );
    // Remembered in the address, like the other filters.
    await page.reload();
    await expect.poll(labels).toEqual([expect.stringMatching(/org\.yaml$/)]);
    expect(await page.getByRole('radio', { name: 'Mine' }).isChecked()).toBe(true);
    await page.getByRole('radio', { name: 'All' }).click();
    await expect.poll(labels).toHaveLength(2);
    expect(new URL(page.url()).searchParams.get('show')).toBeNull();
  });

  it("is told why she may not unregister another team's entity", async () => {
    await page.goto('/catalog/default/component/beta-billing');
    await page.getByRole('button', { name: 'Unregister entity' }).click();
    await page.getByRole('button', { name: 'Unregister', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('unregister-error').textContent())
      .toBe(
        "You need catalog.entity.delete; the rule 'team members may unregister what they own' did not match because you do not own this entity (neither you nor one of your groups)",
      );
    const still = await page.evaluate(
      async () =>
        (await fetch('/api/catalog/entities/by-name/component/default/beta-billing')).status,
    );
    expect(still).toBe(200);
  });

  it('signs out back to the sign-in page, and stays signed out', async () => {
    await page.goto('/');
    await signOutInBrowser(page);
    await page.getByText('You signed out.').waitFor();
    const names = (await context.cookies()).map((c) => c.name);
    expect(names).not.toContain('atrium_session');
    expect(names).not.toContain('atrium_csrf');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Atrium' }).waitFor();
    const api = await page.evaluate(async () => (await fetch('/api/catalog/entities')).status);
    expect(api).toBe(401);
    expect(problems).toEqual([]);
  });
});
