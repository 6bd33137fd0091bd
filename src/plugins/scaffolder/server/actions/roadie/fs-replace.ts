import { readFile, writeFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { Minimatch } from 'minimatch';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import { walkDirectory } from '../fs/walk.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { existingWorkspaceFile } from '../workspace-text-files.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';
import { boundedLimits, runBounded } from './bounded-eval.ts';

interface ReplaceInput extends JsonObject {
  files: Array<{
    file: string;
    find: string;
    matchRegex?: boolean;
    replaceWith: string;
    includeDotFiles?: boolean;
  }>;
}

/**
 * The workspace files a `file` input names: the file itself, or with glob characters every
 * matching file (Roadie uses fast-glob: only files, dotfiles when `includeDotFiles`). The
 * listing never follows a symlink, so no match lies outside the workspace.
 */
async function matchingFiles(
  workspace: string,
  pattern: string,
  dot: boolean,
  field: string,
  signal: AbortSignal,
): Promise<string[]> {
  const root = resolve(workspace);
  // Refuses `../`, absolute paths and symlinks out before anything is listed.
  resolveSafeChildPath(root, pattern, field);
  const glob = relative(root, resolve(root, pattern)).split(sep).join('/');
  const matcher = new Minimatch(glob, { dot });
  if (!matcher.hasMagic()) return [await existingWorkspaceFile(root, pattern, field)];
  const entries = await walkDirectory(root, { recursive: true, signal });
  return entries
    .filter((e) => e.dirent.isFile())
    .map((e) => e.fullPath)
    .filter((full) => matcher.match(relative(root, full).split(sep).join('/')));
}

/**
 * `roadiehq:utils:fs:replace`: find and replace in workspace files. A regular expression
 * (`matchRegex`) is template input run over file contents, so it runs in a worker thread
 * under `scaffolder.limits.renderTimeout`: one that backtracks forever fails the step.
 */
export function roadieReplaceInFileAction(deps: ActionDeps): TemplateAction<ReplaceInput> {
  const limits = boundedLimits(deps);
  return {
    id: 'roadiehq:utils:fs:replace',
    description: 'Replaces content of a file with given values.',
    examples: [
      {
        description: 'Replace a placeholder in every YAML file of the workspace',
        example: `steps:
  - id: replace
    name: Replace placeholder
    action: roadiehq:utils:fs:replace
    input:
      files:
        - file: '**/*.yaml'
          find: REPLACE_ME
          replaceWith: \${{ parameters.name }}
        - file: README.md
          find: 'v[0-9]+'
          matchRegex: true
          replaceWith: v2
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
            description: 'A list of files and replacements to be done',
            type: 'array',
            items: {
              type: 'object',
              required: ['file', 'find', 'replaceWith'],
              properties: {
                file: {
                  type: 'string',
                  title: 'File',
                  description:
                    'The source location of the file to be used to run replace against (supports wildcards)',
                  minLength: 1,
                },
                find: {
                  type: 'string',
                  title: 'Find',
                  description: 'A string to be replaced',
                  minLength: 1,
                },
                matchRegex: {
                  type: 'boolean',
                  title: 'Match regex',
                  description: 'Use regex to match the find string (every match is replaced)',
                },
                replaceWith: {
                  type: 'string',
                  title: 'Replace with',
                  description:
                    'Text to be used to replace the found lines with (`$1`, `$&` refer to what was matched)',
                },
                includeDotFiles: {
                  type: 'boolean',
                  title: 'Include dotfiles',
                  description:
                    'A configuration option to include dotfiles when globbing files. Defaults to false',
                },
              },
            },
          },
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      for (const [index, entry] of ctx.input.files.entries()) {
        const field = `files[${index}]`;
        if (entry.matchRegex) {
          try {
            new RegExp(entry.find, 'g');
          } catch (error) {
            throw new InputError(`${field}.find: ${(error as Error).message}`);
          }
        }
        const targets = await matchingFiles(
          ctx.workspacePath,
          entry.file,
          entry.includeDotFiles ?? false,
          `${field}.file`,
          ctx.signal,
        );
        if (!targets.length) {
          ctx.logger.info(`${field}.file: '${entry.file}' matched no file`);
          continue;
        }
        const texts = await Promise.all(targets.map((t) => readFile(t, 'utf8')));
        const replaced = entry.matchRegex
          ? ((await runBounded(
              {
                kind: 'regex-replace',
                pattern: entry.find,
                replacement: entry.replaceWith,
                texts,
              },
              { limits, ctx, field: `${field}.find`, what: 'the regular expression replacement' },
            )) as string[])
          : texts.map((text) => text.replaceAll(entry.find, entry.replaceWith));
        for (const [i, target] of targets.entries()) {
          if (replaced[i] === texts[i]) continue;
          await writeFile(target, replaced[i]!);
          ctx.logger.info(`Replaced in ${relative(resolve(ctx.workspacePath), target)}`);
        }
      }
    },
  };
}
