/**
 * End-to-end: scorecards in Debian's Chromium against a real Atrium serving the demo catalog
 * with its two scorecards and the demo seed (pushed facts, 90 days of history), plus a
 * scorecard whose texts are hostile HTML. The entity tab with a failing check and its fix,
 * the explorer's level filter and column, the Scorecards pages with the trend chart and a
 * campaign, and the group card; screenshots in both themes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/browser.ts';
import {
  DEMO_SEED,
  type ScorecardsDemoServer,
  startScorecardsDemo,
} from '../helpers/scorecards-demo.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

/** Markup in every text a scorecard author writes: it must reach the page as text. */
const HOSTILE_SCORECARD = `apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata:
  name: hostile
  title: <img src=x onerror=alert(1)>Hostile
  description: <script>alert(2)</script>
spec:
  filter: { kind: Component, metadata.name: quote-engine }
  levels: ["<b>Top</b>"]
  checks:
    - id: trap
      title: <img src=x onerror=alert(3)>
      description: <a href="javascript:alert(4)">click</a>
      level: "<b>Top</b>"
      rule: { field: metadata.annotations.nope, exists: true }
      howToFix: <script>alert(5)</script> then see javascript:alert(6) or https://example.com/fix.
---
apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata:
  name: mainframes
  title: Mainframe readiness
spec:
  filter: { kind: Component, spec.type: mainframe }
  levels: [Ready]
  checks:
    - { id: owned, level: Ready, rule: { relation: ownedBy } }
`;

let server: ScorecardsDemoServer;
let browser: Browser;
let page: Page;
let dir: string;
const dialogs: string[] = [];

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function total(): Promise<string> {
  return (await page.getByTestId('total').textContent()) ?? '';
}

describe('scorecards end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    dir = mkdtempSync(join(tmpdir(), 'atrium-e2e-scorecards-'));
    writeFileSync(join(dir, 'hostile-scorecard.yaml'), HOSTILE_SCORECARD);
    mkdirSync(SHOTS, { recursive: true });
    server = await startScorecardsDemo({
      webRoot: WEB_DIST,
      seedFile: DEMO_SEED,
      files: [join(dir, 'hostile-scorecard.yaml')],
    });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 860 },
      colorScheme: 'light',
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows an entity's levels, a failing check with what was seen and how to fix it", async () => {
    await page.goto('/catalog/default/component/tracking-service');
    await page.locator('.tabs').getByRole('link', { name: 'Scorecards', exact: true }).click();
    await page.waitForURL(/\/catalog\/default\/component\/tracking-service\/scorecards$/);
    const readiness = page.getByRole('region', { name: 'Production readiness' });
    await readiness.waitFor();
    await expect(readiness.getByText('Level: Silver', { exact: true }).count()).resolves.toBe(1);
    const coverage = readiness.getByRole('row', { name: /Test coverage of 80% or more/ });
    await expect(coverage.getByText('Failed').count()).resolves.toBe(1);
    await expect(coverage.locator('code').textContent()).resolves.toBe('74');
    await expect(coverage.textContent()).resolves.toContain('ci.coverage is 74, needs ≥ 80');
    await expect(coverage.getByTestId('how-to-fix').textContent()).resolves.toContain(
      'How to fix: Have CI report coverage after each build',
    );
    // "To reach Gold" leads to the check that blocks it.
    await readiness.getByRole('link', { name: 'Test coverage of 80% or more' }).click();
    await page.waitForURL(/#check-scorecard-default-production-readiness-coverage$/);
    await expect(
      page.evaluate(() => document.querySelector(':target')?.getAttribute('data-status')),
    ).resolves.toBe('failed');
    // Passed checks carry no fix text; the level history lists the invented climb to Silver.
    const owned = readiness.getByRole('row', { name: /Owned by a group that exists/ });
    await expect(owned.getByTestId('how-to-fix').count()).resolves.toBe(0);
    await readiness.getByText(/^Level history \(\d+ changes?\)$/).waitFor();
    await expect(readiness.locator('.sc-history-list li').last().textContent()).resolves.toMatch(
      /No level\s*→\s*Bronze|Bronze\s*→\s*Silver/,
    );
    await shoot('scorecards-entity-light');
  });

  it("follows a failing check's fix text to the page it names", async () => {
    await page.goto('/catalog/default/component/label-renderer/scorecards');
    const readiness = page.getByRole('region', { name: 'Production readiness' });
    const row = readiness.getByRole('row', { name: /Deployed on the platform cluster/ });
    const link = row.getByTestId('how-to-fix').getByRole('link');
    await expect(link.getAttribute('href')).resolves.toBe(
      'https://backstage.io/docs/features/kubernetes/configuration',
    );
    await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    // Outside links open in a new tab. The network here is closed: the browser context
    // answers for the docs site, so the tab really loads the page the fix text names.
    const context = page.context();
    await context.route('https://backstage.io/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<title>Kubernetes configuration</title>' }),
    );
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await popup.waitForLoadState();
    expect(popup.url()).toBe('https://backstage.io/docs/features/kubernetes/configuration');
    await expect(popup.title()).resolves.toBe('Kubernetes configuration');
    await context.unroute('https://backstage.io/**');
    await popup.close();
  });

  it('shows hostile scorecard texts as text', async () => {
    await page.goto('/catalog/default/component/quote-engine/scorecards');
    const hostile = page.getByRole('region', { name: '<img src=x onerror=alert(1)>Hostile' });
    await hostile.waitFor();
    const fix = hostile.getByTestId('how-to-fix');
    await expect(fix.textContent()).resolves.toContain('<script>alert(5)</script>');
    // Only the https link became a link; javascript: stayed text.
    await expect(fix.getByRole('link').count()).resolves.toBe(1);
    await expect(fix.getByRole('link').getAttribute('href')).resolves.toBe(
      'https://example.com/fix',
    );
    await expect(hostile.locator('img, script, b, a[href^="javascript"]').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('filters the explorer by level and shows levels as a column', async () => {
    const all = (await (
      await fetch(`${server.url}/api/catalog/entities/by-query?limit=1`)
    ).json()) as { totalItems: number };
    await page.goto('/catalog?kind=component');
    await expect.poll(total).toBe('44 entities');
    await page.getByRole('combobox', { name: 'Level' }).selectOption('production-readiness:Gold');
    await page.waitForURL(/level=production-readiness%3AGold/);
    await expect.poll(total).toBe('2 entities');
    const names = await page.locator('table tbody tr td:first-child').allTextContents();
    expect(names).toEqual(['Booking Service', 'Payment Gateway']);
    const levels = page.locator('table tbody tr td:last-child');
    await expect(levels.first().textContent()).resolves.toBe('Production readiness: Gold');
    // Services with no level are a level too.
    await page.getByRole('combobox', { name: 'Level' }).selectOption('production-readiness:none');
    await expect.poll(total).toBe('7 entities');
    await shoot('scorecards-catalog-light');
    // The filter's value survives a reload, and Clear filters removes it.
    await page.reload();
    await expect.poll(total).toBe('7 entities');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(total).toBe(`${all.totalItems} entities`);
  });

  it('lists the scorecards, with what is wrong with one', async () => {
    await page.goto('/');
    await page.locator('.sidebar').getByRole('link', { name: 'Scorecards', exact: true }).click();
    await page.waitForURL(/\/scorecards$/);
    await expect.poll(() => page.title()).toBe('Scorecards | Atrium');
    const readiness = page.getByRole('region', { name: 'Production readiness' });
    await readiness.waitFor();
    await expect(readiness.textContent()).resolves.toContain('19 entities scored');
    await expect(
      readiness
        .getByRole('img', { name: /^Levels: 2 Gold, 6 Silver, 4 Bronze, 7 with no level$/ })
        .count(),
    ).resolves.toBe(1);
    // A scorecard whose filter matches nothing says so.
    const mainframes = page.getByRole('region', { name: 'Mainframe readiness' });
    await expect(
      mainframes.getByRole('note', { name: 'Problems of Mainframe readiness' }).textContent(),
    ).resolves.toContain('filter matches no entity');
    await shoot('scorecards-list-light');
  });

  it('shows a scorecard: distribution, trend chart with its table, teams and a campaign', async () => {
    await page.goto('/scorecards');
    await page.getByRole('link', { name: 'Production readiness', exact: true }).click();
    await page.waitForURL(/\/scorecards\/default\/production-readiness$/);
    const chart = page.getByTestId('trend-chart');
    const svg = chart.getByRole('img', { name: /Production readiness: entities per level/ });
    await svg.waitFor();
    // The chart's description says how the levels moved over the 90 seeded days.
    const described = await svg.evaluate((el) => {
      const ids = (el.getAttribute('aria-labelledby') ?? '').split(' ');
      return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' | ');
    });
    expect(described).toMatch(
      /^Production readiness: entities per level, last 90 days \| From .+: Gold \d+ → 2, Silver \d+ → 6, Bronze \d+ → 4, no level \d+ → 7\.$/,
    );
    await expect(chart.locator('.sc-area').count()).resolves.toBe(4);
    await chart.getByText('Show the figures as a table').click();
    await expect(chart.locator('tbody tr').count()).resolves.toBe(90);
    await expect(
      chart.locator('tbody tr').first().locator('td').allTextContents(),
    ).resolves.toEqual(['2', '6', '4', '7']);

    // Teams ranked: the group hierarchy rolls up, and a group can be looked at alone.
    const rollup = page.getByTestId('rollup');
    await expect(rollup.getByRole('link', { name: 'Kestrel Freight' }).count()).resolves.toBe(1);
    await rollup.getByRole('link', { name: 'only this group' }).first().waitFor();
    await page.goto(
      '/scorecards/default/production-readiness?group=group:default/commercial-technology',
    );
    await expect
      .poll(() => rollup.locator('tbody tr td:nth-child(2) a:first-child').allTextContents())
      .toEqual(['Commercial Technology', 'Storefront', 'Payments & Billing']);

    // A campaign with its progress and the entities still missing it.
    const campaign = page
      .getByTestId('campaign')
      .filter({ hasText: 'Every production service at Silver by the end of Q1' });
    await expect(campaign.textContent()).resolves.toContain('8 of 19 reached');
    await expect(campaign.getByRole('img', { name: /^Progress from / }).count()).resolves.toBe(1);
    await campaign.getByText(/^Still missing \(11\)$/).click();
    await campaign.getByRole('link', { name: 'Label Renderer' }).click();
    await page.waitForURL(/\/catalog\/default\/component\/label-renderer$/);

    // From a check's pass rate to the entities failing it.
    await page.goto('/scorecards/default/production-readiness');
    const failing = (await (
      await fetch(
        `${server.url}/api/scorecards/scorecards/default/production-readiness/results?check=tier&status=failed`,
      )
    ).json()) as { totalItems: number };
    expect(failing.totalItems).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Entities failing Declares its tier' }).click();
    await page.waitForURL(/check=tier&status=failed/);
    await expect
      .poll(() => page.getByTestId('results-total').textContent())
      .toMatch(new RegExp(`^${failing.totalItems} entities`));
    await page.goto('/scorecards/default/production-readiness');
    await svg.waitFor();
    await shoot('scorecards-detail-light');
  });

  it("shows a group's standing, rolled up through the groups below it", async () => {
    await page.goto('/catalog/default/group/commercial-technology');
    const card = page.getByRole('region', { name: 'Scorecards' });
    const standing = card.getByTestId('group-standing');
    await standing.waitFor();
    const readiness = standing.locator('li').filter({ hasText: 'Production readiness' }).first();
    // Storefront (1) and Payments & Billing (6): the department counts its teams' services.
    await expect(readiness.textContent()).resolves.toContain(
      '7 entities, with the groups below it',
    );
    await expect(readiness.getByText(/#\d+ of \d+ owners by checks passing/).count()).resolves.toBe(
      1,
    );
    await shoot('scorecards-group-light');
    // The root group sees every scored service of the organisation.
    await page.goto('/catalog/default/group/kestrel-freight');
    await expect(
      page
        .getByTestId('group-standing')
        .locator('li')
        .filter({ hasText: 'Production readiness' })
        .first()
        .textContent(),
    ).resolves.toContain('19 entities, with the groups below it');
  });

  it('looks right in the dark theme', async () => {
    await page.goto('/scorecards');
    await page.getByRole('button', { name: 'Dark theme', exact: true }).click();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await page.getByRole('region', { name: 'Production readiness' }).waitFor();
    await shoot('scorecards-list-dark');
    await page.goto('/scorecards/default/production-readiness');
    await page.getByTestId('trend-chart').getByRole('img').first().waitFor();
    await shoot('scorecards-detail-dark');
    await page.goto('/catalog/default/component/tracking-service/scorecards');
    await page.getByRole('region', { name: 'Production readiness' }).waitFor();
    await shoot('scorecards-entity-dark');
    await page.goto('/catalog?level=production-readiness%3AGold');
    await expect.poll(total).toBe('2 entities');
    await shoot('scorecards-catalog-dark');
    await page.goto('/catalog/default/group/commercial-technology');
    await page.getByTestId('group-standing').waitFor();
    await shoot('scorecards-group-dark');
    await page.getByRole('button', { name: 'Light theme', exact: true }).click();
    expect(dialogs).toEqual([]);
  });
});
