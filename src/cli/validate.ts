import { resolve } from 'node:path';
import { loadConfig, toKindDefinitions } from '../core/config/index.ts';
import { readingPolicy } from '../core/reading/allow-list.ts';
import type { Problem } from '../model/entity.ts';
import { createKindRegistry } from '../model/index.ts';
import { ingestLocation } from '../plugins/catalog/server/ingest/ingest-location.ts';
import {
  FileReader,
  type LocationReader,
  UrlReader,
} from '../plugins/catalog/server/ingest/readers.ts';
import { RuleSet } from '../plugins/catalog/server/ingest/rules.ts';
import { createProgress } from './progress.ts';

export function formatProblem(p: Problem): string {
  const where = `${p.file ?? '<input>'}${p.line ? `:${p.line}` : ''}`;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.level === 'error' ? '' : `${p.level}: `}${p.message}`;
}

/** Validates files as the server would ingest them, without a server or database. */
export async function validateCommand(
  targets: string[],
  options: { config?: string[]; json?: boolean },
): Promise<number> {
  const { config } = await loadConfig({
    configPaths: options.config,
    cwd: process.cwd(),
    env: process.env,
  });
  const registry = createKindRegistry(toKindDefinitions(config.catalog.kinds));
  const readers = new Map<string, LocationReader>([
    ['file', new FileReader()],
    ['url', new UrlReader(() => readingPolicy(config))],
  ]);
  const problems: Problem[] = [];
  let entities = 0;
  let files = 0;
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
        onProgress: (p) => progress.update(files + p.files, p.file),
      },
    );
    files += outcome.fileCount;
    entities += outcome.entities.length - 1;
    problems.push(...outcome.problems);
  }
  progress.stop();
  const errors = problems.filter((p) => p.level === 'error');
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ files, entities, problems }, null, 2)}\n`);
  } else {
    for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    process.stderr.write(
      `${files} file(s), ${entities} valid entit${entities === 1 ? 'y' : 'ies'}, ${errors.length} error(s), ${problems.length - errors.length} warning(s)\n`,
    );
  }
  return errors.length ? 1 : 0;
}
