import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { loadConfig } from '../core/config/index.ts';
import { readingPolicy } from '../core/reading/allow-list.ts';
import { ANNOTATION_MANAGED_BY_LOCATION, type Problem } from '../model/entity.ts';
import type { NotCatalogReason } from '../plugins/catalog/server/ingest/catalog-documents.ts';
import {
  createSurvey,
  type IngestOutcome,
  ingestLocation,
} from '../plugins/catalog/server/ingest/ingest-location.ts';
import {
  FileReader,
  type LocationReader,
  type ReadOptions,
  type ReadResult,
  type SourceFile,
  UrlReader,
} from '../plugins/catalog/server/ingest/readers.ts';
import { RuleSet } from '../plugins/catalog/server/ingest/rules.ts';
import { cliKindRegistry } from './kinds.ts';
import { createProgress } from './progress.ts';
import { isBelow, skeletonPaths } from './template-skeletons.ts';

/** `file:line:column: field: message`, and the offending line below when the problem has it. */
export function formatProblem(p: Problem): string {
  const where = p.file
    ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: `
    : '';
  const head = `${where}${p.path ? `${p.path}: ` : ''}${p.level === 'error' ? '' : `${p.level}: `}${p.message}`;
  return p.snippet ? `${head}\n${p.snippet}` : head;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

type SkipReason = NotCatalogReason | 'template-skeleton';

const SKIP_LABELS: Record<SkipReason, string> = {
  'api-definition': 'API definitions',
  'template-skeleton': 'template skeleton',
  'no-envelope': 'no apiVersion/kind',
  'other-format': 'other file types',
};

/** Files matched by `--exclude` globs (a folder excludes everything below it). */
async function exclusion(patterns: string[]): Promise<(path: string) => boolean> {
  const files = new Set<string>();
  const folders: string[] = [];
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      for (const path of await glob(pattern, { absolute: true, onlyFiles: true, dot: true }))
        files.add(resolve(path));
    } else {
      const path = resolve(pattern);
      const info = await stat(path).catch(() => undefined);
      if (info?.isDirectory()) folders.push(path);
      else files.add(path);
    }
  }
  return (path) => files.has(path) || folders.some((folder) => isBelow(path, folder));
}

/** The file reader, without the files `--exclude` names (neither read nor counted). */
class ExcludingFileReader implements LocationReader {
  readonly type = 'file';
  constructor(
    private readonly inner: FileReader,
    private readonly excluded: (path: string) => boolean,
  ) {}

  async read(target: string, options?: ReadOptions): Promise<ReadResult> {
    const result = await this.inner.read(target, options);
    const excluded = this.excluded;
    async function* kept(files: ReadResult['files']): AsyncGenerator<SourceFile> {
      for await (const file of files) if (!excluded(file.target)) yield file;
    }
    return { files: kept(result.files), problems: result.problems };
  }

  resolve(base: string, target: string): string {
    return this.inner.resolve(base, target);
  }

  readReferenced(base: string, target: string, root: string) {
    return this.inner.readReferenced(base, target, root);
  }
}

/**
 * Validates files as the server would ingest them, without a server or database. Globs are
 * surveyed: a file is checked once however it is reached, and files that are not catalog
 * files (API definitions, plain YAML, template skeletons) are skipped and counted.
 */
export async function validateCommand(
  targets: string[],
  options: { config?: string[]; json?: boolean; exclude?: string[] },
): Promise<number> {
  const { config } = await loadConfig({
    configPaths: options.config,
    cwd: process.cwd(),
    env: process.env,
  });
  const registry = cliKindRegistry(config);
  const fileReader = options.exclude?.length
    ? new ExcludingFileReader(new FileReader(), await exclusion(options.exclude))
    : new FileReader();
  const readers = new Map<string, LocationReader>([
    ['file', fileReader],
    ['url', new UrlReader(() => readingPolicy(config))],
  ]);
  const survey = createSurvey();
  const outcomes: IngestOutcome[] = [];
  let read = 0;
  const progress = createProgress('Validating');
  for (const target of targets) {
    const type = /^https?:\/\//.test(target) ? 'url' : 'file';
    const outcome = await ingestLocation(
      { id: 'validate', type, target: type === 'file' ? resolve(target) : target },
      {
        readers: new Map(readers),
        registry,
        processors: [],
        rules: new RuleSet(undefined),
        fingerprint: '',
        survey,
        quoteSource: true,
        onProgress: (p) => progress.update(read + p.files, p.file),
      },
    );
    read += outcome.fileCount;
    outcomes.push(outcome);
  }
  progress.stop();

  // Template skeletons are known once their templates are: a skeleton may be read first.
  const folders: string[] = [];
  const skeletonFiles = new Set<string>();
  for (const outcome of outcomes) {
    for (const { entity } of outcome.entities) {
      const from = entity.metadata.annotations?.[ANNOTATION_MANAGED_BY_LOCATION];
      if (entity.kind !== 'Template' || !from?.startsWith('file:')) continue;
      const paths = skeletonPaths(entity, from.slice('file:'.length));
      folders.push(...paths.folders);
      for (const file of paths.files) skeletonFiles.add(file);
    }
  }
  // Only files that a glob matched: a skeleton file that a Location entity names is checked.
  const isSkeleton = (target: string | undefined) =>
    target !== undefined &&
    (skeletonFiles.has(target) || folders.some((folder) => isBelow(target, folder))) &&
    (survey.matchedOnly.has(target) || !survey.read.has(`file:${target}`));

  const skipped = new Map<string, SkipReason>(survey.skipped);
  for (const target of survey.matchedOnly)
    if (isSkeleton(target)) skipped.set(target, 'template-skeleton');
  const problems = outcomes.flatMap((o) => o.problems).filter((p) => !isSkeleton(p.file));
  let entities = 0;
  for (const outcome of outcomes) {
    for (const { entity } of outcome.entities.slice(1)) {
      const from = entity.metadata.annotations?.[ANNOTATION_MANAGED_BY_LOCATION];
      if (!from?.startsWith('file:') || !isSkeleton(from.slice('file:'.length))) entities++;
    }
  }
  const files = read - skipped.size;
  const byReason = new Map<SkipReason, number>();
  for (const reason of skipped.values()) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  if (files === 0 && skipped.size > 0) {
    problems.push({
      level: 'error',
      name: 'NotFoundError',
      message: `No catalog file among the ${plural(skipped.size, 'file')} read from ${targets.join(', ')} (${describeSkips(byReason)})`,
    });
  }
  const errors = problems.filter((p) => p.level === 'error').length;
  const warnings = problems.length - errors;

  if (options.json) {
    const skippedFiles = [...skipped].map(([file, reason]) => ({ file, reason }));
    process.stdout.write(
      `${JSON.stringify(
        {
          files,
          entities,
          errors,
          warnings,
          problems,
          skipped: {
            total: skipped.size,
            reasons: Object.fromEntries(byReason),
            files: skippedFiles,
          },
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    const parts = [
      `${plural(entities, 'entity', 'entities')} valid in ${plural(files, 'file')}`,
      `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
    ];
    if (skipped.size) {
      parts.push(
        `skipped ${skipped.size === 1 ? '1 file that is not a catalog file' : `${skipped.size} files that are not catalog files`} (${describeSkips(byReason)})`,
      );
    }
    process.stderr.write(`${parts.join('; ')}\n`);
  }
  return errors ? 1 : 0;
}

function describeSkips(byReason: Map<SkipReason, number>): string {
  return (Object.keys(SKIP_LABELS) as SkipReason[])
    .filter((reason) => byReason.has(reason))
    .map((reason) => `${SKIP_LABELS[reason]}: ${byReason.get(reason)}`)
    .join(', ');
}
