/**
 * End-to-end: the Graph tab in Debian's Chromium, on the demo organisation — the graph around
 * booking-service with a service's default relations, its controls mirrored in the URL,
 * roll-up by system, the truncation notice, navigation by clicking a node, and the dark theme.
 * graph-readable.e2e.test.ts covers layout, legibility and highlighting on a generated catalog.
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

/** Chooses how far a relation group is followed, in the Relations menu. */
async function setReach(p: Page, group: string, reach: 'deep' | 'near' | 'off') {
  const menu = p.getByTestId('graph-relations');
  if ((await menu.getAttribute('open')) === null) await menu.locator('summary').click();
  const select = p.locator(`select[name="rel-${group}"]`);
  await select.selectOption(reach);
  // The select reflects the URL, which updates after the change has been handled.
  await expect.poll(() => select.inputValue()).toBe(reach);
}

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
    // A service's defaults: APIs and dependencies to depth 2, owner and system beside it.
    await graphWithNodes(page, 37);
    await expect.poll(() => page.title()).toBe('Booking Service · Graph | Atrium');
    await expect(
      page.getByRole('link', { name: 'Graph', exact: true }).getAttribute('aria-current'),
    ).resolves.toBe('page');
    await expect(page.getByTestId('graph-edge').count()).resolves.toBe(51);
    const root = page.locator('[data-testid="graph-node"][data-root]');
    await expect(root.count()).resolves.toBe(1);
    await expect(root.getAttribute('data-ref')).resolves.toBe('component:default/booking-service');
    await expect(root.textContent()).resolves.toBe('Component · serviceBooking Service');
    await expect(root.evaluate((el) => getComputedStyle(el).borderTopWidth)).resolves.toBe('2px');
    await expect(node(page, 'component:default/quote-engine').textContent()).resolves.toBe(
      'Component · serviceQuote Engine',
    );
    // The owner and the system are there, but not the rest of what the team owns.
    await expect(node(page, 'group:default/team-booking').count()).resolves.toBe(1);
    await expect(node(page, 'system:default/booking').count()).resolves.toBe(1);
    await expect(
      page.locator('[data-testid="graph-node"][data-kind="group"]').count(),
    ).resolves.toBe(1);
    // Edges carry their relation types.
    await expect(
      page.locator('[data-testid="graph-edge"][data-relations~="consumesApi"]').count(),
    ).resolves.toBeGreaterThanOrEqual(3);
    await expect(page.getByTestId('graph-truncated').count()).resolves.toBe(0);
    await expect(
      page.getByTestId('graph-relations').locator('summary').textContent(),
    ).resolves.toBe('RelationsAPIs, Dependencies; direct: Ownership, Part of');
    // No layout timing in the page's text; it is a data attribute for tests.
    await expect(page.getByTestId('graph-info').textContent()).resolves.toBe(
      '37 nodes · 51 edges · point at a node to see its neighbours, click to open it',
    );
    await expect(page.locator('main').textContent()).resolves.not.toMatch(/ELK|\d ms\b/);
    await expect(page.getByTestId('graph').getAttribute('data-layout-ms')).resolves.toMatch(
      /^\d+\.\d$/,
    );
    await page.screenshot({ path: join(SHOTS, 'graph.png'), fullPage: true });
  });

  it('mirrors depth and relation types in the URL and refetches', async () => {
    await page.locator('select[name="depth"]').selectOption('1');
    await graphWithNodes(page, 14);
    expect(new URL(page.url()).search).toBe('?depth=1');
    await setReach(page, 'apis', 'off');
    await graphWithNodes(page, 9);
    expect(decodeURIComponent(new URL(page.url()).search)).toBe(
      '?rel=dependencies&near=ownership,partof&depth=1',
    );
    await setReach(page, 'ownership', 'off');
    await setReach(page, 'partof', 'off');
    await graphWithNodes(page, 5);
    expect(new URL(page.url()).search).toBe('?rel=dependencies&near=&depth=1');
    // Polled: a refetch for the last change can still replace the drawn nodes.
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
    await expect(page.locator('select[name="rel-apis"]').inputValue()).resolves.toBe('off');
    await expect(page.locator('select[name="rel-dependencies"]').inputValue()).resolves.toBe(
      'deep',
    );
    // And one click brings the kind's defaults back.
    await page.getByTestId('graph-relations').locator('summary').click();
    await page.getByRole('button', { name: 'Back to the defaults' }).click();
    await graphWithNodes(page, 37);
    expect(new URL(page.url()).search).toBe('');
  });

  it('opens an entity page when a node is clicked', async () => {
    await node(page, 'component:default/quote-engine').click();
    await page.waitForURL((url) => url.pathname === '/catalog/default/component/quote-engine');
    await page.getByRole('heading', { level: 1, name: 'Quote Engine' }).waitFor();
  });

  it('rolls entities up into their systems, with counts', async () => {
    await page.goto(TAB);
    await graphWithNodes(page, 37);
    const bySystem = page.getByRole('button', { name: 'By system' });
    await expect(bySystem.getAttribute('aria-pressed')).resolves.toBe('false');
    await bySystem.click();
    await graphWithNodes(page, 13);
    expect(new URL(page.url()).search).toBe('?rollup=system');
    await expect(bySystem.getAttribute('aria-pressed')).resolves.toBe('true');
    const booking = node(page, 'system:default/booking');
    await expect(booking.getByTestId('graph-node-count').textContent()).resolves.toBe(
      '10 entities',
    );
    await expect(
      node(page, 'system:default/identity').getByTestId('graph-node-count').textContent(),
    ).resolves.toBe('5 entities');
    await page.getByRole('button', { name: 'Entities' }).click();
    await graphWithNodes(page, 37);
    expect(new URL(page.url()).search).toBe('');
  });

  it('says when the graph is cut at the node limit', async () => {
    await page.goto(`${TAB}?depth=3&limit=50`);
    await graphWithNodes(page, 50);
    await expect(page.getByTestId('graph-truncated').textContent()).resolves.toBe(
      'Showing 50 of more nodes — raise the limit or lower the depth.',
    );
    await page.getByTestId('graph-relations').locator('summary').click();
    await page.locator('select[name="limit"]').selectOption('300');
    await graphWithNodes(page, 58);
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
