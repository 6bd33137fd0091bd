import type { LoadedScorecard } from './registry.ts';
import type { GroupColumn, ResultCondition, ResultsQuery } from './results-query.ts';
import type { GroupTree } from './group-tree.ts';

/** Entities listed per roll-up item as holding it back. */
export const HOLDING_BACK = 5;

export type Distribution = Record<string, number>;

export interface RollupItem {
  ref: string;
  title: string;
  total: number;
  distribution: Distribution;
  /** Share of all checks of all its entities that passed, 0..1. */
  passRate: number;
  checks: Array<{ id: string; passRate: number }>;
  /** Its lowest-ranked entities, with the checks of the next level they do not pass. */
  holdingBack: Array<{ entityRef: string; level: string | null; failing: string[] }>;
}

/** `{ Bronze: 0, Silver: 0, Gold: 0, none: 0 }` filled from counts per rank. */
export function distributionOf(
  levels: readonly string[],
  byRank: ReadonlyMap<number, number> | undefined,
): Distribution {
  const out: Distribution = {};
  for (const level of levels) out[level] = 0;
  out.none = 0;
  for (const [rank, n] of byRank ?? []) {
    const key = rank ? (levels[rank - 1] ?? 'none') : 'none';
    out[key] = (out[key] ?? 0) + n;
  }
  return out;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Checks of the level above `rank` that a result's status letters do not show as passed. */
export function blockingChecks(loaded: LoadedScorecard, rank: number, statuses: string): string[] {
  const next = loaded.card.spec.levels[rank];
  if (next === undefined) return [];
  const out: string[] = [];
  loaded.card.spec.checks.forEach((check, i) => {
    if (check.level === next && statuses[i] !== 'P') out.push(check.id);
  });
  return out;
}

/** What one group (owner, system, domain) holds itself, before any roll-up. */
interface Own {
  total: number;
  byRank: Map<number, number>;
  passed: number[];
  /** Its lowest-ranked results (at most {@link HOLDING_BACK}). */
  lowest: Array<{ entity_ref: string; rank: number; statuses: string }>;
}

/** A roll-up item as far as ranking needs it: its results and passes, counted. */
export interface RollupTotals {
  ref: string;
  total: number;
  passRate: number;
}

/**
 * A roll-up in two steps: `totals` of every item (cheap: two sums per item), which the
 * caller filters, ranks and pages; then `details` of the page's items only (distribution,
 * pass rate per check, holding back), which is where the work per item lies.
 */
export interface Rollup {
  totals: RollupTotals[];
  details(refs: readonly string[]): Array<Omit<RollupItem, 'title'>>;
}

/**
 * Results rolled up by owner (through the group hierarchy: a group counts what it owns and
 * what every group below it owns), by system or by domain. `within`, when given, limits the
 * items to those refs (a group and its descendants).
 */
export async function computeRollup(
  results: ResultsQuery,
  loaded: LoadedScorecard,
  by: 'owner' | 'system' | 'domain',
  conditions: Array<ResultCondition | undefined>,
  tree: GroupTree,
  within: ReadonlySet<string> | undefined,
): Promise<Rollup> {
  const { card } = loaded;
  const checks = card.spec.checks;
  const column: GroupColumn =
    by === 'owner' ? 'owner_ref' : by === 'system' ? 'system_ref' : 'domain_ref';
  const [rows, lowest] = await Promise.all([
    results.aggregate(card.ref, column, checks.length, conditions),
    results.lowest(card.ref, column, card.spec.levels.length, HOLDING_BACK, conditions),
  ]);
  const owns = new Map<string, Own>();
  for (const row of rows) {
    if (!row.group) continue;
    let own = owns.get(row.group);
    if (!own) {
      own = { total: 0, byRank: new Map(), passed: checks.map(() => 0), lowest: [] };
      owns.set(row.group, own);
    }
    own.total += row.count;
    own.byRank.set(row.rank, (own.byRank.get(row.rank) ?? 0) + row.count);
    for (let i = 0; i < checks.length; i++) own.passed[i]! += row.passed[i]!;
  }
  for (const row of lowest) if (row.group) owns.get(row.group)?.lowest.push(row);

  // Each group's own results count for it and, by owner, for every group above it.
  const rollsUp = by === 'owner';
  const sums = new Map<string, { total: number; passed: number }>();
  for (const [group, own] of owns) {
    const passed = own.passed.reduce((a, b) => a + b, 0);
    for (const ref of rollsUp ? tree.ancestors(group) : [group]) {
      if (within && !within.has(ref)) continue;
      const sum = sums.get(ref);
      if (sum) {
        sum.total += own.total;
        sum.passed += passed;
      } else sums.set(ref, { total: own.total, passed });
    }
  }
  const totals: RollupTotals[] = [];
  for (const [ref, sum] of sums) {
    if (!sum.total) continue;
    totals.push({
      ref,
      total: sum.total,
      passRate: checks.length ? round(sum.passed / (sum.total * checks.length)) : 1,
    });
  }
  const totalOf = new Map(totals.map((t) => [t.ref, t]));

  const details = (refs: readonly string[]) =>
    refs.flatMap((ref) => {
      const head = totalOf.get(ref);
      if (!head) return [];
      const byRank = new Map<number, number>();
      const passed = checks.map(() => 0);
      const candidates: Own['lowest'] = [];
      // The groups whose own results this item counts: itself and, by owner, those below it.
      for (const group of rollsUp ? tree.descendants(ref) : [ref]) {
        const own = owns.get(group);
        if (!own) continue;
        for (const [rank, n] of own.byRank) byRank.set(rank, (byRank.get(rank) ?? 0) + n);
        for (let i = 0; i < checks.length; i++) passed[i]! += own.passed[i]!;
        candidates.push(...own.lowest);
      }
      candidates.sort(
        (a, b) =>
          a.rank - b.rank ||
          (a.entity_ref < b.entity_ref ? -1 : a.entity_ref > b.entity_ref ? 1 : 0),
      );
      return [
        {
          ...head,
          distribution: distributionOf(card.spec.levels, byRank),
          checks: checks.map((c, i) => ({ id: c.id, passRate: round(passed[i]! / head.total) })),
          holdingBack: candidates.slice(0, HOLDING_BACK).map((c) => ({
            entityRef: c.entity_ref,
            level: c.rank ? (card.spec.levels[c.rank - 1] ?? null) : null,
            failing: blockingChecks(loaded, c.rank, c.statuses),
          })),
        },
      ];
    });
  return { totals, details };
}
