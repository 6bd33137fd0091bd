/**
 * Settings → Tokens in the built web app, in Debian's Chromium: a signed-in user creates a
 * token (shown once, copied to the clipboard), uses it, sees it listed, and revokes it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../src/cli/web-build.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { authServiceRef } from '../src/plugins/auth/server/plugin.ts';
import { launchChromium } from './helpers/browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const SHOTS = resolve(import.meta.dirname, 'screenshots');
const TOKEN_FORMAT = /^atp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;

const CATALOG = `
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { memberOf: [], profile: { email: alice@example.com } }
`;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

describe('Settings → Tokens', () => {
  let dir: string;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let secret: string;

  const status = async (token: string) =>
    (
      await fetch(`${server.url}/api/catalog/entities?limit=1`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).status;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-pat-web-'));
    writeFileSync(join(dir, 'catalog.yaml'), CATALOG);
    mkdirSync(SHOTS, { recursive: true });
    // The portal's own origin must be the one the browser sees, or its cross-site check refuses
    // the page's requests: listen on a known free port and say so in backend.baseUrl.
    const port = await freePort();
    server = await startTestServer({
      backend: { listen: { host: '127.0.0.1', port }, baseUrl: `http://localhost:${port}` },
      webRoot: WEB_DIST,
      catalog: { locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }] },
      // No guest: the page works for a signed-in user.
      extraConfig: { auth: { environment: 'production' } },
    });
    const session = await server.app.use(authServiceRef).sessions.create({
      userEntityRef: 'user:default/alice',
      provider: 'oidc',
      inCatalog: true,
      profile: { displayName: 'Alice' },
    });
    browser = await launchChromium();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await context.addCookies([
      { name: SESSION_COOKIE, value: session.token, url: server.url, httpOnly: true },
      { name: CSRF_COOKIE, value: session.csrfToken!, url: server.url },
    ]);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is reachable from the sidebar', async () => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => page.url()).toMatch(/\/settings\/tokens$/);
    await page.getByRole('heading', { name: 'Personal access tokens' }).waitFor();
    await page.getByText('You have no tokens.').waitFor();
  });

  it('creates a token, shows it once and copies it', async () => {
    await page.getByLabel('Name').fill('laptop scripts');
    await page.getByLabel('Full (everything you may do)').check();
    await page.getByLabel('Expires').selectOption('7');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('textbox', { name: 'Token' });
    const refused = page.getByRole('alert');
    await shown.or(refused).first().waitFor();
    // Fails with the server's message rather than a timeout when the request is refused.
    expect(await refused.count(), (await refused.allTextContents()).join('\n')).toBe(0);
    secret = await shown.inputValue();
    expect(secret).toMatch(TOKEN_FORMAT);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.screenshot({ path: join(SHOTS, 'settings-tokens-created.png') });

    expect(await status(secret)).toBe(200);
    const row = page.getByTestId('tokens-table').getByRole('row', { name: /laptop scripts/ });
    await expect.poll(() => row.textContent()).toMatch(/full/);

    // Gone once dismissed, and never shown again (the page never had it from the list).
    await page.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret.slice(-43));
  });

  it('shows the server’s refusal when the form asks for too much', async () => {
    await page.getByLabel('Name').fill('laptop scripts');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: "You already have a token named 'laptop scripts'" })
      .waitFor();
  });

  it('revokes after confirmation; the token then answers 401', async () => {
    await page.getByRole('button', { name: 'Revoke laptop scripts' }).click();
    await page.screenshot({ path: join(SHOTS, 'settings-tokens-revoke.png') });
    await page.getByRole('button', { name: 'Revoke “laptop scripts”' }).click();
    await page.getByText('You have no tokens.').waitFor();
    expect(await status(secret)).toBe(401);
  });
});
