import { InputError } from '../../../../core/errors.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/ref.ts';
import type { IndexableDocument } from '../api.ts';

/** Text beyond this many characters is kept in the document but not indexed. */
export const MAX_INDEXED_TEXT = 100_000;
/** Filter values longer than this are not filterable (nobody filters on a paragraph). */
const MAX_FILTER_VALUE = 200;
const MAX_FILTER_KEY = 100;
/** Fields that are searched, not filtered on. */
const NOT_FILTERS = new Set(['title', 'text']);

/** Separates filter terms in the stored list; removed from keys and values. */
export const FILTER_SEPARATOR = '\u001f';
const KEY_VALUE = '\u001e';

/** One filterable fact, `kind` = `component`, as stored and as looked up. */
export function filterTerm(key: string, value: string): string {
  const clean = (s: string) => s.replaceAll(KEY_VALUE, '').replaceAll(FILTER_SEPARATOR, '');
  return `${clean(key)}${KEY_VALUE}${clean(value.toLowerCase())}`;
}

/** A 53-bit hash (cyrb53) of a filter term: compact to store, exact enough to look up. */
export function facetHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A word standing for a filter term, a type or a generation in a full-text index, so those
 * are index lookups there (SQLite FTS5) rather than a join per match: the hash in base 36
 * behind a letter, which no tokenizer splits.
 */
export function facetToken(prefix: 'f' | 'g' | 't', text: string): string {
  return `${prefix}${facetHash(text).toString(36)}`;
}

/** The token of a type's generation (see {@link facetToken}). */
export function generationToken(type: string, generation: number): string {
  return facetToken('g', `${type}\u0000${generation}`);
}

/**
 * A document's entity ref as the catalog stores refs (`kind:namespace/name`, lowercase), so
 * that it compares with the refs the caller may read: `Component:foo` from a collator is
 * `component:default/foo`. A ref without a kind matches no entity and stays as written.
 */
export function canonicalEntityRef(ref: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch {
    return ref.toLowerCase();
  }
}

/** What the engines store for one document, apart from its id and generation. */
export interface PreparedDocument {
  location: string;
  entityRef: string | null;
  title: string;
  /** Lowercased title: the order of an empty-term listing. */
  sortTitle: string;
  /** `name` and `tags`: weighted between title and text. */
  keywords: string;
  text: string;
  /** The document as given, returned in results. */
  body: string;
  /**
   * Every field value (lowercased) as `key<RS>value` terms, joined and framed by
   * {@link FILTER_SEPARATOR}: one column serves case-insensitive any-of filters.
   */
  filters: string;
  /** The same terms as {@link facetToken} words, space-separated (SQLite). */
  filterTokens: string;
  /** The same terms as {@link facetHash} numbers (PostgreSQL). */
  filterHashes: number[];
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function words(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(scalar).filter((v): v is string => v !== undefined);
  const one = scalar(value);
  return one === undefined ? [] : [one];
}

/** Checks and flattens one document; a bad one names its type, location and field. */
export function prepareDocument(type: string, doc: IndexableDocument): PreparedDocument {
  const where = `search document of type '${type}'${typeof doc?.location === 'string' ? ` at '${doc.location}'` : ''}`;
  if (!doc || typeof doc !== 'object') throw new InputError(`${where} is not an object`);
  for (const field of ['title', 'text', 'location'] as const) {
    if (typeof doc[field] !== 'string')
      throw new InputError(`${where}: field '${field}' must be a string`);
  }
  if (!doc.location) throw new InputError(`${where}: field 'location' must not be empty`);
  if (doc.entityRef !== undefined && typeof doc.entityRef !== 'string')
    throw new InputError(`${where}: field 'entityRef' must be a string`);
  const terms = new Set<string>();
  for (const [key, value] of Object.entries(doc)) {
    if (NOT_FILTERS.has(key) || key.length > MAX_FILTER_KEY) continue;
    for (const v of words(value)) if (v.length <= MAX_FILTER_VALUE) terms.add(filterTerm(key, v));
  }
  return {
    location: doc.location,
    entityRef: doc.entityRef ? canonicalEntityRef(doc.entityRef) : null,
    title: doc.title,
    sortTitle: doc.title.toLowerCase(),
    keywords: [...words(doc.name), ...words(doc.tags)].join(' '),
    text: doc.text.length > MAX_INDEXED_TEXT ? doc.text.slice(0, MAX_INDEXED_TEXT) : doc.text,
    body: JSON.stringify(doc),
    filters: `${FILTER_SEPARATOR}${[...terms].join(FILTER_SEPARATOR)}${FILTER_SEPARATOR}`,
    filterTokens: [...terms].map((t) => facetToken('f', t)).join(' '),
    filterHashes: [...terms].map(facetHash),
  };
}
