import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { FieldCondition } from './predicate.ts';

// biome-ignore lint/suspicious/noExplicitAny: other plugins' tables are untyped here
type EB = ExpressionBuilder<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: a subquery over another plugin's tables
type Subquery = SelectQueryBuilder<any, any, any>;

/**
 * Filter keys (and order fields) that another plugin answers from its own tables, e.g.
 * `scorecard.production-readiness.level=Gold` from the scorecards' results. Contributed to
 * the catalog's `catalog.query-fields` extension point; consulted for keys with `prefix`.
 */
export interface QueryField {
  /** Lowercase key prefix, e.g. `scorecard.`. */
  prefix: string;
  /**
   * A subquery selecting one column, `entity_ref` (lowercased refs), of the entities whose
   * `key` (lowercased) meets `cond`. `{$exists: false}` never reaches it: the catalog asks for
   * `{$exists: true}` and negates. Throws InputError for a key or value it cannot answer.
   */
  refs(eb: EB, key: string, cond: FieldCondition): Subquery;
  /**
   * For ordering by `key`: a subquery of `(entity_ref, value)` where `value` is text that sorts
   * as the field should (numbers zero-padded). Absent: the key cannot be ordered by.
   */
  orderValues?(eb: EB, key: string): Subquery;
}

/** The contribution answering `key` (lowercased), if any. */
export function queryFieldFor(fields: readonly QueryField[], key: string): QueryField | undefined {
  return fields.find((f) => key.startsWith(f.prefix));
}
