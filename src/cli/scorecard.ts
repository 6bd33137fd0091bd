/**
 * `atrium scorecard check`: scores catalog files against scorecards offline, with the facts
 * known without a server (the entities and their relations among the files, their files'
 * problems, the repository files beside each catalog file, and facts given with --facts), so
 * a team can gate merges on a level.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as jsYaml from 'js-yaml';
import { loadConfig } from '../core/config/index.ts';
import { readingPolicy } from '../core/reading/allow-list.ts';
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  type Entity,
  type EntityRelation,
  type Problem,
} from '../model/entity.ts';
import type { KindRegistry } from '../model/index.ts';
import {
  type IngestOutcome,
  ingestLocation,
} from '../plugins/catalog/server/ingest/ingest-location.ts';
import {
  FileReader,
  type LocationReader,
  UrlReader,
} from '../plugins/catalog/server/ingest/readers.ts';
import { RuleSet } from '../plugins/catalog/server/ingest/rules.ts';
import {
  compileScorecard,
  levelRank,
  scoreEntity,
  scorecardMatches,
} from '../plugins/scorecards/common/evaluate.ts';
import { REPO_FACT_FOLDERS, repoFactsFromFiles } from '../plugins/scorecards/common/repo-facts.ts';
import type { EntityScore, Scorecard } from '../plugins/scorecards/common/types.ts';
import { cliKindRegistry } from './kinds.ts';
import { createProgress } from './progress.ts';
import { formatProblem } from './validate.ts';

export interface ScorecardCheckOptions {
  scorecard: string[];
  minLevel?: string;
  facts?: string;
  config?: string[];
  json?: boolean;
}

/** Exit codes: 0 every entity at or above --min-level; 1 some below, or catalog errors; 2 usage. */
const BELOW = 1;
const USAGE = 2;

class UsageError extends Error {}

interface Loaded {
  outcomes: IngestOutcome[];
  files: number;
}

async function load(
  targets: string[],
  registry: KindRegistry,
  readers: Map<string, LocationReader>,
  label: string,
): Promise<Loaded> {
  const outcomes: IngestOutcome[] = [];
  let files = 0;
  const progress = createProgress(label);
  try {
    for (const target of targets) {
      const type = /^https?:\/\//.test(target) ? 'url' : 'file';
      const outcome = await ingestLocation(
        { id: 'scorecard', type, target: type === 'file' ? resolve(target) : target },
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
      outcomes.push(outcome);
    }
  } finally {
    progress.stop();
  }
  return { outcomes, files };
}

/** The file a catalog entity was read from, when it came from a file. */
function sourceFile(entity: Entity): string | undefined {
  const from = entity.metadata.annotations?.[ANNOTATION_MANAGED_BY_LOCATION];
  return from?.startsWith('file:') ? from.slice('file:'.length) : undefined;
}

async function repoFactsBeside(file: string): Promise<Map<string, boolean>> {
  const root = dirname(file);
  const paths: string[] = [];
  for (const folder of REPO_FACT_FOLDERS) {
    const entries = await readdir(join(root, folder), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) paths.push(folder ? `${folder}/${entry.name}` : entry.name);
    }
  }
  return repoFactsFromFiles(paths);
}

/** `--facts` file: `{ "<entity ref>" | "*": { "<fact id>": value } }`, YAML or JSON. */
async function readFactsFile(path: string): Promise<Map<string, Map<string, unknown>>> {
  let raw: unknown;
  try {
    raw = jsYaml.load(await readFile(path, 'utf8'), { schema: jsYaml.CORE_SCHEMA });
  } catch (error) {
    throw new UsageError(`--facts ${path}: ${(error as Error).message}`);
  }
  const shape =
    'an object of entity refs (or "*" for every entity), each an object of fact ids and values, e.g. { "component:default/payments": { ci.coverage: 81 } }';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`--facts ${path}: must be ${shape}`);
  }
  const out = new Map<string, Map<string, unknown>>();
  for (const [ref, facts] of Object.entries(raw)) {
    if (typeof facts !== 'object' || facts === null || Array.isArray(facts)) {
      throw new UsageError(`--facts ${path}: "${ref}" must be an object of fact ids and values`);
    }
    const map = new Map<string, unknown>();
    for (const [id, value] of Object.entries(facts)) {
      if (value !== null && typeof value === 'object') {
        throw new UsageError(
          `--facts ${path}: ${ref} → ${id} must be a string, number, boolean or null, not ${Array.isArray(value) ? 'a list' : 'an object'}`,
        );
      }
      map.set(id, value);
    }
    out.set(ref.toLowerCase(), map);
  }
  return out;
}

function sameRelations(list: EntityRelation[], type: string, target: string): boolean {
  return list.some((r) => r.type === type && r.targetRef === target);
}

interface ScoredEntity {
  entityRef: string;
  file?: string;
  score: EntityScore;
}

const MARK = { passed: '✓', failed: '✗', unknown: '?' } as const;

function printCard(card: Scorecard, scored: ScoredEntity[], minRank: number): string[] {
  const lines = [
    `${card.title} (${card.ref}): ${scored.length} ${scored.length === 1 ? 'entity' : 'entities'}, levels ${card.spec.levels.join(' < ')}`,
  ];
  if (scored.length === 0) lines.push('  its filter matches no entity in these files');
  const checks = new Map(card.spec.checks.map((c) => [c.id, c]));
  for (const { entityRef, score } of scored) {
    const below = minRank > 0 && score.rank < minRank ? '  (below the minimum level)' : '';
    lines.push(`  ${entityRef}: ${score.level ?? 'no level'}${below}`);
    for (const result of score.checks) {
      if (result.status === 'passed') continue;
      const check = checks.get(result.id);
      lines.push(
        `    ${MARK[result.status]} ${result.id} [${check?.level}] ${result.status}: ${result.reason}`,
      );
      if (result.status === 'failed' && check?.howToFix)
        lines.push(`      how to fix: ${check.howToFix}`);
    }
  }
  return lines;
}

export async function scorecardCheckCommand(
  targets: string[],
  options: ScorecardCheckOptions,
): Promise<number> {
  try {
    return await check(targets, options);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`atrium: ${error.message}\n`);
      return USAGE;
    }
    throw error;
  }
}

async function check(targets: string[], options: ScorecardCheckOptions): Promise<number> {
  const { config } = await loadConfig({
    configPaths: options.config,
    cwd: process.cwd(),
    env: process.env,
  });
  const registry = cliKindRegistry(config);
  const readers = new Map<string, LocationReader>([
    ['file', new FileReader()],
    ['url', new UrlReader(() => readingPolicy(config))],
  ]);

  // Scorecards first: a broken one is a usage error, whatever the catalog files hold.
  const cardFiles = await load(options.scorecard, registry, readers, 'Reading scorecards');
  const cardProblems = cardFiles.outcomes
    .flatMap((o) => o.problems)
    .filter((p) => p.level === 'error');
  if (cardProblems.length) {
    for (const p of cardProblems) process.stderr.write(`${formatProblem(p)}\n`);
    throw new UsageError(
      `the scorecard file has ${cardProblems.length} error(s); nothing was scored`,
    );
  }
  const cards: Scorecard[] = [];
  for (const outcome of cardFiles.outcomes) {
    for (const { entity } of outcome.entities) {
      if (entity.kind === 'Scorecard') cards.push(compileScorecard(entity));
    }
  }
  if (cards.length === 0) {
    throw new UsageError(
      `no Scorecard in ${options.scorecard.join(', ')}; a scorecard is a document with apiVersion: atrium.io/v1alpha1 and kind: Scorecard`,
    );
  }
  let minRanks: number[] = [];
  if (options.minLevel !== undefined) {
    const level = options.minLevel;
    minRanks = cards.map((card) => {
      const rank =
        levelRank(card, level) ||
        levelRank(
          card,
          card.spec.levels.find((l) => l.toLowerCase() === level.toLowerCase()) ?? '',
        );
      if (!rank) {
        throw new UsageError(
          `--min-level "${level}" is not a level of ${card.ref}; its levels are ${card.spec.levels.join(', ')}`,
        );
      }
      return rank;
    });
  }
  const given = options.facts
    ? await readFactsFile(options.facts)
    : new Map<string, Map<string, unknown>>();

  const catalog = await load(targets, registry, readers, 'Reading catalog files');
  const problems: Problem[] = catalog.outcomes.flatMap((o) => o.problems);
  const errorFiles = new Set(problems.filter((p) => p.level === 'error').map((p) => p.file));

  // Entities with the relations every file's entities give them, as the catalog would store.
  const entities = new Map<string, Entity>();
  const relations = new Map<string, EntityRelation[]>();
  for (const outcome of catalog.outcomes) {
    for (const prepared of outcome.entities) {
      entities.set(prepared.ref, prepared.entity);
      for (const { source, type, target } of prepared.relations) {
        let list = relations.get(source);
        if (!list) {
          list = [];
          relations.set(source, list);
        }
        if (!sameRelations(list, type, target)) list.push({ type, targetRef: target });
      }
    }
  }
  for (const [ref, entity] of entities) entity.relations = relations.get(ref) ?? [];

  const repoFacts = new Map<string, Map<string, boolean>>();
  const results = new Map<Scorecard, ScoredEntity[]>();
  for (const card of cards) results.set(card, []);
  for (const [ref, entity] of entities) {
    const matching = cards.filter((card) => scorecardMatches(card, entity));
    if (matching.length === 0) continue;
    const file = sourceFile(entity);
    const facts = new Map<string, unknown>();
    facts.set('catalog.hasErrors', file !== undefined && errorFiles.has(file));
    facts.set('catalog.orphan', false);
    if (file) {
      let repo = repoFacts.get(dirname(file));
      if (!repo) {
        repo = await repoFactsBeside(file);
        repoFacts.set(dirname(file), repo);
      }
      for (const [id, value] of repo) facts.set(id, value);
    }
    for (const key of ['*', ref])
      for (const [id, value] of given.get(key) ?? []) facts.set(id, value);
    const input = { entity, relations: entity.relations ?? [], targets: entities, facts };
    for (const card of matching) {
      (results.get(card) as ScoredEntity[]).push({
        entityRef: ref,
        file,
        score: scoreEntity(card, input),
      });
    }
  }

  const below: { scorecard: string; entityRef: string; level: string | null }[] = [];
  cards.forEach((card, i) => {
    const minRank = minRanks[i] ?? 0;
    for (const { entityRef, score } of results.get(card) ?? []) {
      if (score.rank < minRank) below.push({ scorecard: card.ref, entityRef, level: score.level });
    }
  });
  const errors = problems.filter((p) => p.level === 'error').length;

  if (options.json) {
    const out = {
      scorecards: cards.map((card) => {
        const checks = new Map(card.spec.checks.map((c) => [c.id, c]));
        return {
          ref: card.ref,
          title: card.title,
          levels: card.spec.levels,
          entities: (results.get(card) ?? []).map(({ entityRef, file, score }) => ({
            entityRef,
            file,
            level: score.level,
            rank: score.rank,
            checks: score.checks.map((r) => {
              const spec = checks.get(r.id);
              return {
                ...r,
                title: spec?.title ?? r.id,
                level: spec?.level,
                ...(spec?.howToFix ? { howToFix: spec.howToFix } : {}),
              };
            }),
          })),
        };
      }),
      minLevel: options.minLevel ?? null,
      belowMinLevel: below,
      problems,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    cards.forEach((card, i) => {
      lines.push(...printCard(card, results.get(card) ?? [], minRanks[i] ?? 0));
    });
    process.stdout.write(`${lines.join('\n')}\n`);
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    const summary: string[] = [];
    if (options.minLevel !== undefined) {
      summary.push(
        below.length
          ? `${below.length} ${below.length === 1 ? 'entity is' : 'entities are'} below ${options.minLevel}`
          : `every entity is at ${options.minLevel} or above`,
      );
    }
    if (errors)
      summary.push(
        `${errors} error(s) in the catalog files (run atrium validate); documents with errors were not scored`,
      );
    if (summary.length) process.stderr.write(`${summary.join('; ')}\n`);
  }
  return below.length || errors ? BELOW : 0;
}
