/**
 * `atrium plugin install` and `atrium plugin list`, run as a person runs them (bin/atrium.mjs
 * in the app's folder), on tarballs made by `npm pack`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makePluginPackage, npmPack } from './helpers/plugin-packages.ts';
import { PLUGIN_API_VERSION } from '../src/plugins/plugin-manager/common/index.ts';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '..', 'bin', 'atrium.mjs');

async function atrium(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CONFIG = `# The portal of ACME
app:
  title: ACME portal # shown in the top bar

# External plugins: see atrium plugin list
plugins:
  - package: ./not-yet # kept for later
    enabled: false
`;

describe('atrium plugin install and list', () => {
  const work = mkdtempSync(join(tmpdir(), 'atrium-cli-plugin-'));
  const app = join(work, 'app');
  let tgz: { file: string; integrity: string };
  let future: { file: string; integrity: string };
  let futureFolder: string;

  beforeAll(async () => {
    mkdirSync(app);
    writeFileSync(join(app, 'app-config.yaml'), CONFIG);
    tgz = await npmPack(
      makePluginPackage(join(work, 'src'), {
        id: 'links-oncall',
        name: '@acme/atrium-plugin-links',
        version: '1.2.0',
        configSchema: { type: 'object', properties: { channel: { type: 'string' } } },
      }),
      join(work, 'vendor'),
    );
    futureFolder = makePluginPackage(join(work, 'src'), { id: 'future', apiVersion: '2.0.0' });
    future = await npmPack(futureFolder, join(work, 'vendor'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs a tarball into plugins/ and adds it with its integrity, keeping comments', async () => {
    const { code, stdout, stderr } = await atrium(
      ['plugin', 'install', '../vendor/acme-atrium-plugin-links-1.2.0.tgz'],
      app,
    );
    // (bin/atrium.mjs may say it rebuilt the server first.)
    expect(stderr).not.toMatch(/error|warn/i);
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('Installed plugin links-oncall 1.2.0 (@acme/atrium-plugin-links)');
    expect(stdout).toContain(`integrity  ${tgz.integrity}`);
    expect(stdout).toContain(`plugin API 1.0.0 (this Atrium provides ${PLUGIN_API_VERSION})`);
    expect(stdout).toContain('Added plugins[1] in app-config.yaml');
    const text = readFileSync(join(app, 'app-config.yaml'), 'utf8');
    for (const comment of [
      '# The portal of ACME',
      '# shown in the top bar',
      '# External plugins: see atrium plugin list',
      '# kept for later',
    ]) {
      expect(text).toContain(comment);
    }
    expect(parse(text).plugins).toEqual([
      { package: './not-yet', enabled: false },
      { package: '../vendor/acme-atrium-plugin-links-1.2.0.tgz', integrity: tgz.integrity },
    ]);
    const lock = JSON.parse(readFileSync(join(app, 'plugins', 'plugins-lock.json'), 'utf8'));
    const locked = lock.plugins['../vendor/acme-atrium-plugin-links-1.2.0.tgz'];
    expect(locked).toMatchObject({ version: '1.2.0', integrity: tgz.integrity });
    expect(existsSync(join(app, 'plugins', locked.folder, 'package.json'))).toBe(true);
  });

  it('installing again updates the entry instead of adding a second one', async () => {
    const { code, stdout } = await atrium(
      ['plugin', 'install', '../vendor/acme-atrium-plugin-links-1.2.0.tgz'],
      app,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('Updated plugins[1] in app-config.yaml');
    expect(parse(readFileSync(join(app, 'app-config.yaml'), 'utf8')).plugins).toHaveLength(2);
  });

  it('lists the built-in plugins and what the config loads', async () => {
    const { code, stdout } = await atrium(['plugin', 'list'], app);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^ID +VERSION +API +SOURCE +STATUS$/);
    expect(lines.find((l) => l.startsWith('catalog '))).toMatch(/built-in +built-in$/);
    expect(lines.find((l) => l.startsWith('links-oncall '))).toMatch(
      /^links-oncall +1\.2\.0 +1\.0\.0 +plugins\[1\]: \.\.\/vendor\/acme-atrium-plugin-links-1\.2\.0\.tgz +loads$/,
    );
    expect(lines.find((l) => l.includes('plugins[0]: ./not-yet'))).toMatch(/disabled$/);
    expect(stdout).toContain(`  integrity  ${tgz.integrity}`);
    expect(stdout).toContain(`  plugin API 1.0.0: compatible with ${PLUGIN_API_VERSION}`);
    expect(stdout).toContain('  package    @acme/atrium-plugin-links@1.2.0');

    const json = await atrium(['plugin', 'list', '--json'], app);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows.find((r) => r.id === 'links-oncall')).toMatchObject({
      builtin: false,
      source: '../vendor/acme-atrium-plugin-links-1.2.0.tgz',
      version: '1.2.0',
      integrity: tgz.integrity,
      compatible: true,
    });
  });

  it('refuses to install an incompatible plugin and leaves the config alone', async () => {
    const before = readFileSync(join(app, 'app-config.yaml'), 'utf8');
    const { code, stdout } = await atrium(['plugin', 'install', future.file], app);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `Plugin future (@test/atrium-plugin-future@1.0.0) needs plugin API 2.0.0, but this Atrium provides plugin API ${PLUGIN_API_VERSION}`,
    );
    expect(readFileSync(join(app, 'app-config.yaml'), 'utf8')).toBe(before);
  });

  it('list exits 1 and says why when an entry cannot load', async () => {
    const dir = join(work, 'broken');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'app-config.yaml'),
      `plugins:\n  - package: ${future.file}\n  - package: ./gone.tgz\n  - package: ${futureFolder}\n`,
    );
    // The first is not unpacked yet: list fetches nothing, and says so.
    const { code, stdout } = await atrium(['plugin', 'list'], dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/plugins\[0\]: .*future-1\.0\.0\.tgz +not fetched yet/);
    expect(stdout).toMatch(
      /plugins\[1\]: \.\/gone\.tgz +error: the tarball .*gone\.tgz does not exist/,
    );
    expect(stdout).toMatch(
      new RegExp(
        `^future +1\\.0\\.0 +2\\.0\\.0 +plugins\\[2\\]: .* +incompatible: needs plugin API 2\\.0\\.0, this Atrium provides ${PLUGIN_API_VERSION.replaceAll('.', '\\.')}$`,
        'm',
      ),
    );
    expect(stdout).toContain(`  plugin API 2.0.0: incompatible with ${PLUGIN_API_VERSION}`);
  });
});
