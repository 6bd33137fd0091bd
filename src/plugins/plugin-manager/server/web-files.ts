import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * The file a web-route path names inside a plugin's web folder, or undefined when it names
 * nothing there: `..`, `.`, empty segments, backslashes and NUL are refused before touching
 * the disk, and the real path (links followed, for plugins loaded from a folder) must still be
 * inside the real web folder.
 */
export function webFile(webRoot: string, path: string): string | undefined {
  const parts = path.split('/');
  if (
    path === '' ||
    path.includes('\0') ||
    path.includes('\\') ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    return undefined;
  }
  const full = resolve(webRoot, path);
  if (!inside(webRoot, full)) return undefined;
  try {
    const real = realpathSync(full);
    if (!inside(realpathSync(webRoot), real) || !statSync(real).isFile()) return undefined;
    return real;
  } catch {
    return undefined;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  wasm: 'application/wasm',
};

/** Content type by extension; what is not listed is served as bytes, never as a page. */
export function webContentType(file: string): string {
  const dot = file.lastIndexOf('.');
  return TYPES[dot < 0 ? '' : file.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** A short, URL-safe tag of what identifies a build: version and tarball hash. */
export function buildTag(version: string, integrity: string): string {
  return createHash('sha256').update(`${version}\n${integrity}`).digest('base64url').slice(0, 16);
}
