/**
 * The JavaScript a first visit downloads before the app can render stays under 350 kB gzipped:
 * the entry script, what index.html preloads, and every chunk they import statically (lazy
 * pages, the graph and the plugin bundles' shared modules come later). The build is
 * test/global-setup.ts's, from the current sources.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const WEB = resolve(import.meta.dirname, '../dist/web');
const LIMIT = 350_000;

/** `./x.js` in `import{a}from"./x.js"` and `import"./x.js"`, not in `import("./x.js")`. */
const STATIC_IMPORT = /(?:^|[;}\s])import\s*(?:[\w$*{}\s,]+?from\s*)?["'](\.\/[^"']+\.js)["']/g;

function initialChunks(): string[] {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  const start = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="\/([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/([^"]+)"/g),
  ].map((m) => m[1]!);
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const code = readFileSync(join(WEB, path), 'utf8');
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    for (const m of code.matchAll(STATIC_IMPORT)) visit(dir + m[1]!.slice(2));
  };
  start.forEach(visit);
  return [...seen];
}

describe('the web app’s initial JavaScript', () => {
  it(`is under ${LIMIT / 1000} kB gzipped`, () => {
    const chunks = initialChunks();
    expect(chunks.some((c) => c.startsWith('assets/index-'))).toBe(true);
    const sizes = chunks.map((c) => [c, gzipSync(readFileSync(join(WEB, c))).length] as const);
    const total = sizes.reduce((sum, [, size]) => sum + size, 0);
    expect(total, JSON.stringify(Object.fromEntries(sizes))).toBeLessThan(LIMIT);
    // The lazy chunks really are left out (the graph's layout engine alone is ~0.5 MB).
    expect(chunks.some((c) => c.includes('GraphView'))).toBe(false);
  });
});
