import { isUtf8 } from 'node:buffer';
import { lstat, mkdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../../../../../core/errors.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';

export type WriteOutcome = 'written' | 'skipped';

/**
 * Writes files and folders into a task workspace, confined to it: `..`, absolute paths and
 * symlinks leading out are refused, naming the input field. Folders are checked with
 * resolveSafeChildPath (real paths); a file whose folder was already checked only needs a
 * plain name, because files are created exclusively (`wx`): a write never goes through a
 * symlink, even a dangling one. That keeps a 1,000-file skeleton to one check per folder.
 */
export class WorkspaceWriter {
  private readonly checked = new Set<string>();

  constructor(private readonly workspace: string) {}

  /** Creates the folder at `path` (relative to the workspace). */
  async dir(path: string, field: string): Promise<void> {
    const target = resolveSafeChildPath(this.workspace, path, field);
    await mkdir(target, { recursive: true });
    this.checked.add(target);
  }

  /**
   * Writes the file at `path` (relative to the workspace). An existing file is kept unless
   * `replace` (Backstage's default: skip). `mode` is subject to the umask.
   */
  async file(
    path: string,
    content: Buffer | string,
    options: { mode?: number; replace: boolean; field: string },
  ): Promise<WriteOutcome> {
    let target = resolve(this.workspace, path);
    if (!this.checked.has(dirname(target)) || basename(target) === '..') {
      target = resolveSafeChildPath(this.workspace, path, options.field);
      await mkdir(dirname(target), { recursive: true });
      this.checked.add(dirname(target));
    }
    const create = () =>
      writeFile(target, content, { flag: 'wx', mode: (options.mode ?? 0o644) & 0o777 });
    try {
      await create();
      return 'written';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const existing = await lstat(target);
    if (existing.isDirectory()) {
      throw new InputError(`${options.field}: '${path}' is an existing folder in the workspace`);
    }
    if (!options.replace) return 'skipped';
    await unlink(target);
    await create();
    return 'written';
  }
}

/** Whether bytes are not text to render: a NUL byte early on, or invalid UTF-8. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0) || !isUtf8(content);
}
