/**
 * End-to-end: the home page in Debian's Chromium, as the guest signed in as Alice (a member of
 * Team Alpha) on a small organisation catalog with one scorecard: her team's entities with
 * their ingestion health and scorecard level, a star made from an entity's header showing in
 * another browser (the server keeps stars), recently visited entities, a change made by
 * editing a catalog file listed under "Changes in what you own", quick links and the search
 * box; no serious axe-core violation; screenshots in both themes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const WORKER = (owner: string) => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: alpha-worker
  title: Alpha Worker
spec:
  type: service
  lifecycle: production
  owner: ${owner}
`;

const SCORECARD = `apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata:
  name: basics
  title: Basics
spec:
  filter: { kind: Component }
  levels: [Bronze, Silver]
  checks:
    - { id: owned, title: Has an owner, level: Bronze, rule: { relation: ownedBy } }
    - id: described
      title: Has a description
      level: Silver
      rule: { field: metadata.description, exists: true }
`;

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;

async function refreshCatalog(): Promise<void> {
  for (const ref of ['component:default/alpha-api', 'component:default/alpha-worker']) {
    const response = await fetch(`${server.url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: ref }),
    });
    expect(response.status, await response.text()).toBe(200);
  }
}

const newContext = (colorScheme: 'light' | 'dark' = 'light', bypassCSP = false) =>
  browser.newContext({
    baseURL: server.url,
    viewport: { width: 1366, height: 900 },
    colorScheme,
    bypassCSP,
  });

describe('home page end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-home-'));
    writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG);
    writeFileSync(join(dir, 'worker.yaml'), WORKER('team-alpha'));
    writeFileSync(join(dir, 'scorecard.yaml'), SCORECARD);
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: {
        locations: [
          { type: 'file', target: join(dir, 'org.yaml') },
          { type: 'file', target: join(dir, 'worker.yaml') },
          { type: 'file', target: join(dir, 'scorecard.yaml') },
        ],
      },
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

  it('shows her team’s entities with their health and scorecard level', async () => {
    await page.goto('/');
    const team = page.getByRole('region', { name: 'Your team' });
    // Alice's direct group, without a choice made.
    await expect.poll(() => team.getByLabel('Group').inputValue()).toBe('group:default/team-alpha');
    const table = team.getByTestId('team-owned');
    const row = (name: string) =>
      table.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });
    await row('Alpha Worker').waitFor();
    await expect(table.locator('tbody tr td:first-child a').allTextContents()).resolves.toEqual([
      'alpha-api',
      'Alpha Worker',
    ]);
    await expect(row('Alpha Worker').getByTestId('health').textContent()).resolves.toBe(' OK');
    // The scorecard's level, drawn by the scorecards plugin's column.
    await expect
      .poll(() => table.locator('thead th').allTextContents())
      .toEqual(['Name', 'Health', 'Levels']);
    // alpha-api has a description, Alpha Worker has not.
    await expect
      .poll(() => row('alpha-api').locator('td').nth(2).textContent())
      .toContain('Silver');
    await expect
      .poll(() => row('Alpha Worker').locator('td').nth(2).textContent())
      .toContain('Bronze');

    // A broken edit keeps the last good version, with the error on its health.
    writeFileSync(join(dir, 'worker.yaml'), WORKER('[team-alpha, team-beta]'));
    try {
      await refreshCatalog();
      await page.reload();
      const health = row('Alpha Worker').getByTestId('health');
      await expect.poll(() => health.textContent()).toBe(' 1 error');
      await expect(health.getAttribute('href')).resolves.toBe(
        '/catalog/default/component/alpha-worker/status',
      );
    } finally {
      writeFileSync(join(dir, 'worker.yaml'), WORKER('team-alpha'));
      await refreshCatalog();
    }
  });

  it('lists an entity starred from its header, in another browser too', async () => {
    await page.goto('/catalog/default/component/alpha-worker');
    const star = page.getByRole('button', { name: 'Star', exact: true });
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('false');
    await star.click();
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true');

    // A second browser (its own storage): the star comes from the server.
    const other = await newContext();
    try {
      const p = await other.newPage();
      await p.goto('/');
      const starred = p.getByTestId('starred-entities');
      await starred.getByRole('link', { name: 'Alpha Worker' }).waitFor();
      await expect(starred.locator('li').count()).resolves.toBe(1);
      await expect(
        starred.getByRole('link', { name: 'Alpha Worker' }).getAttribute('href'),
      ).resolves.toBe('/catalog/default/component/alpha-worker');
      // …and in the explorer's Starred view.
      await p.getByRole('link', { name: 'Your starred entities' }).click();
      await p.waitForURL((url) => url.pathname === '/catalog' && url.search === '?show=starred');
      await expect.poll(() => p.getByTestId('total').textContent()).toBe('1 entity');
      await expect(p.locator('table tbody tr td:first-child a').allTextContents()).resolves.toEqual(
        ['Alpha Worker'],
      );
      // Unstarring from the home page reaches the first browser.
      await p.goto('/');
      await p.getByRole('button', { name: 'Unstar Alpha Worker' }).click();
      await p.getByText('Nothing starred yet.').waitFor();
    } finally {
      await other.close();
    }
    await page.reload();
    await expect
      .poll(() =>
        page.getByRole('button', { name: 'Star', exact: true }).getAttribute('aria-pressed'),
      )
      .toBe('false');
    await star.click();
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true');
  });

  it('lists the entities visited last, newest first', async () => {
    await page.goto('/catalog/default/component/alpha-api');
    await page.getByRole('heading', { level: 1, name: 'alpha-api' }).waitFor();
    await page.goto('/catalog/default/group/team-alpha/relations');
    await page.getByRole('heading', { level: 1, name: 'Team Alpha' }).waitFor();
    await page.getByRole('link', { name: 'Home', exact: true }).click();
    const visited = page.getByTestId('recently-visited');
    await expect
      .poll(() => visited.locator('li a').allTextContents())
      .toEqual(['Team Alpha', 'alpha-api', 'Alpha Worker']);
    await expect(visited.locator('li a').first().getAttribute('href')).resolves.toBe(
      '/catalog/default/group/team-alpha',
    );
  });

  it('lists a change made by editing a catalog file under "Changes in what you own"', async () => {
    const file = join(dir, 'org.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      original.replace(
        'metadata: { name: alpha-api, description: Owned by Team Alpha }',
        'metadata: { name: alpha-api, description: The API of Team Alpha }',
      ),
    );
    await refreshCatalog();
    await page.goto('/');
    const changes = page.getByTestId('area-changes');
    const first = changes.locator('li').first();
    await expect.poll(() => first.locator('a').first().textContent()).toBe('alpha-api');
    await expect(
      first.getByRole('link', { name: 'updated metadata.description' }).getAttribute('href'),
    ).resolves.toBe('/catalog/default/component/alpha-api/history');
    // Only what Alice and her groups own: nothing of Team Beta's.
    await expect(changes.getByRole('link', { name: 'beta-billing' }).count()).resolves.toBe(0);
  });

  it('links to Create and Docs and keeps the search box with suggestions', async () => {
    await page.goto('/');
    const links = page.getByRole('navigation', { name: 'Quick links' });
    await expect(
      links.getByRole('link', { name: 'Create something new' }).getAttribute('href'),
    ).resolves.toBe('/create');
    await expect(
      links.getByRole('link', { name: 'Read the docs' }).getAttribute('href'),
    ).resolves.toBe('/docs');
    const search = page.locator('#home-search');
    await search.pressSequentially('worker', { delay: 30 });
    await page
      .locator('#home-search-suggestions')
      .getByRole('option', { name: /^Alpha Worker/ })
      .waitFor();
  });

  it('has no serious or critical axe-core violations, and writes screenshots', async () => {
    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const ctx = await newContext(scheme, true);
      const p = await ctx.newPage();
      await p.goto('/catalog/default/component/alpha-api');
      await p.getByRole('heading', { level: 1, name: 'alpha-api' }).waitFor();
      await p.goto('/');
      await p.getByTestId('recently-visited').waitFor();
      await p.getByTestId('team-owned').waitFor();
      await p.getByTestId('starred-entities').waitFor();
      await p.getByTestId('area-changes').waitFor();
      await p.getByTestId('kind-counts').waitFor();
      for (const v of await axeViolations(p)) problems.push(`${scheme}: ${v}`);
      await p.screenshot({ path: join(SHOTS, `home-dashboard-${scheme}.png`), fullPage: true });
      await ctx.close();
    }
    expect(problems).toEqual([]);
  });
});
