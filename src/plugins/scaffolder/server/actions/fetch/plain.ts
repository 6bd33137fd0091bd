import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';
import { type FetchDeps, fetchFile, fetchTree } from './reading.ts';
import { WorkspaceWriter } from './workspace-files.ts';

interface FetchPlainInput extends JsonObject {
  url: string;
  targetPath?: string;
  token?: string;
}

const urlSchema = {
  title: 'Fetch URL',
  description:
    'Relative path (to the template) or absolute URL of what to fetch, e.g. `./content` or `https://github.com/o/r/tree/main/content`',
  type: 'string',
} satisfies JsonObject;

const tokenSchema = {
  title: 'Token',
  description: 'An optional token to use for authentication when reading the resources',
  type: 'string',
} satisfies JsonObject;

/** Copies every file of `source` below `targetPath` in the workspace, overwriting. */
async function copyIntoWorkspace(
  writer: WorkspaceWriter,
  source: string,
  targetPath: string,
  prefix = '',
): Promise<number> {
  let count = 0;
  for (const entry of await readdir(join(source, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const dest = posix.join(targetPath, rel);
    if (entry.isDirectory()) {
      await writer.dir(dest, 'targetPath');
      count += await copyIntoWorkspace(writer, source, targetPath, rel);
    } else if (entry.isFile()) {
      const from = join(source, rel);
      const [content, info] = await Promise.all([readFile(from), stat(from)]);
      await writer.file(dest, content, {
        mode: info.mode,
        replace: true,
        field: 'targetPath',
      });
      count++;
    }
  }
  return count;
}

/** `fetch:plain`: a folder copied into the workspace as it is. */
export function fetchPlainAction(deps: FetchDeps): TemplateAction<FetchPlainInput> {
  return {
    id: 'fetch:plain',
    description:
      'Downloads content and places it in the workspace, or optionally in a subdirectory specified by the `targetPath` input option.',
    examples: [
      {
        description: 'Downloads content from a folder next to the template',
        example: `steps:
  - id: fetch-plain
    action: fetch:plain
    name: Fetch plain
    input:
      url: ./plain
`,
      },
      {
        description: 'Downloads a folder of a GitHub repository into a subdirectory',
        example: `steps:
  - id: fetch-docs
    action: fetch:plain
    input:
      url: https://github.com/acme/templates/tree/main/shared/docs
      targetPath: ./docs
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['url'],
        properties: {
          url: urlSchema,
          targetPath: {
            title: 'Target Path',
            description:
              'Target path within the working directory to download the contents to. Defaults to the working directory root.',
            type: 'string',
          },
          token: tokenSchema,
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const targetPath = ctx.input.targetPath ?? './';
      resolveSafeChildPath(ctx.workspacePath, targetPath, 'targetPath');
      ctx.logger.info(`Fetching plain content from ${ctx.input.url}`);
      const tree = await fetchTree(deps, ctx, ctx.input.url, ctx.input.token);
      try {
        const writer = new WorkspaceWriter(ctx.workspacePath);
        await writer.dir(targetPath, 'targetPath');
        const count = await copyIntoWorkspace(writer, tree.dir, targetPath);
        ctx.logger.info(`Copied ${count} file(s) to ${targetPath}`);
      } finally {
        await tree.cleanup();
      }
    },
  };
}

/** `fetch:plain:file`: one file copied into the workspace as it is. */
export function fetchPlainFileAction(deps: FetchDeps): TemplateAction<FetchPlainInput> {
  return {
    id: 'fetch:plain:file',
    description: 'Downloads a single file and places it in the workspace.',
    examples: [
      {
        description: 'Downloads a file next to the template into the workspace',
        example: `steps:
  - id: fetch-plain-file
    action: fetch:plain:file
    name: Fetch plain file
    input:
      url: ./files/LICENSE
      targetPath: LICENSE
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
            ...urlSchema,
            description:
              'Relative path (to the template) or absolute URL of the file, e.g. `./files/LICENSE` or `https://github.com/o/r/blob/main/LICENSE`',
          },
          targetPath: {
            title: 'Target Path',
            description: 'Path of the file within the working directory',
            type: 'string',
          },
          token: tokenSchema,
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const targetPath = ctx.input.targetPath ?? '';
      resolveSafeChildPath(ctx.workspacePath, targetPath, 'targetPath');
      ctx.logger.info(`Fetching plain file from ${ctx.input.url}`);
      const file = await fetchFile(deps, ctx, ctx.input.url, ctx.input.token);
      await new WorkspaceWriter(ctx.workspacePath).file(targetPath, file.content, {
        mode: file.executable ? 0o755 : 0o644,
        replace: true,
        field: 'targetPath',
      });
      ctx.logger.info(`Wrote ${file.content.length} bytes to ${targetPath}`);
    },
  };
}
