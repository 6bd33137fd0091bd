/**
 * End-to-end: the Graph tab in Debian's Chromium, on the demo organisation — the graph around
 * booking-service, its controls mirrored in the URL, roll-up by system, the truncation notice,
 * navigation by clicking a node, and the dark theme.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');
const TAB = '/catalog/default/component/booking-service/graph';

let server: TestServer;
let browser: Browser;
let page: Page;

/** Waits until the graph shows `count` nodes, laid out. */
async function graphWithNodes(p: Page, count: number): Promise<void> {
  await p
    .locator(`[data-testid="graph"][data-state="ready"][data-node-count="${count}"]`)
    .waitFor();
  await expect.poll(() => p.getByTestId('graph-node').count()).toBe(count);
}

const node = (p: Page, ref: string) => p.locator(`[data-testid="graph-node"][data-ref="${ref}"]`);

describe('Graph tab end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: {
        locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }],
      },
    });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      colorScheme: 'light',
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the graph around booking-service, the root highlighted', async () => {
    await page.goto(TAB);
    // Defaults: every relation type, depth 2, both directions: 51 nodes, 119 edges.
    await graphWithNodes(page, 51);
    await expect.poll(() => page.title()).toBe('Booking Service · Graph | Atrium');
    await expect(
      page.getByRole('link', { name: 'Graph', exact: true }).getAttribute('aria-current'),
    ).resolves.toBe('page');
    await expect(page.locator('.react-flow__edge').count()).resolves.toBe(119);
    const root = page.locator('[data-testid="graph-node"][data-root]');
    await expect(root.count()).resolves.toBe(1);
    await expect(root.getAttribute('data-ref')).resolves.toBe('component:default/booking-service');
    await expect(root.textContent()).resolves.toBe('Component · serviceBooking Service');
    await expect(root.evaluate((el) => getComputedStyle(el).borderTopWidth)).resolves.toBe('2px');
    await expect(node(page, 'component:default/quote-engine').textContent()).resolves.toBe(
      'Component · serviceQuote Engine',
    );
    // Edges carry their relation type.
    await expect(
      page.locator('.react-flow__edge-text', { hasText: /^consumesApi$/ }).count(),
    ).resolves.toBeGreaterThanOrEqual(3);
    await expect(page.getByTestId('graph-truncated').count()).resolves.toBe(0);
    // No layout engine or timing in the page's text; they are data attributes for tests.
    await expect(page.getByTestId('graph-info').textContent()).resolves.toBe(
      '51 nodes, 119 edges. Click a node to open its page.',
    );
    await expect(page.locator('main').textContent()).resolves.not.toMatch(/ELK|\d ms\b/);
    const graph = page.getByTestId('graph');
    await expect(graph.getAttribute('data-layout')).resolves.toMatch(/^elk(-tree)?$/);
    await expect(graph.getAttribute('data-layout-ms')).resolves.toMatch(/^\d+$/);
    await page.screenshot({ path: join(SHOTS, 'graph.png'), fullPage: true });
  });

  it('mirrors depth and relation types in the URL and refetches', async () => {
    await page.locator('select[name="depth"]').selectOption('1');
    await graphWithNodes(page, 14);
    expect(new URL(page.url()).search).toBe('?depth=1');
    for (const name of ['ownership', 'apis', 'partof', 'membership']) {
      // The checkbox reflects the URL, which updates after the click has been handled.
      const box = page.locator(`input[name="rel-${name}"]`);
      await box.click();
      await expect.poll(() => box.isChecked()).toBe(false);
    }
    await graphWithNodes(page, 5);
    expect(new URL(page.url()).search).toBe('?rel=dependencies&depth=1');
    // Polled: a refetch for the last click can still replace the drawn nodes.
    await expect
      .poll(() =>
        page
          .getByTestId('graph-node')
          .evaluateAll((els) => els.map((el) => el.getAttribute('data-ref')).sort()),
      )
      .toEqual([
        'component:default/booking-service',
        'component:default/kestrel-node-kit',
        'component:default/quote-engine',
        'resource:default/booking-db',
        'resource:default/shipment-events-topic',
      ]);
    // A deep link restores the same settings.
    await page.reload();
    await graphWithNodes(page, 5);
    await expect(page.locator('select[name="depth"]').inputValue()).resolves.toBe('1');
    await expect(page.locator('input[name="rel-apis"]').isChecked()).resolves.toBe(false);
  });

  it('opens an entity page when a node is clicked', async () => {
    await node(page, 'component:default/quote-engine').click();
    await page.waitForURL((url) => url.pathname === '/catalog/default/component/quote-engine');
    await page.getByRole('heading', { level: 1, name: 'Quote Engine' }).waitFor();
  });

  it('rolls entities up into their systems, with counts', async () => {
    await page.goto(TAB);
    await graphWithNodes(page, 51);
    await page.locator('select[name="rollup"]').selectOption('system');
    await graphWithNodes(page, 23);
    expect(new URL(page.url()).search).toBe('?rollup=system');
    const booking = node(page, 'system:default/booking');
    await expect(booking.getByTestId('graph-node-count').textContent()).resolves.toBe(
      '10 entities',
    );
    await expect(
      node(page, 'system:default/identity').getByTestId('graph-node-count').textContent(),
    ).resolves.toBe('6 entities');
  });

  it('says when the graph is cut at the node limit', async () => {
    await page.goto(`${TAB}?depth=3&limit=100`);
    await graphWithNodes(page, 100);
    await expect(page.getByTestId('graph-truncated').textContent()).resolves.toBe(
      'Showing 100 of more nodes — raise the limit or lower the depth.',
    );
    await page.locator('select[name="limit"]').selectOption('300');
    await graphWithNodes(page, 105);
    expect(new URL(page.url()).search).toBe('?depth=3');
    await expect(page.getByTestId('graph-truncated').count()).resolves.toBe(0);
  });

  it('follows the dark theme', async () => {
    const dark = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      colorScheme: 'dark',
    });
    const p = await dark.newPage();
    await p.goto(`${TAB}?depth=1`);
    await graphWithNodes(p, 14);
    const colours = await node(p, 'component:default/quote-engine').evaluate((el) => {
      const pane = el.closest('.react-flow') as HTMLElement;
      return [getComputedStyle(el).backgroundColor, getComputedStyle(pane).backgroundColor];
    });
    // --surface and --bg of the dark theme.
    expect(colours).toEqual(['rgb(23, 27, 33)', 'rgb(15, 18, 22)']);
    await p.screenshot({ path: join(SHOTS, 'graph-dark.png') });
    await dark.close();
  });
});
