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
      description: <script>alert(2)</script>
    externalDocs:
      url: javascript:alert(3)
      description: trap
    paths:
      /x:
        get:
          summary: <b onmouseover=alert(4)>bold</b>
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
    await expect(
      row.getByRole('link', { name: 'component:default/booking-service' }).count(),
    ).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, 'apis.png'), fullPage: true });
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
    await doc.getByText('<img src=x onerror=alert(1)>').first().waitFor();
    await doc.getByText('<script>alert(2)</script>').first().waitFor();
    expect(await doc.locator('img, script, b').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    await doc.locator('details.operation summary').first().click();
    await doc.locator('details.operation summary').first().hover();
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
  });
});
