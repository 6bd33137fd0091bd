import { appendFile } from 'node:fs/promises';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { writableWorkspaceFile } from '../workspace-text-files.ts';

interface AppendInput extends JsonObject {
  files: Array<{ path: string; content: string; createIfMissing?: boolean }>;
}

/**
 * `fs:append` (Atrium's, in the shape of Backstage's other `fs:*` actions: a `files` list):
 * content added to the end of workspace files, e.g. more documents into a catalog file.
 */
export const fsAppendAction: TemplateAction<AppendInput> = {
  id: 'fs:append',
  description: 'Appends content to files in the workspace.',
  examples: [
    {
      description: 'Add an API entity to the catalog file the skeleton wrote',
      example: `steps:
  - id: append
    action: fs:append
    name: Add the API to catalog-info.yaml
    input:
      files:
        - path: catalog-info.yaml
          content: |
            ---
            apiVersion: backstage.io/v1alpha1
            kind: API
            metadata:
              name: \${{ parameters.name }}-api
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
          description: 'The files to append to, in order',
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['path', 'content'],
            properties: {
              path: {
                type: 'string',
                title: 'Path',
                description: 'The file to append to, relative to the workspace',
                minLength: 1,
              },
              content: {
                type: 'string',
                title: 'Content',
                description: 'The text added at the end of the file',
              },
              createIfMissing: {
                type: 'boolean',
                title: 'Create if missing',
                description:
                  'Create the file (and its folders) when it does not exist (default true); false makes a missing file an error',
                default: true,
              },
            },
          },
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    for (const [index, file] of ctx.input.files.entries()) {
      ctx.signal.throwIfAborted();
      const field = `files[${index}].path`;
      const { target, exists } = await writableWorkspaceFile(ctx.workspacePath, file.path, field, {
        mustExist: file.createIfMissing === false,
        hint: 'createIfMissing: false',
      });
      await appendFile(target, file.content);
      ctx.logger.info(`${exists ? 'Appended to' : 'Created'} ${file.path}`);
    }
  },
};
