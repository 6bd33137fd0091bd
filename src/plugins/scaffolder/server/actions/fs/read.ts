import { readFile } from 'node:fs/promises';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { existingWorkspaceFile } from '../workspace-text-files.ts';

interface ReadInput extends JsonObject {
  path: string;
  encoding?: 'utf8' | 'base64';
}

/**
 * `fs:read` (Atrium's; Backstage ships only `fs:readdir`, `fs:delete`, `fs:rename`): a
 * workspace file's content as a step output, for later steps' inputs.
 */
export const fsReadAction: TemplateAction<ReadInput> = {
  id: 'fs:read',
  description: 'Reads a file in the workspace and outputs its content.',
  examples: [
    {
      description: 'Read the rendered catalog file and log it',
      example: `steps:
  - id: read
    action: fs:read
    name: Read catalog-info.yaml
    input:
      path: catalog-info.yaml
  - id: log
    action: debug:log
    input:
      message: \${{ steps.read.output.content }}
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['path'],
      properties: {
        path: {
          title: 'Path',
          description: 'The file to read, relative to the workspace',
          type: 'string',
          minLength: 1,
        },
        encoding: {
          title: 'Encoding',
          description: '`utf8` (default) for text, `base64` for any bytes',
          type: 'string',
          enum: ['utf8', 'base64'],
          default: 'utf8',
        },
      },
    },
    output: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['content'],
      properties: {
        content: { type: 'string', description: 'The content of the file' },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const target = await existingWorkspaceFile(ctx.workspacePath, ctx.input.path, 'path');
    ctx.output('content', await readFile(target, ctx.input.encoding ?? 'utf8'));
  },
};
