/**
 * End-to-end: the Docs section, the docs reader and the entity Docs tab in Debian's Chromium,
 * against a real Atrium that builds the demo docs on demand, plus a hostile docs folder.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/cli/web-build.ts';
import { gitHeadCommit } from '../../src/core/reading/git-checkout.ts';
import { hashDocsSource } from '../../src/plugins/techdocs/server/build/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { ENGINES, startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');
const FIXTURES = join(import.meta.dirname, '../fixtures/techdocs-reader');
/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * Writes raw, unsanitised HTML into storage as if CI had published it, stamped with the
 * source's hash so the server sees it as up to date and serves it as it is.
 */
async function publishRawSite(source: string, publishDir: string) {
  const site = join(publishDir, 'default/component/ci-published');
  mkdirSync(site, { recursive: true });
  copyFileSync(join(source, 'site-index.html'), join(site, 'index.html'));
  writeFileSync(join(site, 'dot.png'), PNG);
  writeFileSync(
    join(site, 'techdocs_metadata.json'),
    JSON.stringify({
      site_name: 'CI Published',
      build_timestamp: Date.now(),
      files: ['index.html', 'dot.png'],
      source_hash: await hashDocsSource(source),
      nav: [{ title: 'Raw page', path: '' }],
      pages: [
        {
          path: '',
          title: 'Raw page',
          source: 'index.md',
          toc: [{ level: 2, id: 'kept-section', text: 'Kept section' }],
        },
      ],
    }),
  );
}

/** Everything in the docs content that could run script or escape its box. */
function auditContent() {
  const root = document.querySelector('[data-testid="docs-content"]')!;
  const all = Array.from(root.querySelectorAll('*'));
  return {
    onAttributes: all.flatMap((el) =>
      Array.from(el.attributes)
        .filter((a) => a.name.toLowerCase().startsWith('on'))
        .map((a) => `${el.localName}[${a.name}]`),
    ),
    styleAttributes: all.filter(
      (el) => el.hasAttribute('style') && el.localName !== 'td' && el.localName !== 'th',
    ).length,
    dangerous: all
      .filter((el) =>
        [
          'script',
          'iframe',
          'object',
          'embed',
          'svg',
          'math',
          'style',
          'form',
          'button',
          'template',
          'base',
          'meta',
          'link',
          'noscript',
        ].includes(el.localName),
      )
      .map((el) => el.localName),
    badLinks: Array.from(root.querySelectorAll('a[href]'))
      .map((a) => a.getAttribute('href')!)
      .filter((href) => !/^(https?:|mailto:|\/(?!\/)|#)/i.test(href.trim())),
    badImages: Array.from(root.querySelectorAll('img'))
      .map((img) => img.getAttribute('src') ?? '')
      .filter((src) => !/^(https?:|\/api\/techdocs\/static\/)/i.test(src)),
    srcset: root.querySelectorAll('[srcset]').length,
    portalClasses: root.querySelectorAll('.skip-link, .state').length,
    bodyVisible: getComputedStyle(document.body).display !== 'none',
  };
}

const CLEAN = {
  onAttributes: [],
  styleAttributes: 0,
  dangerous: [],
  badLinks: [],
  badImages: [],
  srcset: 0,
  portalClasses: 0,
  bodyVisible: true,
};

describe.each(ENGINES)('docs reader end to end on %s', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const requested: string[] = [];
  const cspViolations: string[] = [];
  const shot = async (name: string, fullPage = false) => {
    if (engine === 'sqlite') await page.screenshot({ path: join(SHOTS, name), fullPage });
  };
  const content = () => page.getByTestId('docs-content');
  const docsNav = () => page.getByRole('navigation', { name: 'Docs pages' });
  const path = () => new URL(page.url()).pathname;
  const hash = () => new URL(page.url()).hash;
  /** Where the element's top is in the viewport (0 = at the top edge). */
  const topOf = (id: string) =>
    page.evaluate((i) => document.getElementById(i)?.getBoundingClientRect().top ?? -1, id);
  /** The element is wholly inside the viewport. */
  const inView = (id: string) =>
    page.evaluate((i) => {
      const box = document.getElementById(i)?.getBoundingClientRect();
      return box !== undefined && box.top >= 0 && box.bottom <= window.innerHeight;
    }, id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-techdocs-e2e-'));
    cpSync(join(FIXTURES, 'hostile'), join(dir, 'hostile'), { recursive: true });
    cpSync(join(FIXTURES, 'ci-published'), join(dir, 'ci-published'), { recursive: true });
    cpSync(join(FIXTURES, 'no-pages'), join(dir, 'no-pages'), { recursive: true });
    const publishDir = join(dir, 'sites');
    await publishRawSite(join(dir, 'ci-published'), publishDir);
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      engine,
      webRoot: WEB_DIST,
      catalog: {
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'hostile/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'ci-published/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'no-pages/catalog-info.yaml') },
        ],
      },
      extraConfig: {
        techdocs: { publisher: { type: 'local', local: { publishDirectory: publishDir } } },
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
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
        cspViolations.push(message.text());
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every documented entity in the Docs section, with a filter', async () => {
    await page.goto('/');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Docs' })
      .click();
    await page.waitForURL((url) => url.pathname === '/docs');
    await expect.poll(() => page.title()).toBe('Docs | Atrium');
    const table = page.getByTestId('docs-sites');
    await table.waitFor();
    const titles = await table.locator('tbody tr td:first-child a').allTextContents();
    expect(titles).toEqual([
      'Booking Service',
      'CI Published',
      'Hostile Docs',
      'No Pages',
      'Payment Gateway',
      'Tracking Service',
    ]);
    const booking = table.locator('tbody tr', { hasText: 'Booking Service' });
    await expect.poll(() => booking.locator('td').nth(1).textContent()).toBe('Booking');
    await expect(booking.locator('td').nth(2).textContent()).resolves.toBe('component · service');
    await expect(booking.locator('.docs-status').textContent()).resolves.toBe('Not built yet');
    const ci = table.locator('tbody tr', { hasText: 'CI Published' });
    await expect(ci.locator('.docs-status').textContent()).resolves.toBe('Published');
    await shot('docs-list-light.png');

    await page.getByLabel('Filter', { exact: true }).fill('tracking serv');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await expect(page.getByTestId('docs-count').textContent()).resolves.toBe(
      '1 of 6 documented entities',
    );
    await page.getByLabel('Filter', { exact: true }).fill('');
    await page.getByLabel('Owner').selectOption('group:default/team-payments');
    await expect
      .poll(() => table.locator('tbody tr td:first-child a').allTextContents())
      .toEqual(['Payment Gateway']);
  });

  it('opens a component’s docs, building them on first view', async () => {
    await page.goto('/docs');
    await page.getByTestId('docs-sites').getByRole('link', { name: 'Booking Service' }).click();
    await page.waitForURL((url) => url.pathname === '/docs/default/component/booking-service/');
    await content().getByRole('heading', { name: 'Booking Service', level: 1 }).waitFor();
    await expect(content().textContent()).resolves.toContain('turns a quote into a shipment');
    await expect.poll(() => page.title()).toBe('Overview · Booking Service | Atrium');
    // navigation with the current page marked, and the build line
    const current = docsNav().locator('a[aria-current="page"]');
    await expect(current.textContent()).resolves.toBe('Overview');
    // The demo's docs folder is in this repository: its commit, or with local changes the
    // source hash.
    const commit = await gitHeadCommit(join(ROOT, 'examples/components/booking-service'), {
      clean: true,
    });
    await expect(page.getByTestId('docs-built').textContent()).resolves.toMatch(
      commit
        ? new RegExp(`^Last built from commit ${commit.slice(0, 10)} at `)
        : /^Last built from source [0-9a-f]{10} at /,
    );
    // highlighted code, an admonition and a table survive the reader's allowlist
    await expect(
      content().locator('pre code.hljs span[class^="hljs-"]').count(),
    ).resolves.toBeGreaterThan(0);
    await expect(
      content().locator('.admonition.note .admonition-title').textContent(),
    ).resolves.toBe('Idempotency');
    await expect(content().locator('table').count()).resolves.toBe(1);
    await shot('docs-reader-light.png');
  });

  it('draws a mermaid diagram in the browser, loading mermaid only on a page that has one', async () => {
    const violationsBefore = cspViolations.length;
    // The overview has no diagram: the mermaid code was never fetched.
    expect(requested.filter((url) => /mermaid/i.test(url))).toEqual([]);
    await page.goto('/docs/default/component/booking-service/architecture/');
    const diagram = content().locator('.docs-mermaid-diagram svg');
    await diagram.waitFor({ timeout: 30_000 });
    await expect(diagram.textContent()).resolves.toContain('quote-engine');
    expect(requested.some((url) => /\/assets\/mermaid[^/]*\.js$/.test(url))).toBe(true);
    // The source is no longer shown once drawn, and nothing in the SVG can run.
    await expect(content().locator('pre.mermaid-source').count()).resolves.toBe(0);
    const svgAudit = await page.evaluate(() => {
      const all = Array.from(document.querySelectorAll('.docs-mermaid-diagram *'));
      return {
        on: all.flatMap((el) =>
          Array.from(el.attributes)
            .filter((a) => a.name.toLowerCase().startsWith('on'))
            .map((a) => a.name),
        ),
        scripts: all.filter((el) => ['script', 'iframe', 'object', 'embed'].includes(el.localName))
          .length,
      };
    });
    expect(svgAudit).toEqual({ on: [], scripts: 0 });
    expect(cspViolations.slice(violationsBefore)).toEqual([]);
    await shot('docs-mermaid.png');
    await page.goto('/docs/default/component/booking-service/');
    await content().getByRole('heading', { name: 'Booking Service', level: 1 }).waitFor();
  });

  it('moves between pages through the navigation and the next link', async () => {
    await docsNav().getByRole('link', { name: 'Architecture' }).click();
    await page.waitForURL(
      (url) => url.pathname === '/docs/default/component/booking-service/architecture/',
    );
    await content().getByRole('heading', { name: 'Architecture', level: 1 }).waitFor();
    await expect(docsNav().locator('a[aria-current="page"]').textContent()).resolves.toBe(
      'Architecture',
    );
    const next = page
      .getByRole('navigation', { name: 'Previous and next page' })
      .getByRole('link', {
        name: /Runbook/,
      });
    await next.click();
    await page.waitForURL(
      (url) => url.pathname === '/docs/default/component/booking-service/runbook/',
    );
    await content().getByRole('heading', { name: 'Runbook', level: 1 }).waitFor();
    await expect(docsNav().locator('a[aria-current="page"]').textContent()).resolves.toBe(
      'Runbook',
    );
    // back by the previous link
    await page
      .getByRole('navigation', { name: 'Previous and next page' })
      .getByRole('link', { name: /Architecture/ })
      .waitFor();
  });

  it('follows a table-of-contents anchor: the URL hash changes and the heading is in view', async () => {
    await page.setViewportSize({ width: 1366, height: 420 });
    const toc = page.getByRole('navigation', { name: 'On this page' });
    await toc.getByRole('link', { name: 'Kafka publishing is lagging' }).click();
    await expect.poll(hash).toBe('#kafka-publishing-is-lagging');
    expect(path()).toBe('/docs/default/component/booking-service/runbook/');
    // the last section: the page cannot scroll it to the very top, but it is in view
    await expect.poll(() => inView('kafka-publishing-is-lagging')).toBe(true);
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(0);
    await expect(toc.locator('a[aria-current="location"]').textContent()).resolves.toBe(
      'Kafka publishing is lagging',
    );
    await shot('docs-reader-anchor.png');

    // A link to an anchor on another page, opened from the address bar, lands on the heading.
    await page.goto('/docs/default/component/booking-service/architecture/#data-model');
    await content().getByRole('heading', { name: 'Data model' }).waitFor();
    await expect.poll(() => topOf('data-model')).toBeLessThan(120);
    await expect.poll(() => topOf('data-model')).toBeGreaterThanOrEqual(0);
    // An in-page link inside the page body works the same way.
    await page.goto('/docs/default/component/booking-service/');
    await content().getByRole('link', { name: 'quote engine' }).click();
    await page.waitForURL(
      (url) =>
        url.pathname === '/docs/default/component/booking-service/architecture/' &&
        url.hash === '#quote-engine',
    );
    await expect.poll(() => topOf('quote-engine')).toBeLessThan(120);
    await page.setViewportSize({ width: 1366, height: 860 });
  });

  it('shows the build log and status on demand', async () => {
    await page.goto('/docs/default/component/booking-service/');
    await content().waitFor();
    await page.getByTestId('docs-build-toggle').click();
    const panel = page.getByRole('region', { name: 'Last build' });
    await panel.waitFor();
    await expect(panel.locator('.docs-status').textContent()).resolves.toMatch(/^Built/);
    await panel.getByText(/^Build log \(\d+ lines\)$/).click();
    await expect(panel.getByTestId('docs-log').textContent()).resolves.toContain(
      'Building docs of component:default/booking-service',
    );
    // a forced rebuild publishes a new site, and the build line follows
    const builtAt = () => page.getByTestId('docs-built').locator('time').getAttribute('datetime');
    const before = await builtAt();
    await page.getByRole('button', { name: 'Rebuild' }).click();
    await expect.poll(builtAt).not.toBe(before);
    await expect(page.getByRole('button', { name: 'Rebuild' }).isEnabled()).resolves.toBe(true);
    await content().getByRole('heading', { name: 'Booking Service', level: 1 }).waitFor();
  });

  it('switches content tabs (=== "Tab") with the mouse and the arrow keys', async () => {
    await page.goto('/docs/default/component/tracking-service/');
    await content().getByRole('heading', { name: 'Subscribing', level: 3 }).waitFor();
    const tabs = content().getByRole('tablist');
    await expect(tabs.getByRole('tab').allTextContents()).resolves.toEqual([
      'curl',
      'Node.js',
      'Portal',
    ]);
    const panel = () => content().getByRole('tabpanel');
    await expect(panel().count()).resolves.toBe(1); // the others are hidden
    await expect(panel().textContent()).resolves.toContain('curl -X POST');
    await tabs.getByRole('tab', { name: 'Node.js' }).click();
    await expect(panel().textContent()).resolves.toContain('await tracking.subscribe');
    await expect(
      tabs.getByRole('tab', { name: 'Node.js' }).getAttribute('aria-selected'),
    ).resolves.toBe('true');
    await page.keyboard.press('ArrowRight');
    await expect(panel().textContent()).resolves.toContain('Notify me');
    await expect(page.evaluate(() => document.activeElement?.textContent ?? '')).resolves.toBe(
      'Portal',
    );
    await page.keyboard.press('Home');
    await expect(panel().textContent()).resolves.toContain('curl -X POST');
    // the highlighted code inside a tab survived both sanitisers
    await expect(panel().locator('code.hljs').count()).resolves.toBe(1);
    await shot('docs-content-tabs.png');
  });

  it('shows the docs in the entity page’s Docs tab, and a friendly state without docs', async () => {
    await page.goto('/catalog/default/component/tracking-service');
    await page
      .getByRole('navigation', { name: 'Entity tabs' })
      .getByRole('link', { name: 'Docs' })
      .click();
    await page.waitForURL(
      (url) => url.pathname === '/catalog/default/component/tracking-service/docs',
    );
    const tab = page.getByTestId('docs-tab');
    await tab
      .getByTestId('docs-content')
      .getByRole('heading', { name: 'Tracking Service', level: 1 })
      .waitFor();
    await tab
      .getByRole('navigation', { name: 'Docs pages' })
      .getByRole('link', { name: 'Event codes' })
      .click();
    await page.waitForURL(
      (url) =>
        url.pathname === '/catalog/default/component/tracking-service/docs' &&
        url.searchParams.get('page') === 'event-codes',
    );
    await tab.getByRole('heading', { name: 'Event codes', level: 1 }).waitFor();
    await shot('docs-entity-tab.png');

    await page.goto('/catalog/default/component/quote-engine/docs');
    await expect(page.getByTestId('docs-none').textContent()).resolves.toContain(
      'No docs for this entity yet',
    );

    // backstage.io/techdocs-entity: a worker shows the docs of the service it belongs to.
    await page.goto('/catalog/default/component/tracking-ingest/docs');
    await expect(
      page.getByTestId('docs-borrowed').locator('a').first().getAttribute('title'),
    ).resolves.toBe('component:default/tracking-service');
    await page
      .getByTestId('docs-tab')
      .getByTestId('docs-content')
      .getByRole('heading', { name: 'Tracking Service', level: 1 })
      .waitFor();
  });

  it('applies the dark theme to docs, code included', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/docs/default/component/booking-service/');
    await content().getByRole('heading', { name: 'Booking Service', level: 1 }).waitFor();
    const [background, code] = await page.evaluate(() => {
      const article = document.querySelector('[data-testid="docs-content"]')!;
      const keyword = article.querySelector(
        'pre code .hljs-built_in, pre code .hljs-keyword, pre code span',
      );
      return [
        getComputedStyle(article).backgroundColor,
        keyword ? getComputedStyle(keyword).color : '',
      ];
    });
    expect(background).toBe('rgb(23, 27, 33)');
    expect(code).not.toBe('');
    await page.getByRole('heading', { name: 'Running it locally' }).scrollIntoViewIfNeeded();
    await shot('docs-reader-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('renders a hostile page without running any of its script', async () => {
    await page.goto('/docs/default/component/hostile-docs/');
    await content().getByRole('heading', { name: 'Hostile page', level: 1 }).waitFor();
    await content().getByRole('heading', { name: 'Safe section' }).waitFor();
    // try the bait: hover, click what is left of the links and the form
    await content()
      .getByText('hover over me')
      .hover({ timeout: 2000 })
      .catch(() => undefined);
    for (const text of [
      'javascript link',
      'markdown javascript link',
      'spaced javascript link',
      'data link',
    ]) {
      const bait = content().getByText(text, { exact: true });
      if (await bait.count())
        await bait
          .first()
          .click({ timeout: 2000 })
          .catch(() => undefined);
    }
    const toggle = content().getByText('toggle me');
    if (await toggle.count()) await toggle.click({ timeout: 2000 }).catch(() => undefined);
    await page.waitForTimeout(300);
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
    ).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(path()).toBe('/docs/default/component/hostile-docs/');
    const audit = await page.evaluate(auditContent);
    expect(audit).toEqual(CLEAN);
    await shot('docs-hostile.png', true);
    // the harmless parts still work
    const external = content().getByRole('link', { name: 'external link' });
    await expect(external.getAttribute('href')).resolves.toBe('https://example.com/');
    await expect(external.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    await content().getByRole('link', { name: 'anchor' }).click();
    await expect.poll(hash).toBe('#safe-section');
    await content().getByRole('link', { name: 'relative link' }).click();
    await page.waitForURL((url) => url.pathname === '/docs/default/component/hostile-docs/other/');
    await content().getByRole('heading', { name: 'Other page' }).waitFor();
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
    ).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it('draws a hostile mermaid diagram without running its labels, links or directives, even without the CSP', async () => {
    // The CSP would block an inline handler anyway: turn it off, so that only mermaid's strict
    // mode and the sanitising of its SVG stand between the diagram and the page.
    const context = await browser.newContext({ baseURL: server.url, bypassCSP: true });
    const bare = await context.newPage();
    const bareDialogs: string[] = [];
    bare.on('dialog', (dialog) => {
      bareDialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await bare.goto('/docs/default/component/hostile-docs/diagram/');
      const docs = bare.getByTestId('docs-content');
      const diagram = docs.locator('.docs-mermaid-diagram svg');
      await diagram.waitFor({ timeout: 30_000 });
      for (const text of ['bait label', 'click target', 'link label']) {
        const bait = diagram.getByText(text);
        if (await bait.count()) {
          await bait
            .first()
            .click({ timeout: 2000 })
            .catch(() => undefined);
        }
      }
      await bare.waitForTimeout(300);
      expect(
        await bare.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
      ).toBeUndefined();
      expect(bareDialogs).toEqual([]);
      expect(new URL(bare.url()).pathname).toBe('/docs/default/component/hostile-docs/diagram/');
      const audit = await bare.evaluate(() => {
        const all = Array.from(document.querySelectorAll('[data-testid="docs-content"] *'));
        return {
          on: all.flatMap((el) =>
            Array.from(el.attributes)
              .filter((a) => a.name.toLowerCase().startsWith('on'))
              .map((a) => `${el.localName}[${a.name}]`),
          ),
          scripts: all.filter((el) =>
            ['script', 'iframe', 'object', 'embed'].includes(el.localName),
          ).length,
          jsLinks: all.filter((el) =>
            /^\s*javascript:/i.test(el.getAttribute('href') ?? el.getAttribute('xlink:href') ?? ''),
          ).length,
        };
      });
      expect(audit).toEqual({ on: [], scripts: 0, jsLinks: 0 });
      // Material's icon shortcodes arrive as the build's own inline SVG.
      await expect(docs.locator('span.twemoji > svg > path').count()).resolves.toBe(1);
    } finally {
      await context.close();
    }
  });

  it('neutralises raw HTML that no server sanitised (a site published by CI)', async () => {
    await page.goto('/docs/default/component/ci-published/');
    await content().getByRole('heading', { name: 'Raw page', level: 1 }).waitFor();
    await content().getByRole('heading', { name: 'Kept section' }).waitFor();
    await content()
      .getByText('hover over me')
      .hover({ timeout: 2000 })
      .catch(() => undefined);
    for (const text of [
      'javascript link',
      'entity link',
      'data link',
      'protocol-relative link',
      'vbscript link',
      'toggle me',
    ]) {
      const bait = content().getByText(text, { exact: true });
      if (await bait.count())
        await bait
          .first()
          .click({ timeout: 2000 })
          .catch(() => undefined);
    }
    await content()
      .locator('input[type="checkbox"]')
      .click({ timeout: 2000, force: true })
      .catch(() => undefined);
    await page.waitForTimeout(300);
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
    ).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(path()).toBe('/docs/default/component/ci-published/');
    expect(await page.evaluate(auditContent)).toEqual(CLEAN);
    // what is safe is kept: highlighted code, a checked read-only checkbox, the image
    await expect(content().locator('code.hljs .hljs-keyword').textContent()).resolves.toBe('const');
    const box = content().locator('input[type="checkbox"]');
    await expect(box.isChecked()).resolves.toBe(true);
    await expect(box.isDisabled()).resolves.toBe(true);
    await expect(content().getByRole('img', { name: 'dot' }).getAttribute('src')).resolves.toBe(
      '/api/techdocs/static/docs/default/component/ci-published/dot.png',
    );
    const external = content().getByRole('link', { name: 'external link' });
    await expect(external.getAttribute('target')).resolves.toBe('_blank');
    await expect(
      content().getByRole('link', { name: 'relative link' }).getAttribute('href'),
    ).resolves.toBe('/docs/default/component/ci-published/other/');
    await shot('docs-ci-published.png', true);
  });

  it('shows why docs could not be built, with the build log, and lists them as failed', async () => {
    await page.goto('/docs/default/component/no-pages/');
    const alert = page.getByRole('alert').filter({ hasText: 'The docs could not be built.' });
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/no page could be built|nothing to build/);
    await expect(alert.getByTestId('docs-log').textContent()).resolves.toContain(
      'Building docs of component:default/no-pages',
    );
    await shot('docs-build-failed.png');
    await page.goto('/docs');
    const row = page.getByTestId('docs-sites').locator('tbody tr', { hasText: 'No Pages' });
    await expect(row.locator('.docs-status').textContent()).resolves.toBe('Build failed');
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
