import { appendFile, writeFile } from 'node:fs/promises';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { writableWorkspaceFile } from '../workspace-text-files.ts';

interface WriteInput extends JsonObject {
  path: string;
  content: string;
  preserveFormatting?: boolean;
}

const pathOutput = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    path: { title: 'Path', description: 'Path to the file that was written', type: 'string' },
  },
};

/** `roadiehq:utils:fs:write`: a file with the given content (folders created, file replaced). */
export const roadieWriteFileAction: TemplateAction<WriteInput> = {
  id: 'roadiehq:utils:fs:write',
  description: 'Creates a file with the content on the given path',
  examples: [
    {
      description: 'Write a file into the workspace',
      example: `steps:
  - id: writeFile
    name: Create File
    action: roadiehq:utils:fs:write
    input:
      path: \${{ parameters.path }}
      content: \${{ parameters.content }}
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['path', 'content'],
      properties: {
        path: { title: 'Path', description: 'Relative path', type: 'string', minLength: 1 },
        content: {
          title: 'Content',
          description: 'This will be the content of the file',
          type: 'string',
        },
        preserveFormatting: {
          title: 'Preserve formatting',
          description:
            'Specify whether to preserve formatting for JSON content (JSON content is written indented by 2 spaces)',
          type: 'boolean',
        },
      },
    },
    output: pathOutput,
  },
  supportsDryRun: true,
  async handler(ctx) {
    const { target } = await writableWorkspaceFile(ctx.workspacePath, ctx.input.path, 'path');
    let content = ctx.input.content;
    if (ctx.input.preserveFormatting) {
      try {
        content = JSON.stringify(JSON.parse(content), null, 2);
      } catch {
        // Not JSON: written as given, as Roadie's action does.
      }
    }
    await writeFile(target, content);
    ctx.output('path', target);
  },
};

interface AppendInput extends JsonObject {
  path: string;
  content: string;
}

/** `roadiehq:utils:fs:append`: content added at the end of a file, created when missing. */
export const roadieAppendFileAction: TemplateAction<AppendInput> = {
  id: 'roadiehq:utils:fs:append',
  description:
    'Append content to the end of the given file, it will create the file if it does not exist.',
  examples: [
    {
      description: 'Append an entity to a catalog file',
      example: `steps:
  - id: appendFile
    name: Append To File
    action: roadiehq:utils:fs:append
    input:
      path: catalog-info.yaml
      content: \${{ parameters.content }}
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['content', 'path'],
      properties: {
        path: {
          title: 'Path',
          description: 'Path to existing file to append.',
          type: 'string',
          minLength: 1,
        },
        content: {
          title: 'Content',
          description: 'This will be appended to the file',
          type: 'string',
        },
      },
    },
    output: pathOutput,
  },
  supportsDryRun: true,
  async handler(ctx) {
    const { target } = await writableWorkspaceFile(ctx.workspacePath, ctx.input.path, 'path');
    await appendFile(target, ctx.input.content);
    ctx.output('path', target);
  },
};
