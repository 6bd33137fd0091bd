import { open } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { JsonObject } from '../../../../../model/entity.ts';
import { walkDirectory } from '../fs/walk.ts';
import type { TemplateAction } from '../types.ts';

interface LogInput extends JsonObject {
  message?: string;
  listWorkspace?: boolean | 'with-filenames' | 'with-contents';
}

/** Enough to see what a skeleton produced without flooding the task log. */
const MAX_CONTENT_BYTES = 64 * 1024;

async function readForLog(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, MAX_CONTENT_BYTES));
    await handle.read(buffer, 0, buffer.length, 0);
    if (buffer.subarray(0, 8000).includes(0)) return `(binary file, ${size} bytes)`;
    const text = buffer.toString('utf8');
    return size > MAX_CONTENT_BYTES ? `${text}\n… (${size - MAX_CONTENT_BYTES} more bytes)` : text;
  } finally {
    await handle.close();
  }
}

export const debugLogAction: TemplateAction<LogInput> = {
  id: 'debug:log',
  description:
    'Writes a message into the task log; optionally lists the workspace, with file contents.',
  examples: [
    {
      description: 'Write a debug message',
      example: `steps:
  - id: log
    action: debug:log
    name: Log
    input:
      message: Creating \${{ parameters.name }}
`,
    },
    {
      description: 'List the workspace with file contents',
      example: `steps:
  - id: log
    action: debug:log
    name: Show workspace
    input:
      listWorkspace: with-contents
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        message: { title: 'Message to log', type: 'string' },
        listWorkspace: {
          title: 'List all files in the workspace',
          description: "true or 'with-filenames' lists the paths; 'with-contents' adds contents",
          oneOf: [
            { type: 'boolean' },
            { type: 'string', enum: ['with-filenames', 'with-contents'] },
          ],
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    ctx.logger.info(JSON.stringify(ctx.input, null, 2));
    if (ctx.input.message) ctx.logger.info(ctx.input.message);
    const mode = ctx.input.listWorkspace;
    if (!mode) return;
    const root = resolve(ctx.workspacePath);
    const lines: string[] = [];
    for (const { fullPath, dirent } of await walkDirectory(root, {
      recursive: true,
      signal: ctx.signal,
    })) {
      if (dirent.isDirectory()) continue;
      const path = relative(root, fullPath);
      if (mode === 'with-contents' && dirent.isFile()) {
        lines.push(` - ${path}:\n\n  ${await readForLog(fullPath)}`);
      } else {
        lines.push(` - ${path}${dirent.isSymbolicLink() ? ' (symlink)' : ''}`);
      }
    }
    ctx.logger.info(`Workspace:\n${lines.join('\n')}`);
  },
};
