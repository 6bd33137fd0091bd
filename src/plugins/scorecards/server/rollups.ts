import type { LoadedScorecard } from './registry.ts';
import type { AggregateRow, GroupColumn, ResultCondition, ResultsQuery } from './results-query.ts';
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

interface Acc {
  total: number;
  byRank: Map<number, number>;
  passed: number[];
  candidates: Array<{ entity_ref: string; rank: number; level: string | null; statuses: string }>;
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
): Promise<Array<Omit<RollupItem, 'title'>>> {
  const { card } = loaded;
  const checks = card.spec.checks;
  const column: GroupColumn =
    by === 'owner' ? 'owner_ref' : by === 'system' ? 'system_ref' : 'domain_ref';
  const [rows, lowest] = await Promise.all([
    results.aggregate(card.ref, column, checks.length, conditions),
    results.lowest(card.ref, column, card.spec.levels.length, HOLDING_BACK, conditions),
  ]);
  // Each group's own results count for it and, by owner, for every group above it.
  const targets = (group: string) => (by === 'owner' ? tree.ancestors(group) : [group]);
  const accs = new Map<string, Acc>();
  const accOf = (ref: string) => {
    let acc = accs.get(ref);
    if (!acc) {
      acc = { total: 0, byRank: new Map(), passed: checks.map(() => 0), candidates: [] };
      accs.set(ref, acc);
    }
    return acc;
  };
  const add = (row: AggregateRow) => {
    if (!row.group) return;
    for (const ref of targets(row.group)) {
      if (within && !within.has(ref)) continue;
      const acc = accOf(ref);
      acc.total += row.count;
      acc.byRank.set(row.rank, (acc.byRank.get(row.rank) ?? 0) + row.count);
      row.passed.forEach((n, i) => {
        acc.passed[i]! += n;
      });
    }
  };
  for (const row of rows) add(row);
  for (const row of lowest) {
    if (!row.group) continue;
    for (const ref of targets(row.group)) {
      if (within && !within.has(ref)) continue;
      accs.get(ref)?.candidates.push(row);
    }
  }
  const items: Array<Omit<RollupItem, 'title'>> = [];
  for (const [ref, acc] of accs) {
    if (!acc.total) continue;
    const passedAll = acc.passed.reduce((a, b) => a + b, 0);
    acc.candidates.sort(
      (a, b) =>
        a.rank - b.rank || (a.entity_ref < b.entity_ref ? -1 : a.entity_ref > b.entity_ref ? 1 : 0),
    );
    items.push({
      ref,
      total: acc.total,
      distribution: distributionOf(card.spec.levels, acc.byRank),
      passRate: checks.length ? round(passedAll / (acc.total * checks.length)) : 1,
      checks: checks.map((c, i) => ({ id: c.id, passRate: round(acc.passed[i]! / acc.total) })),
      holdingBack: acc.candidates.slice(0, HOLDING_BACK).map((c) => ({
        entityRef: c.entity_ref,
        level: c.level,
        failing: blockingChecks(loaded, c.rank, c.statuses),
      })),
    });
  }
  return items;
}
