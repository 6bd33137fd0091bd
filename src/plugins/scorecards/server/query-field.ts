import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { InputError } from '../../../core/errors.ts';
import { escapeLike } from '../../../core/plugin-api.ts';
import type { FieldCondition } from '../../catalog/server/query/predicate.ts';
import type { QueryField } from '../../catalog/server/query/query-fields.ts';

// biome-ignore lint/suspicious/noExplicitAny: the results table inside the catalog's query
type EB = ExpressionBuilder<any, any>;

const PREFIX = 'scorecard.';

/**
 * `scorecard.<name>.level` (or `scorecard.<namespace>/<name>.level`) and `.rank` as catalog
 * filter keys and order fields, answered from the stored results.
 */
export function parseScorecardKey(key: string): { scorecard: string; field: 'level' | 'rank' } {
  const rest = key.slice(PREFIX.length);
  const m = /^(.+)\.(level|rank)$/.exec(rest);
  if (!m) {
    throw new InputError(
      `Invalid filter key '${key}': expected scorecard.<name>.level or scorecard.<name>.rank`,
    );
  }
  const name = m[1]!;
  return {
    scorecard: `scorecard:${name.includes('/') ? name : `default/${name}`}`,
    field: m[2] as 'level' | 'rank',
  };
}

type Primitive = string | number | boolean;

function values(
  key: string,
  cond: FieldCondition,
): { kind: 'eq' | 'prefix' | 'exists'; list: Primitive[] } {
  if (typeof cond !== 'object') return { kind: 'eq', list: [cond] };
  if ('$exists' in cond) return { kind: 'exists', list: [] };
  if ('$in' in cond) return { kind: 'eq', list: cond.$in };
  if ('$hasPrefix' in cond) return { kind: 'prefix', list: [cond.$hasPrefix] };
  const item = cond.$contains;
  if (typeof item === 'object')
    throw new InputError(`Invalid filter on '${key}': $contains takes a string`);
  return { kind: 'eq', list: [item] };
}

function levelCondition(eb: EB, key: string, cond: FieldCondition): Expression<SqlBool> {
  const { kind, list } = values(key, cond);
  if (kind === 'exists') return eb('level', 'is not', null);
  if (kind === 'prefix') {
    const prefix = escapeLike(String(list[0]).toLowerCase());
    return sql<SqlBool>`lower(level) like ${`${prefix}%`} escape '\\'`;
  }
  if (!list.length) return sql<SqlBool>`1=0`;
  const names = list.map((v) => String(v).toLowerCase());
  const parts: Expression<SqlBool>[] = [];
  // `none`: scored, below the first level.
  if (names.includes('none')) parts.push(eb('level', 'is', null));
  const levels = names.filter((n) => n !== 'none');
  if (levels.length) parts.push(eb(eb.fn('lower', ['level']), 'in', levels));
  return parts.length === 1 ? parts[0]! : eb.or(parts);
}

function rankCondition(eb: EB, key: string, cond: FieldCondition): Expression<SqlBool> {
  const { kind, list } = values(key, cond);
  if (kind === 'exists') return eb('rank', '>', 0);
  if (kind === 'prefix')
    throw new InputError(`Invalid filter on '${key}': a rank is a number, it has no prefix`);
  const ranks = list.map((v) => {
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n) || n < 0 || n > 10)
      throw new InputError(
        `Invalid filter on '${key}': '${v}' is not a rank (0 for no level, 1 for the first level…)`,
      );
    return n;
  });
  return ranks.length ? eb('rank', 'in', ranks) : sql<SqlBool>`1=0`;
}

export const scorecardQueryField: QueryField = {
  prefix: PREFIX,
  refs(eb, key, cond) {
    const { scorecard, field } = parseScorecardKey(key);
    return eb
      .selectFrom('scorecard_results')
      .select('entity_ref')
      .where('scorecard_ref', '=', scorecard)
      .where((inner: EB) =>
        field === 'level' ? levelCondition(inner, key, cond) : rankCondition(inner, key, cond),
      );
  },
  // Ordering by level or rank both order by rank (levels are listed lowest first).
  orderValues(eb, key) {
    const { scorecard } = parseScorecardKey(key);
    return eb
      .selectFrom('scorecard_results')
      .select([
        'entity_ref',
        sql<string>`case when rank < 10 then '0' || cast(rank as varchar(2)) else cast(rank as varchar(2)) end`.as(
          'value',
        ),
      ])
      .where('scorecard_ref', '=', scorecard);
  },
};
