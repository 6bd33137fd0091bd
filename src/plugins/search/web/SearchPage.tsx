/**
 * The search page. Everything it shows is in the URL (`/search?term=&type=&kind=&owner=
 * &lifecycle=&page=`), so a search can be bookmarked, shared and navigated with Back.
 * `page` holds the backend's opaque page cursor, not a number.
 */
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError, KindIcon, usePageTitle } from '../../../web/plugin-api.ts';
import { ErrorState, Loading, OwnerLink, Pager } from '../../catalog/web/shared.tsx';
import type { SearchQuery, SearchResult } from '../common/types.ts';
import {
  catalogFacets,
  type FacetCounts,
  FACETS,
  field,
  KNOWN_TYPES,
  searchQuery,
  typeLabel,
} from './api.ts';
import { Highlighted } from './highlight.tsx';
import { resultLink } from './location.ts';
import { ResultIcon } from './result-icon.tsx';

const PAGE_SIZE = 10;
/** Typing in the page's own box updates the URL after this pause. */
const TYPING_MS = 300;
/** Owners offered at once in the owner box; typing narrows the list. */
const OWNER_OPTIONS = 50;

type FilterName = keyof typeof FACETS;
const FILTER_NAMES = Object.keys(FACETS) as FilterName[];
const FILTER_LABELS: Record<FilterName, string> = {
  kind: 'Kind',
  owner: 'Owner',
  lifecycle: 'Lifecycle',
};

function filtersOf(params: URLSearchParams): Partial<Record<FilterName, string>> {
  const filters: Partial<Record<FilterName, string>> = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/** The title of a result: a router link, an external link, or text when the location is unsafe. */
function ResultTitle({ result }: { result: SearchResult }) {
  const { highlight, document } = result;
  const title = highlight?.fields.title ? (
    <Highlighted
      value={highlight.fields.title}
      preTag={highlight.preTag}
      postTag={highlight.postTag}
    />
  ) : (
    document.title
  );
  const link = resultLink(document.location, window.location.origin);
  if (link.kind === 'internal') return <Link to={link.to}>{title}</Link>;
  if (link.kind === 'external')
    return (
      <a href={link.href} rel="noopener noreferrer">
        {title}
      </a>
    );
  return <span title="This result's location is not a web address">{title}</span>;
}

/** Labelled facts about a result: the entity and its kind, owner and lifecycle. */
function chipsOf(result: SearchResult): Array<{ label: string; value: string }> {
  const chips: Array<{ label: string; value: string | undefined }> =
    result.type === 'techdocs'
      ? [
          { label: 'Entity', value: field(result, 'entityTitle') ?? field(result, 'name') },
          { label: 'Kind', value: field(result, 'kind') },
          { label: 'Owner', value: field(result, 'owner') },
        ]
      : [
          { label: 'Kind', value: field(result, 'kind') },
          { label: 'Type', value: field(result, 'type') },
          { label: 'Owner', value: field(result, 'owner') },
          { label: 'Lifecycle', value: field(result, 'lifecycle') },
        ];
  // `other` is what the collator writes when an entity has no spec.type: it says nothing.
  return chips.filter(
    (c): c is { label: string; value: string } =>
      Boolean(c.value) && !(c.label === 'Type' && c.value === 'other'),
  );
}

/** Longest plain-text snippet shown when the backend sends no highlighted one. */
const SNIPPET_CHARS = 240;

function ResultItem({ result }: { result: SearchResult }) {
  const { highlight, document } = result;
  const text = typeof document.text === 'string' ? document.text : '';
  const snippet = highlight?.fields.text ? (
    <Highlighted
      value={highlight.fields.text}
      preTag={highlight.preTag}
      postTag={highlight.postTag}
    />
  ) : text.length > SNIPPET_CHARS ? (
    `${text.slice(0, SNIPPET_CHARS)}…`
  ) : (
    text
  );
  return (
    <li className="search-result" data-testid="search-result" data-type={result.type}>
      <div className="search-result-head">
        <ResultIcon result={result} size={18} />
        <h2>
          <ResultTitle result={result} />
        </h2>
        <span className="search-type">{typeLabel(result.type)}</span>
      </div>
      {(highlight?.fields.text || text) && (
        <p className="search-snippet" data-testid="snippet">
          {snippet}
        </p>
      )}
      <ul className="search-chips" aria-label="About this result">
        {chipsOf(result).map((c) => (
          <li key={c.label} className="badge">
            <span className="muted">{c.label}:</span>{' '}
            {c.label === 'Kind' && <KindIcon kind={c.value} size={13} />}
            {c.label === 'Owner' ? (
              <OwnerLink owner={c.value} namespace={field(result, 'namespace')} />
            ) : (
              c.value
            )}
          </li>
        ))}
      </ul>
    </li>
  );
}

/** A select of a facet's values, most common first; the selected value is always offered. */
function FacetSelect({
  name,
  values,
  value,
  onChange,
}: {
  name: FilterName;
  values: FacetCounts;
  value: string;
  onChange(value: string): void;
}) {
  const known = values.some((v) => v.value === value);
  return (
    <label>
      {FILTER_LABELS[name]}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any</option>
        {value && !known && <option value={value}>{value}</option>}
        {values.map((v) => (
          <option key={v.value} value={v.value}>
            {v.value}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Owners can number in the thousands: a text box whose suggestions (a datalist) are the owners
 * containing what was typed, most common first. Picking one, Enter, or leaving the box applies it.
 */
function OwnerFilter({
  values,
  value,
  onChange,
}: {
  values: FacetCounts;
  value: string;
  onChange(value: string): void;
}) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const needle = text.trim().toLowerCase();
  const options = values
    .filter((v) => v.value.toLowerCase().includes(needle))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    .slice(0, OWNER_OPTIONS);
  const apply = (next: string) => {
    if (next.trim() !== value) onChange(next.trim());
  };
  return (
    <label>
      {FILTER_LABELS.owner}
      <span className="owner-filter">
        <input
          type="search"
          name="owner"
          list="search-owner-options"
          placeholder="Any owner"
          autoComplete="off"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            // a pick from the list applies at once; typing waits for Enter or leaving the box
            if (values.some((v) => v.value === e.target.value)) apply(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              apply(text);
            }
          }}
          onBlur={() => apply(text)}
        />
        <datalist id="search-owner-options">
          {options.map((v) => (
            <option key={v.value} value={v.value} />
          ))}
        </datalist>
      </span>
    </label>
  );
}

function Filters({
  filters,
  onChange,
  resultsPending,
}: {
  filters: Partial<Record<FilterName, string>>;
  onChange(name: FilterName, value: string): void;
  /** Facet values wait for the results: on SQLite the server answers one query at a time. */
  resultsPending: boolean;
}) {
  const facets = useQuery({
    queryKey: ['search-facets'],
    queryFn: ({ signal }) => catalogFacets(signal),
    staleTime: 60_000,
    enabled: !resultsPending,
  });
  const values = facets.data ?? { kind: [], owner: [], lifecycle: [] };
  return (
    <fieldset className="filters search-filters" aria-busy={facets.isPending}>
      <legend className="visually-hidden">Filters</legend>
      <FacetSelect
        name="kind"
        values={values.kind}
        value={filters.kind ?? ''}
        onChange={(v) => onChange('kind', v)}
      />
      <OwnerFilter
        values={values.owner}
        value={filters.owner ?? ''}
        onChange={(v) => onChange('owner', v)}
      />
      <FacetSelect
        name="lifecycle"
        values={values.lifecycle}
        value={filters.lifecycle ?? ''}
        onChange={(v) => onChange('lifecycle', v)}
      />
      {facets.isError && (
        <span className="level-warning" role="alert">
          Filter values could not be loaded ({(facets.error as Error).message})
        </span>
      )}
    </fieldset>
  );
}

/**
 * How many results each type has for the current term and filters (one small query per type).
 * A type the backend rejects with a 4xx is not installed, and gets no tab.
 */
function useTypeCounts(query: SearchQuery, enabled: boolean) {
  const counts = useQueries({
    queries: KNOWN_TYPES.map((type) => ({
      queryKey: ['search-count', type, query.term, query.filters],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        searchQuery({ ...query, types: [type], pageLimit: 1, pageCursor: undefined }, signal),
      enabled,
      placeholderData: keepPreviousData,
    })),
  });
  return KNOWN_TYPES.map((type, i) => {
    const q = counts[i]!;
    const missing = q.error instanceof ApiError && q.error.status >= 400 && q.error.status < 500;
    return {
      type,
      count: q.data?.numberOfResults,
      atLeast: q.data?.numberOfResultsIsLowerBound === true,
      missing,
    };
  });
}

function TypeTabs({
  current,
  tabs,
  hrefFor,
}: {
  current: string;
  tabs: Array<{ type: string; count?: number; atLeast?: boolean }>;
  hrefFor(type: string): string;
}) {
  const counted = tabs.every((t) => t.count !== undefined);
  const all = counted ? tabs.reduce((sum, t) => sum + (t.count ?? 0), 0) : undefined;
  const entries = [
    { type: '', label: 'All', count: all, atLeast: tabs.some((t) => t.atLeast) },
  ].concat(
    tabs.map((t) => ({
      type: t.type,
      label: typeLabel(t.type),
      count: t.count,
      atLeast: t.atLeast === true,
    })),
  );
  return (
    <nav className="tabs" aria-label="Result types">
      {entries.map((t) => (
        <Link
          key={t.type || 'all'}
          to={hrefFor(t.type)}
          aria-current={t.type === current ? 'page' : undefined}
        >
          {t.label}
          {t.count !== undefined && (
            <span className="tab-count"> {formatCount(t.count, t.atLeast)}</span>
          )}
        </Link>
      ))}
    </nav>
  );
}

/** The server stops counting at 10,000: "10,000+" then. */
function formatCount(n: number, atLeast: boolean): string {
  return `${n.toLocaleString('en-US')}${atLeast ? '+' : ''}`;
}

function State({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const term = params.get('term') ?? '';
  const type = params.get('type') ?? '';
  const cursor = params.get('page') ?? undefined;
  const filters = filtersOf(params);
  const anyFilter = Object.keys(filters).length > 0;
  usePageTitle(term ? `Search: ${term}` : 'Search');

  const [text, setText] = useState(term);
  useEffect(() => setText(term), [term]);

  /** A URL for this page with some parameters changed; any change but paging starts at page 1. */
  const hrefWith = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in changes)) next.delete('page');
    const qs = next.toString();
    return qs ? `/search?${qs}` : '/search';
  };
  const update = (changes: Record<string, string | undefined>, replace = false) => {
    setParams(new URLSearchParams(hrefWith(changes).split('?')[1] ?? ''), { replace });
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the pause restarts on typing only
  useEffect(() => {
    if (text.trim() === term) return;
    const timer = setTimeout(() => update({ term: text.trim() || undefined }, true), TYPING_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() !== term) update({ term: text.trim() || undefined });
  };

  const base: SearchQuery = { term, filters };
  const enabled = Boolean(term) || anyFilter;
  const tabs = useTypeCounts(base, enabled).filter((t) => !t.missing || t.type === type);
  if (type && !tabs.some((t) => t.type === type))
    tabs.push({ type, count: undefined, atLeast: false, missing: false });

  const query: SearchQuery = {
    ...base,
    types: type ? [type] : undefined,
    pageCursor: cursor,
    pageLimit: PAGE_SIZE,
  };
  const results = useQuery({
    queryKey: ['search', query],
    queryFn: ({ signal }) => searchQuery(query, signal),
    enabled,
    placeholderData: keepPreviousData,
  });

  const resultsTop = useRef<HTMLDivElement>(null);
  const goToPage = (pageCursor: string | undefined) => {
    update({ page: pageCursor });
    resultsTop.current?.scrollIntoView({ block: 'start' });
  };

  const data = results.data;
  const first = data?.results[0]?.rank;
  const last = data?.results[data.results.length - 1]?.rank;
  const total = data?.numberOfResults;
  const atLeast = data?.numberOfResultsIsLowerBound === true;

  return (
    <div className="page search-page">
      <h1>Search</h1>
      <form aria-label="Search the portal" className="search-page-form" onSubmit={submit}>
        <label htmlFor="search-page-term" className="visually-hidden">
          Search term
        </label>
        <input
          id="search-page-term"
          type="search"
          name="term"
          placeholder="Names, descriptions, tags, docs…"
          value={text}
          onChange={(e) => setText(e.target.value)}
          // biome-ignore lint/a11y/noAutofocus: an empty search page is there to be typed into
          autoFocus={!term}
        />
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <Filters
        filters={filters}
        onChange={(name, value) => update({ [name]: value || undefined })}
        resultsPending={results.isFetching}
      />
      {enabled && (
        <TypeTabs current={type} tabs={tabs} hrefFor={(t) => hrefWith({ type: t || undefined })} />
      )}
      <div ref={resultsTop} className="search-results-top" />
      {!enabled ? (
        <State title="What are you looking for?">
          <p className="muted">
            Search entity names, titles, descriptions and tags, and the text of every docs page.
            Part of a word is enough: “ment” finds “payment”.
          </p>
        </State>
      ) : results.isPending ? (
        <Loading what="results" />
      ) : results.isError ? (
        <>
          <ErrorState error={results.error} retry={() => results.refetch()} />
          {cursor && (
            // a page link from an older server, or edited by hand: the first page still works
            <p>
              <Link to={hrefWith({ page: undefined })}>Go to the first page of results</Link>
            </p>
          )}
        </>
      ) : data && data.results.length === 0 ? (
        <State title={term ? `No results for “${term}”` : 'No results'}>
          <p className="muted">
            {anyFilter || type
              ? 'Nothing matches with these filters. Try removing one.'
              : 'Try fewer or shorter words: part of a word is enough.'}
          </p>
          {(anyFilter || type) && (
            <button type="button" onClick={() => setParams(term ? { term } : {})}>
              Clear filters
            </button>
          )}
        </State>
      ) : data ? (
        <>
          <p className="muted" aria-live="polite" data-testid="result-count">
            {total !== undefined
              ? `${formatCount(total, atLeast)} ${total === 1 && !atLeast ? 'result' : 'results'}`
              : ''}
            {first !== undefined &&
            last !== undefined &&
            (total === undefined || total > data.results.length)
              ? `${total !== undefined ? ', ' : ''}showing ${first}–${last}`
              : ''}
          </p>
          <ol className="search-results" aria-busy={results.isFetching} start={first}>
            {data.results.map((r) => (
              <ResultItem key={`${r.type}:${r.document.location}`} result={r} />
            ))}
          </ol>
          {(data.previousPageCursor || data.nextPageCursor) && (
            <Pager
              label="Result pages"
              hasPrevious={Boolean(data.previousPageCursor)}
              hasNext={Boolean(data.nextPageCursor)}
              onPrevious={() => goToPage(data.previousPageCursor)}
              onNext={() => goToPage(data.nextPageCursor)}
            />
          )}
        </>
      ) : null}
    </div>
  );
}
