import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../../../../core/errors.ts';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Where `path` really leads: the real path of its nearest existing ancestor joined with the
 * rest. A symlink met on the way, dangling ones included (a write would create its target),
 * is followed by its link text.
 */
function realOrNearest(path: string, depth = 0): string {
  if (depth > 40) throw new InputError(`'${path}' has too many levels of symlinks`);
  let current = path;
  const rest: string[] = [];
  for (;;) {
    let link = false;
    let exists = true;
    try {
      link = lstatSync(current).isSymbolicLink();
    } catch {
      exists = false;
    }
    if (link) {
      const target = resolve(dirname(current), readlinkSync(current));
      return realOrNearest(resolve(target, ...rest), depth + 1);
    }
    if (exists) return resolve(realpathSync(current), ...rest);
    const parent = dirname(current);
    if (parent === current) return resolve(current, ...rest);
    rest.unshift(basename(current));
    current = parent;
  }
}

/**
 * Resolves a path that template input names (`targetPath`, `fs:rename` targets, ...) inside
 * `workspace`. Refuses absolute paths, `..` that climbs out, and symlinks that lead out,
 * naming `field` so the task log says which input was wrong.
 */
export function resolveSafeChildPath(workspace: string, path: string, field = 'path'): string {
  if (isAbsolute(path)) {
    throw new InputError(
      `${field}: '${path}' is an absolute path; use a path inside the workspace`,
    );
  }
  const target = resolve(workspace, path);
  if (!isInside(workspace, target)) {
    throw new InputError(`${field}: '${path}' leads outside the workspace`);
  }
  const realRoot = realpathSync(workspace);
  if (!isInside(realRoot, realOrNearest(target))) {
    throw new InputError(`${field}: '${path}' leads outside the workspace through a symlink`);
  }
  return target;
}
