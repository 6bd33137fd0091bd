import { cp, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { resolveEntryPath } from './entry-path.ts';

interface RenameInput extends JsonObject {
  files: Array<{ from: string; to: string; overwrite?: boolean }>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export const fsRenameAction: TemplateAction<RenameInput> = {
  id: 'fs:rename',
  description: 'Renames (moves) files and directories inside the workspace.',
  examples: [
    {
      description: 'Rename files',
      example: `steps:
  - id: renameFiles
    action: fs:rename
    name: Rename files
    input:
      files:
        - from: file1.txt
          to: file1Renamed.txt
        - from: file2.txt
          to: file2Renamed.txt
          overwrite: true
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['files'],
      properties: {
        files: {
          title: 'Files',
          description: 'What to rename; paths are relative to the workspace',
          type: 'array',
          items: {
            type: 'object',
            required: ['from', 'to'],
            properties: {
              from: { type: 'string', title: 'Current path', minLength: 1 },
              to: { type: 'string', title: 'New path', minLength: 1 },
              overwrite: {
                type: 'boolean',
                title: 'Replace an existing file or directory at the new path',
                default: false,
              },
            },
          },
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const root = resolve(ctx.workspacePath);
    for (const [index, file] of ctx.input.files.entries()) {
      ctx.signal.throwIfAborted();
      const source = resolveEntryPath(root, file.from, `files[${index}].from`);
      const target = resolveEntryPath(root, file.to, `files[${index}].to`);
      if (!(await exists(source))) {
        throw new InputError(`files[${index}].from: '${file.from}' does not exist`);
      }
      if (source === target) continue;
      if (target.startsWith(source + sep)) {
        throw new InputError(
          `files[${index}].to: cannot move '${file.from}' into itself ('${file.to}')`,
        );
      }
      if (await exists(target)) {
        if (!file.overwrite) {
          throw new InputError(
            `files[${index}].to: '${file.to}' already exists; set overwrite: true to replace it`,
          );
        }
        // rm acts on a symlink itself, never on what it points to.
        await rm(target, { recursive: true, force: true });
      }
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(source, target);
      } catch (error) {
        // A workspace folder may be a mount point; moving across it needs a copy.
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        await cp(source, target, { recursive: true, verbatimSymlinks: true });
        await rm(source, { recursive: true, force: true });
      }
      ctx.logger.info(`Renamed ${relative(root, source)} to ${relative(root, target)}`);
    }
  },
};
