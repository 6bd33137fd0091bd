import { InputError } from '../../../../core/errors.ts';
import type { Predicate } from './predicate.ts';

/**
 * The by-query cursor. It is base64 JSON because `@backstage/catalog-client` decodes it
 * and switches to POST exactly when it finds a `query` key (COMPAT.md §5.4).
 */
export interface QueryCursor {
  orderFields: Array<{ field: string; order: 'asc' | 'desc' }>;
  /** Sort value and entity id of the last (or, going back, first) row seen. */
  orderFieldValues: Array<string | null>;
  isPrevious: boolean;
  filter?: Predicate;
  query?: Predicate;
  fullTextFilter?: { term: string; fields?: string[] };
  totalItems: number;
  /** The first row of the first page: going back stops there. */
  firstSortFieldValues?: Array<string | null>;
}

export function encodeCursor(cursor: QueryCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64');
}

export function decodeCursor(raw: string): QueryCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw new InputError('Malformed cursor: not base64-encoded JSON');
  }
  const c = parsed as Partial<QueryCursor>;
  if (
    !c ||
    typeof c !== 'object' ||
    !Array.isArray(c.orderFields) ||
    !Array.isArray(c.orderFieldValues) ||
    typeof c.isPrevious !== 'boolean' ||
    typeof c.totalItems !== 'number' ||
    !c.orderFields.every(
      (o) => o && typeof o.field === 'string' && (o.order === 'asc' || o.order === 'desc'),
    ) ||
    !c.orderFieldValues.every((v) => v === null || typeof v === 'string')
  ) {
    throw new InputError('Malformed cursor: missing or invalid fields');
  }
  return c as QueryCursor;
}
