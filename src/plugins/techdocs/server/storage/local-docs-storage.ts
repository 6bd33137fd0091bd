import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, readdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DocsTriplet, SiteMetadata } from '../../common/index.ts';
import type { DocsStorage } from './docs-storage.ts';
import { normaliseTriplet } from './triplet.ts';

const METADATA_FILE = 'techdocs_metadata.json';

/**
 * Sites on the local disk under `root` (techdocs.publisher.local.publishDirectory).
 * Publishing copies into a hidden temporary folder beside the target and swaps it in with
 * renames, so a reader never sees half a site; hidden folders are not sites.
 */
export class LocalDocsStorage implements DocsStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  siteDir(triplet: DocsTriplet): string {
    const t = normaliseTriplet(triplet);
    return path.join(this.root, t.namespace, t.kind, t.name);
  }

  async publish(triplet: DocsTriplet, siteDir: string): Promise<void> {
    const source = path.resolve(siteDir);
    await readSiteMetadata(source, `${siteDir}: not a built docs site`);
    const target = this.siteDir(triplet);
    const parent = path.dirname(target);
    await mkdir(parent, { recursive: true });
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const staging = path.join(parent, `.${path.basename(target)}.new-${suffix}`);
    const retired = path.join(parent, `.${path.basename(target)}.old-${suffix}`);
    try {
      await copyTree(source, staging);
      // rename() cannot replace a non-empty folder, so the old site steps aside first;
      // between the two renames readers are served from it (readFile).
      let hadOld = false;
      try {
        await rename(target, retired);
        hadOld = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      try {
        await rename(staging, target);
      } catch (error) {
        if (hadOld) await rename(retired, target).catch(() => undefined);
        throw error;
      }
      if (hadOld) await rm(retired, { recursive: true, force: true });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async getMetadata(triplet: DocsTriplet): Promise<SiteMetadata | undefined> {
    const buffer = await this.readFile(triplet, METADATA_FILE);
    if (!buffer) return undefined;
    try {
      return JSON.parse(buffer.toString('utf8')) as SiteMetadata;
    } catch {
      return undefined;
    }
  }

  async readFile(triplet: DocsTriplet, relPath: string): Promise<Buffer | undefined> {
    const site = this.siteDir(triplet);
    const segments = safeSegments(relPath);
    if (!segments) return undefined;
    const found = await readInSite(site, segments);
    if (found instanceof Buffer) return found;
    // Not there: maybe a republish is moving folders this instant (see publish), the old
    // site aside (serve it from there) or already gone (serve the new one in its place).
    const parent = path.dirname(site);
    for (let attempt = 0; attempt < 3; attempt++) {
      const retired = (await readdir(parent).catch(() => [] as string[])).filter((name) =>
        name.startsWith(`.${path.basename(site)}.old-`),
      );
      for (const name of retired) {
        // Maybe half deleted already: only a file found there counts.
        const old = await readInSite(path.join(parent, name), segments);
        if (old instanceof Buffer) return old;
      }
      const again = await readInSite(site, segments);
      if (again instanceof Buffer) return again;
      // No republish under way: the file (or the whole site) is not there.
      if (!retired.length) return undefined;
    }
    return undefined;
  }

  async listSites(): Promise<DocsTriplet[]> {
    const sites: DocsTriplet[] = [];
    for (const namespace of await visibleDirs(this.root)) {
      for (const kind of await visibleDirs(path.join(this.root, namespace))) {
        for (const name of await visibleDirs(path.join(this.root, namespace, kind))) {
          const metadata = path.join(this.root, namespace, kind, name, METADATA_FILE);
          const stat = await lstat(metadata).catch(() => undefined);
          if (stat?.isFile()) sites.push({ namespace, kind, name });
        }
      }
    }
    return sites;
  }

  async remove(triplet: DocsTriplet): Promise<void> {
    await rm(this.siteDir(triplet), { recursive: true, force: true });
  }
}

const MISSING_SITE = Symbol('missing site');

/** A file of the site folder `site`, undefined when absent or unsafe, MISSING_SITE without the folder. */
async function readInSite(
  site: string,
  segments: string[],
): Promise<Buffer | undefined | typeof MISSING_SITE> {
  const wanted = path.join(site, ...segments);
  let realSite: string;
  try {
    realSite = await realpath(site);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return MISSING_SITE;
    throw error;
  }
  try {
    const realFile = await realpath(wanted);
    // Any symlink on the way (inside or out of the site) makes the real path differ.
    if (realFile !== path.join(realSite, ...segments)) return undefined;
    const stat = await lstat(realFile);
    if (!stat.isFile()) return undefined;
    return await readFile(realFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP') {
      return undefined;
    }
    throw error;
  }
}

/** The '/'-separated segments of a site-relative path, or undefined if it could escape. */
function safeSegments(relPath: string): string[] | undefined {
  if (typeof relPath !== 'string' || relPath === '' || relPath.includes('\0')) return undefined;
  if (relPath.startsWith('/') || relPath.includes('\\') || /^[a-z]:/i.test(relPath)) {
    return undefined;
  }
  const segments = relPath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0 || segments.some((segment) => segment === '..')) return undefined;
  return segments;
}

async function visibleDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

async function readSiteMetadata(siteDir: string, message: string): Promise<SiteMetadata> {
  let text: string;
  try {
    text = await readFile(path.join(siteDir, METADATA_FILE), 'utf8');
  } catch {
    throw new Error(`${message} (no ${METADATA_FILE})`);
  }
  try {
    const parsed = JSON.parse(text) as SiteMetadata;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.site_name !== 'string') {
      throw new Error('site_name missing');
    }
    return parsed;
  } catch (error) {
    throw new Error(`${message} (${METADATA_FILE}: ${(error as Error).message})`);
  }
}

/** Copies regular files and folders; a symlink in a site is refused, not followed. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await copyTree(source, target);
    else if (entry.isFile()) await copyFile(source, target, constants.COPYFILE_FICLONE);
    else throw new Error(`${source}: only regular files and folders can be published`);
  }
}
