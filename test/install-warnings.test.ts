import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Octokit } from '@octokit/rest';
import Fastify from 'fastify';
import { minVersion, satisfies } from 'semver';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm ci` on the oldest Node that package.json promises prints no EBADENGINE warning and no
 * "install scripts not covered by allowScripts" warning, proved from package-lock.json without
 * a two-minute install (test/fresh-clone.test.ts runs the real one).
 */

const ROOT = resolve(import.meta.dirname, '..');

interface LockEntry {
  version?: string;
  resolved?: string;
  engines?: Record<string, unknown> | unknown[];
  hasInstallScript?: boolean;
  inBundle?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Lock {
  packages: Record<string, LockEntry>;
}

interface Manifest {
  engines?: { node?: string };
  allowScripts?: Record<string, boolean>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
function nameAt(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Where Node finds `name` when `from` (a lock path, '' for the project) imports it. */
function resolveFrom(lock: Lock, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

/** Who pulls the package at `path` into the tree: `name@version`, or package.json for the project. */
function parentsOf(lock: Lock, path: string): string[] {
  const name = nameAt(path);
  const parents: string[] = [];
  for (const [from, entry] of Object.entries(lock.packages)) {
    const wants = {
      ...entry.devDependencies,
      ...entry.peerDependencies,
      ...entry.optionalDependencies,
      ...entry.dependencies,
    };
    if (!(name in wants) || resolveFrom(lock, from, name) !== path) continue;
    parents.push(from === '' ? 'package.json' : `${nameAt(from)}@${entry.version}`);
  }
  return parents;
}

/** Every installed package (not the project itself, not links) with its lock path. */
function lockedPackages(lock: Lock): [string, LockEntry][] {
  return Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.link);
}

/**
 * What npm's engine check (npm-install-checks) would say on the oldest Node that
 * `engines.node` admits: one line per package whose own `engines.node` excludes it.
 */
function engineProblems(lock: Lock, manifest: Manifest): string[] {
  const supported = manifest.engines?.node;
  if (!supported) return ['package.json has no engines.node'];
  const oldest = minVersion(supported);
  if (!oldest) return [`package.json engines.node "${supported}" is not a semver range`];
  const problems: string[] = [];
  for (const [path, entry] of lockedPackages(lock)) {
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    // npm checks only a string range; other shapes are ignored by it too.
    if (typeof range !== 'string') continue;
    if (satisfies(oldest.version, range, { includePrerelease: true })) continue;
    problems.push(
      `${nameAt(path)}@${entry.version} requires node "${range}" but package.json engines.node ` +
        `"${supported}" admits ${oldest.version}; pulled in by ${parentsOf(lock, path).join(', ') || '(nothing)'} (${path})`,
    );
  }
  return problems;
}

/** `@s/b@1.2.3 || 1.2.4` → name and the exact versions ('' for every version). */
function parseAllowKey(key: string): { name: string; versions: string } {
  const at = key.indexOf('@', 1);
  if (at < 0) return { name: key, versions: '' };
  const versions = key.slice(at + 1).trim();
  return { name: key.slice(0, at), versions: versions === '*' ? '' : versions };
}

/**
 * Whether npm's allowScripts matcher (arborist's script-allowed.js) lets the package run its
 * install scripts: an allow entry matches and no deny entry does. A pinned entry counts only
 * when the lock records a resolved URL: without one npm cannot trust the version and refuses
 * the pin (this lock is written with omit-lockfile-registry-resolved).
 */
function scriptVerdict(
  name: string,
  entry: LockEntry,
  allow: Record<string, boolean>,
): 'allowed' | 'denied' | 'pinned-unverifiable' | 'unreviewed' {
  let allowed = false;
  let pinnedButUnverifiable = false;
  for (const [key, value] of Object.entries(allow)) {
    const parsed = parseAllowKey(key);
    if (parsed.name !== name) continue;
    if (parsed.versions) {
      const pins = parsed.versions.split('||').map((v) => v.trim());
      if (!entry.resolved) {
        if (value === false) return 'denied';
        pinnedButUnverifiable = true;
        continue;
      }
      if (!pins.includes(entry.version ?? '')) continue;
    }
    if (value === false) return 'denied';
    if (value === true) allowed = true;
  }
  if (allowed) return 'allowed';
  return pinnedButUnverifiable ? 'pinned-unverifiable' : 'unreviewed';
}

/**
 * One line per package whose install scripts npm would run only with the "not yet covered by
 * allowScripts" warning (or would skip, if denied), and per allowScripts entry that approves
 * nothing in the lock (what `npm install-scripts prune` would remove).
 */
function installScriptProblems(lock: Lock, manifest: Manifest): string[] {
  const allow = manifest.allowScripts ?? {};
  const problems: string[] = [];
  const scripted = new Set<string>();
  for (const [path, entry] of lockedPackages(lock)) {
    // npm never runs a bundled dependency's install scripts.
    if (!entry.hasInstallScript || entry.inBundle) continue;
    const name = nameAt(path);
    scripted.add(name);
    const verdict = scriptVerdict(name, entry, allow);
    if (verdict === 'allowed') continue;
    const why = {
      denied: 'is denied in package.json allowScripts, so it would not build',
      'pinned-unverifiable':
        'is approved only by version, which npm refuses when the lock has no "resolved" URL; approve the bare name',
      unreviewed: 'is not listed in package.json allowScripts',
    }[verdict];
    problems.push(
      `${name}@${entry.version} has an install script and ${why}; pulled in by ` +
        `${parentsOf(lock, path).join(', ') || '(nothing)'} (${path}). ` +
        `Review it, then run \`npm install-scripts approve ${name}\`.`,
    );
  }
  for (const key of Object.keys(allow)) {
    const { name } = parseAllowKey(key);
    if (!scripted.has(name)) {
      problems.push(
        `package.json allowScripts "${key}" matches no package with an install script in package-lock.json`,
      );
    }
  }
  return problems;
}

describe('npm ci on the oldest supported Node', () => {
  const lock = readJson<Lock>('package-lock.json');
  const manifest = readJson<Manifest>('package.json');

  it('installs no package whose engines.node excludes the oldest Node package.json admits', () => {
    expect(engineProblems(lock, manifest)).toEqual([]);
  });

  it('runs every install script in the lock with an approval in allowScripts, and approves nothing else', () => {
    expect(installScriptProblems(lock, manifest)).toEqual([]);
  });

  it('still builds better-sqlite3, whose install script is approved', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(':memory:');
    expect(db.prepare('select 1 + 1 as two').get()).toEqual({ two: 2 });
    db.close();
  });
});

describe('the checks name what is wrong', () => {
  // A project (root), a parent that pulls a Node 22 package, a nested copy that shadows a
  // hoisted one, and packages with install scripts.
  const lock: Lock = {
    packages: {
      '': { dependencies: { parent: '^1.0.0', 'other-user': '^1.0.0', esbuild: '^0.28.0' } },
      'node_modules/parent': { version: '1.4.0', dependencies: { 'needs-22': '^3.0.0' } },
      'node_modules/parent/node_modules/needs-22': { version: '3.1.0', engines: { node: '>=22' } },
      'node_modules/other-user': { version: '1.0.0', dependencies: { 'needs-22': '^2.0.0' } },
      'node_modules/needs-22': { version: '2.0.1', engines: { node: '>=18' } },
      'node_modules/esbuild': { version: '0.28.2', hasInstallScript: true },
      'node_modules/@scope/native': { version: '1.2.3', hasInstallScript: true },
      'node_modules/parent/node_modules/bundled': {
        version: '1.0.0',
        hasInstallScript: true,
        inBundle: true,
      },
    },
  };

  it('names the package, its version, the range it needs and the parent that pulls it', () => {
    expect(engineProblems(lock, { engines: { node: '>=20.19.0' } })).toEqual([
      'needs-22@3.1.0 requires node ">=22" but package.json engines.node ">=20.19.0" admits 20.19.0; ' +
        'pulled in by parent@1.4.0 (node_modules/parent/node_modules/needs-22)',
    ]);
    expect(engineProblems(lock, { engines: { node: '>=22' } })).toEqual([]);
    expect(engineProblems(lock, {})).toEqual(['package.json has no engines.node']);
  });

  it('names each unapproved install script with its parent, and stale approvals', () => {
    expect(installScriptProblems(lock, { allowScripts: { esbuild: true, left: true } })).toEqual([
      '@scope/native@1.2.3 has an install script and is not listed in package.json allowScripts; ' +
        'pulled in by (nothing) (node_modules/@scope/native). Review it, then run `npm install-scripts approve @scope/native`.',
      'package.json allowScripts "left" matches no package with an install script in package-lock.json',
    ]);
    expect(
      installScriptProblems(lock, { allowScripts: { esbuild: true, '@scope/native@*': true } }),
    ).toEqual([]);
  });

  it('refuses a version pin without a resolved URL and lets a denial win, as npm does', () => {
    const [pinned] = installScriptProblems(lock, {
      allowScripts: { 'esbuild@0.28.2': true, '@scope/native': true },
    });
    expect(pinned).toContain(
      'esbuild@0.28.2 has an install script and is approved only by version',
    );
    const resolvedLock: Lock = {
      packages: {
        ...lock.packages,
        'node_modules/esbuild': {
          version: '0.28.2',
          resolved: 'https://registry.npmjs.org/esbuild/-/esbuild-0.28.2.tgz',
          hasInstallScript: true,
        },
      },
    };
    const allowScripts = { 'esbuild@0.28.1 || 0.28.2': true, '@scope/native': true };
    expect(installScriptProblems(resolvedLock, { allowScripts })).toEqual([]);
    const denied = installScriptProblems(lock, {
      allowScripts: { esbuild: true, '@scope/native': false },
    });
    expect(denied).toHaveLength(1);
    expect(denied[0]).toContain('@scope/native@1.2.3 has an install script and is denied');
  });
});

/**
 * package.json overrides give three parents the Node 20 major of a helper they require
 * (content-disposition, content-type, cookie: the next majors are the same code as ES modules
 * for Node 22). Each parent's call into its helper, made for real.
 */
describe('the parents of the overridden helpers still work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-install-'));
  const app = Fastify();
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('@fastify/static names a download (content-disposition), inject sends cookies (cookie), octokit reads JSON (content-type)', async () => {
    writeFileSync(join(dir, 'report.txt'), 'numbers');
    await app.register(fastifyStatic, { root: dir, serve: false });
    app.get('/download', (_request, reply) => reply.download('report.txt', 'rapport été.txt'));
    app.get('/cookies', (request) => ({ cookie: request.headers.cookie }));
    app.get('/repos/:owner/:repo', (request, reply) =>
      reply
        .type('application/json; charset=utf-8')
        .send({ full_name: Object.values(request.params as object).join('/') }),
    );

    const download = await app.inject({ url: '/download' });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('numbers');
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="rapport ?t?.txt"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9.txt`,
    );

    const cookies = await app.inject({
      url: '/cookies',
      cookies: { session: 'a b', theme: 'dark' },
    });
    expect(cookies.json()).toEqual({ cookie: 'session=a%20b; theme=dark' });

    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const octokit = new Octokit({ baseUrl: address });
    const { data } = await octokit.rest.repos.get({ owner: 'acme', repo: 'portal' });
    expect(data.full_name).toBe('acme/portal');
  });
});
