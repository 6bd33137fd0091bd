import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { integrityMatches, sriOf } from './integrity.ts';
import { type PluginManifest, readManifest } from './manifest.ts';
import { extractTarball } from './tarball.ts';

const run = promisify(execFile);

/** Where a `plugins:` entry's package comes from. */
export type SourceKind = 'folder' | 'tarball' | 'url' | 'registry';

export interface PluginSource {
  kind: SourceKind;
  /** As written in the config (or on the command line). */
  spec: string;
  /** Absolute path of a folder or tarball; the URL of a url source. */
  target: string;
}

/** A package ready to load: unpacked (or a folder), its manifest read and checked. */
export interface InstalledPackage {
  source: PluginSource;
  /** Absolute package folder. */
  folder: string;
  /** SRI of the tarball it came from (`sha512-…`); null for a folder. */
  integrity: string | null;
  manifest: PluginManifest;
}

/** The folder fetched packages go to, beside the config file that lists them. */
export const PLUGINS_FOLDER = 'plugins';
/** Records what each spec was fetched as, so a restart needs no network. */
export const LOCK_FILE = 'plugins-lock.json';

interface LockEntry {
  name: string;
  version: string;
  /** Package folder inside plugins/. */
  folder: string;
  integrity: string;
  /** The tarball kept beside it (url and registry sources), for checks without the network. */
  tarball?: string;
  /** Where it was fetched from. */
  resolved: string;
}

interface LockFile {
  lockfileVersion: 1;
  plugins: Record<string, LockEntry>;
}

const TARBALL = /\.(tgz|tar\.gz)$/i;
/** An npm package name with an optional version, range or tag (`@acme/x@^1.2`, `x@latest`). */
const REGISTRY_SPEC = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(@[^\s/\\]+)?$/i;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

/**
 * What a spec names: an https URL (plain http only on loopback), a path (starting with `.`,
 * `/` or `file:`; a `.tgz`/`.tar.gz` is a tarball, anything else a folder), or an npm
 * registry spec. Paths are relative to `baseDir`.
 */
export function classifySource(spec: string, baseDir: string): PluginSource {
  const trimmed = spec.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) && !trimmed.startsWith('file:')) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new Error(`'${spec}' is not a valid URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      throw new Error(
        `'${spec}': plugin tarballs are downloaded over https only (plain http only from localhost)`,
      );
    }
    return { kind: 'url', spec, target: url.toString() };
  }
  const path = trimmed.startsWith('file:') ? trimmed.slice(5) : trimmed;
  if (trimmed.startsWith('file:') || path.startsWith('.') || isAbsolute(path)) {
    const target = resolve(baseDir, path);
    return { kind: TARBALL.test(path) ? 'tarball' : 'folder', spec, target };
  }
  if (REGISTRY_SPEC.test(trimmed)) return { kind: 'registry', spec, target: trimmed };
  throw new Error(
    `'${spec}' is neither a path (start it with ./ or /), an https:// tarball URL, nor an npm package spec such as @acme/atrium-plugin-links@1.2.0`,
  );
}

export interface InstallOptions {
  /** Directory of the config file: base of relative paths and of `plugins/`. */
  baseDir: string;
  /** SRI the tarball must match. */
  integrity?: string;
  /** Read only what is already fetched (`atrium plugin list`): never download or unpack. */
  offline?: boolean;
}

/**
 * Makes a package ready to load: a folder as it is; a tarball unpacked into `plugins/`; a URL
 * or registry spec fetched (`npm pack`, so the config folder's .npmrc applies) and unpacked
 * there, unless the lock file says it already was. The tarball is checked against
 * `integrity` every time. Returns undefined only when `offline` and not fetched yet.
 */
export async function installPackage(
  spec: string,
  options: InstallOptions,
): Promise<InstalledPackage | undefined> {
  const source = classifySource(spec, options.baseDir);
  if (source.kind === 'folder') {
    if (options.integrity) {
      throw new Error(
        'integrity applies to tarballs and registry packages; a folder is loaded as it is',
      );
    }
    if (!existsSync(source.target) || !statSync(source.target).isDirectory()) {
      throw new Error(`the folder ${source.target} does not exist`);
    }
    return {
      source,
      folder: source.target,
      integrity: null,
      manifest: readManifest(source.target),
    };
  }

  const dir = join(options.baseDir, PLUGINS_FOLDER);
  const lock = readLock(dir);
  const locked = lock.plugins[spec];
  const lockedFolder = locked && join(dir, locked.folder);
  const reuse = (integrity: string): InstalledPackage | undefined =>
    locked && locked.integrity === integrity && existsSync(join(lockedFolder!, 'package.json'))
      ? { source, folder: lockedFolder!, integrity, manifest: readManifest(lockedFolder!) }
      : undefined;

  let bytes: Buffer;
  if (source.kind === 'tarball') {
    if (!existsSync(source.target)) throw new Error(`the tarball ${source.target} does not exist`);
    bytes = readFileSync(source.target);
    checkIntegrity(options.integrity, bytes);
    const reused = reuse(sriOf(bytes));
    if (reused || options.offline) return reused;
  } else {
    // Fetched before: its tarball is kept, so integrity is checked without the network.
    const kept = locked?.tarball && join(dir, locked.tarball);
    if (kept && existsSync(kept)) {
      const keptBytes = readFileSync(kept);
      if (!options.integrity || integrityMatches(options.integrity, keptBytes)) {
        const reused = reuse(sriOf(keptBytes));
        if (reused) return reused;
      }
    }
    if (options.offline) return undefined;
    mkdirSync(dir, { recursive: true });
    bytes =
      source.kind === 'url'
        ? await download(source.target)
        : await npmPack(spec, options.baseDir, dir);
    checkIntegrity(options.integrity, bytes);
  }

  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, '.unpack-'));
  try {
    const tgz = join(work, 'package.tgz');
    writeFileSync(tgz, bytes);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    const packageFolder = await extractTarball(tgz, unpacked);
    const manifest = readManifest(packageFolder);
    const integrity = sriOf(bytes);
    // The hash in the name keeps two builds of one version apart.
    const base = `${manifest.name.replace(/^@/, '').replace(/[^\w.-]+/g, '-')}-${manifest.version}-${Buffer.from(integrity.slice(7), 'base64').toString('hex').slice(0, 8)}`;
    const folder = join(dir, base);
    rmSync(folder, { recursive: true, force: true });
    renameSync(packageFolder, folder);
    let tarball: string | undefined;
    if (source.kind !== 'tarball') {
      tarball = `${base}.tgz`;
      renameSync(tgz, join(dir, tarball));
    }
    if (lockedFolder && lockedFolder !== folder)
      rmSync(lockedFolder, { recursive: true, force: true });
    if (locked?.tarball && locked.tarball !== tarball)
      rmSync(join(dir, locked.tarball), { force: true });
    lock.plugins[spec] = {
      name: manifest.name,
      version: manifest.version,
      folder: base,
      integrity,
      ...(tarball ? { tarball } : {}),
      resolved: source.target,
    };
    writeLock(dir, lock);
    return { source, folder, integrity, manifest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function checkIntegrity(expected: string | undefined, bytes: Buffer): void {
  if (expected && !integrityMatches(expected, bytes)) {
    throw new Error(
      `integrity mismatch: the config expects ${expected}, but the tarball is ${sriOf(bytes)}`,
    );
  }
}

function readLock(dir: string): LockFile {
  const file = join(dir, LOCK_FILE);
  if (!existsSync(file)) return { lockfileVersion: 1, plugins: {} };
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as LockFile;
    if (lock?.lockfileVersion === 1 && lock.plugins && typeof lock.plugins === 'object')
      return lock;
  } catch {
    // A damaged lock file only costs a fetch: it is rewritten below.
  }
  return { lockfileVersion: 1, plugins: {} };
}

function writeLock(dir: string, lock: LockFile): void {
  const file = join(dir, LOCK_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(lock, null, 2)}\n`);
  renameSync(temp, file);
}

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new Error(`downloading ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`downloading ${url} failed: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_DOWNLOAD_BYTES) throw new Error(`${url} is larger than 256 MB`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_DOWNLOAD_BYTES) throw new Error(`${url} is larger than 256 MB`);
  return bytes;
}

/** Fetches a registry package's tarball the way npm does (registry, auth and proxy from .npmrc). */
async function npmPack(spec: string, cwd: string, into: string): Promise<Buffer> {
  const work = mkdtempSync(join(into, '.npm-pack-'));
  try {
    let stdout: string;
    try {
      ({ stdout } = await run(
        'npm',
        ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', work],
        { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
      ));
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      const detail = (e.stderr || e.message)
        .split('\n')
        .filter((line) => /npm (error|ERR!)/.test(line))
        .join(' ')
        .replace(/npm (error|ERR!)\s*/g, '')
        .trim();
      throw new Error(`npm pack ${spec} failed: ${detail || (e.stderr || e.message).trim()}`);
    }
    const tarballs = readdirSync(work).filter((name) => TARBALL.test(name));
    if (tarballs.length !== 1) {
      throw new Error(`npm pack ${spec} wrote no tarball (it printed: ${stdout.slice(0, 500)})`);
    }
    return readFileSync(join(work, tarballs[0]!));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
