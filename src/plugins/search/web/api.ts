import { fetchJson, queryString } from '../../../web/plugin-api.ts';
import {
  SEARCH_TYPES,
  type SearchQuery,
  type SearchResult,
  type SearchResultSet,
  searchQueryString,
} from '../common/types.ts';

export function searchQuery(query: SearchQuery, signal?: AbortSignal): Promise<SearchResultSet> {
  return fetchJson(`/api/search/query?${searchQueryString(query)}`, { signal });
}

/** What the UI calls each result type; a type a plugin adds later shows under its own name. */
const TYPE_LABELS: Record<string, string> = {
  [SEARCH_TYPES.catalog]: 'Software Catalog',
  [SEARCH_TYPES.techdocs]: 'Documentation',
};

/** The types the search page offers as tabs, in tab order. */
export const KNOWN_TYPES: string[] = [SEARCH_TYPES.catalog, SEARCH_TYPES.techdocs];

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

/** Results grouped by type, known types first in tab order, then others as they appear. */
export function groupByType(
  results: SearchResult[],
): Array<{ type: string; results: SearchResult[] }> {
  const groups = new Map<string, SearchResult[]>();
  for (const type of KNOWN_TYPES) groups.set(type, []);
  for (const result of results) {
    const group = groups.get(result.type);
    if (group) group.push(result);
    else groups.set(result.type, [result]);
  }
  return [...groups].filter(([, r]) => r.length > 0).map(([type, r]) => ({ type, results: r }));
}

/** A string field of a document, or undefined when absent, empty or not a string. */
export function field(result: SearchResult, name: string): string | undefined {
  const value = result.document[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export type FacetCounts = Array<{ value: string; count: number }>;

/** The catalog's facet fields that the search page filters on, by search document field. */
export const FACETS = {
  kind: 'kind',
  owner: 'spec.owner',
  lifecycle: 'spec.lifecycle',
} as const;

/** Values of the filter facets across the whole catalog, in one request. */
export async function catalogFacets(
  signal?: AbortSignal,
): Promise<Record<keyof typeof FACETS, FacetCounts>> {
  const res = await fetchJson<{ facets: Record<string, FacetCounts> }>(
    `/api/catalog/entity-facets${queryString({ facet: Object.values(FACETS) })}`,
    { signal },
  );
  return {
    kind: res.facets[FACETS.kind] ?? [],
    owner: res.facets[FACETS.owner] ?? [],
    lifecycle: res.facets[FACETS.lifecycle] ?? [],
  };
}
