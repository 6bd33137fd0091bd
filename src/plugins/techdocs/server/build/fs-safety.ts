import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** True when `child` is `parent` or below it (both absolute, resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

export type SafeEntry =
  | { kind: 'file'; size: number; mtimeMs: number; ino: number; ctimeMs: number }
  | { kind: 'dir' }
  | { kind: 'missing' }
  | { kind: 'refused'; reason: string };

/**
 * What a path is, following a symlink only when its target stays inside `root` (the real
 * path of the source folder); folders reached through a symlink are not followed, so a
 * link cannot make the walk loop or leave the folder.
 */
export async function inspectPath(root: string, file: string): Promise<SafeEntry> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(file);
  } catch {
    return { kind: 'missing' };
  }
  if (info.isSymbolicLink()) {
    let target: string;
    try {
      target = await realpath(file);
    } catch {
      return { kind: 'refused', reason: 'symlink to a missing target' };
    }
    if (!isInside(root, target))
      return { kind: 'refused', reason: 'symlink leaves the docs folder' };
    const targetInfo = await stat(target);
    if (targetInfo.isDirectory()) {
      return { kind: 'refused', reason: 'symlinked folders are not followed' };
    }
    info = targetInfo;
  }
  if (info.isDirectory()) return { kind: 'dir' };
  if (info.isFile()) {
    return {
      kind: 'file',
      size: info.size,
      mtimeMs: info.mtimeMs,
      ino: info.ino,
      ctimeMs: info.ctimeMs,
    };
  }
  return { kind: 'refused', reason: 'not a regular file' };
}
