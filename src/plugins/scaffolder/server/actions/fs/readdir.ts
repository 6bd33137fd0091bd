import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';
import { walkDirectory } from './walk.ts';

interface ReaddirInput extends JsonObject {
  paths: string[];
  recursive?: boolean;
}

const entrySchema = {
  type: 'object',
  required: ['name', 'path', 'fullPath'],
  properties: {
    name: { type: 'string', description: 'The entry name' },
    path: { type: 'string', description: 'Path relative to the workspace' },
    fullPath: { type: 'string', description: 'Absolute path' },
  },
};

export const fsReaddirAction: TemplateAction<ReaddirInput> = {
  id: 'fs:readdir',
  description: 'Lists the files and folders in workspace directories.',
  examples: [
    {
      description: 'List the files and folders of the workspace root and of docs, recursively',
      example: `steps:
  - id: readdir
    action: fs:readdir
    name: List files
    input:
      paths:
        - .
        - docs
      recursive: true
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['paths'],
      properties: {
        paths: {
          title: 'Paths',
          description: 'Directories to list, relative to the workspace',
          type: 'array',
          items: { type: 'string', minLength: 1 },
        },
        recursive: {
          title: 'Recursive',
          description: 'List subdirectories too (symlinks are listed, not followed)',
          type: 'boolean',
          default: false,
        },
      },
    },
    output: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['files', 'folders'],
      properties: {
        files: { type: 'array', items: entrySchema },
        folders: { type: 'array', items: entrySchema },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const root = resolve(ctx.workspacePath);
    const files: JsonObject[] = [];
    const folders: JsonObject[] = [];
    for (const [index, path] of ctx.input.paths.entries()) {
      const field = `paths[${index}]`;
      const dir = resolveSafeChildPath(root, path, field);
      const info = await stat(dir).catch(() => undefined);
      if (!info) throw new InputError(`${field}: '${path}' does not exist in the workspace`);
      if (!info.isDirectory()) throw new InputError(`${field}: '${path}' is not a directory`);
      for (const { fullPath, dirent } of await walkDirectory(dir, {
        recursive: ctx.input.recursive ?? false,
        signal: ctx.signal,
      })) {
        const entry = { name: dirent.name, path: relative(root, fullPath), fullPath };
        (dirent.isDirectory() ? folders : files).push(entry);
      }
    }
    ctx.output('files', files);
    ctx.output('folders', folders);
  },
};
