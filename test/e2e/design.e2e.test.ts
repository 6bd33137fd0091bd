/**
 * End-to-end: the design system in Debian's Chromium, on the demo catalog plus a small
 * catalog in a temporary folder — the entity header (kind icon, owner and contact, star kept
 * across reloads), the About card's links and its Technical details (no server path in the
 * page), kind badges in the catalog, the dark theme's tokens, no Content-Security-Policy
 * violation, and an axe-core check of the catalog, entity and home pages in both themes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');
const ENTITY = '/catalog/default/component/widget-service';

const LOCATION_YAML = `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: design-fixture
spec:
  targets:
    - ./org.yaml
    - ./services/widget.yaml
`;

const ORG_YAML = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-widgets
  title: Widgets
spec:
  type: team
  profile:
    email: widgets@example.com
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: widget-domain
  title: Widget Domain
spec:
  owner: team-widgets
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: widget-system
  title: Widget System
spec:
  owner: team-widgets
  domain: widget-domain
`;

const WIDGET_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: widget-service
  title: Widget Service
  description: Makes widgets.
  annotations:
    backstage.io/techdocs-ref: dir:.
    backstage.io/source-location: url:https://github.com/acme/widgets/tree/main/
    backstage.io/view-url: https://github.com/acme/widgets/blob/main/services/widget.yaml
    example.com/team-channel: "#widgets"
  tags:
    - go
    - grpc
  links:
    - url: https://grafana.example.com/d/widgets
      title: Dashboard
      icon: dashboard
    - url: https://chat.example.com/widgets
      title: Chat
      icon: chat
    - url: javascript:alert(1)
      title: Not a link
      icon: help
spec:
  type: service
  lifecycle: production
  owner: team-widgets
  system: widget-system
`;

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;

/** Everything the page shows or carries: its text (portals included) and its markup. */
const pageText = (p: Page) =>
  p.evaluate(() => `${document.body.textContent}\n${document.documentElement.outerHTML}`);

describe('design system end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-design-'));
    mkdirSync(join(dir, 'services'));
    writeFileSync(join(dir, 'catalog-info.yaml'), LOCATION_YAML);
    writeFileSync(join(dir, 'org.yaml'), ORG_YAML);
    writeFileSync(join(dir, 'services/widget.yaml'), WIDGET_YAML);
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: {
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'catalog-info.yaml') },
        ],
      },
    });
    browser = await launchChromium();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 860 },
      colorScheme: 'light',
    });
    // Every CSP violation the page reports, kept across navigations in this tab.
    await context.addInitScript(() => {
      const seen: string[] = JSON.parse(sessionStorage.getItem('csp-violations') ?? '[]');
      document.addEventListener('securitypolicyviolation', (e) => {
        seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
        sessionStorage.setItem('csp-violations', JSON.stringify(seen));
      });
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('heads an entity page with its kind icon, owner and contact, lifecycle and tags', async () => {
    await page.goto(ENTITY);
    const header = page.locator('header.entity-header');
    await header.getByRole('heading', { level: 1, name: 'Widget Service' }).waitFor();
    // The kind's icon has the kind as its name; the badge beside it says kind and type.
    const icon = header.getByRole('img', { name: 'Component', exact: true });
    await expect(icon.evaluate((el) => el.tagName.toLowerCase())).resolves.toBe('svg');
    await expect(header.locator('.kind-badge').textContent()).resolves.toBe('Component · service');
    const owner = page.getByTestId('entity-owner');
    const ownerLink = owner.getByRole('link', { name: 'Widgets', exact: true });
    await expect(ownerLink.getAttribute('href')).resolves.toBe(
      '/catalog/default/group/team-widgets',
    );
    // The owning group's contact from its profile.
    await expect
      .poll(() => owner.getByRole('link', { name: 'widgets@example.com' }).getAttribute('href'))
      .toBe('mailto:widgets@example.com');
    await expect(header.locator('.lifecycle').textContent()).resolves.toBe('production');
    await expect(header.locator('a.badge').allTextContents()).resolves.toEqual(['go', 'grpc']);
  });

  it('stars an entity from the header and keeps the star across reloads', async () => {
    await page.goto(ENTITY);
    const star = page.getByRole('button', { name: 'Star', exact: true });
    await expect(star.getAttribute('aria-pressed')).resolves.toBe('false');
    await star.click();
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true');
    // Kept per user: the guest's list holds the entity's ref.
    await expect(
      page.evaluate(() => localStorage.getItem('atrium.starred.user:default/guest')),
    ).resolves.toBe('["component:default/widget-service"]');
    await page.reload();
    const again = page.getByRole('button', { name: 'Star', exact: true });
    await expect.poll(() => again.getAttribute('aria-pressed')).toBe('true');
    await again.click();
    await expect.poll(() => again.getAttribute('aria-pressed')).toBe('false');
    await page.reload();
    await expect
      .poll(() =>
        page.getByRole('button', { name: 'Star', exact: true }).getAttribute('aria-pressed'),
      )
      .toBe('false');
  });

  it('links the About card to source, docs, system and domain, and shows links as buttons', async () => {
    await page.goto(ENTITY);
    const about = page.getByRole('region', { name: 'About' });
    await about.getByTestId('description').getByText('Makes widgets.').waitFor();
    await expect(
      about.getByRole('link', { name: 'github.com/acme/widgets' }).getAttribute('href'),
    ).resolves.toBe('https://github.com/acme/widgets/tree/main/');
    await expect(about.getByTestId('docs-link').getAttribute('href')).resolves.toBe(
      '/docs/default/component/widget-service',
    );
    await expect
      .poll(() => about.getByRole('link', { name: 'Widget System' }).getAttribute('href'))
      .toBe('/catalog/default/system/widget-system');
    // A component names only its system; the domain is its system's.
    await expect
      .poll(() => about.getByRole('link', { name: 'Widget Domain' }).getAttribute('href'))
      .toBe('/catalog/default/domain/widget-domain');
    const view = about.getByRole('link', { name: 'View source' });
    await expect(view.getAttribute('href')).resolves.toBe(
      'https://github.com/acme/widgets/blob/main/services/widget.yaml',
    );
    // No edit-url annotation: derived from the GitHub view URL.
    await expect(
      about.getByRole('link', { name: 'Edit this file' }).getAttribute('href'),
    ).resolves.toBe('https://github.com/acme/widgets/edit/main/services/widget.yaml');
    const links = about.getByTestId('entity-links');
    const dashboard = links.getByRole('link', { name: 'Dashboard', exact: true });
    await expect(dashboard.getAttribute('href')).resolves.toBe(
      'https://grafana.example.com/d/widgets',
    );
    await expect(dashboard.getAttribute('class')).resolves.toBe('button');
    // Each button has its icon: Backstage's icon names map to different icons.
    const dashboardIcon = await dashboard.locator('svg').getAttribute('class');
    const chatIcon = await links
      .getByRole('link', { name: 'Chat' })
      .locator('svg')
      .getAttribute('class');
    expect(dashboardIcon).toContain('lucide-layout-dashboard');
    expect(chatIcon).toContain('lucide-message-square');
    // A javascript: link is shown, never linked.
    await links.getByText('Not a link').waitFor();
    await expect(links.getByRole('link', { name: 'Not a link' }).count()).resolves.toBe(0);
  });

  it('keeps annotations behind Technical details, with locations relative, never absolute', async () => {
    await page.goto(ENTITY);
    const about = page.getByRole('region', { name: 'About' });
    const toggle = about.getByRole('button', { name: 'Technical details' });
    await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(page.getByText('backstage.io/managed-by-location').count()).resolves.toBe(0);
    await toggle.click();
    await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
    const details = about.getByTestId('technical-details');
    const shown = (key: string) =>
      details
        .locator('dt', { hasText: key })
        .locator('xpath=following-sibling::dd[1]')
        .textContent();
    await expect(shown('backstage.io/managed-by-location')).resolves.toBe(
      'file:./services/widget.yaml',
    );
    await expect(shown('backstage.io/managed-by-origin-location')).resolves.toBe(
      'file:./catalog-info.yaml',
    );
    await expect(shown('example.com/team-channel')).resolves.toBe('#widgets');
    await expect(shown('Entity ref')).resolves.toBe('component:default/widget-service');
    const everything = await pageText(page);
    expect(everything).not.toContain(dir);
    expect(everything).not.toContain(ROOT);
    // The demo's nested files read relative to the root location's folder.
    await page.goto('/catalog/default/component/booking-service');
    await page.getByRole('button', { name: 'Technical details' }).click();
    await expect(
      page
        .getByTestId('technical-details')
        .locator('dt', { hasText: 'backstage.io/managed-by-location' })
        .locator('xpath=following-sibling::dd[1]')
        .textContent(),
    ).resolves.toBe('file:./components/booking-service/catalog-info.yaml');
    expect(await pageText(page)).not.toContain(ROOT);
  });

  it('marks every catalog row with its kind badge, coloured per kind', async () => {
    await page.goto('/catalog?text=widget');
    const row = (name: string) =>
      page.locator('tbody tr', {
        has: page.locator('td:first-child').getByRole('link', { name, exact: true }),
      });
    await row('Widget Service').waitFor();
    const badge = row('Widget Service').locator('td').nth(1).locator('.kind-badge');
    await expect(badge.textContent()).resolves.toBe('Component');
    await expect(badge.getAttribute('data-kind')).resolves.toBe('component');
    await expect(badge.locator('svg').count()).resolves.toBe(1);
    const groupBadge = row('Widgets').locator('td').nth(1).locator('.kind-badge');
    await expect(groupBadge.textContent()).resolves.toBe('Group');
    const colour = (l: typeof badge) => l.evaluate((el) => getComputedStyle(el).color);
    // The badge draws with its kind's token, and kinds differ.
    const tokens = await page.evaluate(() => {
      const style = getComputedStyle(document.documentElement);
      return [style.getPropertyValue('--kind-component'), style.getPropertyValue('--kind-group')];
    });
    expect(tokens).toEqual(['#1d4ed8', '#be123c']);
    await expect(colour(badge)).resolves.toBe('rgb(29, 78, 216)');
    await expect(colour(groupBadge)).resolves.toBe('rgb(190, 18, 60)');
  });

  it('applies the dark theme’s tokens', async () => {
    const dark = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 860 },
      colorScheme: 'dark',
    });
    const p = await dark.newPage();
    await p.goto('/catalog?text=widget');
    await p.getByRole('link', { name: 'Widget Service', exact: true }).waitFor();
    await expect(p.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    const seen = await p.evaluate(() => {
      const root = getComputedStyle(document.documentElement);
      const badge = document.querySelector('.kind-badge[data-kind="component"]')!;
      const card = document.querySelector('.table-wrap table')!;
      return {
        surface: root.getPropertyValue('--surface'),
        kind: root.getPropertyValue('--kind-component'),
        body: getComputedStyle(document.body).backgroundColor,
        table: getComputedStyle(card).backgroundColor,
        text: getComputedStyle(document.body).color,
        badge: getComputedStyle(badge).color,
      };
    });
    expect(seen).toEqual({
      surface: '#171b21',
      kind: '#93b4ff',
      body: 'rgb(15, 18, 22)',
      table: 'rgb(23, 27, 33)',
      text: 'rgb(230, 233, 238)',
      badge: 'rgb(147, 180, 255)',
    });
    await dark.close();
  });

  it('opens the entity’s menu and tooltips without breaking the Content-Security-Policy', async () => {
    const response = await page.goto(ENTITY);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { level: 1, name: 'Widget Service' }).waitFor();
    await page.getByRole('button', { name: 'Star', exact: true }).hover();
    await page.getByRole('tooltip').first().waitFor();
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'View YAML' }).click();
    await page.waitForURL(`**${ENTITY}/raw`);
    await page.goto('/catalog');
    await page.getByTestId('total').waitFor();
    await page.goto('/');
    await page.getByRole('heading', { level: 1 }).waitFor();
    await expect(
      page.evaluate(() => JSON.parse(sessionStorage.getItem('csp-violations') ?? '[]')),
    ).resolves.toEqual([]);
  });

  it('has no serious or critical axe-core violations on the catalog, entity and home pages, and writes screenshots', async () => {
    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      // axe-core is injected as an inline script, which the page's CSP rightly refuses.
      const ctx = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 1366, height: 860 },
        colorScheme: scheme,
        bypassCSP: true,
      });
      const p = await ctx.newPage();
      const visits: Array<[string, string, () => Promise<void>]> = [
        ['catalog-kinds', '/catalog', () => p.getByTestId('total').waitFor()],
        [
          'entity-about',
          ENTITY,
          async () => {
            await p.getByTestId('owner-contact').waitFor();
            await p.getByRole('button', { name: 'Technical details' }).click();
            await p.getByTestId('technical-details').waitFor();
          },
        ],
        ['home-shell', '/', () => p.getByTestId('kind-counts').waitFor()],
      ];
      for (const [name, path, ready] of visits) {
        await p.goto(path);
        await ready();
        for (const v of await axeViolations(p)) problems.push(`${scheme} ${path}: ${v}`);
        await p.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
      }
      await ctx.close();
    }
    expect(problems).toEqual([]);
  });
});
