/**
 * End-to-end: the Audit page in Debian's Chromium — the sidebar entry, events of ingestion
 * (with their location relative, never the server's path) and of API calls, filters,
 * server-side paging, and the refusal a caller without `audit.event.read` sees.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { auditServiceRef } from '../../src/plugins/audit/server/plugin.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

describe('Audit page end to end', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: { locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }] },
    });
    await fetch(`${server.url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/booking-service' }),
    });
    await server.app.use(auditServiceRef).flush();
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 860 },
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('is in the sidebar and lists events newest first', async () => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.title()).toBe('Audit log | Atrium');
    const table = page.getByTestId('audit-table');
    await table.waitFor();
    const times = await table
      .locator('tbody time')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime') ?? ''));
    expect(times.length).toBe(50);
    expect(times).toEqual([...times].sort().reverse());
    // The refresh request, as the guest who made it, from this machine.
    const refresh = table.locator('tbody tr', { hasText: 'catalog.entity.refresh' }).first();
    await expect(refresh.locator('td').nth(1).textContent()).resolves.toContain(
      'user:default/guest',
    );
    await expect(refresh.locator('td').nth(1).textContent()).resolves.toContain('127.0.0.1');
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
  });

  it('filters by action and resource, with the location that caused the change', async () => {
    await page.goto('/audit');
    await page.getByLabel('Action').fill('catalog.entity.created');
    await page.getByLabel('Resource').fill('component:default/booking-service');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => new URL(page.url()).searchParams.get('action'))
      .toBe('catalog.entity.created');
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    const row = rows.first();
    await expect(
      row
        .getByRole('link', { name: 'Booking Service' })
        .and(row.locator('[title="component:default/booking-service"]'))
        .count(),
    ).resolves.toBe(1);
    await expect(row.locator('td').nth(1).textContent()).resolves.toContain('service:atrium');
    // The location as the health page names it: from the folder above its own, never the
    // server's whole path (the API's details keep it).
    await expect(row.locator('td').nth(5).textContent()).resolves.toContain(
      'location: file:./examples/catalog-info.yaml',
    );
    const everything = await page.evaluate(
      () => `${document.body.textContent}\n${document.documentElement.outerHTML}`,
    );
    expect(everything).not.toContain(ROOT);

    await page.getByLabel('Actor').fill('user:default/nobody');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No event matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByTestId('audit-table').waitFor();
  });

  it('pages at the server: next and previous', async () => {
    await page.goto('/audit?action=catalog.entity.created');
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    // The link's target, not its text: the text turns from the ref into the entity's title
    // when titles arrive, which would look like a new page.
    const firstOf = () => rows.first().locator('td').nth(3).locator('a').getAttribute('href');
    const page1 = await firstOf();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/audit/events')) requests.push(r.url());
    });
    const pager = page.getByRole('navigation', { name: 'Pages' });
    await pager.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(firstOf).not.toBe(page1);
    expect(requests.some((url) => new URL(url).searchParams.has('cursor'))).toBe(true);
    const page2 = await firstOf();
    await pager.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(firstOf).not.toBe(page2);
    // 129 entities: page 3 is the last.
    await expect.poll(() => rows.count()).toBeLessThan(50);
    expect(await pager.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(firstOf).toBe(page2);
  });
});

describe('Audit page without the audit permission', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    // Permissions enforced and no policy: the guest may read the catalog, not the audit log.
    server = await startTestServer({
      webRoot: WEB_DIST,
      extraConfig: { permission: { enabled: true } },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the refusal with the permission it needs', async () => {
    const direct = await fetch(`${server.url}/api/audit/events`);
    expect(direct.status).toBe(403);
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto('/audit');
    const alert = page.getByRole('alert');
    await alert.getByText('You may not read the audit log.').waitFor();
    await expect(alert.textContent()).resolves.toContain('audit.event.read');
    expect(await page.getByTestId('audit-table').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'audit-denied.png') });
    await context.close();
  });
});
