import { createHash } from 'node:crypto';
import { readdir as readdirCallback } from 'node:fs';
import { realpath, stat, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { NotAllowedError } from '../../../../core/errors.ts';
import {
  fetchAllowed,
  type ReadingPolicy,
  readCappedBody,
} from '../../../../core/reading/allow-list.ts';
import type { Problem } from '../../../../model/entity.ts';

/** One file read from a location, with the ref Backstage puts in `managed-by-location`. */
export interface SourceFile {
  type: string;
  /** Absolute path or URL. */
  target: string;
  /** `file:/abs/path.yaml` or `url:https://host/path.yaml` */
  locationRef: string;
  content: string;
  hash: string;
}

export interface ReadResult {
  /**
   * The files, possibly read one by one as they are iterated (a glob's files are), so
   * that only one is held in memory at a time.
   */
  files: Iterable<SourceFile> | AsyncIterable<SourceFile>;
  /** Problems; a lazy reader adds those of its files while they are iterated. */
  problems: Problem[];
}

export interface ReadOptions {
  /** `presence: optional` on a Location: a missing target is not an error. */
  optional?: boolean;
  /**
   * Absolute folders the read must stay below (`catalog.locationRoots`, for locations
   * registered through the API). Absent: no confinement (config locations).
   */
  roots?: string[];
}

/**
 * Reads one kind of location target. The catalog's own `file` and `url` readers are
 * contributed through the same extension point that a git or SaaS provider would use.
 */
export interface LocationReader {
  type: string;
  read(target: string, options?: ReadOptions): Promise<ReadResult>;
  /** Resolves a target written relative to a file this reader produced. */
  resolve(base: string, target: string): string;
  /** Reads one file referenced by a `$text`/`$json`/`$yaml` placeholder, confined to `root`. */
  readReferenced(
    base: string,
    target: string,
    root: string,
  ): Promise<{ target: string; content: string }>;
}

export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export function hashText(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

function decodeText(buffer: Buffer, where: string): string {
  if (buffer.length > MAX_FILE_BYTES) {
    throw new Error(
      `${where} is ${(buffer.length / 1048576).toFixed(1)} MB; catalog files may be at most ${MAX_FILE_BYTES / 1048576} MB`,
    );
  }
  if (buffer.subarray(0, 8000).includes(0)) {
    throw new Error(`${where} is a binary file, not YAML`);
  }
  return buffer.toString('utf8');
}

export interface FileReaderLimits {
  /** Most files one glob may match (`catalog.limits.globFiles`). */
  globFiles: number;
  /** Most bytes read from one glob's files (`catalog.limits.globBytes`). */
  globBytes: number;
}

export const DEFAULT_FILE_READER_LIMITS: FileReaderLimits = {
  globFiles: 10_000,
  globBytes: 256 * 1024 * 1024,
};

/** Directory entries a glob may visit per file it may match, before the crawl stops. */
const CRAWL_ENTRIES_PER_FILE = 20;

function isBelow(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The folder part of a glob before its first pattern segment (`/a/b/**\/x.yaml` → `/a/b`). */
function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (isDynamicPattern(part)) break;
    fixed.push(part);
  }
  return fixed.join('/') || '/';
}

const OUTSIDE_ROOTS =
  'is outside the folders that locations registered through the API may read; add its folder to catalog.locationRoots in app-config.yaml';

export class FileReader implements LocationReader {
  readonly type = 'file';

  constructor(private readonly limits: () => FileReaderLimits = () => DEFAULT_FILE_READER_LIMITS) {}

  async read(target: string, options: ReadOptions = {}): Promise<ReadResult> {
    const problems: Problem[] = [];
    const refuse = (message: string, name = 'InputError'): ReadResult => ({
      files: [],
      problems: [{ level: 'error', name, message, file: target }],
    });
    if (target.endsWith('/') || target.endsWith(sep)) {
      return refuse(
        `File location target ${target} ends with a path separator; name a file or a glob such as ${target}**/catalog-info.yaml`,
      );
    }
    const roots = options.roots ? await Promise.all(options.roots.map(realOrSelf)) : undefined;
    const dynamic = isDynamicPattern(target);
    if (roots && !writtenBelowRoots(target, roots))
      return refuse(`${target} ${OUTSIDE_ROOTS}`, 'NotAllowedError');
    let paths: string[];
    if (dynamic) {
      const limits = this.limits();
      const matched = await boundedGlob(target, limits.globFiles);
      if (typeof matched === 'string') return refuse(matched);
      paths = matched
        // Shallower paths first, so a file reached again through a symlink loop keeps its direct path.
        .sort((a, b) => a.split(sep).length - b.split(sep).length || a.localeCompare(b));
      if (!paths.length && !options.optional) {
        problems.push({
          level: 'error',
          name: 'NotFoundError',
          message: `No files match ${target}`,
          file: target,
        });
      }
    } else {
      paths = [target];
    }
    return { files: this.readEach(paths, target, options, roots, problems), problems };
  }

  /** Reads the paths one at a time, as they are iterated; memory holds one file at most. */
  private async *readEach(
    paths: string[],
    target: string,
    options: ReadOptions,
    roots: string[] | undefined,
    problems: Problem[],
  ): AsyncGenerator<SourceFile> {
    const seen = new Map<string, string>();
    const budget = paths.length > 1 ? this.limits().globBytes : Number.POSITIVE_INFINITY;
    let bytes = 0;
    let outside = 0;
    for (const [index, path] of paths.entries()) {
      try {
        const real = await realpath(path);
        if (roots && !roots.some((root) => isBelow(real, root))) {
          // Reached through a symbolic link: neither read nor named.
          outside++;
          continue;
        }
        const info = await stat(real);
        if (info.isDirectory()) {
          throw new Error(
            `${path} is a directory; name a file or a glob such as ${path}/**/catalog-info.yaml`,
          );
        }
        if (info.size > MAX_FILE_BYTES) {
          throw new Error(
            `${path} is ${(info.size / 1048576).toFixed(1)} MB; catalog files may be at most ${MAX_FILE_BYTES / 1048576} MB`,
          );
        }
        if (bytes + info.size > budget) {
          problems.push({
            level: 'error',
            name: 'InputError',
            message: `${target}: the files matched add up to more than ${(budget / 1048576).toFixed(0)} MiB (limit catalog.limits.globBytes); ${paths.length - index} of ${paths.length} files were not read`,
            file: target,
          });
          break;
        }
        bytes += info.size;
        const first = seen.get(real);
        if (first) {
          problems.push({
            level: 'warning',
            message: `${path} is ${first} again, reached through a symbolic link (a link loop?); read once`,
            file: path,
          });
          continue;
        }
        seen.set(real, path);
        const content = decodeText(await readFile(real), path);
        yield {
          type: 'file',
          target: path,
          locationRef: `file:${path}`,
          content,
          hash: hashText(content),
        };
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') {
          if (!options.optional)
            problems.push({
              level: 'error',
              name: 'NotFoundError',
              message: `File ${path} does not exist`,
              file: path,
            });
        } else if (roots && e.code) {
          // Under confinement the server's own error texts (which may name other paths) stay inside.
          problems.push({
            level: 'error',
            name: 'InputError',
            message: `${path} could not be read (${e.code})`,
            file: path,
          });
        } else if (e.code === 'ELOOP') {
          problems.push({
            level: 'error',
            name: 'InputError',
            message: `${path} is a symbolic link loop`,
            file: path,
          });
        } else {
          problems.push({ level: 'error', name: 'InputError', message: e.message, file: path });
        }
      }
    }
    if (outside) {
      problems.push({
        level: 'error',
        name: 'NotAllowedError',
        message: `${outside} file${outside === 1 ? '' : 's'} reached through symbolic links ${outside === 1 ? 'is' : 'are'} outside catalog.locationRoots and ${outside === 1 ? 'was' : 'were'} not read`,
        file: target,
      });
    }
  }

  resolve(base: string, target: string): string {
    return isAbsolute(target) ? target : resolve(dirname(base), target);
  }

  async readReferenced(base: string, target: string, root: string) {
    const path = this.resolve(base, target);
    const real = await realpath(path).catch(() => path);
    const rootReal = await realpath(root).catch(() => root);
    if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) {
      throw new Error(`${target} resolves to ${real}, outside the location's folder ${rootReal}`);
    }
    const info = await stat(real);
    if (info.size > MAX_FILE_BYTES)
      throw new Error(`${path} is larger than ${MAX_FILE_BYTES / 1048576} MB`);
    return { target: path, content: decodeText(await readFile(real), path) };
  }
}

/** An API request reading one file; `retry` asks again with fresh credentials after a 401. */
export interface BlobRequest {
  url: string;
  headers: Record<string, string>;
  retry?: () => Promise<BlobRequest | undefined>;
}

/**
 * The API request that reads a file given by its blob URL on an SCM host
 * (`https://github.com/org/repo/blob/main/catalog-info.yaml` → the contents API), or undefined
 * when the URL is not one this resolver knows (then the next one is asked). May be async: a
 * GitHub App's installation token is asked for first.
 */
export type BlobRequestResolver = (
  target: string,
) => BlobRequest | undefined | Promise<BlobRequest | undefined>;

/** The HTTP client for SCM API reads: conditional requests (ETags) and rate limits. */
export interface ScmReadClient {
  request(
    url: string,
    init?: { headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<{ status: number; text: string; notModified?: boolean }>;
}

/**
 * Files a discovery scan already holds (GraphQL returns blob text), by target: the next read of
 * that target takes the text from here instead of sending a request.
 */
export interface PrefetchedFiles {
  get(target: string): string | undefined;
}

export interface UrlReaderOptions {
  /** Consulted first. */
  prefetched?: PrefetchedFiles;
  /** Blob URLs on integration hosts are read through their API (GitHub, then GitLab). */
  blobResolvers?: () => BlobRequestResolver[];
  /** The shared client those API reads go through. */
  scmClient?: () => ScmReadClient | undefined;
}

/**
 * Reads `url` locations over http(s). What may be read, redirects included, is decided by the
 * one allow list of core/reading/allow-list.ts: `backend.reading.allow` and the configured
 * integration hosts. A file a provider's scan prefetched is not requested again, and a blob URL
 * on an integration host is read through the host's API (the HTML page is not the file).
 */
export class UrlReader implements LocationReader {
  readonly type = 'url';
  constructor(
    /** The reading policy, looked up at each read (config exists only once the app is set up). */
    private readonly policy: () => ReadingPolicy,
    private readonly timeoutMs = 15_000,
    private readonly options: UrlReaderOptions = {},
  ) {}

  private async fetchText(target: string): Promise<{ status: number; content?: string }> {
    const viaApi = await this.fetchThroughApi(target);
    if (viaApi) return viaApi;
    // Checked before anything is sent, and again at every redirect hop.
    const response = await fetchAllowed(
      target,
      { signal: AbortSignal.timeout(this.timeoutMs) },
      { policy: this.policy(), target },
    );
    if (!response.ok) {
      await response.body?.cancel();
      return { status: response.status };
    }
    const buffer = await readCappedBody(
      response,
      MAX_FILE_BYTES,
      () =>
        new Error(
          `${target} is larger than ${MAX_FILE_BYTES / 1048576} MB, the most a catalog file may be`,
        ),
    );
    return { status: response.status, content: decodeText(buffer, target) };
  }

  /** A blob URL on an integration host, read through the host's API; undefined otherwise. */
  private async fetchThroughApi(
    target: string,
  ): Promise<{ status: number; content?: string } | undefined> {
    const client = this.options.scmClient?.();
    if (!client) return undefined;
    for (const resolve of this.options.blobResolvers?.() ?? []) {
      const request = await resolve(target);
      if (!request) continue;
      const send = (r: BlobRequest) =>
        client.request(r.url, { headers: r.headers, signal: AbortSignal.timeout(this.timeoutMs) });
      let response = await send(request);
      // An installation token that expired early: once more with a fresh one.
      if (response.status === 401 && request.retry) {
        const again = await request.retry();
        if (again) response = await send(again);
      }
      // A 304 comes back with the body cached from the earlier answer.
      const ok = response.notModified || (response.status >= 200 && response.status <= 299);
      if (!ok) return { status: response.status };
      return {
        status: response.status,
        content: decodeText(Buffer.from(response.text, 'utf8'), target),
      };
    }
    return undefined;
  }

  async read(target: string, options: ReadOptions = {}): Promise<ReadResult> {
    try {
      const prefetched = this.options.prefetched?.get(target);
      const { status, content } =
        prefetched !== undefined
          ? { status: 200, content: prefetched }
          : await this.fetchText(target);
      if (content === undefined) {
        if (status === 404 && options.optional) return { files: [], problems: [] };
        return {
          files: [],
          problems: [
            {
              level: 'error',
              name: status === 404 ? 'NotFoundError' : 'Error',
              message: `Reading ${target} failed with HTTP ${status}`,
              file: target,
            },
          ],
        };
      }
      return {
        files: [
          { type: 'url', target, locationRef: `url:${target}`, content, hash: hashText(content) },
        ],
        problems: [],
      };
    } catch (error) {
      return {
        files: [],
        problems: [
          { level: 'error', name: 'InputError', message: (error as Error).message, file: target },
        ],
      };
    }
  }

  resolve(base: string, target: string): string {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return new URL(target).toString();
    return new URL(target, base).toString();
  }

  async readReferenced(base: string, target: string, root: string) {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(target);
    const url = this.resolve(base, target);
    // A relative placeholder must stay within the location's own site; absolute URLs go
    // through backend.reading.allow like any other read.
    if (!absolute) {
      const rootUrl = new URL(root);
      if (new URL(url).origin !== rootUrl.origin)
        throw new Error(`${target} resolves to ${url}, outside ${rootUrl.origin}`);
    }
    const { status, content } = await this.fetchText(url);
    if (content === undefined) throw new Error(`Reading ${url} failed with HTTP ${status}`);
    return { target: url, content };
  }
}

/**
 * Whether a file target or glob, as written, lies below one of `roots` (real paths). Checked
 * before anything is read, so nothing outside is even looked at; each file read is checked
 * again on its real path (symbolic links).
 */
function writtenBelowRoots(target: string, roots: string[]): boolean {
  const dynamic = isDynamicPattern(target);
  if (dynamic && /(^|\/)\.\.(\/|$)/.test(target)) return false;
  const written = resolve(dynamic ? globBase(target) : target);
  return roots.some((root) => isBelow(written, root));
}

/** Refuses a `file` target outside `roots` (registration through the API), naming the key. */
export async function assertFileTargetInRoots(target: string, roots: string[]): Promise<void> {
  const real = await Promise.all(roots.map(realOrSelf));
  if (!roots.length)
    throw new NotAllowedError(
      `file locations cannot be registered through the API: catalog.locationRoots in app-config.yaml lists no folder (register url locations, or list the folders that may be read)`,
    );
  if (!writtenBelowRoots(target, real)) throw new NotAllowedError(`${target} ${OUTSIDE_ROOTS}`);
}

async function realOrSelf(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/**
 * The files a glob matches, or a message when it matches more than `maxFiles` or its crawl
 * visits more than {@link CRAWL_ENTRIES_PER_FILE} times as many directory entries (`/usr/**`
 * would otherwise list the whole tree before anything is refused).
 */
async function boundedGlob(pattern: string, maxFiles: number): Promise<string[] | string> {
  const maxEntries = maxFiles * CRAWL_ENTRIES_PER_FILE;
  let entries = 0;
  const crawl = new AbortController();
  const fsAdapter = {
    readdir: ((
      path: string,
      options: unknown,
      callback: (e: Error | null, r?: unknown[]) => void,
    ) =>
      readdirCallback(path, options as { withFileTypes: true }, (error, result) => {
        if (!error && result) {
          entries += result.length;
          if (entries > maxEntries) crawl.abort();
        }
        callback(error, result);
      })) as unknown,
  };
  let paths: string[] = [];
  // Crawled from the pattern's fixed folder: given an absolute pattern and no cwd, the
  // crawler also lists the folders above it (all of /tmp for /tmp/x/*.yaml), which counted
  // against the bound and made it depend on whatever else lives there.
  const base = resolve(globBase(pattern));
  try {
    paths = await glob(relative(base, resolve(pattern)) || '.', {
      cwd: base,
      absolute: true,
      onlyFiles: true,
      dot: false,
      expandDirectories: false,
      signal: crawl.signal,
      fs: fsAdapter as never,
    });
  } catch (error) {
    if (!crawl.signal.aborted) return `${pattern}: ${(error as Error).message}`;
  }
  if (crawl.signal.aborted)
    return `${pattern} searches more than ${maxEntries} directory entries (limit catalog.limits.globFiles × ${CRAWL_ENTRIES_PER_FILE}); narrow the glob`;
  if (paths.length > maxFiles)
    return `${pattern} matches ${paths.length} files, more than ${maxFiles} (limit catalog.limits.globFiles); narrow the glob or raise the limit`;
  return paths;
}
