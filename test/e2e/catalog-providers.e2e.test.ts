/**
 * End-to-end: the "Discovery providers" section of the catalog health page in Debian's
 * Chromium. A fake provider (test/helpers/fake-provider.ts) scans an organisation of catalog
 * files on disk; the page shows its last scan, its errors with file and line and the webhook
 * counters; a scan that would remove too much is held, and "Confirm removal" removes it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_DIST } from '../../src/cli/web-build.ts';
import { type App, createApp } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { installedPlugins } from '../../src/plugins/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { component, fakeDiscovery, newWorld, PROVIDER } from '../helpers/fake-provider.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/screenshots');

describe('discovery providers on the health page', () => {
  let dir: string;
  let app: App;
  let url: string;
  let browser: Browser;
  let page: Page;
  const world = newWorld();
  const repos = Array.from({ length: 12 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
  const listingOf = (names: string[]) =>
    names.map((repo) => ({
      type: 'file',
      target: join(dir, 'org', repo, 'catalog-info.yaml'),
      source: `acme/${repo}`,
    }));
  const scan = async () => {
    const response = await fetch(
      `${url}/api/catalog/providers/${encodeURIComponent(PROVIDER)}/refresh?wait=true`,
      { method: 'POST' },
    );
    expect(response.status).toBe(200);
  };
  const card = () => page.getByRole('region', { name: `Provider ${PROVIDER}` });

  beforeAll(async () => {
    await ensureWebBuild(createLogger({ level: 'error' }));
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'atrium-providers-e2e-'));
    for (const repo of repos) {
      mkdirSync(join(dir, 'org', repo), { recursive: true });
      writeFileSync(join(dir, 'org', repo, 'catalog-info.yaml'), component(repo, 'team-a'));
    }
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        backend: {
          listen: { host: '127.0.0.1', port: 0 },
          database: { client: 'better-sqlite3', connection: { filename: join(dir, 'db.sqlite') } },
        },
        catalog: { refresh: { interval: false }, removalGuard: { maxShare: 0.1, minCount: 2 } },
        events: { modules: { github: { webhookSecret: 'e2e-secret' } } },
        techdocs: { buildOnStart: false },
      }),
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    app = await createApp({
      config,
      plugins: [...installedPlugins(), fakeDiscovery(world)],
      cwd: dir,
      webRoot: WEB_DIST,
      logger: createLogger({ level: 'error' }),
    });
    url = await app.start();
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: url,
      viewport: { width: 1366, height: 900 },
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows a provider's last scan, its errors with file and line, and the webhook counters", async () => {
    world.listing = listingOf(repos);
    world.scanErrors = [
      {
        source: 'acme/legacy',
        message: 'mapping values are not allowed here',
        file: 'catalog-info.yaml',
        line: 4,
      },
    ];
    await scan();
    // One refused delivery, so the counters have something to show.
    const refused = await fetch(`${url}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-hub-signature-256': 'sha256=00',
      },
      body: '{}',
    });
    expect(refused.status).toBe(401);

    await page.goto('/catalog-health');
    await card().waitFor();
    const facts = card().getByTestId('provider-last-scan');
    await expect.poll(() => facts.textContent()).toContain('Repositories seen13');
    const text = (await facts.textContent()) ?? '';
    expect(text).toContain('24 added · 0 updated · 0 removed');
    expect(text).toContain('7 (3 answered 304) · rate limit left 4990');
    await card().getByText('idle', { exact: true }).waitFor();
    const errors = card().getByRole('table', { name: `Errors of ${PROVIDER}` });
    const row = errors.locator('tbody tr').first();
    await expect(row.locator('td').allTextContents()).resolves.toEqual([
      'acme/legacy',
      'catalog-info.yaml',
      '4',
      'mapping values are not allowed here',
    ]);
    // Its 12 locations read cleanly: counted below the other locations, not listed one by one.
    await expect
      .poll(() => page.getByTestId('quiet-provider-locations').textContent())
      .toMatch(/^12 locations of discovery providers without problems are not listed here/);
    const counters = page.getByRole('table', { name: 'Webhook deliveries' });
    const github = counters.locator('tbody tr', { hasText: 'github' });
    await github.waitFor();
    const cells = await github.locator('td').allTextContents();
    expect(cells[1]).toBe('0');
    expect(cells[2]).toBe('1');
  });

  it('holds a mass removal and removes it on "Confirm removal"', async () => {
    const removed = repos.slice(0, 3);
    world.listing = listingOf(repos.slice(3));
    await scan();
    await page.goto('/catalog-health');
    const held = card().getByRole('region', { name: `Removal held for ${PROVIDER}` });
    await held.waitFor();
    const heldText = (await held.textContent()) ?? '';
    expect(heldText).toContain('The last scan would remove 3 locations of 12 (25%)');
    for (const repo of removed) expect(heldText).toContain(`acme/${repo}`);
    await card().getByText('removal awaiting confirmation', { exact: true }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'health-providers.png'), fullPage: true });
    // Still in the catalog until someone confirms.
    const before = await fetch(`${url}/api/catalog/entities/by-name/component/default/svc-00`);
    expect(before.status).toBe(200);

    await held.getByRole('button', { name: 'Confirm removal' }).click();
    await card().getByText('idle', { exact: true }).waitFor();
    await expect.poll(() => held.count()).toBe(0);
    for (const repo of removed) {
      const response = await fetch(`${url}/api/catalog/entities/by-name/component/default/${repo}`);
      expect(response.status, repo).toBe(404);
    }
    const facts = card().getByTestId('provider-last-scan');
    await expect.poll(() => facts.textContent()).toContain('0 added · 0 updated · 6 removed');
  });
});
