import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = join(ROOT, 'examples/templates/node-service/template.yaml');
const DEMO_CATALOG = join(ROOT, 'examples/catalog-info.yaml');

function atrium(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/atrium.mjs'), ...args],
      { cwd, env: { ...process.env, LOG_LEVEL: 'error' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('atrium template run', () => {
  let dir: string;
  let configFile: string;

  beforeAll(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-template-cli-')));
    configFile = join(dir, 'app-config.yaml');
    writeFileSync(
      configFile,
      stringify({
        catalog: { locations: [{ type: 'file', target: DEMO_CATALOG }] },
        scaffolder: {
          defaultAuthor: { name: 'CLI Bot', email: 'cli@kestrel.example' },
          localRepositoryRoots: [dir],
        },
      }),
    );
    writeFileSync(
      join(dir, 'values.yaml'),
      stringify({
        name: 'cli-service',
        owner: 'group:default/team-booking',
        remote: join(dir, 'remote.git'),
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--dry-run writes the files the template would create and publishes nothing', async () => {
    const out = join(dir, 'dry');
    const r = await atrium(
      [
        'template',
        'run',
        TEMPLATE,
        '--values',
        'values.yaml',
        '--dry-run',
        '--out',
        out,
        '-c',
        configFile,
      ],
      dir,
    );
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    // One progress line per step and status (not a terminal here).
    expect(r.stderr).toContain('[1/5] Render the skeleton: processing');
    expect(r.stderr).toContain('[4/5] Publish the repository: processing');
    expect(r.stdout).toContain(
      '[publish] Skipping because publish:git does not support dry-run; its output is made up from its schema',
    );
    expect(r.stdout).toMatch(/Dry run completed in [\d.]+ s; files written to /);
    expect(existsSync(join(dir, 'remote.git'))).toBe(false);
    const info = readFileSync(join(out, 'catalog-info.yaml'), 'utf8');
    expect(info).toContain('name: "cli-service"');
    // The parameter default (lifecycle: experimental, port 8080) was filled in.
    expect(info).toContain('lifecycle: "experimental"');
    expect(readFileSync(join(out, 'index.js'), 'utf8')).toContain('8080');
  });

  it('runs for real: pushes the repository and prints the output', async () => {
    const out = join(dir, 'real');
    const r = await atrium(
      ['template', 'run', TEMPLATE, '--values', 'values.yaml', '--out', out, '-c', configFile],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('catalog:register registers into the temporary catalog of this run');
    expect(r.stdout).toContain('Output:');
    expect(r.stdout).toContain('entityRef: component:default/cli-service');
    expect(existsSync(join(dir, 'remote.git', 'HEAD'))).toBe(true);
    expect(existsSync(join(out, 'package.json'))).toBe(true);
  });

  it('reports bad values with the template file and field, exit code 1, nothing run', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      stringify({ name: 'Not Valid', remote: join(dir, 'bad.git') }),
    );
    const r = await atrium(
      ['template', 'run', TEMPLATE, '--values', 'bad.yaml', '-c', configFile],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${TEMPLATE}: name must match pattern`);
    expect(r.stderr).toContain(`${TEMPLATE}: owner is required`);
    expect(r.stdout).not.toContain('Beginning step');
    expect(existsSync(join(dir, 'bad.git'))).toBe(false);
  });

  it('refuses a non-empty --out directory and a file that is not a template', async () => {
    const r = await atrium(
      ['template', 'run', TEMPLATE, '--values', 'values.yaml', '--out', dir, '-c', configFile],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the directory is not empty');
    const notTemplate = await atrium(['template', 'run', DEMO_CATALOG, '-c', configFile], dir);
    expect(notTemplate.code).toBe(1);
    expect(notTemplate.stderr).toContain('expected one kind: Template document, found 0');
  });
});
