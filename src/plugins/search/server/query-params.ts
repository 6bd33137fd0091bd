import { InputError } from '../../../core/errors.ts';

const strings = { type: 'array', items: { type: 'string' } } as const;
const TYPES_KEY = /^types\[\d*\]$/;
const FILTER_KEY = /^filters\[([A-Za-z0-9_.-]{1,100})\](?:\[\d*\])?$/;

/**
 * JSON Schema of the query string as fastify parses it: bracket keys (`types[0]`,
 * `filters[kind]`, `filters[lifecycle][1]`) arrive as literal property names.
 */
export function querySchema(limits: { maxTermLength: number; maxPageLimit: number }) {
  return {
    type: 'object',
    properties: {
      term: { type: 'string', maxLength: limits.maxTermLength },
      types: strings,
      pageCursor: { type: 'string', maxLength: 64 },
      pageLimit: { type: 'integer', minimum: 1, maximum: limits.maxPageLimit },
    },
    patternProperties: {
      [TYPES_KEY.source]: strings,
      [FILTER_KEY.source]: strings,
    },
    additionalProperties: false,
  } as const;
}

export interface ParsedQuery {
  term: string;
  types: string[];
  filters: Record<string, string[]>;
  page: number;
  pageLimit: number;
}

export function encodeCursor(page: number): string {
  return Buffer.from(String(page), 'utf8').toString('base64');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  if (!/^\d{1,9}$/.test(text))
    throw new InputError(`querystring.pageCursor '${cursor}' is not a cursor this server issued`);
  return Number(text);
}

/** Turns the validated bracket keys into the query's structure. */
export function parseQuery(raw: Record<string, unknown>, defaultPageLimit: number): ParsedQuery {
  const types: string[] = [];
  const filters: Record<string, string[]> = {};
  // `types[0]`, `types[1]` … in index order, whatever order the keys came in.
  const indexed = Object.keys(raw)
    .filter((k) => TYPES_KEY.test(k))
    .sort((a, b) => Number(a.slice(6, -1) || 0) - Number(b.slice(6, -1) || 0));
  for (const key of ['types', ...indexed]) {
    for (const t of (raw[key] as string[] | undefined) ?? []) if (!types.includes(t)) types.push(t);
  }
  for (const [key, value] of Object.entries(raw)) {
    const m = FILTER_KEY.exec(key);
    if (!m) continue;
    const field = m[1]!;
    filters[field] = [...(filters[field] ?? []), ...(value as string[])];
  }
  const cursor = raw.pageCursor as string | undefined;
  return {
    term: ((raw.term as string | undefined) ?? '').trim(),
    types,
    filters,
    page: cursor ? decodeCursor(cursor) : 0,
    pageLimit: (raw.pageLimit as number | undefined) ?? defaultPageLimit,
  };
}
