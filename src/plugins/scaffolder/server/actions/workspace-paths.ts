import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../../../../core/errors.ts';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of `path`, or of its nearest existing ancestor joined with the rest. */
function realOrNearest(path: string): string {
  let current = path;
  const rest: string[] = [];
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    rest.unshift(current.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
    current = parent;
  }
  return resolve(realpathSync(current), ...rest);
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
