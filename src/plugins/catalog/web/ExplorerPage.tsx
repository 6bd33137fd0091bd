import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import {
  type CatalogFilter,
  KindBadge,
  useCatalogColumns,
  useExtensions,
  usePageTitle,
  useQueryParams,
} from '../../../web/plugin-api.ts';
import { entityFacets, queryEntities } from './api.ts';
import { TITLE_OR_NAME } from '../common/fields.ts';
import { entityPath, ErrorState, Loading, OwnerLink, Pager, RefOptions } from './shared.tsx';

const PAGE_SIZE = 20;

/** Facet values listed per filter, most common first when there are more. */
const MAX_OPTIONS = 100;

/** The filters of the explorer: URL parameter → entity field (also the facet). */
export const FILTERS = [
  { param: 'kind', field: 'kind', label: 'Kind' },
  { param: 'type', field: 'spec.type', label: 'Type' },
  { param: 'owner', field: 'spec.owner', label: 'Owner' },
  { param: 'lifecycle', field: 'spec.lifecycle', label: 'Lifecycle' },
  { param: 'namespace', field: 'metadata.namespace', label: 'Namespace' },
  { param: 'tag', field: 'metadata.tags', label: 'Tag' },
] as const;

const SORTS = {
  // The Name column shows the title when there is one: it sorts by what it shows.
  name: TITLE_OR_NAME,
  kind: 'kind',
  type: 'spec.type',
  owner: 'spec.owner',
} as const;
type SortKey = keyof typeof SORTS;

const FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  'metadata.tags',
  'spec.type',
  'spec.owner',
  'spec.lifecycle',
];

/**
 * `kind=component,spec.type=service`; values with a comma cannot be expressed and are dropped.
 * Filters other plugins contribute (`catalogFilters`) add their own conditions.
 */
function filterString(
  params: URLSearchParams,
  except?: string,
  contributed: readonly CatalogFilter[] = [],
): string {
  const own = FILTERS.filter((f) => f.param !== except)
    .map((f) => [f.field, params.get(f.param)] as const)
    .filter(([, v]) => v && !v.includes(','))
    .map(([field, v]) => `${field}=${v}`);
  const extra = contributed
    .filter((f) => f.param !== except)
    .map((f) => {
      const value = params.get(f.param);
      return value ? f.toFilter(value) : undefined;
    })
    .filter((v): v is string => Boolean(v));
  return [...own, ...extra].join(',');
}

function FilterSelect({
  filter,
  params,
  onChange,
  rowsPending,
}: {
  filter: (typeof FILTERS)[number];
  params: URLSearchParams;
  onChange(param: string, value: string): void;
  /** Counts wait for the rows: the server answers one query at a time on SQLite. */
  rowsPending: boolean;
}) {
  const value = params.get(filter.param) ?? '';
  const { catalogFilters } = useExtensions();
  const others = filterString(params, filter.param, catalogFilters);
  const facets = useQuery({
    queryKey: ['facets', filter.field, others],
    queryFn: ({ signal }) => entityFacets(filter.field, others, signal),
    placeholderData: keepPreviousData,
    enabled: !rowsPending,
  });
  const all = facets.data ?? [];
  // At 100,000 entities a facet can have thousands of values (owners); drawing them all
  // blocks the page for most of a second. The most common ones are listed, and the selected
  // value always is; the text filter finds the rest.
  const options =
    all.length > MAX_OPTIONS
      ? [...all]
          .sort((a, b) => b.count - a.count)
          .slice(0, MAX_OPTIONS)
          .sort((a, b) => a.value.localeCompare(b.value))
      : all;
  const known = options.some((o) => o.value.toLowerCase() === value.toLowerCase());
  const selected = all.find((o) => o.value.toLowerCase() === value.toLowerCase());
  return (
    <label>
      {filter.label}
      <select
        name={filter.param}
        value={value}
        onChange={(e) => onChange(filter.param, e.target.value)}
        aria-invalid={facets.isError || undefined}
      >
        <option value="">All</option>
        {value && !known && (
          <option value={value}>
            {value} ({selected?.count ?? 0})
          </option>
        )}
        {filter.param === 'owner' ? (
          <RefOptions
            refs={options.map((o) => o.value)}
            defaultKind="group"
            suffix={(ref) => ` (${options.find((o) => o.value === ref)?.count ?? 0})`}
          />
        ) : (
          options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.value} ({o.count})
            </option>
          ))
        )}
        {all.length > options.length && (
          <option disabled value="__more">
            {all.length - options.length} more: use the text filter
          </option>
        )}
      </select>
    </label>
  );
}

export function ExplorerPage() {
  const [params, updateParams] = useQueryParams();
  const [, setParams] = useSearchParams();
  const text = params.get('text') ?? '';
  const sort = (params.get('sort') ?? 'name') as SortKey;
  const dir = params.get('dir') === 'desc' ? 'desc' : 'asc';
  const cursor = params.get('cursor') ?? undefined;
  const page = Number(params.get('page') ?? '1') || 1;
  const kind = params.get('kind');
  usePageTitle(kind ? `Catalog: ${kind}` : 'Catalog');

  const [textInput, setTextInput] = useState(text);
  useEffect(() => setTextInput(text), [text]);
  const { catalogFilters } = useExtensions();
  const columns = useCatalogColumns();

  const update = (changes: Record<string, string | undefined>, keepPage = false) =>
    updateParams(keepPage ? changes : { ...changes, cursor: undefined, page: undefined });

  // biome-ignore lint/correctness/useExhaustiveDependencies: the debounce restarts on typing only
  useEffect(() => {
    if (textInput.trim() === text) return;
    const timer = setTimeout(() => update({ text: textInput.trim() || undefined }), 300);
    return () => clearTimeout(timer);
  }, [textInput]);

  const filter = filterString(params, undefined, catalogFilters);
  const orderField = `${SORTS[sort] ?? SORTS.name},${dir}`;
  const result = useQuery({
    queryKey: ['entities', filter, orderField, text, cursor],
    queryFn: ({ signal }) =>
      queryEntities(
        { filter, orderField, fullTextFilterTerm: text, cursor, limit: PAGE_SIZE, fields: FIELDS },
        signal,
      ),
    placeholderData: keepPreviousData,
  });

  const anyFilter = Boolean(filter || text);
  const sortBy = (key: SortKey) =>
    update({
      sort: key === 'name' ? undefined : key,
      dir: sort === key && dir === 'asc' ? 'desc' : undefined,
    });

  const header = (key: SortKey, label: string) => (
    <th aria-sort={sort === key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" onClick={() => sortBy(key)}>
        {label}
        {sort === key ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );

  return (
    <div className="page">
      <h1>Catalog</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Text
          <input
            type="search"
            name="text"
            placeholder="Name or title"
            value={textInput}
            onChange={(e) => setTextInput(e.target.value)}
          />
        </label>
        {FILTERS.map((f) => (
          <FilterSelect
            key={f.param}
            filter={f}
            params={params}
            onChange={(param, value) => update({ [param]: value || undefined })}
            rowsPending={result.isPending || result.isFetching}
          />
        ))}
        {catalogFilters.map(({ param, component: Control }) => (
          <Control
            key={param}
            value={params.get(param) ?? ''}
            onChange={(value) => update({ [param]: value || undefined })}
          />
        ))}
        <button
          type="button"
          disabled={!anyFilter}
          onClick={() => {
            setTextInput('');
            setParams(new URLSearchParams());
          }}
        >
          Clear filters
        </button>
      </form>
      {result.isPending ? (
        <Loading what="entities" />
      ) : result.isError ? (
        <ErrorState error={result.error} retry={() => result.refetch()} />
      ) : result.data.totalItems === 0 && !anyFilter ? (
        <div className="state">
          <h2>The catalog is empty</h2>
          <p>
            Add a location to <code>catalog.locations</code> in <code>app-config.yaml</code> (for
            example <code>{'{ type: file, target: ./catalog-info.yaml }'}</code>) and restart, or{' '}
            <Link to="/catalog-health">register an existing component</Link> by its URL.
          </p>
        </div>
      ) : result.data.totalItems === 0 ? (
        <div className="state">
          <h2>No entities match</h2>
          <p>
            Nothing matches these filters
            {sort !== 'name' ? ' (sorting hides entities that lack the sorted field)' : ''}.
          </p>
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        </div>
      ) : (
        <>
          <p className="muted" aria-live="polite" data-testid="total">
            {result.data.totalItems} {result.data.totalItems === 1 ? 'entity' : 'entities'}
            {sort !== 'name' ? ` with a ${sort}` : ''}
          </p>
          <div className="table-wrap">
            <table aria-busy={result.isFetching}>
              <thead>
                <tr>
                  {header('name', 'Name')}
                  {header('kind', 'Kind')}
                  {header('type', 'Type')}
                  {header('owner', 'Owner')}
                  <th>Lifecycle</th>
                  <th>Description</th>
                  <th>Tags</th>
                  {columns.map((c) => (
                    <th key={c.id}>{c.title}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.data.items.map((e) => (
                  <tr key={`${e.kind}:${e.metadata.namespace}/${e.metadata.name}`}>
                    <td>
                      <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>
                    </td>
                    <td>
                      <KindBadge kind={e.kind} />
                    </td>
                    <td>{String(e.spec?.type ?? '')}</td>
                    <td>
                      {typeof e.spec?.owner === 'string' && (
                        <OwnerLink owner={e.spec.owner} namespace={e.metadata.namespace} />
                      )}
                    </td>
                    <td>{String(e.spec?.lifecycle ?? '')}</td>
                    <td>{e.metadata.description}</td>
                    <td>
                      {(e.metadata.tags ?? []).map((t) => (
                        <span key={t} className="badge">
                          {t}
                        </span>
                      ))}
                    </td>
                    {columns.map(({ id, component: Cell }) => (
                      <td key={id}>
                        <Cell entity={e} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Pages"
            page={page}
            pages={Math.max(1, Math.ceil(result.data.totalItems / PAGE_SIZE))}
            hasPrevious={Boolean(result.data.pageInfo.prevCursor)}
            hasNext={Boolean(result.data.pageInfo.nextCursor)}
            onPrevious={() =>
              update(
                {
                  cursor: page > 2 ? result.data.pageInfo.prevCursor : undefined,
                  page: page > 2 ? String(page - 1) : undefined,
                },
                true,
              )
            }
            onNext={() =>
              update({ cursor: result.data.pageInfo.nextCursor, page: String(page + 1) }, true)
            }
          />
        </>
      )}
    </div>
  );
}
