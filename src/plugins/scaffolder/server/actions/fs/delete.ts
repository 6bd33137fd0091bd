import { rm } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { minimatch } from 'minimatch';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { resolveEntryPath } from './entry-path.ts';
import { walkDirectory } from './walk.ts';

interface DeleteInput extends JsonObject {
  files: string[];
}

export const fsDeleteAction: TemplateAction<DeleteInput> = {
  id: 'fs:delete',
  description: 'Deletes files and directories in the workspace that match the given globs.',
  examples: [
    {
      description: 'Delete files',
      example: `steps:
  - id: deleteFiles
    action: fs:delete
    name: Delete files
    input:
      files:
        - file1.txt
        - '**/*.tmp'
        - .github/workflows/legacy.yaml
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
          description:
            'Paths or globs (relative to the workspace, dotfiles included) of what to delete',
          type: 'array',
          items: { type: 'string', minLength: 1 },
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const root = resolve(ctx.workspacePath);
    const patterns = ctx.input.files.map((pattern, index) => {
      const field = `files[${index}]`;
      // Nothing a pattern names may lie outside (`../*`, `/etc/*`, `link-to-outside/*`).
      resolveEntryPath(root, pattern, field);
      return { field, pattern, glob: pattern.replace(/^(\.\/)+/, '') };
    });
    // Matching against a listing of the workspace (symlinks listed, never followed) keeps
    // every match inside it, whatever the glob syntax could express.
    const entries = (await walkDirectory(root, { recursive: true, signal: ctx.signal })).map((e) =>
      relative(root, e.fullPath).split(sep).join('/'),
    );
    const targets = new Set<string>();
    for (const { field, pattern, glob } of patterns) {
      const matches = entries.filter((path) => minimatch(path, glob, { dot: true }));
      if (!matches.length) ctx.logger.info(`${field}: '${pattern}' matched nothing`);
      for (const match of matches) targets.add(resolveEntryPath(root, match, field));
    }
    for (const target of [...targets].sort()) {
      ctx.signal.throwIfAborted();
      if (hasAncestorIn(targets, target, root)) continue;
      // rm removes a symlink itself, never what it points to.
      await rm(target, { recursive: true, force: true });
      ctx.logger.info(`Deleted ${relative(root, target)}`);
    }
  },
};

/** Whether a folder above `path` is deleted too (then `path` goes with it). */
function hasAncestorIn(targets: Set<string>, path: string, root: string): boolean {
  for (let dir = dirname(path); dir !== root && dir !== dirname(dir); dir = dirname(dir)) {
    if (targets.has(dir)) return true;
  }
  return false;
}
