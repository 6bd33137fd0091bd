/**
 * End-to-end: accessibility and responsiveness of every main page in Debian's Chromium, on the
 * demo organisation (its catalog, policy, scorecard history and template) plus a small catalog
 * in a temporary folder. An axe-core check with no serious or critical violation on each page
 * in the light and dark themes and at tablet width; no sideways page scroll at 1280×800 nor at
 * 820×1180 (the sidebar shrinks to its icons); the keyboard: skip link, visible focus, the
 * shell's tab order, the `/` shortcut, menus and disclosures and Escape; the notifications
 * bell; no server path on the health page, the Ingestion status and History tabs. Writes the
 * screenshot set `test/screenshots/<page>-<theme>.png`.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { auditServiceRef } from '../../src/plugins/audit/server/plugin.ts';
import { notificationsServiceRef } from '../../src/plugins/notifications/server/plugin.ts';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');
/** The demo's guest is in team-booking; a member of team-platform sees the admin pages too. */
const ADMIN = 'user:default/aisha.bello';
const DESKTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };
const SERVICE = '/catalog/default/component/booking-service';
const WIDGET = '/catalog/default/component/a11y-widget';

const LOCATION_YAML = (widgetFile: string) => `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: a11y-fixture
spec:
  targets:
    - ./services/${widgetFile}
    - ./services/broken.yaml
    - ./services/missing.yaml
`;

const WIDGET_YAML = (description: string) => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: a11y-widget
  description: ${description}
spec:
  type: service
  lifecycle: production
  owner: team-platform
`;

const BROKEN_YAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Not Valid!
spec:
  type: service
  lifecycle: production
  owner: team-platform
`;

let server: TestServer;
let browser: Browser;
/** The temporary catalog's folder, and the task the template run made. */
let dir: string;
let taskId: string;

/**
 * A main page: its screenshot name, its path, what shows once it has loaded, and the least
 * axe-core impact that fails it (every finding, unless the page shows content the portal does
 * not write).
 */
interface Visit {
  name: string;
  path: string;
  ready(p: Page): Promise<unknown>;
  least?: 'serious';
}

/**
 * The demo's docs open with a key–value table whose header row is empty (`| | |`), which axe
 * rates a minor finding (empty-table-header): the author's Markdown, shown as written.
 */
const AUTHORED = 'serious';

const testId = (p: Page, id: string) => p.getByTestId(id).first().waitFor();
const tab = (p: Page, title: string) => p.getByRole('heading', { level: 2, name: title }).waitFor();

function visits(): Visit[] {
  return [
    { name: 'home', path: '/', ready: (p) => testId(p, 'kind-counts') },
    { name: 'catalog', path: '/catalog', ready: (p) => testId(p, 'total') },
    { name: 'search', path: '/search?term=booking', ready: (p) => testId(p, 'search-result') },
    { name: 'docs-index', path: '/docs', ready: (p) => testId(p, 'docs-sites') },
    {
      name: 'docs-page',
      path: '/docs/default/component/booking-service',
      // Built on first open.
      ready: (p) => p.getByTestId('docs-content').locator('h1').waitFor({ timeout: 60_000 }),
      least: AUTHORED,
    },
    { name: 'create', path: '/create', ready: (p) => testId(p, 'template-count') },
    {
      name: 'template-form',
      path: '/create/templates/default/node-service',
      ready: (p) => p.getByRole('textbox', { name: /^Name/ }).waitFor(),
    },
    { name: 'tasks', path: '/create/tasks', ready: (p) => testId(p, 'tasks-table') },
    {
      name: 'task',
      path: `/create/tasks/${taskId}`,
      ready: (p) => p.getByTestId('task-status').filter({ hasText: 'completed' }).waitFor(),
    },
    { name: 'apis', path: '/apis', ready: (p) => p.locator('table tbody tr').first().waitFor() },
    {
      name: 'api-definition',
      path: '/catalog/default/api/booking-api/definition',
      ready: (p) => p.locator('.operation').first().waitFor(),
    },
    {
      name: 'scorecards',
      path: '/scorecards',
      ready: (p) => p.getByRole('link', { name: 'Documentation' }).first().waitFor(),
    },
    {
      name: 'scorecard',
      path: '/scorecards/default/documentation',
      ready: (p) => testId(p, 'results-total'),
    },
    {
      name: 'health',
      path: '/catalog-health',
      ready: async (p) => {
        await testId(p, 'location-list');
        await p.getByTestId('providers-section').getByRole('table').waitFor();
      },
    },
    { name: 'audit', path: '/audit', ready: (p) => testId(p, 'audit-table') },
    { name: 'access', path: '/admin/access', ready: (p) => testId(p, 'access-matrix') },
    {
      name: 'settings-tokens',
      path: '/settings/tokens',
      ready: (p) => p.getByRole('button', { name: 'Create token' }).waitFor(),
    },
    { name: 'notifications', path: '/notifications', ready: (p) => testId(p, 'notification') },
    { name: 'plugins', path: '/admin/plugins', ready: (p) => testId(p, 'plugins-table') },
    { name: 'entity-overview', path: SERVICE, ready: (p) => testId(p, 'owner-contact') },
    { name: 'entity-relations', path: `${SERVICE}/relations`, ready: (p) => tab(p, 'Relations') },
    {
      name: 'entity-graph',
      path: `${SERVICE}/graph`,
      ready: (p) => p.locator('.react-flow__node').first().waitFor(),
    },
    { name: 'entity-status', path: `${WIDGET}/status`, ready: (p) => tab(p, 'Ingestion status') },
    { name: 'entity-raw', path: `${SERVICE}/raw`, ready: (p) => testId(p, 'raw') },
    { name: 'entity-history', path: `${WIDGET}/history`, ready: (p) => testId(p, 'history-list') },
    {
      name: 'entity-scorecards',
      path: `${SERVICE}/scorecards`,
      ready: (p) => testId(p, 'entity-scorecards'),
    },
    {
      name: 'entity-docs',
      path: `${SERVICE}/docs`,
      ready: (p) => testId(p, 'docs-content'),
      least: AUTHORED,
    },
  ];
}

/** Everything a page shows or carries: its text (portals included) and its markup. */
const everything = (p: Page) =>
  p.evaluate(() => `${document.body.textContent}\n${document.documentElement.outerHTML}`);

/** How far the page itself scrolls sideways (0 when it fits the window). */
const sidewaysScroll = (p: Page) =>
  p.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);

/** A browser tab with axe-core allowed in (the page's CSP rightly refuses inline scripts). */
async function tabIn(
  scheme: 'light' | 'dark',
  viewport: { width: number; height: number },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport,
    colorScheme: scheme,
    bypassCSP: true,
  });
  return { context, page: await context.newPage() };
}

/** What has focus: its tag, accessible-ish name, where it sits and whether its ring shows. */
interface Focused {
  tag: string;
  name: string;
  area: 'skip' | 'topbar' | 'sidebar' | 'main' | 'body' | 'other';
  ring: boolean;
}

const focused = (p: Page): Promise<Focused> =>
  p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'body', name: '', area: 'body', ring: false };
    const labelled = el.getAttribute('aria-labelledby');
    const name = (
      el.getAttribute('aria-label') ??
      (labelled ? document.getElementById(labelled)?.textContent : undefined) ??
      (el as HTMLInputElement).labels?.[0]?.textContent ??
      el.textContent ??
      ''
    )
      .replace(/\s+/g, ' ')
      .trim();
    const area = el.classList.contains('skip-link')
      ? 'skip'
      : el.closest('.topbar')
        ? 'topbar'
        : el.closest('.sidebar')
          ? 'sidebar'
          : el.closest('main')
            ? 'main'
            : 'other';
    const style = getComputedStyle(el);
    const ring = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2;
    return { tag: el.tagName.toLowerCase(), name, area, ring };
  }) as Promise<Focused>;

/**
 * Presses Tab until `target` has focus; fails after `max` presses. Every element passed on
 * the way must show its focus ring, and focus must never fall back to the page body.
 */
async function tabTo(p: Page, target: Locator, max = 60): Promise<Focused[]> {
  const seen: Focused[] = [];
  for (let n = 0; n < max; n++) {
    await p.keyboard.press('Tab');
    const now = await focused(p);
    seen.push(now);
    expect(now.area, `focus lost after ${JSON.stringify(seen)}`).not.toBe('body');
    expect(now.ring, `no focus ring on ${now.tag} "${now.name}"`).toBe(true);
    if (await target.evaluate((el) => el === document.activeElement)) return seen;
  }
  throw new Error(
    `Tab never reached the target; passed ${JSON.stringify(seen.map((f) => f.name))}`,
  );
}

/**
 * Activates the skip link (the shell test checks that it is the first Tab stop; a page may
 * have autofocused a field): focus lands on the main content.
 */
async function skipToMain(p: Page) {
  await p.locator('.skip-link').focus();
  await expect(focused(p)).resolves.toMatchObject({ area: 'skip', name: 'Skip to content' });
  await p.keyboard.press('Enter');
  await expect.poll(() => p.evaluate(() => document.activeElement?.id)).toBe('main');
}

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
};

describe('accessibility and responsiveness of every main page', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-a11y-'));
    mkdirSync(join(dir, 'services'));
    writeFileSync(join(dir, 'catalog-info.yaml'), LOCATION_YAML('widget.yaml'));
    writeFileSync(join(dir, 'services/widget.yaml'), WIDGET_YAML('First version'));
    writeFileSync(join(dir, 'services/broken.yaml'), BROKEN_YAML);
    // As `npm start` serves the demo: its catalog, policy and scorecard history.
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: {
        locations: [{ type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') }],
      },
      extraConfig: {
        auth: { providers: { guest: { userEntityRef: ADMIN } } },
        permission: { enabled: true, policyFile: join(ROOT, 'examples/policy.yaml') },
        scorecards: { demoSeed: join(ROOT, 'examples/demo-seed/scorecards.yaml') },
      },
    });
    // Registered through the API, as "Register existing component" does; then the widget moves
    // to another file, so that its history holds a change of its location annotation.
    await post('/api/catalog/locations', {
      type: 'file',
      target: join(dir, 'catalog-info.yaml'),
    });
    writeFileSync(join(dir, 'services/widget-v2.yaml'), WIDGET_YAML('Second version'));
    writeFileSync(join(dir, 'catalog-info.yaml'), LOCATION_YAML('widget-v2.yaml'));
    unlinkSync(join(dir, 'services/widget.yaml'));
    await post('/api/catalog/refresh', { entityRef: 'component:default/a11y-widget' });
    // A finished run of the demo template for the task page.
    ({ id: taskId } = (await post('/api/scaffolder/v2/tasks', {
      templateRef: 'template:default/node-service',
      values: { name: 'a11y-service', owner: 'group:default/team-platform' },
    })) as { id: string });
    for (let status = ''; status !== 'completed'; ) {
      const res = await fetch(`${server.url}/api/scaffolder/v2/tasks/${taskId}`);
      status = ((await res.json()) as { status: string }).status;
      if (status === 'failed') throw new Error(`the demo template's run failed (${taskId})`);
      await new Promise((done) => setTimeout(done, 200));
    }
    const { store } = server.app.use(notificationsServiceRef);
    await store.send([ADMIN], 'plugin:scaffolder', {
      title: 'Node.js service created',
      description: 'Your template run finished',
      link: SERVICE,
    });
    await store.send([ADMIN], 'plugin:scaffolder', { title: 'Docs rebuilt', severity: 'low' });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`has no axe-core violation of any impact on any main page in the ${scheme} theme (the docs' authored tables: none serious), no server path on any, and writes its screenshots`, async () => {
      const { context, page } = await tabIn(scheme, DESKTOP);
      const problems: string[] = [];
      for (const visit of visits()) {
        await page.goto(visit.path);
        await visit.ready(page);
        // No page shows where the server keeps its files (the audit log's locations, the
        // policy file on the access page, the Raw tab's annotations included). Before axe is
        // injected: its script tag names the file it came from.
        const text = await everything(page);
        for (const path of [ROOT, dir, server.dir])
          if (text.includes(path)) problems.push(`${visit.path}: shows the server path ${path}`);
        for (const v of await axeViolations(page, visit.least ?? 'minor'))
          problems.push(`${visit.path}: ${v}`);
        await page.screenshot({
          path: join(SHOTS, `${visit.name}-${scheme}.png`),
          fullPage: true,
        });
      }
      // The open states too: the entity's menu, its Technical details, search suggestions.
      await page.goto(SERVICE);
      await visits()
        .find((v) => v.path === SERVICE)!
        .ready(page);
      await page.getByRole('button', { name: 'Technical details' }).click();
      await page.getByRole('button', { name: 'More actions' }).click();
      await page.getByRole('menu').waitFor();
      for (const v of await axeViolations(page, 'minor'))
        problems.push(`${SERVICE} (menu open): ${v}`);
      await page.keyboard.press('Escape');
      // The closed menu gives focus back to its button; only then go to the search box.
      await expect.poll(() => page.getByRole('menu').count()).toBe(0);
      const more = page.getByRole('button', { name: 'More actions' });
      await expect.poll(() => more.evaluate((el) => el === document.activeElement)).toBe(true);
      await page.locator('#global-search').click();
      await page.keyboard.type('booking');
      await page.getByRole('listbox', { name: 'Suggestions' }).waitFor();
      for (const v of await axeViolations(page, 'minor')) problems.push(`suggestions: ${v}`);
      await context.close();
      expect(problems).toEqual([]);
    }, 300_000);
  }

  it('fits every main page in 1280×800 and in a tablet’s 820×1180 without sideways scrolling, with no axe-core violation of any impact at tablet width (screenshots `<page>-tablet-light.png`)', async () => {
    const problems: string[] = [];
    for (const viewport of [DESKTOP, TABLET]) {
      const { context, page } = await tabIn('light', viewport);
      for (const visit of visits()) {
        await page.goto(visit.path);
        await visit.ready(page);
        const overflow = await sidewaysScroll(page);
        if (overflow > 0)
          problems.push(`${viewport.width}px ${visit.path}: ${overflow}px too wide`);
        if (viewport === TABLET) {
          for (const v of await axeViolations(page, visit.least ?? 'minor'))
            problems.push(`${viewport.width}px ${visit.path}: ${v}`);
          await page.screenshot({
            path: join(SHOTS, `${visit.name}-tablet-light.png`),
            fullPage: true,
          });
        }
      }
      // On a tablet the sidebar keeps only its icons; each link keeps its name.
      const sidebar = page.getByRole('navigation', { name: 'Main' });
      const width = (await sidebar.boundingBox())!.width;
      const catalog = sidebar.getByRole('link', { name: 'Catalog', exact: true });
      const labelWidth = (await catalog.locator('.nav-label').boundingBox())!.width;
      if (viewport === TABLET) {
        expect(width).toBeLessThan(80);
        expect(labelWidth).toBeLessThanOrEqual(1);
      } else {
        expect(width).toBeGreaterThan(150);
        expect(labelWidth).toBeGreaterThan(20);
      }
      await expect(catalog.getAttribute('href')).resolves.toBe('/catalog');
      await context.close();
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('takes the keyboard through the shell: skip link, top bar, sidebar, then the page, with a visible focus ring', async () => {
    for (const viewport of [DESKTOP, TABLET]) {
      const { context, page } = await tabIn('light', viewport);
      await page.goto('/catalog-health');
      await visits()
        .find((v) => v.name === 'health')!
        .ready(page);
      await page.locator('body').focus();
      // The first stop is the skip link, shown on screen while it has focus.
      await page.keyboard.press('Tab');
      await expect(focused(page)).resolves.toMatchObject({ area: 'skip', ring: true });
      const skip = (await page.locator('.skip-link').boundingBox())!;
      expect(skip.x).toBeGreaterThanOrEqual(0);
      expect(skip.y).toBeGreaterThanOrEqual(0);
      // Without it, Tab walks the top bar, then the sidebar, then the page, in that order.
      const walk = await tabTo(page, page.getByLabel('Paste catalog-info.yaml'), 40);
      const areas = walk.map((f) => f.area).filter((a, i, all) => a !== all[i - 1]);
      expect(areas).toEqual(['topbar', 'sidebar', 'main']);
      const names = walk.map((f) => f.name);
      expect(names.slice(0, 2)).toEqual(['Atrium', 'Search Atrium']);
      expect(names).toContain('Dark theme');
      expect(names).toContain('Notifications, 2 unread notifications');
      for (const item of ['Home', 'Catalog', 'Docs', 'Create', 'Catalog health', 'Audit log'])
        expect(names).toContain(item);
      // The skip link goes straight to the page: its first control is one Tab away from main.
      await page.reload();
      await visits()
        .find((v) => v.name === 'health')!
        .ready(page);
      await skipToMain(page);
      await page.keyboard.press('Tab');
      await expect(focused(page)).resolves.toMatchObject({ area: 'main', ring: true });
      await context.close();
    }
  }, 120_000);

  it('focuses the search box with `/`, and Escape closes its suggestions', async () => {
    const { context, page } = await tabIn('light', DESKTOP);
    await page.goto('/catalog-health');
    await page.getByRole('heading', { level: 1, name: 'Catalog health' }).waitFor();
    const box = page.locator('#global-search');
    await expect(box.getAttribute('aria-keyshortcuts')).resolves.toBe('/');
    await page.locator('body').focus();
    await page.keyboard.press('/');
    await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
    // The slash focused the box; it was not typed into it.
    await expect(box.inputValue()).resolves.toBe('');
    await page.keyboard.type('booking');
    const listbox = page.getByRole('listbox', { name: 'Suggestions' });
    await listbox.waitFor();
    await page.keyboard.press('ArrowDown');
    await expect
      .poll(() => box.getAttribute('aria-activedescendant'))
      .toBe('global-search-option-0');
    await page.keyboard.press('Escape');
    await expect.poll(() => listbox.count()).toBe(0);
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
    // In a text field a slash is a slash.
    const paste = page.getByLabel('Paste catalog-info.yaml');
    await paste.focus();
    await page.keyboard.press('/');
    await expect(paste.inputValue()).resolves.toBe('/');
    await expect(paste.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await context.close();
  });

  it('reaches the main controls of each kind of page by Tab, and opens and closes menus and disclosures by keyboard', async () => {
    const { context, page } = await tabIn('light', DESKTOP);
    // Each kind of page: its controls, reached from the skip link, in reading order.
    const pages: Array<[string, string, (p: Page) => Locator[]]> = [
      [
        'a form',
        '/create/templates/default/node-service',
        (p) => [p.getByRole('textbox', { name: /^Name/ }), p.getByRole('button', { name: 'Next' })],
      ],
      [
        'a list with filters',
        '/search?term=booking',
        (p) => [
          p.locator('#search-page-term'),
          p.getByTestId('search-result').first().getByRole('link').first(),
        ],
      ],
      [
        'a docs page',
        '/docs/default/component/booking-service',
        (p) => [p.getByRole('navigation', { name: 'Docs pages' }).getByRole('link').first()],
      ],
      [
        'a settings page',
        '/settings/tokens',
        (p) => [p.getByRole('textbox', { name: /Name/ }).first()],
      ],
      [
        'an admin page',
        '/admin/access',
        (p) => {
          const form = p.getByRole('form', { name: 'Explain a decision' });
          return [
            form.getByRole('textbox', { name: 'User' }),
            form.getByRole('button', { name: 'Explain' }),
          ];
        },
      ],
      [
        'an entity page',
        SERVICE,
        (p) => [
          p.getByRole('button', { name: 'Star', exact: true }),
          p.getByRole('button', { name: 'More actions' }),
          p
            .getByRole('navigation', { name: 'Entity tabs' })
            .getByRole('link', { name: 'Relations' }),
          p.getByRole('button', { name: 'Technical details' }),
        ],
      ],
    ];
    for (const [, path, controls] of pages) {
      await page.goto(path);
      await visits()
        .find((v) => v.path === path)!
        .ready(page);
      await skipToMain(page);
      for (const control of controls(page)) await tabTo(page, control, 120);
    }
    // The entity page's menu: Enter opens it on its first item, arrows move, Escape closes it
    // and gives focus back to its button.
    await page.goto(SERVICE);
    await visits()
      .find((v) => v.path === SERVICE)!
      .ready(page);
    await skipToMain(page);
    const more = page.getByRole('button', { name: 'More actions' });
    await tabTo(page, more);
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu');
    await menu.waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('role')))
      .toBe('menuitem');
    const first = await focused(page);
    await page.keyboard.press('ArrowDown');
    await expect.poll(async () => (await focused(page)).name).not.toBe(first.name);
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.count()).toBe(0);
    await expect.poll(() => more.evaluate((el) => el === document.activeElement)).toBe(true);
    // The About card's Technical details: Enter opens, Space closes.
    const details = page.getByRole('button', { name: 'Technical details' });
    await tabTo(page, details, 60);
    await page.keyboard.press('Enter');
    await expect.poll(() => details.getAttribute('aria-expanded')).toBe('true');
    await page.getByTestId('technical-details').waitFor();
    await page.keyboard.press('Space');
    await expect.poll(() => details.getAttribute('aria-expanded')).toBe('false');
    await context.close();
  }, 180_000);

  it('draws the notifications bell as an icon named with the unread count', async () => {
    const { context, page } = await tabIn('dark', DESKTOP);
    await page.goto('/');
    const bell = page.getByRole('link', { name: 'Notifications, 2 unread notifications' });
    await bell.waitFor();
    await expect(bell.locator('svg.lucide-bell').count()).resolves.toBe(1);
    await expect(bell.locator('svg').getAttribute('aria-hidden')).resolves.toBe('true');
    // The badge shows the number; no emoji is left.
    await expect(bell.getByTestId('notifications-unread').textContent()).resolves.toBe('2');
    await expect(bell.textContent()).resolves.toBe('2');
    await bell.focus();
    await expect(focused(page)).resolves.toMatchObject({ ring: true });
    await context.close();
  });

  it('shows file locations relative to the location on the health page, the Ingestion status and History tabs, never the server’s paths', async () => {
    const { context, page } = await tabIn('light', DESKTOP);
    const noServerPaths = async (where: string) => {
      const text = await everything(page);
      expect(text, where).not.toContain(dir);
      expect(text, where).not.toContain(server.dir);
      expect(text, where).not.toContain(ROOT);
    };

    await page.goto('/catalog-health');
    // Named by the folder that holds it; its problems' files relative to that folder.
    const demo = page.getByRole('region', { name: 'Location file:./examples/catalog-info.yaml' });
    await demo.getByText('no problems').waitFor();
    const fixture = page.getByRole('region', {
      name: `Location file:./${basename(dir)}/catalog-info.yaml`,
    });
    await fixture.getByText('2 problems').waitFor();
    const problems = fixture.getByRole('table');
    await problems.waitFor();
    const text = (await problems.textContent()) ?? '';
    expect(text).toContain('./services/broken.yaml:4');
    expect(text).toContain('File ./services/missing.yaml does not exist');
    await noServerPaths('health page');

    await page.goto(`${WIDGET}/status`);
    await page.getByRole('heading', { name: 'Ingestion status' }).waitFor();
    await expect
      .poll(() =>
        page
          .locator('dl.props dt', { hasText: 'Location' })
          .locator('xpath=following-sibling::dd[1]')
          .textContent(),
      )
      .toBe('file:./catalog-info.yaml');
    await noServerPaths('status tab');

    await page.goto(`${WIDGET}/history`);
    const items = page.getByTestId('history-item');
    await expect.poll(() => items.count()).toBe(2);
    await expect(items.last().textContent()).resolves.toContain(
      'read from file:./catalog-info.yaml (registered through the API)',
    );
    const moved = items.first().locator('tbody tr', { hasText: 'managed-by-location' });
    await expect(moved.locator('td').allTextContents()).resolves.toEqual([
      'metadata.annotations.backstage.io/managed-by-location',
      'file:./services/widget.yaml',
      'file:./services/widget-v2.yaml',
    ]);
    await noServerPaths('history tab');

    // The demo's entities read from the repository's examples folder.
    for (const path of [`${SERVICE}/status`, `${SERVICE}/history`]) {
      await page.goto(path);
      await page.getByRole('heading', { level: 2 }).first().waitFor();
      await page.getByText('file:./').first().waitFor();
      await noServerPaths(path);
    }

    // The Raw tab: the location annotations as Technical details shows them, and a note that
    // says so; the catalog API keeps sending them whole, as Backstage does.
    await page.goto(`${WIDGET}/raw`);
    const raw = page.getByTestId('raw');
    await expect
      .poll(() => raw.textContent())
      .toContain('backstage.io/managed-by-location: file:./services/widget-v2.yaml');
    await expect(raw.textContent()).resolves.toContain(
      'backstage.io/managed-by-origin-location: file:./catalog-info.yaml',
    );
    await expect(page.getByTestId('raw-paths-note').textContent()).resolves.toContain(
      'relative to the entity',
    );
    await noServerPaths('raw tab, YAML');
    await page.getByRole('button', { name: 'JSON' }).click();
    await expect
      .poll(() => raw.textContent())
      .toContain('"backstage.io/managed-by-location": "file:./services/widget-v2.yaml"');
    await noServerPaths('raw tab, JSON');
    const api = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/a11y-widget`,
    );
    const entity = (await api.json()) as { metadata: { annotations: Record<string, string> } };
    expect(entity.metadata.annotations['backstage.io/managed-by-location']).toBe(
      `file:${join(dir, 'services/widget-v2.yaml')}`,
    );

    // The access page names the demo's policy file from the working directory, and so does
    // the API it reads.
    await page.goto('/admin/access');
    const sources = page.getByTestId('policy-sources');
    await expect.poll(() => sources.textContent()).toContain('Policy file examples/policy.yaml');
    await expect(page.getByTestId('role-source').first().textContent()).resolves.toMatch(
      /declared in examples\/policy\.yaml:\d+/,
    );
    await noServerPaths('access page');
    const policy = (await (await fetch(`${server.url}/api/permission/policy`)).json()) as {
      sources: Array<{ kind: string; file: string }>;
      roles: Array<{ file: string; source: string }>;
    };
    expect(policy.sources.find((s) => s.kind === 'atrium-yaml')?.file).toBe('examples/policy.yaml');
    expect(JSON.stringify(policy)).not.toContain(ROOT);

    // The audit log names the location that ingestion read as the health page does.
    await server.app.use(auditServiceRef).flush();
    for (const [ref, location] of [
      ['component:default/booking-service', 'file:./examples/catalog-info.yaml'],
      ['component:default/a11y-widget', `file:./${basename(dir)}/catalog-info.yaml`],
    ]) {
      await page.goto(`/audit?action=catalog.entity.created&resourceRef=${ref}`);
      const row = page.getByTestId('audit-table').locator('tbody tr').first();
      await expect
        .poll(() => row.locator('td').nth(5).textContent())
        .toContain(`location: ${location}`);
      await noServerPaths(`audit log, ${ref}`);
    }
    await context.close();
  });

  it('shows the name of each icon of the tablet’s sidebar in a tooltip on hover and on keyboard focus, inside the navigation landmark', async () => {
    const { context, page } = await tabIn('light', { width: 900, height: 1000 });
    await page.goto('/catalog-health');
    await visits()
      .find((v) => v.name === 'health')!
      .ready(page);
    const sidebar = page.getByRole('navigation', { name: 'Main' });
    const catalog = sidebar.getByRole('link', { name: 'Catalog', exact: true });
    // Only the icon is on screen; its name is the hidden label.
    expect((await catalog.locator('.nav-label').boundingBox())!.width).toBeLessThanOrEqual(1);
    await expect(page.locator('.tooltip').count()).resolves.toBe(0);
    await page.locator('body').focus();
    await tabTo(page, catalog, 40);
    const tip = page.locator('.tooltip', { hasText: 'Catalog' });
    await tip.waitFor({ state: 'visible' });
    await expect(page.getByRole('tooltip').textContent()).resolves.toBe('Catalog');
    await expect(catalog.getAttribute('aria-describedby')).resolves.toBeTruthy();
    // Beside the icon, not over it, and drawn inside the sidebar's landmark.
    const link = (await catalog.boundingBox())!;
    const box = (await tip.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(link.x + link.width);
    expect(box.width).toBeGreaterThan(20);
    await expect(tip.evaluate((el) => el.closest('nav')?.getAttribute('aria-label'))).resolves.toBe(
      'Main',
    );
    await expect(axeViolations(page, 'minor')).resolves.toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'sidebar-tooltip-tablet-light.png') });
    // Escape hides it without moving focus (WCAG 1.4.13); the next icon shows its own.
    await page.keyboard.press('Escape');
    await expect.poll(() => tip.count()).toBe(0);
    await expect(catalog.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    const docs = sidebar.getByRole('link', { name: 'Docs', exact: true });
    await docs.hover();
    await page.locator('.tooltip', { hasText: 'Docs' }).waitFor({ state: 'visible' });
    // With the labels on screen, no tooltip repeats them.
    await page.mouse.move(800, 600);
    await page.setViewportSize(DESKTOP);
    await expect
      .poll(async () => (await catalog.locator('.nav-label').boundingBox())?.width)
      .toBeGreaterThan(20);
    await catalog.focus();
    await catalog.hover();
    await page.waitForTimeout(600);
    await expect(page.locator('.tooltip').count()).resolves.toBe(0);
    await context.close();
  });
});
