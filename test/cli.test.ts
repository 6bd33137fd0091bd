import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    const lines = stdout.trim().split('\n');
    const broken = join(root, 'examples/broken');
    expect(
      lines.map((l) => l.slice(0, l.indexOf(': ', l.indexOf('.yaml:')) + 2).replace(broken, '')),
    ).toEqual([
      '/invalid-fields.yaml:7: ',
      '/invalid-fields.yaml:20: ',
      '/invalid-fields.yaml:32: ',
      '/not-an-object.yaml:4: ',
      '/syntax-error.yaml:12: ',
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
    expect(stderr).toMatch(/16 file\(s\), 126 valid entities, 0 error\(s\)/);
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
    expect(stdout).toContain(': 2 entities');
    expect(stdout).toContain(`${file}:9: spec.owner: `);
    expect(code).toBe(1);
    const response = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/imported`,
    );
    expect(response.status).toBe(200);
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
