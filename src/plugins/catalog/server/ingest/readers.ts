import { createHash } from 'node:crypto';
import { realpath, stat, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
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
  files: SourceFile[];
  problems: Problem[];
}

export interface ReadOptions {
  /** `presence: optional` on a Location: a missing target is not an error. */
  optional?: boolean;
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

export class FileReader implements LocationReader {
  readonly type = 'file';

  async read(target: string, options: ReadOptions = {}): Promise<ReadResult> {
    const problems: Problem[] = [];
    if (target.endsWith('/') || target.endsWith(sep)) {
      return {
        files: [],
        problems: [
          {
            level: 'error',
            name: 'InputError',
            message: `File location target ${target} ends with a path separator; name a file or a glob such as ${target}**/catalog-info.yaml`,
            file: target,
          },
        ],
      };
    }
    let paths: string[];
    if (isDynamicPattern(target)) {
      paths = (
        await glob(target, {
          absolute: true,
          onlyFiles: true,
          dot: false,
          expandDirectories: false,
        })
      )
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
    const files: SourceFile[] = [];
    const seen = new Map<string, string>();
    for (const path of paths) {
      try {
        const info = await stat(path);
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
        const real = await realpath(path);
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
        const content = decodeText(await readFile(path), path);
        files.push({
          type: 'file',
          target: path,
          locationRef: `file:${path}`,
          content,
          hash: hashText(content),
        });
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
    return { files, problems };
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

export interface ReadingAllowRule {
  host: string;
  paths?: string[];
}

/** `backend.reading.allow`: exact host (with port if any) or `*.example.com`. */
export function isUrlAllowed(url: URL, allow: ReadingAllowRule[]): boolean {
  return allow.some((rule) => {
    const host = rule.host.toLowerCase();
    const actual = url.host.toLowerCase();
    const hostOk = host.startsWith('*.')
      ? actual.endsWith(host.slice(1))
      : actual === host || url.hostname === host;
    if (!hostOk) return false;
    return !rule.paths?.length || rule.paths.some((p) => url.pathname.startsWith(p));
  });
}

export class UrlReader implements LocationReader {
  readonly type = 'url';
  constructor(
    private readonly allow: () => ReadingAllowRule[],
    private readonly timeoutMs = 15_000,
  ) {}

  private async fetchText(target: string): Promise<{ status: number; content?: string }> {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new Error(`${target} is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${target}: only http and https URLs can be read`);
    }
    if (!isUrlAllowed(url, this.allow())) {
      throw new Error(
        `Reading ${url.host} is not allowed: add it to backend.reading.allow in app-config.yaml`,
      );
    }
    let response: Response;
    // Redirects are followed by hand so every hop is checked against backend.reading.allow.
    for (let hop = 0; ; hop++) {
      try {
        response = await fetch(url, {
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: 'manual',
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        throw new Error(`Could not reach ${target}: ${cause ?? (error as Error).message}`);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) break;
      await response.body?.cancel();
      if (hop >= 5) throw new Error(`${target}: too many redirects`);
      url = new URL(location, url);
      if (!isUrlAllowed(url, this.allow())) {
        throw new Error(
          `${target} redirects to ${url.host}, which backend.reading.allow does not list`,
        );
      }
    }
    if (!response.ok) return { status: response.status };
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_FILE_BYTES) {
      await response.body?.cancel();
      throw new Error(
        `${target} is ${(declared / 1048576).toFixed(1)} MB; catalog files may be at most ${MAX_FILE_BYTES / 1048576} MB`,
      );
    }
    const buffer = Buffer.from(await response.arrayBuffer());
    return { status: response.status, content: decodeText(buffer, target) };
  }

  async read(target: string, options: ReadOptions = {}): Promise<ReadResult> {
    try {
      const { status, content } = await this.fetchText(target);
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
