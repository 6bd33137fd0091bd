/**
 * End-to-end: the notifications bell in Debian's Chromium — its unread count, the page it
 * opens, and marking one notification read, which the bell counts at once.
 */
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { notificationsServiceRef } from '../../src/plugins/notifications/server/plugin.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GUEST = 'user:default/guest';

describe('Notifications end to end', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: { locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }] },
    });
    const { store } = server.app.use(notificationsServiceRef);
    await store.send([GUEST], 'plugin:scaffolder', {
      title: 'Payments service created',
      description: 'Your template run finished',
      link: '/catalog/default/component/booking-service',
    });
    await store.send([GUEST], 'plugin:scaffolder', { title: 'Docs rebuilt', severity: 'low' });
    // Someone else's: neither counted nor listed.
    await store.send(['user:default/someone-else'], 'plugin:scaffolder', { title: 'Not yours' });
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

  it('shows the unread count on the bell, and one read lowers it', async () => {
    await page.goto('/');
    const count = page.getByTestId('notifications-unread');
    await expect.poll(() => count.textContent()).toBe('2');
    await page.getByRole('link', { name: /^Notifications, 2 unread/ }).click();
    await expect.poll(() => page.title()).toBe('Notifications | Atrium');
    const items = page.getByTestId('notification');
    await expect.poll(() => items.count()).toBe(2);
    await expect(page.getByText('Not yours').count()).resolves.toBe(0);
    const payments = items.filter({ hasText: 'Payments service created' });
    await expect(
      payments.getByRole('link', { name: 'Payments service created' }).getAttribute('href'),
    ).resolves.toBe('/catalog/default/component/booking-service');

    await payments.getByRole('button', { name: 'Mark read' }).click();
    await expect.poll(() => count.textContent()).toBe('1');
    await payments.getByRole('button', { name: 'Mark unread' }).waitFor();
    const status = await (await fetch(`${server.url}/api/notifications/status`)).json();
    expect(status).toEqual({ unread: 1, read: 1 });
  });
});
