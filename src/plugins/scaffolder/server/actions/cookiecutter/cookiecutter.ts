import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject, JsonValue } from '../../../../../model/entity.ts';
import { type FetchDeps, fetchTree } from '../fetch/reading.ts';
import { renderSkeletonTree } from '../fetch/skeleton.ts';
import { rendererFor } from '../fetch/template.ts';
import type { TemplateAction } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';
import { cookiecutterVariables, fnmatchPattern } from './context.ts';

interface FetchCookiecutterInput extends JsonObject {
  url: string;
  targetPath?: string;
  values?: JsonObject;
  copyWithoutRender?: string[];
  extensions?: string[];
  imageName?: string;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringList(value: JsonValue | undefined, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new InputError(`${field} must be a list of strings`);
  }
  return value as string[];
}

/** `cookiecutter.json` at the root of the fetched folder, or `{}` when there is none. */
async function readCookiecutterJson(dir: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(join(dir, 'cookiecutter.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`cookiecutter.json is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new InputError('cookiecutter.json must hold a JSON object');
  return parsed;
}

/**
 * `fetch:cookiecutter` without Python or Docker: the fetched folder is rendered in Node by
 * the fetch:template machinery in its cookiecutter mode (`{{ cookiecutter.x }}`, Jinja-like
 * Nunjucks syntax, names of files and folders rendered too). As in Backstage, the folder's
 * own contents are the project (Backstage nests it in `{{cookiecutter and 'contents'}}`), its
 * `cookiecutter.json` gives the defaults that `values` override, and existing files in the
 * workspace are overwritten.
 */
export function fetchCookiecutterAction(deps: FetchDeps): TemplateAction<FetchCookiecutterInput> {
  return {
    id: 'fetch:cookiecutter',
    description:
      'Downloads a template from the given URL into the workspace, and renders it as cookiecutter does (in Node: no Python or Docker needed).',
    examples: [
      {
        description: 'Fetch and template using cookiecutter with minimal options.',
        example: `steps:
  - id: fetchTemplate
    action: fetch:cookiecutter
    name: Fetch and Template Using Cookiecutter
    input:
      url: ./skeleton
      values:
        name: \${{ parameters.name }}
`,
      },
      {
        description: 'Fetch and template using cookiecutter with copyWithoutRender.',
        example: `steps:
  - id: fetchTemplate
    action: fetch:cookiecutter
    input:
      url: https://github.com/acme/templates/tree/main/python-service
      targetPath: service
      values:
        project_name: \${{ parameters.name }}
      copyWithoutRender:
        - .github/*
        - '*.md'
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
              'Relative path (to the template) or absolute URL of the directory tree to fetch, e.g. `./skeleton`',
            type: 'string',
          },
          targetPath: {
            title: 'Target Path',
            description:
              'Target path within the working directory to generate contents to. Defaults to the working directory root.',
            type: 'string',
          },
          values: {
            title: 'Template Values',
            description:
              'Values to pass on to cookiecutter for templating (`{{ cookiecutter.<name> }}`); they override the defaults in cookiecutter.json',
            type: 'object',
          },
          copyWithoutRender: {
            title: 'Copy Without Render',
            description:
              "Avoid rendering directories and files in the template: fnmatch patterns over paths in the template (cookiecutter's `_copy_without_render`)",
            type: 'array',
            items: { type: 'string' },
          },
          extensions: {
            title: 'Template Extensions',
            description:
              'Jinja2 extensions. Atrium renders in Node with Nunjucks and cannot load Python extensions: they are ignored, with a line in the log',
            type: 'array',
            items: { type: 'string' },
          },
          imageName: {
            title: 'Cookiecutter Docker image',
            description:
              'Ignored: Atrium renders cookiecutter templates in Node, without Docker (a line in the log says so)',
            type: 'string',
          },
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const input = ctx.input;
      const targetPath = input.targetPath ?? './';
      resolveSafeChildPath(ctx.workspacePath, targetPath, 'targetPath');
      if (input.imageName) {
        ctx.logger.info(
          `imageName '${input.imageName}' is ignored: Atrium renders cookiecutter templates in Node, without Docker or Python`,
        );
      }
      ctx.logger.info('Fetching and then templating using cookiecutter');
      const tree = await fetchTree(deps, ctx, input.url);
      try {
        const json = await readCookiecutterJson(tree.dir);
        const copyWithoutRender =
          input.copyWithoutRender ??
          stringList(json._copy_without_render, 'cookiecutter.json: _copy_without_render');
        const extensions =
          input.extensions ?? stringList(json._extensions, 'cookiecutter.json: _extensions');
        if (extensions.length) {
          ctx.logger.info(
            `Jinja2 extensions are ignored (${extensions.join(', ')}): Atrium renders cookiecutter templates with Nunjucks in Node; a tag or filter only an extension provides fails the step`,
          );
        }
        const templater = rendererFor(ctx, deps);
        const variables = await cookiecutterVariables(
          json,
          {
            ...input.values,
            ...(copyWithoutRender.length ? { _copy_without_render: copyWithoutRender } : {}),
          },
          (text, scope, name) =>
            templater.renderSkeleton(text, scope, {
              cookiecutterCompat: true,
              name: `cookiecutter.json: ${name}`,
            }),
        );
        const env = isObject(json._jinja2_env_vars) ? json._jinja2_env_vars : {};
        const patterns = copyWithoutRender.map(fnmatchPattern);
        const summary = await renderSkeletonTree(ctx, tree.dir, {
          templater,
          values: variables,
          targetPath,
          copyWithoutTemplating: [],
          copyRaw: (rel) => patterns.some((p) => p.test(rel)),
          cookiecutterCompat: true,
          trimBlocks: env.trim_blocks === true,
          lstripBlocks: env.lstrip_blocks === true,
          replace: true,
        });
        if (summary.skippedEmptyName.length) {
          ctx.logger.info(
            `Left out ${summary.skippedEmptyName.length} file(s) whose name rendered empty: ${summary.skippedEmptyName.join(', ')}`,
          );
        }
        ctx.logger.info(
          `Cookiecutter result written to ${targetPath}: ${summary.rendered} file(s) rendered, ${summary.copied} copied as they are`,
        );
      } finally {
        await tree.cleanup();
      }
    },
  };
}
