/**
 * End-to-end: the global search box and the search page in Debian's Chromium, against a real
 * Atrium (search index on SQLite and on PostgreSQL) serving the demo catalog and a hostile
 * entity.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/cli/web-build.ts';
import { searchIndexServiceRef } from '../../src/plugins/search/server/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { ENGINES, startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

/**
 * A private copy of the built web app. The server registers the asset files it finds at start;
 * on a shared machine another test run may rebuild dist/web meanwhile (new hashed names), and
 * the page would then load assets this server never registered. A copy is taken only when
 * every asset the index names is there (not in the middle of someone's rebuild).
 */
async function snapshotWebBuild(dest: string): Promise<string> {
  for (let attempt = 0; attempt < 60; attempt++) {
    rmSync(dest, { recursive: true, force: true });
    try {
      cpSync(WEB_DIST, dest, { recursive: true });
      const index = readFileSync(join(dest, 'index.html'), 'utf8');
      const assets = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
      if (assets.length > 0 && assets.every((a) => existsSync(join(dest, a)))) return dest;
    } catch {
      // dist/web was being emptied or written: try again
    }
    await new Promise((done) => setTimeout(done, 1000));
  }
  throw new Error(
    `No complete web build in ${WEB_DIST} (run the tests through vitest's global setup)`,
  );
}

/** Low, so that a test can pass it with a hundred-odd documents. */
const COUNT_LIMIT = 100;

const HOSTILE_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile-widget
  description: Quarantined <img src=x onerror=alert(1)> widget
spec:
  type: service
  lifecycle: experimental
  owner: team-booking
`;

describe.each(ENGINES)('search end to end on %s', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const dialogs: string[] = [];
  /** Uncaught exceptions in the page: there should be none. */
  const pageErrors: string[] = [];
  /** Suggestion requests (pageLimit=8) the page sent, by term. */
  const suggestionTerms: string[] = [];
  // One set of screenshots (from SQLite): the pages look the same on both engines.
  const shot = async (name: string, fullPage = false) => {
    if (engine === 'sqlite') await page.screenshot({ path: join(SHOTS, name), fullPage });
  };

  const globalBox = () => page.locator('#global-search');
  const listbox = () => page.locator('#global-search-suggestions');
  const results = () => page.getByTestId('search-result');
  const resultCount = async () => (await page.getByTestId('result-count').textContent()) ?? '';
  /** The number of results the page reports (`15 results, showing 1–10` → 15). */
  const totalResults = async () => Number(/^(\d+) results?/.exec(await resultCount())?.[1] ?? NaN);
  const param = (name: string) => new URL(page.url()).searchParams.get(name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-search-e2e-'));
    writeFileSync(join(dir, 'hostile.yaml'), HOSTILE_YAML);
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      engine,
      webRoot: await snapshotWebBuild(join(dir, 'web')),
      catalog: {
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'hostile.yaml') },
        ],
      },
      extraConfig: { search: { countLimit: COUNT_LIMIT } },
    });
    // Docs are built on demand; build one site (through the TechDocs API) so that its pages
    // are in the index before the browser searches.
    const sync = await fetch(`${server.url}/api/techdocs/sync/payments/component/payment-gateway`);
    const events = await sync.text();
    if (!events.includes('event: finish'))
      throw new Error(`Building the payment-gateway docs failed: ${events}`);
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
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/search/query' && url.searchParams.get('pageLimit') === '8')
        suggestionTerms.push(url.searchParams.get('term') ?? '');
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('suggests entities while typing and opens the highlighted one with arrow keys and Enter', async () => {
    await page.goto('/');
    const box = globalBox();
    await expect(box.getAttribute('role')).resolves.toBe('combobox');
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
    suggestionTerms.length = 0;
    await box.pressSequentially('pay', { delay: 30 });
    const options = listbox().getByRole('option');
    await expect.poll(() => options.count()).toBeGreaterThan(1);
    // Typed faster than the debounce: the request is for the whole word. (On a loaded machine
    // a key may come late enough for one early request; never one per key.)
    expect(suggestionTerms.at(-1)).toBe('pay');
    expect(suggestionTerms.length).toBeLessThan(3);
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('true');
    await expect(box.getAttribute('aria-controls')).resolves.toBe('global-search-suggestions');
    await listbox().getByRole('group', { name: 'Software Catalog' }).waitFor();
    // every suggestion's title has the typed letters marked
    const marks = await listbox().locator('mark').allTextContents();
    expect(marks.length).toBeGreaterThan(1);
    expect(marks.every((m) => m.toLowerCase() === 'pay')).toBe(true);
    await listbox()
      .getByRole('group', { name: 'Software Catalog' })
      .getByRole('option', { name: /^Payment Gateway/ })
      .waitFor();
    await shot('search-suggestions-light.png');

    // Down moves the highlight through the options; the input keeps focus throughout
    await box.press('ArrowDown');
    await expect(box.getAttribute('aria-activedescendant')).resolves.toBe('global-search-option-0');
    await box.press('ArrowDown');
    await expect(box.getAttribute('aria-activedescendant')).resolves.toBe('global-search-option-1');
    const second = page.locator('#global-search-option-1');
    await expect(second.getAttribute('aria-selected')).resolves.toBe('true');
    await expect(
      page.locator('#global-search-option-0').getAttribute('aria-selected'),
    ).resolves.toBe('false');
    await box.press('ArrowUp');
    await box.press('ArrowUp');
    // up from the first wraps to the last
    const last = (await options.count()) - 1;
    await expect(box.getAttribute('aria-activedescendant')).resolves.toBe(
      `global-search-option-${last}`,
    );
    await box.press('ArrowDown');
    await box.press('ArrowDown');
    const title = (await second.locator('.suggest-title').textContent()) ?? '';
    expect(title).not.toBe('');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('global-search');
    await box.press('Enter');
    await page.waitForURL(/\/catalog\/[^/]+\/[^/]+\/[^/]+$/);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    // the box is emptied and closed after opening a suggestion
    await expect(box.inputValue()).resolves.toBe('');
    await expect(listbox().count()).resolves.toBe(0);
  });

  it('opens a suggestion with the mouse and closes the list with Escape', async () => {
    await page.goto('/');
    const box = globalBox();
    await box.fill('gateway');
    await listbox()
      .getByRole('group', { name: 'Software Catalog' })
      .getByRole('option', { name: /^Payment Gateway/ })
      .click();
    await page.waitForURL('**/catalog/payments/component/payment-gateway');
    await page.getByRole('heading', { level: 1, name: 'Payment Gateway' }).waitFor();

    await box.fill('gateway');
    await listbox().waitFor();
    await box.press('Escape');
    await expect(listbox().count()).resolves.toBe(0);
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(box.inputValue()).resolves.toBe('gateway');
    // a second Escape empties the box
    await box.press('Escape');
    await expect(box.inputValue()).resolves.toBe('');
    // nothing matching says so instead of showing an empty list
    await box.fill('zzqxv');
    await page.locator('.suggest-message').getByText('No suggestions').waitFor();
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
  });

  it('opens the search page on Enter with nothing highlighted, with infix matches marked', async () => {
    await page.goto('/catalog');
    const box = globalBox();
    await box.fill('ment');
    await listbox().waitFor();
    await box.press('Enter');
    await page.waitForURL((url) => url.pathname === '/search' && url.search === '?term=ment');
    await expect.poll(() => page.title()).toBe('Search: ment | Atrium');
    await expect.poll(resultCount).toMatch(/^\d+ results/);
    const total = await totalResults();
    expect(total).toBeGreaterThanOrEqual(8);
    // "ment" is inside payment, shipment, documents: every result has it marked
    const titles = await results().locator('h2').allTextContents();
    expect(titles).toContain('Payment Gateway');
    expect(titles).toContain('Shipment Events');
    for (const result of await results().all()) {
      const marks = await result.locator('mark').allTextContents();
      expect(marks.length, (await result.textContent()) ?? '').toBeGreaterThan(0);
      expect(marks.every((m) => m.toLowerCase() === 'ment')).toBe(true);
    }
    // the page's own box holds the term; the global one was emptied
    await expect(page.getByLabel('Search term').inputValue()).resolves.toBe('ment');
    await expect(box.inputValue()).resolves.toBe('');
    // titles link with the router to the entity page
    const link = results().getByRole('link', { name: 'Payment Gateway' });
    await expect(link.getAttribute('href')).resolves.toBe(
      '/catalog/payments/component/payment-gateway',
    );
    await shot('search-page-light.png', true);
    await link.click();
    await page.waitForURL('**/catalog/payments/component/payment-gateway');
    await page.goBack();
    await page.waitForURL((url) => url.search === '?term=ment');
    await expect.poll(totalResults).toBe(total);
  });

  it('switches the type tab and filters by kind, with the state in the URL', async () => {
    await page.goto('/search?term=ment');
    await expect.poll(resultCount).toMatch(/^\d+ results/);
    const all = await totalResults();
    const tabs = page.getByRole('navigation', { name: 'Result types' });
    await expect(
      tabs.getByRole('link', { name: /^All/ }).getAttribute('aria-current'),
    ).resolves.toBe('page');
    await tabs.getByRole('link', { name: /^Software Catalog/ }).click();
    await page.waitForURL((url) => url.searchParams.get('type') === 'software-catalog');
    // The URL changes before React renders the new tab state: wait for the render too.
    await expect
      .poll(() =>
        tabs.getByRole('link', { name: /^Software Catalog/ }).getAttribute('aria-current'),
      )
      .toBe('page');
    await expect
      .poll(() => results().evaluateAll((els) => els.map((e) => e.getAttribute('data-type'))))
      .toSatisfy(
        (types: string[]) => types.length > 0 && types.every((t) => t === 'software-catalog'),
      );
    // each tab shows its count, and All is their sum
    const tabCount = async (name: RegExp) =>
      Number((await tabs.getByRole('link', { name }).locator('.tab-count').textContent())?.trim());
    const catalogCount = await tabCount(/^Software Catalog/);
    const docsCount = await tabCount(/^Documentation/);
    expect(catalogCount).toBeGreaterThan(0);
    expect(docsCount).toBeGreaterThan(0);
    expect(catalogCount + docsCount).toBe(all);
    await expect(tabCount(/^All/)).resolves.toBe(all);
    await expect.poll(totalResults).toBe(catalogCount);

    await page.getByLabel('Kind').selectOption('API');
    await page.waitForURL((url) => url.searchParams.get('kind') === 'API');
    expect(param('type')).toBe('software-catalog');
    expect(param('term')).toBe('ment');
    await expect.poll(totalResults).toBeLessThan(catalogCount);
    const kinds = await results()
      .locator('.search-chips li')
      .filter({ hasText: /^Kind:/ })
      .allTextContents();
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((k) => k === 'Kind: API')).toBe(true);
    const apiTitles = await results().locator('h2').allTextContents();
    expect(apiTitles).toContain('Payment Events');
    expect(apiTitles).not.toContain('Payment Gateway');
    await shot('search-filtered-light.png');

    // a deep link restores the same page
    const url = page.url();
    await page.goto('about:blank');
    await page.goto(url);
    await expect(page.getByLabel('Kind').inputValue()).resolves.toBe('API');
    await expect.poll(() => results().locator('h2').allTextContents()).toEqual(apiTitles);

    // the owner filter narrows further and clears with the kind
    await page.getByLabel('Owner').fill('team-tracking');
    await page.getByLabel('Owner').press('Enter');
    await page.waitForURL((u) => u.searchParams.get('owner') === 'team-tracking');
    await expect.poll(() => results().locator('h2').allTextContents()).toEqual(['Shipment Events']);
    await page.getByLabel('Kind').selectOption('Component');
    await page.getByRole('heading', { name: 'No results for “ment”' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((u) => u.search === '?term=ment');
    await expect.poll(totalResults).toBe(all);
  });

  it('pages through results with the next and previous cursors', async () => {
    await page.goto('/search?term=api');
    await expect.poll(resultCount).toMatch(/^\d+ results, showing 1–10$/);
    const total = await totalResults();
    expect(total).toBeGreaterThan(10);
    // by link: titles repeat (the Identity & Access group and system)
    const links = () =>
      results()
        .locator('h2 a')
        .evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    const firstPage = await links();
    expect(firstPage).toHaveLength(10);
    await expect(page.getByRole('button', { name: '← Previous' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForURL((url) => Boolean(url.searchParams.get('page')));
    await expect.poll(resultCount).toBe(`${total} results, showing 11–${Math.min(20, total)}`);
    const secondPage = await links();
    expect(secondPage.some((t) => firstPage.includes(t))).toBe(false);
    await expect(page.locator('ol.search-results').getAttribute('start')).resolves.toBe('11');
    if (total <= 20) {
      await expect(page.getByRole('button', { name: 'Next →' }).isDisabled()).resolves.toBe(true);
    }
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(resultCount).toBe(`${total} results, showing 1–10`);
    await expect(links()).resolves.toEqual(firstPage);
    // a new term starts at the first page again
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForURL((url) => Boolean(url.searchParams.get('page')));
    await page.getByLabel('Search term').fill('service');
    await page.getByLabel('Search term').press('Enter');
    await page.waitForURL((url) => url.search === '?term=service');
  });

  it('says "100+ results" where counting stopped, in the tabs too', async () => {
    const index = server.app.use(searchIndexServiceRef);
    const notes = Array.from({ length: COUNT_LIMIT + 20 }, (_, i) => ({
      title: `Quokka note ${i}`,
      text: 'marsupial',
      location: `/docs/payments/component/payment-gateway/quokka-${i}/`,
      entityRef: 'component:payments/payment-gateway',
    }));
    await index.upsert('techdocs', notes);
    try {
      await page.goto('/search?term=quokka');
      await expect.poll(resultCount).toBe(`${COUNT_LIMIT}+ results, showing 1–10`);
      const tabs = page.getByRole('navigation', { name: 'Result types' });
      await expect
        .poll(() => tabs.getByRole('link', { name: /^All/ }).textContent())
        .toBe(`All ${COUNT_LIMIT}+`);
      await expect(tabs.getByRole('link', { name: /^Documentation/ }).textContent()).resolves.toBe(
        `Documentation ${COUNT_LIMIT}+`,
      );
      // A narrower term is counted exactly.
      await page.goto('/search?term=quokka%20note%2042');
      await expect.poll(resultCount).toBe('1 result');
    } finally {
      await index.remove(
        'techdocs',
        notes.map((n) => n.location),
      );
    }
  });

  it('finds docs pages, and links to the page and the heading', async () => {
    await page.goto('/');
    const box = globalBox();
    await box.fill('refund');
    const docs = listbox().getByRole('group', { name: 'Documentation' });
    await docs.getByRole('option', { name: /Payment lifecycle/ }).waitFor();
    await expect(docs.locator('.suggest-context').first().textContent()).resolves.toBe(
      'Payment Gateway · docs',
    );
    await shot('search-suggestions-docs-light.png');
    // the docs group comes last: Up from the input lands on its last option
    await box.press('ArrowUp');
    const active = (await box.getAttribute('aria-activedescendant')) ?? '';
    await expect(page.locator(`#${active}`).textContent()).resolves.toContain('Payment lifecycle');
    await box.press('Enter');
    await page.waitForURL('**/docs/payments/component/payment-gateway/lifecycle/');
    await page.getByRole('heading', { name: 'Payment lifecycle' }).first().waitFor();

    await page.goto('/search?term=refund');
    const tabs = page.getByRole('navigation', { name: 'Result types' });
    await tabs.getByRole('link', { name: /^Documentation/ }).click();
    await page.waitForURL((url) => url.searchParams.get('type') === 'techdocs');
    await expect
      .poll(() => results().evaluateAll((els) => els.map((e) => e.getAttribute('data-type'))))
      .toEqual(['techdocs']);
    const result = results().first();
    await expect(result.locator('h2 a').getAttribute('href')).resolves.toBe(
      '/docs/payments/component/payment-gateway/lifecycle/',
    );
    await expect(result.getByTestId('snippet').locator('mark').allTextContents()).resolves.toEqual([
      'Refund',
      'refund',
    ]);
    // The owner is shown by its title once the catalog answers.
    await expect
      .poll(() => result.locator('.search-chips li').allTextContents())
      .toEqual(['Entity: Payment Gateway', 'Kind: component', 'Owner: Payments & Billing']);
    // a kind filter from the catalog's facets (capitalised) applies to docs too
    await page.getByLabel('Kind').selectOption('Component');
    await page.waitForURL((url) => url.searchParams.get('kind') === 'Component');
    await expect.poll(() => results().count()).toBe(1);

    // a section of a page links to its heading
    await page.goto('/search?term=sandboxes&type=techdocs');
    const section = results().filter({
      has: page.getByRole('heading', { name: 'Local development', exact: true }),
    });
    await expect(section.locator('h2 a').getAttribute('href')).resolves.toBe(
      '/docs/payments/component/payment-gateway/#local-development',
    );
    await shot('search-docs-light.png', true);
    await section.locator('h2 a').click();
    await page.waitForURL(
      (url) =>
        url.pathname === '/docs/payments/component/payment-gateway/' &&
        url.hash === '#local-development',
    );
  });

  it('shows a hostile description as text in its snippet', async () => {
    await page.goto('/search?term=quarantined');
    const result = results().filter({ hasText: 'hostile-widget' });
    await result.waitFor();
    await expect(result.getByTestId('snippet').textContent()).resolves.toBe(
      'Quarantined <img src=x onerror=alert(1)> widget',
    );
    await expect(result.getByTestId('snippet').locator('mark').allTextContents()).resolves.toEqual([
      'Quarantined',
    ]);
    await page.goto('/search?term=onerror');
    await results().getByTestId('snippet').locator('mark').getByText('onerror').waitFor();
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('prompts for a term, and says when nothing matches', async () => {
    await page.goto('/search');
    await page.getByRole('heading', { name: 'What are you looking for?' }).waitFor();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('search-page-term');
    await page.keyboard.type('zzqxv');
    await page.waitForURL((url) => url.search === '?term=zzqxv');
    await page.getByRole('heading', { name: 'No results for “zzqxv”' }).waitFor();
  });

  it('explains a page link the server cannot read and offers the first page', async () => {
    await page.goto('/search?term=gateway&page=bm90LWEtY3Vyc29y');
    const alert = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain(
      "GET /api/search/query failed: 400 InputError: querystring.pageCursor 'bm90LWEtY3Vyc29y' is not a cursor this server issued",
    );
    await page.getByRole('link', { name: 'Go to the first page of results' }).click();
    await page.waitForURL((url) => url.search === '?term=gateway');
    await results().getByRole('link', { name: 'Payment Gateway' }).waitFor();
  });

  it('shows an error with a retry when the query fails', async () => {
    let fail = true;
    await page.route('**/api/search/query?**', (route) =>
      fail
        ? route.fulfill({
            status: 500,
            contentType: 'application/json',
            body: JSON.stringify({
              error: { name: 'Error', message: 'There was a problem performing the search query' },
            }),
          })
        : route.continue(),
    );
    try {
      await page.goto('/search?term=gateway');
      const alert = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
      // the client retries a 5xx twice before giving up
      await alert.waitFor({ timeout: 20_000 });
      await expect(alert.textContent()).resolves.toContain(
        'GET /api/search/query failed: 500 Error: There was a problem performing the search query',
      );
      fail = false;
      await alert.getByRole('button', { name: 'Retry' }).click();
      await results().getByRole('link', { name: 'Payment Gateway' }).waitFor();
    } finally {
      await page.unroute('**/api/search/query?**');
    }
  });

  it('works in the dark theme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await page.goto('/search?term=ment');
      await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe(
        'dark',
      );
      await expect.poll(resultCount).toMatch(/^\d+ results/);
      // marks use the dark palette: light text on a dark amber, not the light theme's yellow
      const colours = await results()
        .locator('mark')
        .first()
        .evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
      expect(colours).toEqual(['rgb(107, 83, 0)', 'rgb(255, 246, 214)']);
      await shot('search-page-dark.png', true);
      await globalBox().fill('pay');
      await listbox().getByRole('option').first().waitFor();
      await globalBox().press('ArrowDown');
      await shot('search-suggestions-dark.png');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
    expect(pageErrors).toEqual([]);
  });
});
