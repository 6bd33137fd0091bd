import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILES } from './mkdocs-config.ts';
import { type DocsSource, readDocsSource, type SourceFile } from './source-files.ts';
import { inspectPath } from './fs-safety.ts';

/**
 * Bumped when the build's output changes for the same input, so published sites are rebuilt
 * after an upgrade.
 */
export const BUILDER_VERSION = 'atrium-docs-2';

/**
 * A hash of mkdocs.yml/mkdocs.yaml and everything under docs_dir: changes when any file is
 * added, removed, renamed or edited. Hashes contents (so a fresh checkout of the same commit
 * hashes the same), but remembers each file's digest by (path, size, mtime, ctime, inode):
 * re-hashing an unchanged folder only stats it.
 */
export async function hashDocsSource(sourceDir: string): Promise<string> {
  return hashSource(await readDocsSource(sourceDir));
}

export async function hashSource(source: DocsSource): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${BUILDER_VERSION}\0`);
  for (const name of CONFIG_FILES) {
    const entry = await inspectPath(source.rootReal, path.join(source.rootReal, name));
    if (entry.kind === 'file') {
      const file = { rel: name, abs: path.join(source.rootReal, name), ...entry };
      hash.update(`config:${name}\0${await fileDigest(file)}\0`);
    }
  }
  if (source.readmeFallback) {
    hash.update(
      `readme:${source.readmeFallback.rel}\0${await fileDigest(source.readmeFallback)}\0`,
    );
  }
  hash.update(`docs_dir:${source.config.docsDir}\0`);
  for (const file of source.files) {
    hash.update(`file:${file.rel}\0${await fileDigest(file)}\0`);
  }
  return hash.digest('hex');
}

interface CachedDigest {
  key: string;
  digest: string;
}

const MAX_CACHED = 100_000;
const digests = new Map<string, CachedDigest>();

/** Records the digest of a file the caller has read anyway (the build reads every page). */
export function rememberDigest(
  file: Pick<SourceFile, 'abs' | 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>,
  content: Buffer,
): void {
  // Only when the content read is the size the walk saw: a file changing in between is hashed
  // again from disk later.
  if (content.length !== file.size) return;
  const key = `${file.size}:${file.mtimeMs}:${file.ctimeMs}:${file.ino}`;
  if (digests.size >= MAX_CACHED) digests.clear();
  digests.set(file.abs, { key, digest: createHash('sha256').update(content).digest('hex') });
}

async function fileDigest(file: Pick<SourceFile, 'abs' | 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>) {
  const key = `${file.size}:${file.mtimeMs}:${file.ctimeMs}:${file.ino}`;
  const cached = digests.get(file.abs);
  if (cached?.key === key) return cached.digest;
  const hash = createHash('sha256');
  if (file.size < 4 * 1024 * 1024) hash.update(await readFile(file.abs));
  else for await (const chunk of createReadStream(file.abs)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  if (digests.size >= MAX_CACHED) digests.clear();
  digests.set(file.abs, { key, digest });
  return digest;
}
