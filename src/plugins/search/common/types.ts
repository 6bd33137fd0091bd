/**
 * The search query API as the web sees it (`GET /api/search/query`), shared by server and web.
 *
 * Highlighting: `highlight.fields.title` / `.text` hold the field's text with each match
 * wrapped in `preTag` … `postTag`. The tags are random per response and never occur in the
 * document text, and the text is NOT HTML-escaped: render it as text, splitting on the tags
 * (see {@link splitHighlight}), never as HTML.
 */

export const SEARCH_TYPES = {
  catalog: 'software-catalog',
  techdocs: 'techdocs',
} as const;

export interface SearchDocument {
  title: string;
  text: string;
  location: string;
  [field: string]: unknown;
}

export interface SearchResultHighlight {
  preTag: string;
  postTag: string;
  /** Present for the fields that matched: `title` (whole) and `text` (a window around the first match). */
  fields: { title?: string; text?: string; [field: string]: string | undefined };
}

export interface SearchResult {
  type: string;
  document: SearchDocument;
  highlight?: SearchResultHighlight;
  /** Global 1-based position in the ranking. */
  rank?: number;
}

export interface SearchResultSet {
  results: SearchResult[];
  nextPageCursor?: string;
  previousPageCursor?: string;
  /** Counted up to 10,000 (or just past the page asked for): see `numberOfResultsIsLowerBound`. */
  numberOfResults?: number;
  /** Atrium's addition: counting stopped, at least `numberOfResults` documents match. */
  numberOfResultsIsLowerBound?: boolean;
}

/** Parameters of `GET /api/search/query`, sent with bracket syntax (`types[0]=…`, `filters[kind]=…`). */
export interface SearchQuery {
  term?: string;
  types?: string[];
  filters?: Record<string, string | string[]>;
  pageCursor?: string;
  pageLimit?: number;
}

/** Builds the query string the API expects (qs bracket syntax, as Backstage's SearchClient sends). */
export function searchQueryString(query: SearchQuery): string {
  const params = new URLSearchParams();
  if (query.term !== undefined) params.set('term', query.term);
  query.types?.forEach((type, i) => {
    params.set(`types[${i}]`, type);
  });
  for (const [key, value] of Object.entries(query.filters ?? {})) {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        params.set(`filters[${key}][${i}]`, v);
      });
    } else params.set(`filters[${key}]`, value);
  }
  if (query.pageCursor) params.set('pageCursor', query.pageCursor);
  if (query.pageLimit !== undefined) params.set('pageLimit', String(query.pageLimit));
  return params.toString();
}

/** Splits a highlighted field into plain and matched parts, for rendering as text. */
export function splitHighlight(
  value: string,
  preTag: string,
  postTag: string,
): Array<{ text: string; match: boolean }> {
  const parts: Array<{ text: string; match: boolean }> = [];
  let rest = value;
  while (rest.length) {
    const start = rest.indexOf(preTag);
    if (start < 0) break;
    const end = rest.indexOf(postTag, start + preTag.length);
    if (end < 0) break;
    if (start > 0) parts.push({ text: rest.slice(0, start), match: false });
    parts.push({ text: rest.slice(start + preTag.length, end), match: true });
    rest = rest.slice(end + postTag.length);
  }
  if (rest.length) parts.push({ text: rest, match: false });
  return parts;
}
