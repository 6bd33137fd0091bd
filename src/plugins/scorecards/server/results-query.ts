import type { Database } from '../../../core/plugin-api.ts';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { Entity } from '../../../model/entity.ts';
import { InputError } from '../../../core/errors.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { Predicate } from '../../catalog/server/query/predicate.ts';
import type { ResultRow, ScorecardTables } from './tables.ts';

type EB = ExpressionBuilder<ScorecardTables, 'scorecard_results'>;
/** A condition on `scorecard_results`. */
export type ResultCondition = (eb: EB) => Expression<SqlBool>;

/** Which column a roll-up groups results by. */
export type GroupColumn = 'owner_ref' | 'system_ref' | 'domain_ref';

/** Counts of one group of results (an owner, a system...) at one rank. */
export interface AggregateRow {
  group: string | null;
  rank: number;
  count: number;
  /** Per check (in the scorecard's order): how many passed, failed, were unknown. */
  passed: number[];
  failed: number[];
  unknown: number[];
}

/** The display name and kind of entities, read from the catalog for a page of refs. */
export interface EntitySummary {
  title: string;
  kind: string;
}

const CHUNK = 500;

/** Reads stored results: lists, aggregates, an entity's results and history. */
export class ResultsQuery {
  private readonly db: Kysely<ScorecardTables>;

  constructor(
    reader: Database['reader'],
    private readonly catalog: () => CatalogApi,
  ) {
    this.db = reader as Kysely<ScorecardTables>;
  }

  /** Results whose entity the caller may read (`readable` from `catalog.readFilter`). */
  readable(readable: Predicate | undefined): ResultCondition | undefined {
    if (!readable) return undefined;
    const refs = this.catalog().query.refsMatching(readable);
    // biome-ignore lint/suspicious/noExplicitAny: a subquery over the catalog's tables
    return (eb) => eb('entity_ref', 'in', refs as any);
  }

  private base(scorecard: string, conditions: Array<ResultCondition | undefined>) {
    let q = this.db.selectFrom('scorecard_results').where('scorecard_ref', '=', scorecard);
    for (const c of conditions) if (c) q = q.where(c);
    return q;
  }

  /** How many results each scorecard has at each rank. */
  async distributions(
    scorecards: readonly string[],
    conditions: Array<ResultCondition | undefined>,
  ): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>();
    if (!scorecards.length) return out;
    let q = this.db
      .selectFrom('scorecard_results')
      .select(['scorecard_ref', 'rank', (eb) => eb.fn.countAll<number>().as('n')])
      .where('scorecard_ref', 'in', scorecards);
    for (const c of conditions) if (c) q = q.where(c);
    for (const row of await q.groupBy(['scorecard_ref', 'rank']).execute()) {
      const ranks = out.get(row.scorecard_ref) ?? new Map<number, number>();
      ranks.set(Number(row.rank), Number(row.n));
      out.set(row.scorecard_ref, ranks);
    }
    return out;
  }

  /** A page of results, lowest rank first, then by entity ref. */
  async page(
    scorecard: string,
    conditions: Array<ResultCondition | undefined>,
    limit: number,
    after: { rank: number; ref: string } | undefined,
  ): Promise<{ rows: ResultRow[]; total: number; hasMore: boolean }> {
    const totalRow = await this.base(scorecard, conditions)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    let q = this.base(scorecard, conditions).selectAll();
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('rank', '>', after.rank),
          eb.and([eb('rank', '=', after.rank), eb('entity_ref', '>', after.ref)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('rank')
      .orderBy('entity_ref')
      .limit(limit + 1)
      .execute();
    return {
      rows: rows.slice(0, limit),
      total: Number(totalRow?.n ?? 0),
      hasMore: rows.length > limit,
    };
  }

  /**
   * Results counted per group (owner, system or domain) and rank, with per-check status
   * counts. SQL counts each distinct combination of status letters (few: entities fail in
   * similar ways) over the covering (scorecard, owner, rank, entity, statuses) index; the
   * letters are tallied here.
   */
  async aggregate(
    scorecard: string,
    column: GroupColumn,
    checks: number,
    conditions: Array<ResultCondition | undefined>,
  ): Promise<AggregateRow[]> {
    const rows = (await this.base(scorecard, conditions)
      .select([
        sql<string | null>`${sql.ref(column)}`.as('grp'),
        'rank',
        'statuses',
        (eb) => eb.fn.countAll<number>().as('n'),
      ])
      .groupBy([column, 'rank', 'statuses'])
      .execute()) as Array<{ grp: string | null; rank: number; statuses: string; n: number }>;
    const out = new Map<string, AggregateRow>();
    for (const row of rows) {
      const group = row.grp ?? null;
      const rank = Number(row.rank);
      const n = Number(row.n);
      const key = `${rank} ${group ?? ''}`;
      let agg = out.get(key);
      if (!agg) {
        agg = {
          group,
          rank,
          count: 0,
          passed: new Array<number>(checks).fill(0),
          failed: new Array<number>(checks).fill(0),
          unknown: new Array<number>(checks).fill(0),
        };
        out.set(key, agg);
      }
      agg.count += n;
      for (let i = 0; i < checks; i++) {
        const letter = row.statuses[i];
        if (letter === 'P') agg.passed[i]! += n;
        else if (letter === 'F') agg.failed[i]! += n;
        else if (letter === 'U') agg.unknown[i]! += n;
      }
    }
    return [...out.values()];
  }

  /**
   * The `perGroup` lowest-ranked results of each group below `belowRank` (those holding their
   * group back), read with a window over the covering (scorecard, owner, rank, entity,
   * statuses) index. Neither `level` (not in the index: every row would be read from the
   * table) nor the rank bound is asked of SQL (a bound on rank makes the rank index look
   * better, which then needs a sort); a group's rows come lowest rank first, so keeping its
   * first rows below `belowRank` is the same.
   */
  async lowest(
    scorecard: string,
    column: GroupColumn,
    belowRank: number,
    perGroup: number,
    conditions: Array<ResultCondition | undefined>,
  ): Promise<
    Array<Pick<ResultRow, 'entity_ref' | 'rank' | 'statuses'> & { group: string | null }>
  > {
    const inner = this.base(scorecard, conditions).select([
      'entity_ref',
      'rank',
      'statuses',
      sql<string | null>`${sql.ref(column)}`.as('grp'),
      sql<number>`row_number() over (partition by ${sql.ref(column)} order by rank, entity_ref)`.as(
        'rn',
      ),
    ]);
    const rows = (await this.db
      .selectFrom(inner.as('w'))
      .selectAll()
      .where('w.rn', '<=', perGroup)
      .where('w.rank', '<', belowRank)
      .execute()) as Array<{
      entity_ref: string;
      rank: number;
      statuses: string;
      grp: string | null;
      rn: number;
    }>;
    return rows.map((r) => ({
      entity_ref: r.entity_ref,
      rank: Number(r.rank),
      statuses: r.statuses,
      group: r.grp,
    }));
  }

  /** Results per group counted with and without the caller's filter (see trend access). */
  async countsByOwner(
    scorecard: string,
    conditions: Array<ResultCondition | undefined>,
  ): Promise<Map<string, number>> {
    const rows = await this.base(scorecard, conditions)
      .select(['owner_ref', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('owner_ref')
      .execute();
    return new Map(rows.map((r) => [r.owner_ref ?? '', Number(r.n)]));
  }

  /** An entity's results, one per scorecard. */
  async ofEntity(ref: string): Promise<ResultRow[]> {
    return this.db
      .selectFrom('scorecard_results')
      .selectAll()
      .where('entity_ref', '=', ref)
      .orderBy('scorecard_ref')
      .execute();
  }

  /** An entity's level changes, newest first. */
  async history(ref: string, scorecard: string | undefined, limit: number) {
    let q = this.db.selectFrom('scorecard_level_changes').selectAll().where('entity_ref', '=', ref);
    if (scorecard) q = q.where('scorecard_ref', '=', scorecard);
    return q.orderBy('at', 'desc').orderBy('scorecard_ref').limit(limit).execute();
  }

  /** Which of `refs` are in the catalog. */
  async existing(refs: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const catalog = this.db as unknown as Kysely<{ catalog_entities: { entity_ref: string } }>;
    for (let i = 0; i < refs.length; i += CHUNK) {
      const rows = await catalog
        .selectFrom('catalog_entities')
        .select('entity_ref')
        .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) out.add(row.entity_ref);
    }
    return out;
  }

  /** Title and kind of catalog entities, for the refs of a page. */
  async summaries(refs: readonly string[]): Promise<Map<string, EntitySummary>> {
    const out = new Map<string, EntitySummary>();
    for (let i = 0; i < refs.length; i += CHUNK) {
      const rows = (await (
        this.db as unknown as Kysely<{
          catalog_entities: { entity_ref: string; body: string };
        }>
      )
        .selectFrom('catalog_entities')
        .select(['entity_ref', 'body'])
        .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
        .execute()) as Array<{ entity_ref: string; body: string }>;
      for (const row of rows) {
        const entity = JSON.parse(row.body) as Entity;
        out.set(row.entity_ref, {
          title: entity.metadata.title ?? entity.metadata.name,
          kind: entity.kind,
        });
      }
    }
    return out;
  }
}

/** Conditions of the results list's query parameters. */
export function statusCondition(
  index: number | undefined,
  status: 'passed' | 'failed' | 'unknown',
): ResultCondition {
  if (index === undefined) {
    return (eb) => eb(status, '>', 0);
  }
  const letter = status === 'passed' ? 'P' : status === 'failed' ? 'F' : 'U';
  return () => sql<SqlBool>`substr(statuses, ${sql.lit(index + 1)}, 1) = ${letter}`;
}

export function encodeCursor(position: { rank: number; ref: string }): string {
  return Buffer.from(JSON.stringify([position.rank, position.ref])).toString('base64url');
}

export function decodeCursor(cursor: string): { rank: number; ref: string } {
  try {
    const [rank, ref] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (typeof rank === 'number' && Number.isInteger(rank) && typeof ref === 'string')
      return { rank, ref };
  } catch {
    // reported below
  }
  throw new InputError('querystring.cursor: not a cursor this API gave out');
}
