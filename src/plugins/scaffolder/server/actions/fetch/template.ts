import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import {
  createTemplateRenderer,
  type TemplateRenderer,
  type TemplateRendererService,
} from '../../templating/renderer.ts';
import type { ActionContext, TemplateAction } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';
import { type FetchDeps, fetchTree } from './reading.ts';
import { renderSkeletonTree } from './skeleton.ts';

interface FetchTemplateInput extends JsonObject {
  url: string;
  targetPath?: string;
  values?: JsonObject;
  copyWithoutRender?: string[];
  copyWithoutTemplating?: string[];
  cookiecutterCompat?: boolean;
  templateFileExtension?: string | boolean;
  replace?: boolean;
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  token?: string;
}

/** Inputs shared with `fetch:template:file`. */
export const renderingInputSchema = {
  values: {
    title: 'Template Values',
    description: 'Values to pass on to the templating engine (`values.*` in the skeleton)',
    type: 'object',
  },
  cookiecutterCompat: {
    title: 'Cookiecutter compatibility mode',
    description:
      'Enable features to maximise compatibility with templates built for fetch:cookiecutter: `{{ }}` delimiters, `cookiecutter.*` instead of `values.*`, the `jsonify` filter',
    type: 'boolean',
  },
  replace: {
    title: 'Replace files',
    description: 'If set, replace files in targetPath instead of skipping existing ones',
    type: 'boolean',
  },
  trimBlocks: {
    title: 'Trim blocks',
    description: 'Remove the first newline after a block tag (`{% … %}`)',
    type: 'boolean',
  },
  lstripBlocks: {
    title: 'Left-strip blocks',
    description: 'Strip tabs and spaces from the start of a line up to a block tag',
    type: 'boolean',
  },
  token: {
    title: 'Token',
    description: 'An optional token to use for authentication when reading the resources',
    type: 'string',
  },
} satisfies JsonObject;

const fallbacks = new Map<string, TemplateRendererService>();

/**
 * The renderer of the task running the action; for a context built by hand (tests, other
 * callers of a handler) one shared by all contexts with the same integrations and limits,
 * whose idle workers do not keep the process alive.
 */
export function rendererFor(ctx: ActionContext, deps: FetchDeps): TemplateRenderer {
  if (ctx.renderer) return ctx.renderer;
  const options = {
    integrations: deps.config.integrations,
    limits: deps.config.scaffolder?.limits,
  };
  const key = JSON.stringify(options);
  let renderer = fallbacks.get(key);
  if (!renderer) {
    renderer = createTemplateRenderer(options);
    fallbacks.set(key, renderer);
  }
  return renderer.forTask({ signal: ctx.signal });
}

/** `fetch:template`: a skeleton folder rendered into the workspace. */
export function fetchTemplateAction(deps: FetchDeps): TemplateAction<FetchTemplateInput> {
  return {
    id: 'fetch:template',
    description:
      'Downloads a skeleton, templates variables into file and directory names and content, and places the result in the workspace, or optionally in a subdirectory specified by the `targetPath` input option.',
    examples: [
      {
        description: 'Downloads a skeleton directory that lives alongside the template file',
        example: `steps:
  - id: fetch-base
    action: fetch:template
    name: Fetch Base
    input:
      url: ./skeleton
      values:
        name: \${{ parameters.name }}
        owner: \${{ parameters.owner }}
`,
      },
      {
        description: 'Copies some files without templating their contents (paths still rendered)',
        example: `steps:
  - id: fetch-base
    action: fetch:template
    input:
      url: ./skeleton
      targetPath: ./service
      copyWithoutTemplating:
        - .github/workflows/*
      values:
        name: \${{ parameters.name }}
`,
      },
      {
        description: 'Renders only files ending in .njk (the extension is removed)',
        example: `steps:
  - id: fetch-base
    action: fetch:template
    input:
      url: https://github.com/acme/templates/tree/main/node-service/skeleton
      templateFileExtension: true
      values:
        name: \${{ parameters.name }}
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['url'],
        properties: {
          url: {
            title: 'Fetch URL',
            description:
              'Relative path (to the template) or absolute URL of the skeleton folder, e.g. `./skeleton` or `https://github.com/o/r/tree/main/skeleton`',
            type: 'string',
          },
          targetPath: {
            title: 'Target Path',
            description:
              'Target path within the working directory to generate contents to. Defaults to the working directory root.',
            type: 'string',
          },
          copyWithoutRender: {
            title: '[Deprecated] Copy Without Render',
            description:
              'Deprecated: use copyWithoutTemplating. Treated the same way (contents copied as they are).',
            type: 'array',
            items: { type: 'string' },
          },
          copyWithoutTemplating: {
            title: 'Copy Without Templating',
            description:
              'Globs of files to copy without templating their contents; their paths are still rendered',
            type: 'array',
            items: { type: 'string' },
          },
          templateFileExtension: {
            title: 'Template File Extension',
            description:
              'If set, only files with the given extension (true means `.njk`) are templated; the extension is removed from their names',
            type: ['string', 'boolean'],
          },
          ...renderingInputSchema,
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const input = ctx.input;
      let extension: string | undefined;
      if (input.templateFileExtension !== undefined && input.templateFileExtension !== false) {
        if (input.copyWithoutRender || input.copyWithoutTemplating) {
          throw new InputError(
            'Fetch action input copyWithoutRender/copyWithoutTemplating and templateFileExtension are not compatible',
          );
        }
        if (input.cookiecutterCompat) {
          throw new InputError(
            'Fetch action input cookiecutterCompat and templateFileExtension are not compatible',
          );
        }
        extension = input.templateFileExtension === true ? '.njk' : input.templateFileExtension;
        if (!extension) {
          throw new InputError('templateFileExtension: give an extension such as .njk, or true');
        }
      }
      if (input.copyWithoutRender && input.copyWithoutTemplating) {
        throw new InputError(
          'Fetch action input copyWithoutRender and copyWithoutTemplating can not be used at the same time',
        );
      }
      if (input.copyWithoutRender) {
        // Kept working rather than ignored: dropping it would template files (e.g. GitHub
        // workflows full of `${{ github.* }}`) that the author asked to be left alone.
        ctx.logger.warn(
          '[Deprecated] copyWithoutRender is deprecated; use copyWithoutTemplating instead (it is treated as copyWithoutTemplating)',
        );
      }
      const targetPath = input.targetPath ?? './';
      resolveSafeChildPath(ctx.workspacePath, targetPath, 'targetPath');

      ctx.logger.info(`Fetching template content from ${input.url}`);
      const tree = await fetchTree(deps, ctx, input.url, input.token);
      try {
        const summary = await renderSkeletonTree(ctx, tree.dir, {
          templater: rendererFor(ctx, deps),
          values: input.values ?? {},
          targetPath,
          copyWithoutTemplating: input.copyWithoutTemplating ?? input.copyWithoutRender ?? [],
          templateFileExtension: extension,
          cookiecutterCompat: input.cookiecutterCompat ?? false,
          trimBlocks: input.trimBlocks ?? false,
          lstripBlocks: input.lstripBlocks ?? false,
          replace: input.replace ?? false,
        });
        for (const path of summary.skippedExisting) {
          ctx.logger.info(`File ${path} already exists in the workspace, skipped (replace: false)`);
        }
        if (summary.skippedEmptyName.length) {
          ctx.logger.info(
            `Left out ${summary.skippedEmptyName.length} file(s) whose name rendered empty: ${summary.skippedEmptyName.join(', ')}`,
          );
        }
        ctx.logger.info(
          `Template result written to ${targetPath}: ${summary.rendered} file(s) rendered, ${summary.copied} copied as they are, ${summary.skippedExisting.length} skipped`,
        );
      } finally {
        await tree.cleanup();
      }
    },
  };
}
