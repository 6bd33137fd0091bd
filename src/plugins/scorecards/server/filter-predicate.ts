import type { Predicate } from '../../catalog/server/query/predicate.ts';
import { parseFieldPath } from '../common/field-path.ts';
import { UNFILTERED_EXCLUDED_KINDS } from '../common/filter.ts';
import type { EntityFilter } from '../common/types.ts';

/**
 * A scorecard's filter as a catalog predicate, to find its candidates in SQL. Both follow
 * Backstage's EntityFilter (dotted keys, case-insensitive values, any item of an array); the
 * scorer still checks each candidate with `matchesFilter`, so this may only be broader.
 */
export function filterToPredicate(filter: EntityFilter | undefined): Predicate {
  if (filter === undefined) return { $not: { kind: { $in: [...UNFILTERED_EXCLUDED_KINDS] } } };
  const objects = Array.isArray(filter) ? filter : [filter];
  const alternatives = objects.map((object): Predicate => {
    const parts: Predicate[] = [];
    for (const [written, value] of Object.entries(object)) {
      const key = catalogKey(written);
      // A key the catalog's tables do not know is left to the scorer: broader, still right.
      if (key === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      parts.push(values.length === 1 ? { [key]: String(values[0]) } : { [key]: { $in: values } });
    }
    return parts.length === 1 ? parts[0]! : { $all: parts };
  });
  return alternatives.length === 1 ? alternatives[0]! : { $any: alternatives };
}

/**
 * The catalog's flattened key for a filter key: dotted, lowercase, list indexes dropped
 * (`metadata.annotations["backstage.io/techdocs-ref"]` -> `metadata.annotations.backstage.io/techdocs-ref`).
 */
function catalogKey(written: string): string | undefined {
  if (!/[[\]"']/.test(written)) return written;
  const parsed = parseFieldPath(written);
  if (parsed.error !== undefined) return undefined;
  return parsed.segments
    .filter((s) => typeof s === 'string')
    .join('.')
    .toLowerCase();
}
