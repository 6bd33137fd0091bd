import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../../../../../core/errors.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';

/**
 * Resolves a workspace entry that an action removes or moves as a directory entry: the entry
 * itself, never what a symlink there points to. Its parent must resolve inside the workspace
 * (symlinks included); the entry may be a symlink leading anywhere, because `rm` and `rename`
 * act on the link. Refuses absolute paths, `..` that climbs out and the workspace root.
 */
export function resolveEntryPath(workspace: string, path: string, field: string): string {
  if (isAbsolute(path)) {
    throw new InputError(
      `${field}: '${path}' is an absolute path; use a path inside the workspace`,
    );
  }
  const root = resolve(workspace);
  const target = resolve(root, path);
  if (target === root) throw new InputError(`${field}: '${path}' is the workspace itself`);
  const rel = relative(root, target);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(`${field}: '${path}' leads outside the workspace`);
  }
  resolveSafeChildPath(root, relative(root, dirname(target)) || '.', field);
  return target;
}
