/**
 * End-to-end: the catalog explorer's Owned by me / My team / Starred / All switch and its
 * column chooser in Debian's Chromium, as the guest signed in as Alice (Team Alpha, under
 * Engineering) on the organisation catalog plus 25 libraries she owns: each switch position
 * lists the right rows with server-side paging and facet counts, a star made in one browser
 * lists in another's Starred view, the chosen columns survive a reload; no serious axe-core
 * violation; screenshots in both themes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { ORG_CATALOG } from '../helpers/auth.ts';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

/** 25 libraries Alice owns herself: more than a page of "Owned by me". */
const LIBRARIES = Array.from({ length: 25 }, (_, i) => {
  const name = `alice-lib-${String(i + 1).padStart(2, '0')}`;
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: ${name}, description: Library ${i + 1}, tags: [lib] }
spec: { type: library, lifecycle: experimental, owner: user:alice }`;
}).join('\n---\n');

const MORE = `apiVersion: backstage.io/v1alpha1
kind: API
metadata: { name: alpha-events, title: Alpha Events }
spec: { type: asyncapi, lifecycle: production, owner: team-alpha, definition: "asyncapi: 2.0.0" }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: beta-ledger }
spec: { type: service, lifecycle: production, owner: team-beta }
`;

/** What Alice owns: herself, through Team Alpha, and through Engineering above it. */
const OWNED = 3 + 1 + 25;

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;

const total = (p: Page = page) => p.getByTestId('total').textContent();
const names = (p: Page = page) => p.locator('table tbody tr td:first-child a').allTextContents();
/** Column headers, without the sort arrow of the sorted one. */
const headers = async () =>
  (await page.locator('table thead th').allTextContents()).map((h) => h.replace(/ [▲▼]$/, ''));

const newContext = (colorScheme: 'light' | 'dark' = 'light', bypassCSP = false) =>
  browser.newContext({
    baseURL: server.url,
    viewport: { width: 1366, height: 900 },
    colorScheme,
    bypassCSP,
  });

describe('catalog explorer end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-explorer-'));
    writeFileSync(join(dir, 'org.yaml'), `${ORG_CATALOG}---\n${MORE}---\n${LIBRARIES}\n`);
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
      extraConfig: { auth: { providers: { guest: { userEntityRef: 'user:default/alice' } } } },
    });
    browser = await launchChromium();
    context = await newContext();
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists what Alice owns, a page at a time, with counts of what she owns', async () => {
    await page.goto('/catalog');
    await expect.poll(() => total()).toMatch(/^\d+ entities$/);
    await expect(page.getByRole('radio', { name: 'All' }).isChecked()).resolves.toBe(true);
    await page.getByRole('radio', { name: 'Owned by me' }).click();
    await page.waitForURL((url) => url.search === '?show=owned');
    await expect.poll(() => total()).toBe(`${OWNED} entities`);
    await expect
      .poll(() => names())
      .toEqual([
        'alice-lib-01',
        'alice-lib-02',
        'alice-lib-03',
        'alice-lib-04',
        'alice-lib-05',
        'alice-lib-06',
        'alice-lib-07',
        'alice-lib-08',
        'alice-lib-09',
        'alice-lib-10',
        'alice-lib-11',
        'alice-lib-12',
        'alice-lib-13',
        'alice-lib-14',
        'alice-lib-15',
        'alice-lib-16',
        'alice-lib-17',
        'alice-lib-18',
        'alice-lib-19',
        'alice-lib-20',
      ]);
    // Server-side paging, within the switch.
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    expect(new URL(page.url()).searchParams.get('show')).toBe('owned');
    await expect
      .poll(() => names())
      .toEqual([
        'alice-lib-21',
        'alice-lib-22',
        'alice-lib-23',
        'alice-lib-24',
        'alice-lib-25',
        'Alpha Events',
        'alpha-api',
        'alpha-notebook',
        'platform-handbook',
      ]);
    // Facet counts count only what she owns.
    await expect
      .poll(() => page.getByLabel('Kind').locator('option').allTextContents())
      .toEqual(['All', 'API (1)', 'Component (28)']);
    await page.getByLabel('Kind').selectOption({ label: 'API (1)' });
    await expect.poll(() => total()).toBe('1 entity');
    await expect(names()).resolves.toEqual(['Alpha Events']);
    // Clearing the filters keeps the switch.
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((url) => url.search === '?show=owned');
    await expect.poll(() => total()).toBe(`${OWNED} entities`);
  });

  it('lists what her team owns, not what she or Engineering own', async () => {
    await page.goto('/catalog?show=team');
    await expect(page.getByRole('radio', { name: 'My team' }).isChecked()).resolves.toBe(true);
    await expect.poll(() => total()).toBe('2 entities');
    await expect(names()).resolves.toEqual(['Alpha Events', 'alpha-api']);
    await expect(page.locator('.explorer-scope-note').textContent()).resolves.toBe(
      'Owned by Team Alpha.',
    );
    // A team chosen on the home page is "my team" here too.
    await page.goto('/');
    await page
      .getByRole('region', { name: 'Your team' })
      .getByLabel('Group')
      .selectOption('group:default/team-beta');
    await page.goto('/catalog?show=team');
    await expect.poll(() => names()).toEqual(['beta-billing', 'beta-ledger']);
    await expect(page.locator('.explorer-scope-note').textContent()).resolves.toBe(
      'Owned by Team Beta (chosen on the home page).',
    );
    await page.goto('/');
    await page.getByRole('region', { name: 'Your team' }).getByLabel('Group').selectOption('');
  });

  it('lists in another browser’s Starred view an entity starred from its header', async () => {
    await page.goto('/catalog?show=starred');
    await page
      .getByTestId('scope-empty')
      .getByText('You have not starred anything yet.', { exact: false })
      .waitFor();
    await page.goto('/catalog/default/component/beta-ledger');
    const star = page.getByRole('button', { name: 'Star', exact: true });
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('false');
    await star.click();
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true');
    const other = await newContext();
    try {
      const p = await other.newPage();
      await p.goto('/catalog?show=starred');
      await expect.poll(() => total(p)).toBe('1 entity');
      await expect(names(p)).resolves.toEqual(['beta-ledger']);
      await expect(p.getByLabel('Owner').locator('option').allTextContents()).resolves.toEqual([
        'All',
        'Team Beta (1)',
      ]);
    } finally {
      await other.close();
    }
  });

  it('remembers the chosen columns across a reload', async () => {
    await page.goto('/catalog?show=owned');
    await expect.poll(() => total()).toBe(`${OWNED} entities`);
    await expect(headers()).resolves.toEqual([
      'Name',
      'Kind',
      'Type',
      'Owner',
      'Lifecycle',
      'Description',
      'Tags',
    ]);
    const chooser = page.getByRole('button', { name: 'Columns' });
    await chooser.click();
    await page.getByRole('menuitemcheckbox', { name: 'Description' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Lifecycle' }).click();
    // The menu stays open while columns are chosen; the table follows at once.
    await expect(
      page.getByRole('menuitemcheckbox', { name: 'Lifecycle' }).getAttribute('aria-checked'),
    ).resolves.toBe('false');
    await expect.poll(() => headers()).toEqual(['Name', 'Kind', 'Type', 'Owner', 'Tags']);
    await page.keyboard.press('Escape');
    await page.reload();
    await expect.poll(() => headers()).toEqual(['Name', 'Kind', 'Type', 'Owner', 'Tags']);
    await expect(page.getByRole('button', { name: 'Columns (2 hidden)' }).count()).resolves.toBe(1);
    await expect(
      page.evaluate(() => localStorage.getItem('atrium.catalog.hidden-columns')),
    ).resolves.toBe('["description","lifecycle"]');
    // Kind badges stay on every row.
    await expect(page.locator('tbody tr td:nth-child(2) .kind-badge').count()).resolves.toBe(20);
    // And back.
    await page.getByRole('button', { name: /^Columns/ }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Description' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Lifecycle' }).click();
    await page.keyboard.press('Escape');
    await expect
      .poll(() => headers())
      .toEqual(['Name', 'Kind', 'Type', 'Owner', 'Lifecycle', 'Description', 'Tags']);
  });

  it('has no serious or critical axe-core violations, and writes screenshots', async () => {
    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const ctx = await newContext(scheme, true);
      const p = await ctx.newPage();
      await p.goto('/catalog?show=owned');
      await expect.poll(() => total(p)).toBe(`${OWNED} entities`);
      for (const v of await axeViolations(p)) problems.push(`${scheme}: ${v}`);
      await p.screenshot({ path: join(SHOTS, `explorer-${scheme}.png`), fullPage: true });
      await p.getByRole('button', { name: 'Columns' }).click();
      await p.getByRole('menuitemcheckbox', { name: 'Tags' }).waitFor();
      for (const v of await axeViolations(p)) problems.push(`${scheme} columns menu: ${v}`);
      await p.screenshot({ path: join(SHOTS, `explorer-columns-${scheme}.png`) });
      await ctx.close();
    }
    expect(problems).toEqual([]);
  });
});
