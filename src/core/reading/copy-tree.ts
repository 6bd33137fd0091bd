import type { Dirent } from 'node:fs';
import { copyFile, mkdir, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InputError } from '../errors.ts';

/** Whether `path` is `root` or below it (both absolute, compared as written). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Copies the folder `src` into `dest` (which exists). Symbolic links are copied as what they
 * point to when that is inside `src`, and refused otherwise; file modes are kept.
 */
/**
 * Like Promise.all, but waits for every promise before rejecting with the first error, so
 * nothing is still writing when the caller removes a half-made copy.
 */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

export async function copyTree(src: string, dest: string, label: string, skipGitDir: boolean) {
  const realRoot = await realpath(src);

  /** `ancestors`: real paths of the folders being copied above, to stop link loops. */
  const copyDir = async (
    from: string,
    to: string,
    rel: string,
    real: string,
    ancestors: ReadonlySet<string>,
  ): Promise<void> => {
    await mkdir(to, { recursive: true });
    const inner = new Set(ancestors).add(real);
    const entries = await readdir(from, { withFileTypes: true });
    await settleAll(
      entries
        .filter((e) => !(skipGitDir && rel === '' && e.name === '.git'))
        .map((e) =>
          copyEntry(
            join(from, e.name),
            join(to, e.name),
            rel ? `${rel}/${e.name}` : e.name,
            e,
            join(real, e.name),
            inner,
          ),
        ),
    );
  };

  const copyEntry = async (
    from: string,
    to: string,
    rel: string,
    entry: Dirent,
    real: string,
    ancestors: ReadonlySet<string>,
  ): Promise<void> => {
    if (entry.isSymbolicLink()) {
      let resolved: string;
      try {
        resolved = await realpath(from);
      } catch {
        throw new InputError(`Symbolic link ${rel} in ${label} is broken or loops`);
      }
      if (!isInside(realRoot, resolved)) {
        throw new InputError(
          `Symbolic link ${rel} in ${label} points to ${await readlink(from)}, outside the folder being read; refusing to copy it`,
        );
      }
      const info = await stat(resolved);
      if (info.isDirectory()) {
        if (ancestors.has(resolved)) {
          throw new InputError(`Symbolic link ${rel} in ${label} forms a loop`);
        }
        await copyDir(resolved, to, rel, resolved, ancestors);
      } else if (info.isFile()) {
        await copyFile(resolved, to);
      }
      return;
    }
    if (entry.isDirectory()) {
      await copyDir(from, to, rel, real, ancestors);
    } else if (entry.isFile()) {
      // copyFile gives the copy the source's mode (libuv fchmods it), executable bits included.
      await copyFile(from, to);
    }
    // Sockets, FIFOs and devices are not content: skipped.
  };

  await copyDir(src, dest, '', realRoot, new Set());
}
