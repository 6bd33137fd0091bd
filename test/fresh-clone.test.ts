/**
 * The repository works on its own: a `git clone` into an empty temporary folder (nothing
 * beside it, no shared folder) installs with `npm ci`, serves the demo with `npm start`, and
 * passes the README's examples (test/readme-examples.test.ts, run inside the clone).
 *
 * It clones HEAD: what is committed, not the working tree, so uncommitted changes are not in
 * it. In CI the checkout is itself a clone and this clones it again (a shallow checkout
 * clones too). It takes two to five minutes, most of it `npm ci` building better-sqlite3.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer, userEnvironment } from './helpers/demo-server.ts';

const ROOT = resolve(import.meta.dirname, '..');

function run(
  command: string,
  args: string[],
  cwd: string,
  timeout: number,
  env: Record<string, string> = {},
) {
  return new Promise<{ code: number; output: string }>((done) => {
    execFile(
      command,
      args,
      { cwd, timeout, maxBuffer: 256 * 1024 * 1024, env: userEnvironment(env) },
      (error, stdout, stderr) =>
        done({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}\n${stderr}`,
        }),
    );
  });
}

describe('a fresh clone, alone in a folder', () => {
  let parent: string;
  let clone: string;
  let install: { code: number; output: string };
  let server: DemoServer | undefined;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'atrium-clone-'));
    clone = join(parent, 'atrium');
    execFileSync('git', ['clone', '--quiet', ROOT, clone], { stdio: 'pipe' });
    // The same cache as this install, so that the clone's install needs no network.
    const cache = execFileSync('npm', ['config', 'get', 'cache'], { cwd: ROOT, encoding: 'utf8' });
    install = await run(
      'npm',
      ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--cache', cache.trim()],
      clone,
      // Building better-sqlite3 from source takes 1.5 min alone, 4 beside a busy suite.
      840_000,
      { npm_config_nodedir: '/usr' },
    );
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
    if (parent) rmSync(parent, { recursive: true, force: true });
  }, 60_000);

  it('has nothing beside it: the fixtures and docs are inside', () => {
    expect(readdirSync(parent)).toEqual(['atrium']);
    expect(existsSync(join(clone, 'test/fixtures/backstage/backstage-examples'))).toBe(true);
    expect(existsSync(join(clone, 'docs/ARCHITECTURE.md'))).toBe(true);
  });

  it('installs with npm ci', () => {
    expect(install.code, install.output).toBe(0);
    expect(existsSync(join(clone, 'node_modules/better-sqlite3'))).toBe(true);
  });

  it('installs without engine or install-script warnings', () => {
    expect(install.output).not.toContain('EBADENGINE');
    expect(install.output).not.toMatch(/allowScripts/i);
  });

  it('serves the demo with npm start', async () => {
    expect(install.code, install.output).toBe(0);
    // Plain `npm start` with PORT: the clone's own ./data, its first web build.
    server = await startDemoServer({
      root: clone,
      logFile: join(parent, 'npm-start.log'),
      timeoutMs: 180_000,
    });
    const response = await fetch(`${server.url}/api/catalog/entities?filter=kind=component`);
    expect(response.status).toBe(200);
    const names = ((await response.json()) as { metadata: { name: string } }[]).map(
      (e) => e.metadata.name,
    );
    expect(names).toContain('booking-service');
    expect(names.length).toBeGreaterThan(40);
    const page = await fetch(server.url);
    expect(page.headers.get('content-type')).toContain('text/html');
    await server.stop();
    server = undefined;
  }, 240_000);

  it("passes the README's examples inside the clone", async () => {
    expect(install.code, install.output).toBe(0);
    const { code, output } = await run(
      'npx',
      ['vitest', 'run', 'test/readme-examples.test.ts'],
      clone,
      240_000,
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(/Tests\s+\d+ passed/);
  }, 300_000);
});
