import { createHash } from 'node:crypto';
import type { Entity } from '../../../model/entity.ts';
import type { Database, Logger } from '../../../core/plugin-api.ts';
import { compileScorecard, factIdsOf } from '../common/evaluate.ts';
import type { Scorecard, ScorecardError } from '../common/types.ts';

/**
 * Bumped when scoring itself changes (what is stored, how a level is computed): every
 * scorecard's stored hash then differs and each is evaluated again in full at start.
 */
const SCORING_VERSION = 2;

/** A Scorecard entity read and compiled, with what scoring and the API need at hand. */
export interface LoadedScorecard {
  card: Scorecard;
  /** The Scorecard entity as stored (its owner, for the API). */
  entity: Entity;
  /** Changes exactly when results could: the spec and the scoring version. */
  hash: string;
  /** Check id -> index in `card.spec.checks` (and in the stored status letters). */
  checkIndex: Map<string, number>;
  /** Level name -> rank (index + 1). */
  rankOf: Map<string, number>;
  factIds: string[];
  /**
   * Relation types (lowercased) its relation rules count, and how much of each target they
   * need: 0 whether it exists, 1 its document (a `target` filter), 2 with its relations too
   * (a `target` filter naming `relations.*`).
   */
  relationTargets: Map<string, TargetDepth>;
}

interface Cached {
  rowHash: string;
  loaded?: LoadedScorecard;
  problems?: string[];
}

/**
 * The scorecards in the catalog (entities of kind Scorecard), compiled once per stored
 * version. Read from the database on each call (a handful of rows), so every replica sees
 * scorecards that another one ingested.
 */
export class ScorecardRegistry {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly db: Database['reader'],
    private readonly logger: Logger,
  ) {}

  /** Every scorecard that compiles, by lowercased ref. */
  async all(): Promise<Map<string, LoadedScorecard>> {
    const rows = (await this.db
      .selectFrom('catalog_entities')
      .select(['entity_ref', 'hash', 'body'])
      .where('kind', '=', 'scorecard')
      .orderBy('entity_ref')
      .execute()) as Array<{ entity_ref: string; hash: string; body: string }>;
    const out = new Map<string, LoadedScorecard>();
    const present = new Set<string>();
    for (const row of rows) {
      present.add(row.entity_ref);
      let cached = this.cache.get(row.entity_ref);
      if (!cached || cached.rowHash !== row.hash) {
        cached = this.compile(row.entity_ref, row.hash, JSON.parse(row.body) as Entity);
        this.cache.set(row.entity_ref, cached);
      }
      if (cached.loaded) out.set(row.entity_ref, cached.loaded);
    }
    for (const ref of [...this.cache.keys()]) if (!present.has(ref)) this.cache.delete(ref);
    return out;
  }

  async get(ref: string): Promise<LoadedScorecard | undefined> {
    return (await this.all()).get(ref.toLowerCase());
  }

  /** Why a stored scorecard could not be compiled (it is then not scored), by ref. */
  problems(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [ref, cached] of this.cache) if (cached.problems) out.set(ref, cached.problems);
    return out;
  }

  private compile(ref: string, rowHash: string, entity: Entity): Cached {
    try {
      const card = compileScorecard(entity);
      return { rowHash, loaded: loadedFrom(card, entity) };
    } catch (error) {
      const problems = Array.isArray(error)
        ? (error as ScorecardError[]).map((e) => `${e.path}: ${e.message}`)
        : [(error as Error).message];
      this.logger.warn(`Scorecard ${ref} is not scored: ${problems.join('; ')}`);
      return { rowHash, problems };
    }
  }
}

export function loadedFrom(card: Scorecard, entity: Entity): LoadedScorecard {
  return {
    card,
    entity,
    hash: createHash('sha256')
      .update(JSON.stringify([SCORING_VERSION, card.spec]))
      .digest('hex'),
    checkIndex: new Map(card.spec.checks.map((c, i) => [c.id, i])),
    rankOf: new Map(card.spec.levels.map((l, i) => [l, i + 1])),
    factIds: factIdsOf(card),
    relationTargets: relationTargetsOf(card.spec.checks.map((c) => c.rule)),
  };
}

export type TargetDepth = 0 | 1 | 2;

/** What each relation rule in `rules` needs of its targets (see `relationTargets`). */
function relationTargetsOf(rules: unknown[]): Map<string, TargetDepth> {
  const out = new Map<string, TargetDepth>();
  const visit = (rule: unknown): void => {
    if (rule === null || typeof rule !== 'object') return;
    if (Array.isArray(rule)) {
      rule.forEach(visit);
      return;
    }
    const r = rule as Record<string, unknown>;
    if (typeof r.relation === 'string') {
      const filters = r.target === undefined ? [] : Array.isArray(r.target) ? r.target : [r.target];
      const namesRelations = filters.some((f) =>
        Object.keys((f ?? {}) as object).some((k) => k.toLowerCase().startsWith('relations')),
      );
      const depth: TargetDepth = namesRelations ? 2 : filters.length ? 1 : 0;
      const type = r.relation.toLowerCase();
      out.set(type, Math.max(out.get(type) ?? 0, depth) as TargetDepth);
    }
    for (const child of [r.allOf, r.anyOf, r.not]) visit(child);
  };
  rules.forEach(visit);
  return out;
}
