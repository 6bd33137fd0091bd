/**
 * End-to-end: the example plugin (examples/plugins/links-oncall) as an adopter gets it. Built
 * with `atrium plugin build`, packed with `npm pack`, listed as a tarball under `plugins:` in a
 * fresh app folder beside two folder plugins (a web bundle that throws at import, a card that
 * throws when it renders), then Atrium started as a process (`atrium start`): its route answers
 * with the caller's permissions, its card shows in Debian's Chromium on the entity page, the
 * broken plugins are named while the rest works, and the Plugins page lists them all with
 * source, version and integrity.
 *
 * The rest of the suite runs without any external plugin; this file runs with them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createPlugin } from '../../src/cli/plugin-new.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/core/http/web-app.ts';
import { launchChromium } from '../helpers/browser.ts';
import { freePort, userEnvironment } from '../helpers/demo-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/plugins/links-oncall');
const SHOTS = join(ROOT, 'test/screenshots');

const CATALOG = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-booking }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: booking
spec: { owner: team-booking }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: booking-service
  annotations:
    atrium.io/on-call: https://oncall.example.com/schedules/booking
    atrium.io/escalation-channel: '#booking-oncall'
  links:
    - url: https://grafana.example.com/d/booking
      title: Booking dashboard
    - url: mailto:booking@example.com
      title: Mail the team
spec: { type: service, lifecycle: production, owner: team-booking, system: booking }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: vault
  labels: { secret: 'true' }
  annotations:
    atrium.io/on-call: https://oncall.example.com/schedules/vault
spec: { type: service, lifecycle: production, owner: team-booking }
`;

// The guest administers (sees the Plugins entry) and may not read what is labelled secret.
const POLICY = `roles:
  - name: admins
    members: [user:default/guest]
rules:
  - name: admins read the policy
    roles: [admins]
    allow: [permission.policy.read]
  - name: nobody reads what is secret
    roles: [everyone]
    deny: [catalog.entity.read]
    when: { hasLabel: secret }
`;

function run(command: string, args: string[], cwd: string) {
  return new Promise<{ stdout: string; stderr: string }>((done, fail) =>
    execFile(
      command,
      args,
      { cwd, env: userEnvironment(), timeout: 120_000 },
      (error, stdout, stderr) =>
        error
          ? fail(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`))
          : done({ stdout, stderr }),
    ),
  );
}

const atrium = (args: string[], cwd: string) =>
  run(process.execPath, [join(ROOT, 'bin/atrium.mjs'), ...args], cwd);

describe('an external plugin installed from a tarball', () => {
  let work: string;
  let app: string;
  let url: string;
  let child: ChildProcess;
  let log: () => string;
  let browser: Browser;
  let page: Page;
  let tarball: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'atrium-plugin-e2e-'));
    app = join(work, 'app');
    mkdirSync(app);

    // The example's sources, built and packed as its author would.
    const source = join(work, 'links-oncall');
    cpSync(EXAMPLE, source, {
      recursive: true,
      filter: (path) => !/\/(dist|node_modules)$|\.tgz$/.test(path),
    });
    const built = await atrium(['plugin', 'build', source], work);
    expect(built.stdout).toMatch(/^Built plugin links-oncall: dist\/backend\.mjs .*dist\/web\.mjs/);
    const packed = await run('npm', ['pack', '--json', '--pack-destination', app], source);
    tarball = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename;

    // A folder plugin whose web bundle throws when it is imported.
    const broken = createPlugin('broken-web', join(app, 'broken-web'));
    writeFileSync(
      join(broken, 'src/web.tsx'),
      "import { definePlugin } from '@atrium/web-plugin-api';\nif (Date.now() > 0) throw new Error('broken on purpose');\nexport default definePlugin({ id: 'broken-web' });\n",
    );
    await atrium(['plugin', 'build', broken], work);
    // And one whose entity card throws when it renders.
    const throwing = createPlugin('throwing-card', join(app, 'throwing-card'));
    writeFileSync(
      join(throwing, 'src/web.tsx'),
      "import { definePlugin } from '@atrium/web-plugin-api';\nfunction Card(): never { throw new Error('card exploded'); }\nexport default definePlugin({ id: 'throwing-card', entityCards: [{ id: 'boom', component: Card }] });\n",
    );
    await atrium(['plugin', 'build', throwing], work);

    const port = await freePort();
    url = `http://localhost:${port}`;
    writeFileSync(join(app, 'catalog.yaml'), CATALOG);
    writeFileSync(join(app, 'policy.yaml'), POLICY);
    writeFileSync(
      join(app, 'app-config.yaml'),
      stringify({
        app: { baseUrl: url },
        backend: {
          baseUrl: url,
          listen: { host: '127.0.0.1', port },
          database: { client: 'better-sqlite3', connection: { filename: './data/atrium.sqlite' } },
        },
        catalog: { locations: [{ type: 'file', target: './catalog.yaml' }] },
        permission: { enabled: true, policyFile: './policy.yaml' },
        plugins: [
          { package: `./${tarball}`, config: { defaultEscalationChannel: '#ops' } },
          { package: './broken-web' },
          { package: './throwing-card' },
        ],
      }),
    );

    const logFile = join(work, 'server.log');
    const out = openSync(logFile, 'w');
    child = spawn(
      process.execPath,
      [join(ROOT, 'bin/atrium.mjs'), 'start', '--config', 'app-config.yaml'],
      {
        cwd: app,
        env: userEnvironment(),
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    log = () => readFileSync(logFile, 'utf8');
    let exited: number | null | undefined;
    child.on('exit', (code) => {
      exited = code;
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (exited !== undefined) throw new Error(`atrium start exited with ${exited}:\n${log()}`);
      const ready = await fetch(
        `${url}/api/catalog/entities/by-name/component/default/booking-service`,
      )
        .then((r) => r.ok)
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`atrium start did not get ready:\n${log()}`);
      await new Promise((done) => setTimeout(done, 250));
    }

    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ baseURL: url, viewport: { width: 1366, height: 900 } });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exit = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exit;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers its route with what the caller may read', async () => {
    const get = (path: string) => fetch(`${url}/api/links-oncall/entity/${path}`);
    const booking = await get('component/default/booking-service');
    expect(booking.status).toBe(200);
    expect(await booking.json()).toEqual({
      entityRef: 'component:default/booking-service',
      onCall: 'https://oncall.example.com/schedules/booking',
      escalation: { channel: '#booking-oncall', from: 'annotation' },
      links: [
        { url: 'https://grafana.example.com/d/booking', title: 'Booking dashboard' },
        { url: 'mailto:booking@example.com', title: 'Mail the team' },
      ],
      problems: [],
    });
    // The plugin's config (validated against its schema) fills in what the entity leaves out.
    const system = (await (await get('system/default/booking')).json()) as {
      escalation: unknown;
    };
    expect(system.escalation).toEqual({ channel: '#ops', from: 'config' });
    // An entity the caller may not read is not found, as in the catalog's own API.
    expect((await get('component/default/vault')).status).toBe(404);
    expect(
      (await fetch(`${url}/api/catalog/entities/by-name/component/default/vault`)).status,
    ).toBe(404);
    expect((await get('component/default/nothing-here')).status).toBe(404);
  });

  it('shows its card on the entity page, and names the bundle that failed', async () => {
    await page.goto('/catalog/default/component/booking-service');
    const card = page.getByTestId('links-oncall-card');
    await card.getByRole('heading', { name: 'Links and on-call' }).waitFor();
    await expect
      .poll(() => card.getByRole('link', { name: 'On-call schedule' }).getAttribute('href'))
      .toBe('https://oncall.example.com/schedules/booking');
    expect(await card.textContent()).toContain('#booking-oncall');
    expect(await card.getByRole('link', { name: 'Booking dashboard' }).getAttribute('href')).toBe(
      'https://grafana.example.com/d/booking',
    );
    const alerts = page.getByRole('alert');
    await expect
      .poll(() => alerts.allTextContents())
      .toEqual([
        'Plugin broken-web (atrium-plugin-broken-web 0.1.0): its web bundle /api/plugins/broken-web/web/web.mjs failed to load: broken on purpose',
        // A card that throws is replaced by an error naming its plugin; the page stays.
        'Plugin throwing-card failed: card exploded',
      ]);
    await page.screenshot({ path: join(SHOTS, 'plugin-links-oncall.png') });

    // The shell keeps working: other pages, and the card on a System.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Catalog', exact: true })
      .click();
    await page.getByRole('link', { name: 'booking-service' }).first().waitFor();
    await page.goto('/catalog/default/system/booking');
    await expect
      .poll(() => page.getByTestId('links-oncall-card').textContent())
      .toContain('#ops (default)');
  });

  it('lists both plugins on the Plugins page, with source, version and integrity', async () => {
    await page.goto('/');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Plugins' })
      .click();
    await expect.poll(() => page.title()).toBe('Plugins | Atrium');
    const row = page.locator('tr[data-plugin="links-oncall"]');
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain(`./${tarball}`);
    expect(text).toContain('@atrium-examples/links-oncall 0.1.0');
    expect(text).toMatch(/sha512-/);
    expect(text).toContain('loaded');
    expect(await page.locator('tr[data-plugin="broken-web"]').textContent()).toContain('failed');
    expect(await page.locator('tr[data-plugin="catalog"]').textContent()).toContain('built in');
    await page.screenshot({ path: join(SHOTS, 'plugins-page.png') });
  });

  it('keeps the strict Content-Security-Policy: bundles come from this server', async () => {
    const response = await fetch(`${url}/catalog`);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    const bundle = await fetch(`${url}/api/plugins/links-oncall/web/web.mjs`);
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    // No copy of React in the bundle: it reads the shell's.
    const code = await bundle.text();
    expect(code).toContain('atrium.shared-modules');
    expect(code).not.toContain('react.transitional.element');
  });
});
