import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../../../../core/errors.ts';
import { resolveSafeChildPath } from './workspace-paths.ts';

/**
 * Reading and writing single files that an action's input names, confined to the task
 * workspace: absolute paths, `..` that climbs out and symlinks leading out are refused, with
 * `field` (e.g. `path`, `files[2].path`) in the message so the task log says which input.
 */

/** The absolute path of an existing workspace file, or an InputError saying what is wrong. */
export async function existingWorkspaceFile(
  workspace: string,
  path: string,
  field: string,
): Promise<string> {
  const target = resolveSafeChildPath(workspace, path, field);
  const info = await lstat(target).catch(() => undefined);
  if (!info) throw new InputError(`${field}: '${path}' does not exist in the workspace`);
  if (info.isDirectory()) throw new InputError(`${field}: '${path}' is a directory, not a file`);
  return target;
}

/** A workspace file's text (UTF-8) and its absolute path. */
export async function readWorkspaceText(
  workspace: string,
  path: string,
  field: string,
): Promise<{ target: string; text: string }> {
  const target = await existingWorkspaceFile(workspace, path, field);
  return { target, text: await readFile(target, 'utf8') };
}

/**
 * Where a write to `path` may go: inside the workspace, its folders created. A symlink at
 * `path` itself is refused, even one leading inside: a write must not land somewhere the
 * input did not name.
 */
export async function writableWorkspaceFile(
  workspace: string,
  path: string,
  field: string,
  options: { mustExist?: boolean; hint?: string } = {},
): Promise<{ target: string; exists: boolean }> {
  const target = resolveSafeChildPath(workspace, path, field);
  const info = await lstat(target).catch(() => undefined);
  if (info?.isSymbolicLink()) {
    throw new InputError(`${field}: '${path}' is a symbolic link; refusing to write through it`);
  }
  if (info?.isDirectory()) throw new InputError(`${field}: '${path}' is a directory, not a file`);
  if (!info && options.mustExist) {
    throw new InputError(
      `${field}: '${path}' does not exist in the workspace${options.hint ? ` (${options.hint})` : ''}`,
    );
  }
  await mkdir(dirname(target), { recursive: true });
  return { target, exists: Boolean(info) };
}

/** Writes (replacing) a workspace file; returns its absolute path. */
export async function writeWorkspaceText(
  workspace: string,
  path: string,
  content: string,
  field: string,
): Promise<string> {
  const { target } = await writableWorkspaceFile(workspace, path, field);
  await writeFile(target, content);
  return target;
}
