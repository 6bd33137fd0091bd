/**
 * End-to-end: the built web app in Debian's Chromium, against a real Atrium serving the demo
 * catalog, a broken file and a hostile entity.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

const HOSTILE_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile-widget
  description: <img src=x onerror=alert(1)>
  annotations:
    example.com/note: <script>alert(2)</script>
  links:
    - url: javascript:alert(3)
      title: click me
    - url: https://example.com/docs
      title: real docs
spec:
  type: service
  lifecycle: experimental
  owner: team-booking
`;

const NEW_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: freshly-registered
  description: Registered by the end-to-end test
spec:
  type: library
  lifecycle: experimental
  owner: team-booking
`;

const PASTED_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: valid-one
spec:
  type: service
  lifecycle: production
  owner: team-booking
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Not a valid name
spec:
  type: service
  lifecycle: production
  owner: team-booking
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: syntax-broken
  description: a: b
spec:
  type: service
  lifecycle: production
  owner: team-booking
`;

let server: TestServer;
let httpServer: Server;
let yamlServer: string;
let browser: Browser;
let page: Page;
let dir: string;
const dialogs: string[] = [];

async function rows(): Promise<number> {
  return page.locator('table tbody tr').count();
}

async function total(): Promise<string> {
  return (await page.getByTestId('total').textContent()) ?? '';
}

describe('web app end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    dir = mkdtempSync(join(tmpdir(), 'atrium-e2e-'));
    copyFileSync(
      join(ROOT, 'examples/broken/invalid-fields.yaml'),
      join(dir, 'invalid-fields.yaml'),
    );
    writeFileSync(join(dir, 'hostile.yaml'), HOSTILE_YAML);
    mkdirSync(join(dir, 'new'));
    writeFileSync(join(dir, 'new/catalog-info.yaml'), NEW_YAML);
    mkdirSync(SHOTS, { recursive: true });
    // a catalog file served over HTTP, for validating by URL
    httpServer = createServer((_req, res) => {
      res.setHeader('content-type', 'text/yaml');
      res.end(NEW_YAML.replace('freshly-registered', 'served-over-http'));
    });
    await new Promise<void>((done) => httpServer.listen(0, '127.0.0.1', done));
    const { port } = httpServer.address() as AddressInfo;
    yamlServer = `http://127.0.0.1:${port}`;
    server = await startTestServer({
      backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
      webRoot: WEB_DIST,
      catalog: {
        locationTypes: ['url', 'file'],
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'invalid-fields.yaml') },
          { type: 'file', target: join(dir, 'hostile.yaml') },
        ],
      },
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
    httpServer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the home page with counts by kind', async () => {
    await page.goto('/');
    await expect.poll(() => page.title()).toBe('Home | Atrium');
    const counts = page.getByTestId('kind-counts');
    await counts.waitFor();
    // 44 demo components + the valid document of the broken file + the hostile one
    await expect(
      counts.getByText('Component', { exact: true }).locator('..').textContent(),
    ).resolves.toBe('Component: 46');
    await page.screenshot({ path: join(SHOTS, 'home-light.png'), fullPage: true });
  });

  it('has a favicon that the strict Content-Security-Policy lets the page load', async () => {
    const failed: string[] = [];
    const onResponse = (response: { status(): number; url(): string }) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    };
    page.on('response', onResponse);
    try {
      await page.goto('/catalog');
      await expect.poll(total).not.toBe('');
      const links = await page
        .locator('link[rel="icon"]')
        .evaluateAll((els) => els.map((el) => (el as HTMLLinkElement).getAttribute('href')));
      expect(links).toEqual(['/favicon.ico', '/favicon.svg']);
      for (const [path, type] of [
        ['/favicon.ico', /^image\/(x-icon|vnd\.microsoft\.icon)/],
        ['/favicon.svg', /^image\/svg\+xml/],
      ] as const) {
        const response = await fetch(`${server.url}${path}`);
        expect(response.status, path).toBe(200);
        expect(response.headers.get('content-type'), path).toMatch(type);
      }
      // Both decode as images in the page, under its CSP: no violation, a real picture.
      const sizes = await page.evaluate(() =>
        Promise.all(
          ['/favicon.ico', '/favicon.svg'].map(
            (src) =>
              new Promise<string>((done) => {
                const img = new Image();
                img.onload = () => done(`${src} ${img.naturalWidth}x${img.naturalHeight}`);
                img.onerror = () => done(`${src} failed`);
                img.src = src;
              }),
          ),
        ),
      );
      expect(sizes[0]).toMatch(/^\/favicon\.ico (16|32|48)x\1$/);
      expect(sizes[1]).toMatch(/^\/favicon\.svg \d+x\d+$/);
      expect(failed).toEqual([]);
    } finally {
      page.off('response', onResponse);
    }
  });

  it('lists recent changes and the entities of a chosen team on the home page', async () => {
    await page.goto('/');
    const recent = page.getByTestId('recent-entities');
    await recent.waitFor();
    await expect(recent.locator('li').count()).resolves.toBe(10);
    await expect(recent.locator('li a').first().getAttribute('href')).resolves.toMatch(
      /^\/catalog\/default\/[a-z]+\/[\w.-]+$/,
    );
    const team = page.getByRole('region', { name: 'Your team' });
    await team.getByLabel('Group').selectOption('group:default/team-booking');
    await team.getByTestId('team-owned').getByRole('link', { name: 'Booking Service' }).waitFor();
    // remembered across reloads
    await page.reload();
    await page
      .getByRole('region', { name: 'Your team' })
      .getByRole('link', { name: 'Booking Service' })
      .waitFor();
    await expect(
      page.getByRole('region', { name: 'Your team' }).getByLabel('Group').inputValue(),
    ).resolves.toBe('group:default/team-booking');
    await page.screenshot({ path: join(SHOTS, 'home-team-light.png'), fullPage: true });
  });

  it('finds an entity by typing part of its name in the global search', async () => {
    await page.goto('/');
    await page.getByRole('combobox', { name: 'Search Atrium' }).first().fill('booking-serv');
    await page.keyboard.press('Enter');
    await page.waitForURL(
      (url) => url.pathname === '/search' && url.search === '?term=booking-serv',
    );
    await page
      .getByTestId('search-result')
      .getByRole('link', { name: 'Booking Service' })
      .first()
      .waitFor();
  });

  it('applies and clears kind and lifecycle filters', async () => {
    // 128 demo entities, the valid document of the broken file, the hostile entity and the
    // Location entities generated for the three configured locations
    await page.goto('/catalog');
    await expect.poll(total).toBe('133 entities');
    await expect.poll(rows).toBe(20);
    const sidebar = page.getByRole('navigation', { name: 'Main' });
    await expect(
      sidebar.getByRole('link', { name: 'Catalog', exact: true }).getAttribute('aria-current'),
    ).resolves.toBe('page');
    // exactly one sidebar item is current
    await expect(sidebar.locator('a[aria-current="page"]').allTextContents()).resolves.toEqual([
      'Catalog',
    ]);
    await page.getByLabel('Kind').selectOption({ label: 'Component (46)' });
    await page.waitForURL((url) => url.search === '?kind=Component');
    await expect.poll(total).toBe('46 entities');
    // lifecycle counts are restricted by the kind filter
    await page.getByLabel('Lifecycle').selectOption({ label: 'deprecated (3)' });
    await page.waitForURL((url) => url.search === '?kind=Component&lifecycle=deprecated');
    await expect.poll(total).toBe('3 entities');
    await expect.poll(rows).toBe(3);
    await page.screenshot({ path: join(SHOTS, 'catalog-light.png'), fullPage: true });
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((url) => url.pathname === '/catalog' && url.search === '');
    await expect.poll(total).toBe('133 entities');
  });

  it('pages forward and back', async () => {
    await page.goto('/catalog?kind=Component');
    await expect.poll(total).toBe('46 entities');
    const firstName = await page.locator('table tbody tr td a').first().textContent();
    await page.getByText('Page 1 of 3').waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2 of 3').waitFor();
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    expect(new URL(page.url()).searchParams.get('cursor')).toBeTruthy();
    await expect
      .poll(() => page.locator('table tbody tr td a').first().textContent())
      .not.toBe(firstName);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 3 of 3').waitFor();
    await expect.poll(rows).toBe(6);
    await expect(page.getByRole('button', { name: 'Next →' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 2 of 3').waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 1 of 3').waitFor();
    await expect
      .poll(() => page.locator('table tbody tr td a').first().textContent())
      .toBe(firstName);
    expect(new URL(page.url()).search).toBe('?kind=Component');
  });

  it('opens an entity from the table and switches tabs', async () => {
    await page.goto('/catalog?text=booking-service');
    await page.getByRole('link', { name: 'Booking Service' }).click();
    await page.waitForURL('**/catalog/default/component/booking-service');
    await page.getByRole('heading', { level: 1, name: 'Booking Service' }).waitFor();
    await expect.poll(() => page.title()).toBe('Booking Service | Atrium');
    await page.screenshot({ path: join(SHOTS, 'entity-light.png'), fullPage: true });

    await page.getByRole('link', { name: 'Relations', exact: true }).click();
    await page.waitForURL('**/catalog/default/component/booking-service/relations');
    await page.getByRole('heading', { name: /^ownedBy \(1\)$/ }).waitFor();
    // Relations name their targets by title; the full ref is the link's tooltip.
    const relations = page.getByRole('region', { name: 'Relations' });
    const owner = relations.getByRole('link', { name: 'Booking', exact: true });
    await expect(owner.getAttribute('title')).resolves.toBe('group:default/team-booking');
    const api = relations.getByRole('link', { name: 'Booking API', exact: true }).first();
    await expect(api.getAttribute('title')).resolves.toBe('api:default/booking-api');
    await expect(page.getByText('group:default/team-booking').count()).resolves.toBe(0);
    await expect(page.getByText('api:default/booking-api').count()).resolves.toBe(0);
    await api.hover();
    await page.screenshot({ path: join(SHOTS, 'entity-relations-light.png'), fullPage: true });

    await page.getByRole('link', { name: 'Raw', exact: true }).click();
    await page.waitForURL('**/booking-service/raw');
    await expect
      .poll(() => page.getByTestId('raw').textContent())
      .toContain('name: booking-service');
    await page.getByRole('button', { name: 'JSON' }).click();
    await expect
      .poll(() => page.getByTestId('raw').textContent())
      .toContain('"name": "booking-service"');

    await page.getByRole('link', { name: 'Ingestion status', exact: true }).click();
    await page.waitForURL('**/booking-service/status');
    await page.getByText('No errors or warnings.').waitFor();
    await expect.poll(() => page.title()).toBe('Booking Service · Ingestion status | Atrium');
  });

  it('shows an owner in one form on the explorer, the entity page and the APIs page', async () => {
    const ownerOf = async (row: ReturnType<Page['locator']>) => {
      const ref = row.locator('.entity-ref');
      await ref.waitFor();
      await expect.poll(() => ref.textContent()).toBe('Booking');
      return ref.evaluate((el) => el.outerHTML);
    };
    await page.goto('/catalog?text=booking-service');
    // The Owner column is the fourth on both tables.
    const explorer = await ownerOf(
      page
        .locator('tbody tr', { has: page.getByRole('link', { name: 'Booking Service' }) })
        .locator('td')
        .nth(3),
    );
    expect(explorer).toContain('title="group:default/team-booking"');
    expect(explorer).toContain('data-kind="group"');
    await page.goto('/catalog/default/component/booking-service');
    expect(await ownerOf(page.locator('.entity-header dd').first())).toBe(explorer);
    await page.goto('/apis');
    expect(
      await ownerOf(
        page
          .locator('tbody tr', { has: page.getByRole('link', { name: 'Booking API' }) })
          .locator('td')
          .nth(3),
      ),
    ).toBe(explorer);
    // The owner filter offers owners by title too; its values stay the refs.
    await page.goto('/catalog');
    await expect
      .poll(() => page.getByLabel('Owner').locator('option[value="team-booking"]').textContent())
      .toMatch(/^Booking \(\d+\)$/);
  });

  it('orders the explorer by the name it shows: the title, else the name', async () => {
    const shown = () => page.locator('tbody tr td:first-child a').allTextContents();
    const byText = (names: string[]) =>
      [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    await page.goto('/catalog?kind=System');
    await expect.poll(total).toMatch(/^\d+ entities$/);
    const asc = await shown();
    // The system named `booking` is titled "Shipment Booking": it sorts among the S's.
    expect(asc).toContain('Shipment Booking');
    expect(asc.length).toBe(Number.parseInt(await total(), 10));
    expect(asc).toEqual(byText(asc));
    expect(asc.indexOf('Shipment Booking')).toBeGreaterThan(asc.indexOf('Parcel Tracking'));
    await page.getByRole('button', { name: /^Name/ }).click();
    await page.waitForURL((url) => url.searchParams.get('dir') === 'desc');
    await expect.poll(shown).toEqual([...asc].reverse());
  });

  it('shows the errors of the broken file on the health page', async () => {
    await page.goto('/catalog-health');
    // A file location is named from the folder that holds it, never by its server path.
    const card = page.getByRole('region', {
      name: `Location file:./${basename(dir)}/invalid-fields.yaml`,
    });
    await card.waitFor();
    await card.getByText('3 problems', { exact: true }).waitFor();
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('invalid-fields.yaml:7');
    expect(text).toContain('metadata.name');
    expect(text).toContain('spec.owner');
    expect(text).toContain('metadata.tags[1]');
    await page.screenshot({ path: join(SHOTS, 'health-light.png'), fullPage: true });
  });

  it('spaces the health page cards at 1280 and at 800 pixels wide', async () => {
    const box = async (selector: string) => {
      const found = await page.locator(selector).boundingBox();
      if (!found) throw new Error(`${selector} is not on the page`);
      return found;
    };
    try {
      for (const width of [1280, 800]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto('/catalog-health');
        const locations = page.getByTestId('location-list').locator(':scope > section');
        await expect.poll(() => locations.count()).toBe(3);
        // Location cards do not touch.
        const first = await locations.nth(0).boundingBox();
        const second = await locations.nth(1).boundingBox();
        expect(second!.y - (first!.y + first!.height)).toBeGreaterThanOrEqual(12);
        // The two tool cards share the row at 1280 px and stack at 800 px, always as wide as
        // the location list below them (no empty third column).
        const validate = await box('section[aria-labelledby="validate-title"]');
        const register = await box('section[aria-labelledby="register-title"]');
        const list = await box('[data-testid="location-list"]');
        if (width === 1280) expect(register.y).toBe(validate.y);
        else expect(register.y).toBeGreaterThan(validate.y + validate.height);
        expect(Math.abs(register.x + register.width - (list.x + list.width))).toBeLessThan(2);
        // Within a card the button of one form stands apart from the next form's label.
        const button = await box('section[aria-labelledby="validate-title"] button.primary');
        const nextLabel = await box('label[for="validate-url"]');
        expect(nextLabel.y - (button.y + button.height)).toBeGreaterThanOrEqual(12);
        // The top bar's theme button keeps its words on one line.
        const toggle = await page.locator('header button.theme-toggle').boundingBox();
        const search = await page
          .locator('header')
          .getByRole('button', { name: 'Search', exact: true })
          .boundingBox();
        expect(toggle!.height).toBeLessThanOrEqual(search!.height + 1);
        // Nothing runs off the side, nor needs scrolling within a card.
        await expect(
          page
            .getByTestId('location-list')
            .locator('.table-wrap')
            .evaluate((el) => el.scrollWidth <= el.clientWidth),
        ).resolves.toBe(true);
        await expect(
          page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
        ).resolves.toBe(true);
        await page.screenshot({ path: join(SHOTS, `health-${width}.png`), fullPage: true });
      }
    } finally {
      await page.setViewportSize({ width: 1366, height: 860 });
    }
  });

  it('validates pasted YAML on the server with exact lines and fields', async () => {
    await page.goto('/catalog-health');
    await page.getByLabel('Paste catalog-info.yaml (nothing is registered)').fill(PASTED_YAML);
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    const results = page.getByTestId('validate-results');
    await results.waitFor();
    await results.getByText('Not valid: 1 entity would be ingested, 2 errors.').waitFor();
    const problems = await results
      .getByTestId('validate-problems')
      .locator('code')
      .allTextContents();
    expect(problems).toHaveLength(2);
    // (b) the invalid metadata.name on line 13, (a) the syntax error on line 23
    expect(problems[0]).toMatch(/^pasted\.yaml:13: metadata\.name: "metadata\.name" is not valid/);
    expect(problems[1]).toMatch(
      /^pasted\.yaml:23: YAML syntax error: Nested mappings are not allowed in compact mappings/,
    );
    await expect(
      results.getByTestId('validate-entities').locator('li').allTextContents(),
    ).resolves.toEqual(['component:default/valid-one']);
  });

  it('validates a catalog file by URL without registering it', async () => {
    await page.goto('/catalog-health');
    const input = page.getByLabel('…or the URL of a catalog file');
    await input.fill(`${yamlServer}/catalog-info.yaml`);
    await page.getByRole('button', { name: 'Validate URL' }).click();
    const results = page.getByTestId('validate-url-results');
    await results.getByText('Component served-over-http').waitFor();
    await input.fill('http://not-allowed.invalid/catalog-info.yaml');
    await page.getByRole('button', { name: 'Validate URL' }).click();
    await expect
      .poll(() => page.getByTestId('validate-url-error').textContent())
      .toContain('is not allowed');
    // nothing was registered
    await page.goto('/catalog?text=served-over-http');
    await page.getByRole('heading', { name: 'No entities match' }).waitFor();
  });

  it('registers a new location by path and lands on its entity', async () => {
    await page.goto('/catalog-health');
    await page
      .getByLabel('URL or path of a catalog-info.yaml')
      .fill(join(dir, 'new/catalog-info.yaml'));
    await page.getByRole('button', { name: 'Analyze' }).click();
    await page.getByTestId('analyze-result').getByText('freshly-registered').waitFor();
    await page.getByRole('button', { name: 'Confirm and register' }).click();
    await page.waitForURL('**/catalog/default/component/freshly-registered');
    await page.getByRole('heading', { level: 1, name: 'freshly-registered' }).waitFor();
    await page.getByText('Registered by the end-to-end test').waitFor();
  });

  it('keeps generated Location entities out of "Recently changed" on the home page', async () => {
    // The registration above made a generated Location as new as freshly-registered.
    const locations = await (
      await fetch(`${server.url}/api/catalog/entities/by-query?filter=kind=location&limit=100`)
    ).json();
    expect(
      locations.items.filter((e: { metadata: { name: string } }) =>
        e.metadata.name.startsWith('generated-'),
      ),
    ).toHaveLength(4);
    await page.goto('/');
    const recent = page.getByTestId('recent-entities');
    await recent.waitFor();
    await expect(recent.locator('li').count()).resolves.toBe(10);
    await expect(recent.locator('li a').first().textContent()).resolves.toBe('freshly-registered');
    const names = await recent.locator('li a').allTextContents();
    expect(names.filter((name) => name.startsWith('generated-'))).toEqual([]);
  });

  it('renders a hostile entity as text', async () => {
    await page.goto('/catalog/default/component/hostile-widget');
    await page.getByRole('heading', { level: 1, name: 'hostile-widget' }).waitFor();
    await expect(page.getByTestId('description').textContent()).resolves.toBe(
      '<img src=x onerror=alert(1)>',
    );
    // Annotations are behind the About card's Technical details.
    await page.getByRole('button', { name: 'Technical details' }).click();
    await page.getByText('<script>alert(2)</script>').waitFor();
    // the javascript: link is text, the https one a link
    await expect(page.getByRole('link', { name: 'click me' }).count()).resolves.toBe(0);
    await page.getByText('click me').waitFor();
    await expect(page.getByRole('link', { name: 'real docs' }).getAttribute('href')).resolves.toBe(
      'https://example.com/docs',
    );
    await page.getByRole('link', { name: 'Raw', exact: true }).click();
    await expect.poll(() => page.getByTestId('raw').textContent()).toContain('onerror');
    await expect(page.locator('img').count()).resolves.toBe(0);
    const scripts = await page
      .locator('script')
      .evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).src));
    expect(scripts.every((src) => /\/assets\/index-[\w-]+\.js$/.test(src))).toBe(true);
    expect(dialogs).toEqual([]);
  });

  it('can be used from the keyboard alone', async () => {
    await page.goto('/');
    await page.getByTestId('kind-counts').waitFor();
    // The first Tab reaches the skip link; following it puts focus on the page content.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe(
      'Skip to content',
    );
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    // Tabbing onwards walks real links; Enter on the sidebar's Catalog link navigates.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Catalog', exact: true })
      .focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/catalog$/);
    // The title is set by an effect after the route renders.
    await expect.poll(() => page.title()).toBe('Catalog | Atrium');
    // A filter select changes with the arrow keys and the URL follows.
    await page.getByRole('combobox', { name: /^Kind/ }).focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForURL(/kind=/);
    // The focused element always shows a visible outline.
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).not.toBe('none');
  });

  it('toggles dark mode and keeps it on reload', async () => {
    await page.goto('/');
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    await expect(theme()).resolves.toBe('light');
    // The accessible name is the visible label (WCAG 2.5.3), without the decorative icon.
    const toDark = page.getByRole('button', { name: 'Dark theme', exact: true });
    await expect(toDark.ariaSnapshot()).resolves.toBe('- button "Dark theme"');
    await expect(toDark.textContent()).resolves.toBe('Dark theme');
    await expect(toDark.locator('svg[aria-hidden="true"]').count()).resolves.toBe(1);
    await expect(toDark.getAttribute('title')).resolves.toBe('Switch to the dark theme');
    await toDark.click();
    await expect(theme()).resolves.toBe('dark');
    await page.reload();
    const toLight = page.getByRole('button', { name: 'Light theme', exact: true });
    await expect(toLight.ariaSnapshot()).resolves.toBe('- button "Light theme"');
    await expect(toLight.textContent()).resolves.toBe('Light theme');
    await expect(theme()).resolves.toBe('dark');
    await page.getByTestId('kind-counts').waitFor();
    await page.screenshot({ path: join(SHOTS, 'home-dark.png'), fullPage: true });
    await page.goto('/catalog');
    await expect.poll(total).toBe('135 entities');
    await page.screenshot({ path: join(SHOTS, 'catalog-dark.png'), fullPage: true });
    await page.goto('/catalog/default/component/booking-service');
    await page.getByRole('heading', { level: 1, name: 'Booking Service' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'entity-dark.png'), fullPage: true });
    await page.goto('/catalog-health');
    await page.getByRole('heading', { name: 'Locations' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'health-dark.png'), fullPage: true });
    await page.getByRole('button', { name: 'Light theme', exact: true }).click();
    await expect(theme()).resolves.toBe('light');
  });
});
