import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/atrium.mjs');

async function atrium(args: string[], cwd = root) {
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

describe('atrium validate', () => {
  it('prints file:line: field: message for each problem and exits 1', async () => {
    const { code, stdout } = await atrium(['validate', 'examples/broken/*.yaml']);
    expect(code).toBe(1);
    // A syntax error is followed by the line it is on, with a caret under its column.
    expect(stdout).toContain(
      [
        'syntax-error.yaml:12:16: YAML syntax error: Nested mappings are not allowed in compact mappings',
        '  12 |   description: Answers one question: is there a free locker near this address?',
        '     |                ^',
      ].join('\n'),
    );
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith(' '));
    const broken = join(root, 'examples/broken');
    expect(
      lines.map((l) => l.slice(0, l.indexOf(': ', l.indexOf('.yaml:')) + 2).replace(broken, '')),
    ).toEqual([
      '/invalid-fields.yaml:7: ',
      '/invalid-fields.yaml:20: ',
      '/invalid-fields.yaml:32: ',
      '/not-an-object.yaml:4: ',
      '/syntax-error.yaml:12:16: ',
      '/wrong-kind-and-ref.yaml:4: ',
      '/wrong-kind-and-ref.yaml:23: ',
    ]);
    expect(lines[0]).toContain(': metadata.name: ');
    expect(lines[1]).toContain(': spec.owner: ');
    expect(lines[2]).toContain(': metadata.tags[1]: ');
    expect(lines[6]).toContain(': spec.dependsOn[1]: ');
  });

  it('accepts the demo organisation and exits 0', async () => {
    const { code, stdout, stderr } = await atrium(['validate', 'examples/catalog-info.yaml']);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/\n128 entities valid in 17 files; 0 errors, 0 warnings\n$/);
    expect(code).toBe(0);
  });
});

describe('atrium import', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer({});
    dir = mkdtempSync(join(tmpdir(), 'atrium-import-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a location on a running server and reports its problems', async () => {
    const file = join(dir, 'catalog-info.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata: { name: imported }',
        'spec: { type: service, lifecycle: production, owner: team-a }',
        '---',
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata: { name: broken }',
        'spec: { type: service, lifecycle: production }',
      ].join('\n'),
    );
    const { code, stdout } = await atrium(['import', file, '--server', server.url]);
    expect(stdout).toContain(`Registered file:${file}`);
    // One valid entity: the invalid one and the registration's own Location are not counted.
    expect(stdout).toContain(`Registered file:${file} (location `);
    expect(stdout).toMatch(/\): 1 entity\n/);
    expect(stdout).toContain(`${file}:9: spec.owner: `);
    expect(code).toBe(1);
    const response = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/imported`,
    );
    expect(response.status).toBe(200);
  });

  it('counts the valid entities read, in words that agree with the number', async () => {
    const write = (name: string, docs: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, docs.join('\n---\n'));
      return path;
    };
    const valid = (name: string) =>
      `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec: { type: service, lifecycle: production, owner: team-a }`;
    const invalid = 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: x }';
    for (const [name, docs, words] of [
      ['none.yaml', [invalid], 'no entities'],
      ['one.yaml', [valid('count-one')], '1 entity'],
      ['two.yaml', [valid('count-two-a'), invalid, valid('count-two-b')], '2 entities'],
    ] as const) {
      const file = write(name, [...docs]);
      const { stdout } = await atrium(['import', file, '--server', server.url]);
      expect(stdout.split('\n')[0]).toMatch(
        new RegExp(`^Registered file:.*${name} \\(location [^)]+\\): ${words}$`),
      );
    }
  });

  it('reads a file once when a glob and a Location entity both reach it (server side too)', async () => {
    const sub = join(dir, 'twice');
    mkdirSync(join(sub, 'services'), { recursive: true });
    writeFileSync(
      join(sub, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: twice }\nspec: { targets: [./services/a.yaml] }\n',
    );
    writeFileSync(
      join(sub, 'services/a.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: twice-a }\nspec: { type: service, lifecycle: production, owner: team-a }\n',
    );
    const { code, stdout } = await atrium(['import', `${sub}/**/*.yaml`, '--server', server.url]);
    expect(stdout).not.toContain('emitted twice');
    expect(stdout).toMatch(/\): 2 entities\n$/);
    expect(code).toBe(0);
  });

  it('says clearly when no server answers', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const { code, stderr } = await atrium([
      'import',
      join(dir, 'x.yaml'),
      '--server',
      `http://127.0.0.1:${port}`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});
