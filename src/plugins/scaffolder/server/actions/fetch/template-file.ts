import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';
import { type FetchDeps, fetchFile } from './reading.ts';
import { rendererFor, renderingInputSchema } from './template.ts';
import { isBinary, WorkspaceWriter } from './workspace-files.ts';

interface FetchTemplateFileInput extends JsonObject {
  url: string;
  targetPath: string;
  values?: JsonObject;
  cookiecutterCompat?: boolean;
  replace?: boolean;
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  token?: string;
}

/** `fetch:template:file`: one file rendered into the workspace. */
export function fetchTemplateFileAction(deps: FetchDeps): TemplateAction<FetchTemplateFileInput> {
  return {
    id: 'fetch:template:file',
    description: 'Downloads a single file and templates variables into its content.',
    examples: [
      {
        description: 'Renders a file next to the template into the workspace',
        example: `steps:
  - id: fetch-template-file
    action: fetch:template:file
    name: Fetch template file
    input:
      url: ./skeleton/README.md
      targetPath: README.md
      values:
        name: \${{ parameters.name }}
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['url', 'targetPath'],
        properties: {
          url: {
            title: 'Fetch URL',
            description:
              'Relative path (to the template) or absolute URL of the file, e.g. `./files/README.md`',
            type: 'string',
          },
          targetPath: {
            title: 'Target Path',
            description: 'Path of the file within the working directory',
            type: 'string',
          },
          ...renderingInputSchema,
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const input = ctx.input;
      resolveSafeChildPath(ctx.workspacePath, input.targetPath, 'targetPath');
      ctx.logger.info(`Fetching template file from ${input.url}`);
      const file = await fetchFile(deps, ctx, input.url, input.token);
      const content = isBinary(file.content)
        ? file.content
        : await rendererFor(ctx, deps).renderSkeleton(
            file.content.toString('utf8'),
            input.values ?? {},
            {
              cookiecutterCompat: input.cookiecutterCompat,
              trimBlocks: input.trimBlocks,
              lstripBlocks: input.lstripBlocks,
              name: input.url,
            },
          );
      const outcome = await new WorkspaceWriter(ctx.workspacePath).file(input.targetPath, content, {
        mode: file.executable ? 0o755 : 0o644,
        replace: input.replace ?? false,
        field: 'targetPath',
      });
      ctx.logger.info(
        outcome === 'written'
          ? `Template file written to ${input.targetPath}`
          : `File ${input.targetPath} already exists in the workspace, skipped (replace: false)`,
      );
    },
  };
}
