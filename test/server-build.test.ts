import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildServer, serverSources } from '../bin/build.mjs';

const ROOT = resolve(import.meta.dirname, '..');

/** Runs `node <args>` and returns its exit code and output (never rejects). */
function node(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** Waits for the `Atrium listening on <url>` line of a started server and returns the url. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Atrium listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match) done(match[1]!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => fail(new Error(`server exited with ${code}:\n${output}`)));
  });
}

describe('server build (bin/build.mjs)', () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-server-build-')));
    // Packages resolve from the output's folders upwards.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    out = join(dir, 'server');
    await buildServer({ outDir: out });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles the server into chunks, with each entry point and worker where its source is', () => {
    // src/ minus its web app; bin/build.mjs, which cli/web-build.ts imports, stays in bin/.
    expect(readdirSync(out).sort()).toEqual([
      'build-info.json',
      'chunks',
      'cli',
      'core',
      'plugins',
    ]);
    const chunks = join(out, 'chunks');
    const code = readdirSync(chunks).filter((f) => f.endsWith('.js'));
    const text = code.map((f) => readFileSync(join(chunks, f), 'utf8')).join('\n');
    // Imported where it is, from the chunks folder.
    expect(text).toContain(`from "${relative(chunks, join(ROOT, 'bin/build.mjs'))}"`);
    // Packages stay in node_modules, except the bundled ones.
    expect(text).toMatch(/from "better-sqlite3"/);
    expect(text).not.toMatch(/from "(kysely|fastify)"/);
    // One copy of what both the server and a bundled package import.
    expect(text.match(/^\/\/ (?:\S*\/)?node_modules\/ajv\/dist\/core\.js$/gm)).toHaveLength(1);
    // Web folders are vite's.
    expect(existsSync(join(out, 'web'))).toBe(false);
    expect(existsSync(join(out, 'plugins/catalog/web'))).toBe(false);
    const src = join(ROOT, 'src');
    const sources = serverSources().entries;
    for (const worker of sources.filter((f) => f.endsWith('.worker.ts'))) {
      const stub = join(out, relative(src, worker)).replace(/\.ts$/, '.js');
      // The stub imports the worker's chunk.
      const target = /^import "(.+)";$/.exec(readFileSync(stub, 'utf8').trim())?.[1];
      expect(target, stub).toBeDefined();
      expect(existsSync(resolve(join(stub, '..'), target!)), stub).toBe(true);
    }
    // A module that starts a worker finds it beside the path it would have unbundled.
    const starters = sources.filter((f) =>
      /startWorker\(\s*import\.meta\.url/.test(readFileSync(f, 'utf8')),
    );
    expect(starters.length).toBeGreaterThan(0);
    for (const starter of starters) {
      const unbundled = join(out, relative(src, starter)).replace(/\.ts$/, '.js');
      expect(text).toContain(
        `new URL(${JSON.stringify(relative(chunks, unbundled))}, import.meta.url)`,
      );
      for (const [, file] of readFileSync(starter, 'utf8').matchAll(
        /startWorker\(\s*import\.meta\.url,\s*'([^']+)'/g,
      )) {
        expect(
          existsSync(resolve(join(unbundled, '..'), file!.replace(/\.ts$/, '.js'))),
          file,
        ).toBe(true);
      }
    }
    expect(text).not.toMatch(/startWorker\(\s*import\.meta\.url/);
    // The maps name the TypeScript files, so stack traces do.
    const main = /^import "(.+)";$/.exec(
      readFileSync(join(out, 'cli/main.js'), 'utf8').trim(),
    )![1]!;
    const map = JSON.parse(readFileSync(`${resolve(join(out, 'cli'), main)}.map`, 'utf8')) as {
      sources: string[];
    };
    expect(map.sources.map((s) => resolve(chunks, s))).toContain(join(src, 'cli/main.ts'));
    // A module imported with import() is loaded when it is imported: start.ts is not in main's chunk.
    expect(map.sources.map((s) => resolve(chunks, s))).not.toContain(join(src, 'cli/start.ts'));
  });

  it('starts a server from the compiled entry that answers the catalog API', async () => {
    const config = join(dir, 'app-config.yaml');
    writeFileSync(
      config,
      stringify({
        backend: {
          listen: { host: '127.0.0.1', port: 0 },
          database: { client: 'better-sqlite3', connection: join(dir, 'atrium.sqlite') },
        },
        catalog: { locations: [] },
      }),
    );
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(out, 'cli/main.js'), 'start', '--config', config],
      { cwd: dir, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await listeningUrl(child);
      const response = await fetch(`${url}/api/catalog/entities?limit=1`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((done) => (child.exitCode === null ? child.on('exit', done) : done(0)));
    }
  });
});

describe('bin/atrium.mjs', () => {
  // A copy of the repository's code (node_modules linked), so that its sources can change.
  let copy: string;
  const atrium = (args: string[]) =>
    node([join(copy, 'bin/atrium.mjs'), ...args], { LOG_LEVEL: 'info', ATRIUM_SOURCE: '' });

  beforeAll(() => {
    copy = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-bin-')));
    for (const path of ['bin', 'src', 'package.json', 'tsconfig.json']) {
      cpSync(join(ROOT, path), join(copy, path), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  /** Gives a file a new modification time, as saving it does. */
  const touch = (path: string) => {
    const now = new Date();
    utimesSync(join(copy, path), now, now);
  };

  it('builds dist/server on first run, reuses it, and rebuilds when a server source changes', async () => {
    const first = await atrium(['--version']);
    expect(first.stdout).toBe('0.1.0\n');
    expect(first.stderr).toMatch(/Built the server into dist\/server in \d+\.\d s \(first start\)/);
    expect(first.code).toBe(0);
    expect(existsSync(join(copy, 'dist/server/cli/main.js'))).toBe(true);

    const second = await atrium(['--version']);
    expect(second).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });

    // A web-only file is vite's business.
    touch('src/web/main.tsx');
    expect((await atrium(['--version'])).stderr).toBe('');

    // The new code is what runs.
    const main = join(copy, 'src/cli/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace("version('0.1.0')", "version('9.9.9')"));
    touch('src/cli/main.ts');
    const changed = await atrium(['--version']);
    expect(changed.stderr).toMatch(/Server sources changed; rebuilt dist\/server in \d+\.\d s/);
    expect(changed.stdout).toBe('9.9.9\n');
    expect(changed.stderr.trim().split('\n')).toHaveLength(1);

    // A new file counts too, and a file put back to an older version, whatever their times.
    const added = join(copy, 'src/core/added.ts');
    writeFileSync(added, 'export const added = 1;\n');
    utimesSync(added, new Date(0), new Date(0));
    expect((await atrium(['--version'])).stderr).toMatch(/Server sources changed/);
    utimesSync(main, new Date(0), new Date(0));
    expect((await atrium(['--version'])).stderr).toMatch(/Server sources changed/);
    expect((await atrium(['--version'])).stderr).toBe('');
  });

  it('two processes starting at once on a stale build both run', async () => {
    touch('src/core/logger.ts');
    const both = await Promise.all([atrium(['--version']), atrium(['--version'])]);
    for (const run of both) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('9.9.9\n');
    }
    expect(await atrium(['--version'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('stops with the file and line when a source does not compile', async () => {
    const broken = join(copy, 'src/cli/progress.ts');
    writeFileSync(broken, `${readFileSync(broken, 'utf8')}\nexport const = ;\n`);
    const result = await atrium(['--version']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('src/cli/progress.ts:');
    expect(result.stderr).toContain('atrium: building the server failed');
    expect(result.stdout).toBe('');
  });
});
