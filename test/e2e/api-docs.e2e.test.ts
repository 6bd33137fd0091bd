/**
 * End-to-end: API definitions rendered in Debian's Chromium — OpenAPI 3 and 2, AsyncAPI,
 * GraphQL and protobuf from the demo organisation, the APIs page, and a hostile definition.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { createLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

const HOSTILE_API = `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: hostile-api
spec:
  type: openapi
  lifecycle: experimental
  owner: team-booking
  definition: |
    openapi: 3.0.0
    info:
      title: <img src=x onerror=alert(1)>
      version: "1"
      description: |
        Some **bold** and \`inline code\` survive.

        <script>alert(2)</script>
        <img src="https://example.com/x.png" onerror="alert(5)" alt="pic">
        [md link](javascript:alert(6)) and <a href="javascript:alert(7)">raw link</a>
        <a href="https://example.com/ok" onclick="alert(8)">web link</a>
        <iframe src="https://example.com"></iframe><style>body{display:none}</style>
    servers:
      - url: https://one.example.com
        description: The **first** one
      - url: https://two.example.com
    externalDocs:
      url: javascript:alert(3)
      description: trap
    paths:
      /x:
        get:
          summary: <b onmouseover=alert(4)>bold</b>
          parameters:
            - name: q
              in: query
              description: <span onmouseover="alert(9)">hover</span> *emphasised*
              schema:
                type: string
          responses:
            "200":
              description: ok
`;

let server: TestServer;
let browser: Browser;
let page: Page;
let dir: string;
const dialogs: string[] = [];

describe('API docs end to end', () => {
  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    dir = mkdtempSync(join(tmpdir(), 'atrium-e2e-api-'));
    writeFileSync(join(dir, 'hostile-api.yaml'), HOSTILE_API);
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      webRoot: WEB_DIST,
      catalog: {
        locations: [
          { type: 'file', target: join(ROOT, 'examples/catalog-info.yaml') },
          { type: 'file', target: join(dir, 'hostile-api.yaml') },
        ],
      },
    });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 860 },
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

  it('lists every API with its type, lifecycle, owner and providers', async () => {
    await page.goto('/apis');
    await expect.poll(() => page.title()).toBe('APIs | Atrium');
    await page.getByText('14 APIs').waitFor();
    const row = page.locator('tr', {
      has: page.getByRole('link', { name: 'Booking API', exact: true }),
    });
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('openapi');
    // Refs are shown by their target's title, the full ref on hover.
    const provider = row.getByRole('link', { name: 'Booking Service', exact: true });
    await expect(provider.getAttribute('title')).resolves.toBe('component:default/booking-service');
    await expect(row.textContent()).resolves.not.toContain('component:default/');
    await page.screenshot({ path: join(SHOTS, 'apis.png'), fullPage: true });
  });

  it('asks the catalog for the titles of every ref on a page in one request', async () => {
    const asked: string[][] = [];
    const onRequest = (request: { url(): string; postDataJSON(): unknown }) => {
      if (new URL(request.url()).pathname === '/api/catalog/entities/by-refs') {
        asked.push((request.postDataJSON() as { entityRefs: string[] }).entityRefs);
      }
    };
    page.on('request', onRequest);
    try {
      await page.goto('/apis');
      await page.getByText('14 APIs').waitFor();
      const refs = page.locator('tbody .entity-ref a');
      // Every ref has its title (none is left showing a bare name for lack of an answer).
      await expect
        .poll(() => page.locator('tbody tr').first().locator('.entity-ref a').first().textContent())
        .not.toMatch(/^team-/);
      expect(await refs.count()).toBeGreaterThan(20);
      expect(asked).toHaveLength(1);
      expect(new Set(asked[0]).size).toBe(asked[0]!.length);
      expect(asked[0]!.length).toBeGreaterThan(10);
      // The cache answers the same refs on the next visit: no request.
      await page.getByRole('link', { name: 'Booking API', exact: true }).click();
      await page.waitForURL('**/definition');
      await page.goBack();
      await page.getByText('14 APIs').waitFor();
      await page.waitForTimeout(200);
      expect(asked).toHaveLength(1);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('renders descriptions as Markdown and lists servers one a line', async () => {
    await page.goto('/catalog/default/api/booking-api/definition');
    const doc = page.getByTestId('openapi');
    await doc.waitFor();
    const intro = doc.locator('.markdown').first();
    await expect(intro.locator('strong').allTextContents()).resolves.toEqual([
      'quote',
      'book',
      'label',
    ]);
    await expect(intro.locator('code').allTextContents()).resolves.toEqual(['Idempotency-Key']);
    await expect(intro.textContent()).resolves.not.toContain('**');
    const servers = doc.getByTestId('servers').locator(':scope > li');
    await expect(servers.count()).resolves.toBe(2);
    await expect(servers.nth(0).locator('code').textContent()).resolves.toBe(
      'https://api.kestrel-freight.example/booking/v2',
    );
    await expect(servers.nth(0).locator('.server-description').textContent()).resolves.toMatch(
      /^Production\s*$/,
    );
    // One line each: the second server starts below the first.
    const [first, second] = [
      await servers.nth(0).boundingBox(),
      await servers.nth(1).boundingBox(),
    ];
    expect(second!.y).toBeGreaterThanOrEqual(first!.y + first!.height - 1);
    await page.screenshot({ path: join(SHOTS, 'api-openapi-markdown.png'), fullPage: true });
    // AsyncAPI too.
    await page.goto('/catalog/default/api/shipment-events/definition');
    const events = page.getByTestId('asyncapi');
    await events.waitFor();
    await expect(
      events.getByTestId('servers').locator(':scope > li').count(),
    ).resolves.toBeGreaterThan(0);
  });

  it('renders an OpenAPI 3 definition with operations, parameters and schemas', async () => {
    await page.goto('/catalog/default/api/booking-api/definition');
    const doc = page.getByTestId('openapi');
    await doc.waitFor();
    const operations = doc.locator('details.operation');
    expect(await operations.count()).toBe(7);
    await operations.first().locator('summary').click();
    await expect(
      operations.first().getByRole('heading', { name: 'Responses' }).count(),
    ).resolves.toBe(1);
    expect(await doc.locator('details.schema-block').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'api-openapi.png'), fullPage: true });
  });

  it('renders Swagger 2.0, AsyncAPI, GraphQL and protobuf definitions', async () => {
    await page.goto('/catalog/default/api/legacy-rates-api/definition');
    await page.getByTestId('openapi').getByText('Swagger 2.0').waitFor();
    await page.goto('/catalog/default/api/shipment-events/definition');
    const async = page.getByTestId('asyncapi');
    await async.waitFor();
    expect(await async.locator('details.operation').count()).toBeGreaterThan(0);
    await page.goto('/catalog/default/api/storefront-graphql/definition');
    const sdl = page.getByTestId('definition-graphql');
    await sdl.waitFor();
    expect(await sdl.locator('.tok-keyword', { hasText: 'type' }).count()).toBeGreaterThan(0);
    await page.goto('/catalog/default/api/route-optimizer-grpc/definition');
    const proto = page.getByTestId('definition-grpc');
    await proto.waitFor();
    expect(await proto.locator('.tok-keyword', { hasText: 'service' }).count()).toBeGreaterThan(0);
  });

  it('shows a hostile definition as text: no markup, no script, no javascript: link', async () => {
    await page.goto('/catalog/default/api/hostile-api/definition');
    const doc = page.getByTestId('openapi');
    await doc.waitFor();
    // The title and summary are plain text (not Markdown): shown as typed.
    await doc.getByText('<img src=x onerror=alert(1)>').first().waitFor();
    // The description is Markdown: rendered, its HTML kept only where harmless.
    const description = doc.locator('.markdown').first();
    await expect(description.locator('strong').textContent()).resolves.toBe('bold');
    await expect(description.locator('code').textContent()).resolves.toBe('inline code');
    await expect(description.textContent()).resolves.not.toContain('alert(2)');
    await expect(description.locator('img').getAttribute('src')).resolves.toBe(
      'https://example.com/x.png',
    );
    await expect(
      description.getByRole('link', { name: 'web link' }).getAttribute('href'),
    ).resolves.toBe('https://example.com/ok');
    // Links that would run script are text, not links.
    await description.getByText('[md link](javascript:alert(6))').waitFor();
    await expect(description.getByRole('link', { name: 'raw link' }).count()).resolves.toBe(0);
    await expect(description.getByText('raw link').count()).resolves.toBe(1);
    const servers = doc.getByTestId('servers').locator(':scope > li');
    await expect(servers.locator('code').allTextContents()).resolves.toEqual([
      'https://one.example.com',
      'https://two.example.com',
    ]);
    await expect(servers.nth(0).locator('.server-description strong').textContent()).resolves.toBe(
      'first',
    );
    await expect(servers.nth(1).locator('.server-description').count()).resolves.toBe(0);
    await doc.locator('details.operation summary').first().click();
    await expect(doc.locator('details.operation td em').textContent()).resolves.toBe('emphasised');
    await doc.getByText('hover', { exact: true }).hover();
    await doc.locator('details.operation summary').first().hover();
    await description.locator('img').hover();
    await description.getByRole('link', { name: 'web link' }).hover();
    // Nothing that runs code reached the DOM.
    const active = await page.evaluate(() => {
      const found: string[] = [];
      for (const el of Array.from(document.querySelectorAll('*'))) {
        if (['SCRIPT', 'IFRAME', 'STYLE'].includes(el.tagName) && el.closest('.api-doc')) {
          found.push(el.tagName);
        }
        for (const attr of el.getAttributeNames()) {
          if (attr.startsWith('on')) found.push(`${el.tagName} ${attr}`);
        }
      }
      for (const a of Array.from(document.querySelectorAll('a[href]'))) {
        if (/^\s*javascript:/i.test(a.getAttribute('href') ?? '')) found.push(a.outerHTML);
      }
      return found;
    });
    expect(active).toEqual([]);
    expect(await doc.locator('b').count()).toBe(0);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
  });
});
