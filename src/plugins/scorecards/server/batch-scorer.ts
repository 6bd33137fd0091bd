import type { Entity } from '../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import type { Database, Logger } from '../../../core/plugin-api.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import { campaignMatches, scorecardMatches, scoreEntity } from '../common/evaluate.ts';
import type { RelationLike } from '../common/types.ts';
import type { FactProvider } from './facts/provider.ts';
import { encodeChecks } from './checks-codec.ts';
import { gatherFacts } from './gather-facts.ts';
import type { LoadedScorecard, TargetDepth } from './registry.ts';
import type { NewResult } from './results-store.ts';
import { STATUS_LETTER } from './tables.ts';
import { TimeSlicer } from './time-slicer.ts';

/** Relation targets kept between batches of one job; beyond this the cache starts over. */
const MAX_CACHED_TARGETS = 50_000;
const CHUNK = 500;

/** What one job (a full evaluation, a batch of changes) reuses from batch to batch. */
export interface ScoringContext {
  /** Relation targets read so far: the entity (or a stand-in), or null where none exists. */
  targets: Map<string, Entity | null>;
  /** How much of each cached target was read (see `LoadedScorecard.relationTargets`). */
  depth: Map<string, TargetDepth>;
  /** Targets that exist (what scoring looks relation targets up in). */
  existing: Map<string, Entity>;
  /** System ref -> its domain ref. */
  domains: Map<string, string | null>;
  /** Provider failures logged once. */
  reported: Set<string>;
}

export function newScoringContext(): ScoringContext {
  return {
    targets: new Map(),
    depth: new Map(),
    existing: new Map(),
    domains: new Map(),
    reported: new Set(),
  };
}

const relationsOf = (entity: Entity): RelationLike[] => entity.relations ?? [];

function firstTarget(relations: readonly RelationLike[], type: string, kind?: string) {
  for (const r of relations) {
    if (r.type !== type) continue;
    const target = r.targetRef.toLowerCase();
    if (!kind || target.startsWith(`${kind}:`)) return target;
  }
  return null;
}

/** Scores entities against scorecards: reads their relation targets and facts in batches. */
export class BatchScorer {
  /** Entity × scorecard evaluations done since start (tests and the benchmark read it). */
  evaluations = 0;

  constructor(
    private readonly deps: {
      catalog: CatalogApi;
      db: Database['reader'];
      providers: () => readonly FactProvider[];
      logger: Logger;
    },
  ) {}

  /**
   * The results of `entities` (with relations) for each of `cards` whose filter they match.
   * Pairs that do not match get no result.
   */
  async score(
    entities: readonly Entity[],
    cards: readonly LoadedScorecard[],
    context: ScoringContext,
    scoredAt: string,
    slicer = new TimeSlicer(),
  ): Promise<NewResult[]> {
    const matched: Array<{ entity: Entity; ref: string; cards: LoadedScorecard[] }> = [];
    for (const entity of entities) {
      const relations = relationsOf(entity);
      const mine = cards.filter((c) => scorecardMatches(c.card, entity, relations));
      if (mine.length) matched.push({ entity, ref: stringifyEntityRef(entity), cards: mine });
      await slicer.tick();
    }
    if (!matched.length) return [];

    const wanted = new Map<string, TargetDepth>();
    for (const card of cards) {
      for (const [type, depth] of card.relationTargets)
        wanted.set(type, Math.max(wanted.get(type) ?? 0, depth) as TargetDepth);
    }
    await this.loadTargets(
      matched.map((m) => m.entity),
      context,
      wanted,
    );
    const systems = new Set<string>();
    for (const { entity } of matched) {
      if (entity.kind.toLowerCase() === 'system') continue;
      const system = firstTarget(relationsOf(entity), 'partOf', 'system');
      if (system) systems.add(system);
    }
    await this.loadDomains([...systems], context);

    const factIds = [...new Set(matched.flatMap((m) => m.cards.flatMap((c) => c.factIds)))];
    const facts = await gatherFacts(
      this.deps.providers(),
      matched.filter((m) => m.cards.some((c) => c.factIds.length)).map((m) => m.entity),
      factIds,
      this.deps.logger,
      context.reported,
    );

    const out: NewResult[] = [];
    const none = new Map<string, unknown>();
    for (const { entity, ref, cards: mine } of matched) {
      const relations = relationsOf(entity);
      const where = placeOf(entity, ref, relations, context);
      for (const loaded of mine) {
        this.evaluations++;
        let score: ReturnType<typeof scoreEntity>;
        try {
          score = scoreEntity(loaded.card, {
            entity,
            relations,
            targets: context.existing,
            facts: facts.get(ref) ?? none,
          });
        } catch (error) {
          const key = `${loaded.card.ref}\u0000${(error as Error).message}`;
          if (!context.reported.has(key)) {
            context.reported.add(key);
            this.deps.logger.error(`Scoring ${ref} with ${loaded.card.ref} failed`, {
              error: (error as Error).message,
            });
          }
          continue;
        }
        let passed = 0;
        let failed = 0;
        let unknown = 0;
        let statuses = '';
        for (const check of score.checks) {
          if (check.status === 'passed') passed++;
          else if (check.status === 'failed') failed++;
          else unknown++;
          statuses += STATUS_LETTER[check.status];
        }
        const campaigns = (loaded.card.spec.campaigns ?? [])
          .filter((c) => campaignMatches(loaded.card, c, entity, relations))
          .map((c) => c.id);
        out.push({
          scorecard_ref: loaded.card.ref,
          entity_ref: ref,
          level: score.level,
          rank: score.rank,
          checks_json: encodeChecks(score.checks),
          statuses,
          passed,
          failed,
          unknown,
          ...where,
          campaigns: campaigns.length ? `,${campaigns.join(',')},` : null,
          scored_at: scoredAt,
        });
        await slicer.tick();
      }
    }
    return out;
  }

  /**
   * Reads the targets of the relations that the scorecards' relation rules count, as far as
   * they need them: whether each exists (one indexed lookup, no document read), its document,
   * or its document and relations.
   */
  private async loadTargets(
    entities: readonly Entity[],
    context: ScoringContext,
    wanted: ReadonlyMap<string, TargetDepth>,
  ): Promise<void> {
    if (!wanted.size) return;
    if (context.targets.size > MAX_CACHED_TARGETS) {
      context.targets.clear();
      context.depth.clear();
      context.existing.clear();
    }
    const byDepth: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(), new Set()];
    for (const entity of entities) {
      for (const r of relationsOf(entity)) {
        const depth = wanted.get(r.type.toLowerCase());
        if (depth === undefined) continue;
        const target = r.targetRef.toLowerCase();
        const known = context.depth.get(target);
        if (known !== undefined && (known >= depth || context.targets.get(target) === null))
          continue;
        byDepth[depth].add(target);
      }
    }
    const store = (ref: string, entity: Entity | null, depth: TargetDepth) => {
      context.targets.set(ref, entity);
      context.depth.set(ref, depth);
      if (entity) context.existing.set(ref, entity);
      else context.existing.delete(ref);
    };
    const exists = [...byDepth[0]].filter((r) => !byDepth[1].has(r) && !byDepth[2].has(r));
    for (let i = 0; i < exists.length; i += CHUNK) {
      const part = exists.slice(i, i + CHUNK);
      const rows = (await this.deps.db
        .selectFrom('catalog_entities')
        .select(['entity_ref', 'kind'])
        .where('entity_ref', 'in', part)
        .execute()) as Array<{ entity_ref: string; kind: string }>;
      const found = new Map(rows.map((r) => [r.entity_ref, r.kind]));
      for (const ref of part) {
        const kind = found.get(ref);
        store(ref, kind === undefined ? null : standIn(ref, kind), 0);
      }
    }
    for (const depth of [1, 2] as const) {
      const refs = [...byDepth[depth]].filter((r) => depth === 2 || !byDepth[2].has(r));
      // Without relations, a target is its stored document: no read of the relations table.
      const fields = depth === 2 ? undefined : ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
      for (let i = 0; i < refs.length; i += CHUNK) {
        const part = refs.slice(i, i + CHUNK);
        const found = await this.deps.catalog.query.byRefs(part, fields, undefined);
        part.forEach((ref, j) => {
          store(ref, (found[j] ?? null) as Entity | null, depth);
        });
      }
    }
  }

  /** The domains of systems not looked up yet in this context. */
  private async loadDomains(systems: readonly string[], context: ScoringContext): Promise<void> {
    const missing = systems.filter((s) => !context.domains.has(s));
    for (let i = 0; i < missing.length; i += CHUNK) {
      const part = missing.slice(i, i + CHUNK);
      for (const ref of part) context.domains.set(ref, null);
      const rows = (await this.deps.db
        .selectFrom('catalog_relations')
        .select(['source_ref', 'target_ref'])
        .where('source_ref', 'in', part)
        .where('type', '=', 'partOf')
        .execute()) as Array<{ source_ref: string; target_ref: string }>;
      for (const row of rows) {
        if (row.target_ref.startsWith('domain:') && context.domains.get(row.source_ref) === null)
          context.domains.set(row.source_ref, row.target_ref);
      }
    }
  }
}

/**
 * A target whose existence is all a rule asks about: its ref's parts, without reading its
 * document (the kind as stored, lowercase).
 */
function standIn(ref: string, kind: string): Entity {
  const { namespace, name } = parseEntityRef(ref);
  return { apiVersion: '', kind, metadata: { name, namespace } };
}

/** Where an entity sits: its owner, system and domain (a System is in itself, a Domain too). */
function placeOf(
  entity: Entity,
  ref: string,
  relations: readonly RelationLike[],
  context: ScoringContext,
): Pick<NewResult, 'owner_ref' | 'system_ref' | 'domain_ref'> {
  const kind = entity.kind.toLowerCase();
  const owner = firstTarget(relations, 'ownedBy');
  if (kind === 'domain') return { owner_ref: owner, system_ref: null, domain_ref: ref };
  if (kind === 'system') {
    return {
      owner_ref: owner,
      system_ref: ref,
      domain_ref: firstTarget(relations, 'partOf', 'domain'),
    };
  }
  const system = firstTarget(relations, 'partOf', 'system');
  return {
    owner_ref: owner,
    system_ref: system,
    domain_ref: system ? (context.domains.get(system) ?? null) : null,
  };
}
