import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface WalkEntry {
  /** Absolute path. */
  fullPath: string;
  dirent: Dirent;
}

/**
 * Lists a directory, depth first and sorted by name. Symlinks are reported as entries but
 * never followed, so a link in the workspace cannot lead a listing outside it.
 */
export async function walkDirectory(
  dir: string,
  options: { recursive: boolean; signal?: AbortSignal },
): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const visit = async (current: string) => {
    options.signal?.throwIfAborted();
    const entries = await readdir(current, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of entries) {
      const fullPath = join(current, dirent.name);
      out.push({ fullPath, dirent });
      if (options.recursive && dirent.isDirectory()) await visit(fullPath);
    }
  };
  await visit(dir);
  return out;
}
