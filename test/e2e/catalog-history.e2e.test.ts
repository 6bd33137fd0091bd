/**
 * End-to-end: the History tab of an entity page in Debian's Chromium. A catalog file changes,
 * the entity is refreshed, and the open tab shows the change (from the live event stream)
 * with each value before and after, as text; older changes page in with "Show older".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

function widget(owner: string, description: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: history-widget
  description: ${JSON.stringify(description)}
spec:
  type: service
  lifecycle: production
  owner: ${owner}
`;
}

describe('the History tab end to end', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let file: string;
  const alerts: string[] = [];

  const refresh = async () => {
    const res = await fetch(`${server.url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/history-widget' }),
    });
    expect(res.status).toBe(200);
  };
  const items = () => page.getByTestId('history-item');

  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-history-e2e-'));
    file = join(dir, 'catalog-info.yaml');
    writeFileSync(file, widget('team-a', 'First version'));
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: { locations: [{ type: 'file', target: file }] },
    });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 860 },
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a tab of the entity page that lists the creation', async () => {
    await page.goto('/catalog/default/component/history-widget');
    await page
      .getByRole('navigation', { name: 'Entity tabs' })
      .getByRole('link', { name: 'History' })
      .click();
    await expect.poll(() => page.title()).toBe('history-widget · History | Atrium');
    await expect.poll(() => items().count()).toBe(1);
    await expect(items().first().getAttribute('data-action')).resolves.toBe('created');
    // The server's own path reads relative to the entity's location, as on the About card.
    await expect(items().first().textContent()).resolves.toContain('file:./catalog-info.yaml');
    await expect(items().first().textContent()).resolves.not.toContain(dir);
    await expect(items().first().textContent()).resolves.toContain('registered in config');
  });

  it('shows a change of the catalog file, before and after, as text', async () => {
    writeFileSync(file, widget('team-b', '<img src=x onerror=alert(1)><b>bold</b>'));
    await refresh();
    // The open tab follows the event stream: no reload.
    await expect.poll(() => items().count(), { timeout: 10_000 }).toBe(2);
    const latest = items().first();
    await expect(latest.getAttribute('data-action')).resolves.toBe('updated');
    const rows = latest.locator('table.history-diff tbody tr');
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '')),
    );
    expect(cells).toEqual([
      ['metadata.description', 'First version', '<img src=x onerror=alert(1)><b>bold</b>'],
      ['spec.owner', 'team-a', 'team-b'],
    ]);
    // The page's header follows too.
    await expect.poll(() => page.locator('.entity-header').textContent()).toContain('team-b');
    // Shown as text: no element came out of the value.
    await expect(latest.locator('img, b').count()).resolves.toBe(0);
    await page.screenshot({ path: join(SHOTS, 'entity-history.png'), fullPage: true });
    expect(alerts).toEqual([]);
  });

  it('pages older changes in with "Show older"', async () => {
    for (let i = 0; i < 20; i++) {
      writeFileSync(file, widget('team-b', `Version ${i}`));
      await refresh();
    }
    await page.reload();
    await expect.poll(() => items().count()).toBe(20);
    await expect(items().first().textContent()).resolves.toContain('Version 19');
    await page.getByRole('button', { name: 'Show older' }).click();
    await expect.poll(() => items().count()).toBe(22);
    await expect(items().last().getAttribute('data-action')).resolves.toBe('created');
    await expect(page.getByRole('button', { name: 'Show older' }).count()).resolves.toBe(0);
  });
});
