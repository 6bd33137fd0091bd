import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { LayoutList, type LucideIcon, Star, User, Users } from 'lucide-react';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import {
  type CatalogFilter,
  KindBadge,
  useCatalogColumns,
  useExtensions,
  useIdentity,
  usePageTitle,
  useQueryParams,
  useStarredEntities,
} from '../../../web/plugin-api.ts';
import { entityFacets, queryEntities } from './api.ts';
import { TITLE_OR_NAME } from '../common/fields.ts';
import { ColumnChooser, useColumnChoice } from './explorer-columns.tsx';
import { ownedByFilter, useMyTeams } from './my-team.ts';
import {
  EntityRefLink,
  entityPath,
  ErrorState,
  Loading,
  OwnerLink,
  Pager,
  RefOptions,
} from './shared.tsx';
import './explorer.css';

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
  scope = '',
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
  return [...own, ...extra, ...(scope ? [scope] : [])].join(',');
}

/** The explorer's `show` parameter: whose entities the table lists. */
type ScopeValue = '' | 'owned' | 'team' | 'starred';

const SCOPES: Array<{ value: ScopeValue; label: string; icon: LucideIcon }> = [
  { value: 'owned', label: 'Owned by me', icon: User },
  { value: 'team', label: 'My team', icon: Users },
  { value: 'starred', label: 'Starred', icon: Star },
  { value: '', label: 'All', icon: LayoutList },
];

/**
 * What `show` adds to the server's query: a filter on `relations.ownedBy` (the caller's
 * ownership refs, or their team's groups), or `starred=true`, which the server resolves to the
 * caller's stars. Until the team is known the query waits; without any, it is not sent.
 */
interface Scope {
  value: ScopeValue;
  filter: string;
  starred: boolean;
  ready: boolean;
  /** Why the scope holds nothing, when that is known before asking. */
  empty?: ReactNode;
  /** Whose entities these are, shown under the switch. */
  note?: ReactNode;
}

function useScope(value: ScopeValue): Scope {
  const identity = useIdentity();
  const teams = useMyTeams();
  if (value === 'owned') {
    return {
      value,
      filter: ownedByFilter(identity.ownershipEntityRefs),
      starred: false,
      ready: true,
      note: <>Owned by you or one of your groups.</>,
    };
  }
  if (value === 'team') {
    if (!teams.ready) return { value, filter: '', starred: false, ready: false };
    if (!teams.refs.length) {
      return {
        value,
        filter: '',
        starred: false,
        ready: true,
        empty: (
          <>
            You are in no group of the catalog.{' '}
            <Link to="/">Choose your team on the home page</Link> to see what it owns here.
          </>
        ),
      };
    }
    return {
      value,
      filter: ownedByFilter(teams.refs),
      starred: false,
      ready: true,
      note: (
        <>
          Owned by{' '}
          {teams.refs.map((ref, i) => (
            <span key={ref}>
              {i > 0 && ', '}
              <EntityRefLink entityRef={ref} />
            </span>
          ))}
          {teams.chosen ? ' (chosen on the home page)' : ''}.
        </>
      ),
    };
  }
  if (value === 'starred') {
    return { value, filter: '', starred: true, ready: true, note: <>Your starred entities.</> };
  }
  return { value: '', filter: '', starred: false, ready: true };
}

function ScopeSwitch({
  value,
  onChange,
}: {
  value: ScopeValue;
  onChange(value: ScopeValue): void;
}) {
  return (
    <fieldset className="explorer-scope">
      <legend className="visually-hidden">Show</legend>
      {SCOPES.map(({ value: v, label, icon: Icon }) => (
        <label key={v || 'all'} className={v === value ? 'active' : undefined}>
          <input
            type="radio"
            name="show"
            value={v}
            checked={v === value}
            onChange={() => onChange(v)}
          />
          <Icon size={15} aria-hidden />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

/** The table's columns after Name, in order; each can be hidden. */
interface Column {
  id: string;
  title: string;
  sort?: SortKey;
  cell(e: Entity): ReactNode;
}

const BUILTIN_COLUMNS: Column[] = [
  { id: 'kind', title: 'Kind', sort: 'kind', cell: (e) => <KindBadge kind={e.kind} /> },
  { id: 'type', title: 'Type', sort: 'type', cell: (e) => String(e.spec?.type ?? '') },
  {
    id: 'owner',
    title: 'Owner',
    sort: 'owner',
    cell: (e) =>
      typeof e.spec?.owner === 'string' && (
        <OwnerLink owner={e.spec.owner} namespace={e.metadata.namespace} />
      ),
  },
  { id: 'lifecycle', title: 'Lifecycle', cell: (e) => String(e.spec?.lifecycle ?? '') },
  { id: 'description', title: 'Description', cell: (e) => e.metadata.description },
  {
    id: 'tags',
    title: 'Tags',
    cell: (e) =>
      (e.metadata.tags ?? []).map((t) => (
        <span key={t} className="badge">
          {t}
        </span>
      )),
  },
];

function FilterSelect({
  filter,
  params,
  onChange,
  rowsPending,
  scope,
  starredKey,
}: {
  filter: (typeof FILTERS)[number];
  params: URLSearchParams;
  onChange(param: string, value: string): void;
  /** Counts wait for the rows: the server answers one query at a time on SQLite. */
  rowsPending: boolean;
  scope: Scope;
  starredKey: string;
}) {
  const value = params.get(filter.param) ?? '';
  const { catalogFilters } = useExtensions();
  const others = filterString(params, filter.param, catalogFilters, scope.filter);
  const facets = useQuery({
    queryKey: ['facets', filter.field, others, scope.starred ? starredKey : false],
    queryFn: ({ signal }) => entityFacets(filter.field, others, signal, scope.starred),
    placeholderData: keepPreviousData,
    enabled: !rowsPending && scope.ready && !scope.empty,
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
  const showParam = params.get('show') ?? '';
  const show: ScopeValue = SCOPES.some((s) => s.value === showParam)
    ? (showParam as ScopeValue)
    : '';
  usePageTitle(kind ? `Catalog: ${kind}` : 'Catalog');

  const [textInput, setTextInput] = useState(text);
  useEffect(() => setTextInput(text), [text]);
  const { catalogFilters } = useExtensions();
  const contributedColumns = useCatalogColumns();
  const { shown } = useColumnChoice();
  const scope = useScope(show);
  const { userEntityRef } = useIdentity();
  const { starred } = useStarredEntities(userEntityRef);
  const starredKey = starred.join(',');

  const update = (changes: Record<string, string | undefined>, keepPage = false) =>
    updateParams(keepPage ? changes : { ...changes, cursor: undefined, page: undefined });

  // biome-ignore lint/correctness/useExhaustiveDependencies: the debounce restarts on typing only
  useEffect(() => {
    if (textInput.trim() === text) return;
    const timer = setTimeout(() => update({ text: textInput.trim() || undefined }), 300);
    return () => clearTimeout(timer);
  }, [textInput]);

  const ownFilter = filterString(params, undefined, catalogFilters);
  const filter = filterString(params, undefined, catalogFilters, scope.filter);
  const orderField = `${SORTS[sort] ?? SORTS.name},${dir}`;
  const result = useQuery({
    queryKey: ['entities', filter, orderField, text, cursor, scope.starred ? starredKey : false],
    queryFn: ({ signal }) =>
      queryEntities(
        {
          filter,
          orderField,
          fullTextFilterTerm: text,
          cursor,
          limit: PAGE_SIZE,
          fields: FIELDS,
          starred: scope.starred,
        },
        signal,
      ),
    placeholderData: keepPreviousData,
    enabled: scope.ready && !scope.empty,
  });

  const anyFilter = Boolean(ownFilter || text);
  const clearFilters = () => {
    setTextInput('');
    // The switch is not a filter: it stays.
    setParams(new URLSearchParams(show ? { show } : {}));
  };
  const sortBy = (key: SortKey) =>
    update({
      sort: key === 'name' ? undefined : key,
      dir: sort === key && dir === 'asc' ? 'desc' : undefined,
    });

  const header = (key: SortKey, label: string) => (
    <th key={key} aria-sort={sort === key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" onClick={() => sortBy(key)}>
        {label}
        {sort === key ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
  const builtins = BUILTIN_COLUMNS.filter((c) => shown(c.id));
  const contributed = contributedColumns.filter((c) => shown(c.id));

  const scopeEmpty =
    show === 'starred' ? (
      <>
        You have not starred anything{anyFilter ? ' that matches these filters' : ' yet'}. Star an
        entity from its page (the Star button beside its name) to find it here.
      </>
    ) : show === 'owned' ? (
      <>Nothing{anyFilter ? ' that matches these filters' : ''} is owned by you or your groups.</>
    ) : show === 'team' ? (
      <>Your team owns nothing{anyFilter ? ' that matches these filters' : ''}.</>
    ) : null;

  let body: ReactNode;
  if (scope.empty) {
    body = (
      <div className="state">
        <p>{scope.empty}</p>
      </div>
    );
  } else if (!scope.ready || result.isPending) {
    body = <Loading what="entities" />;
  } else if (result.isError) {
    body = <ErrorState error={result.error} retry={() => result.refetch()} />;
  } else if (result.data.totalItems === 0 && scopeEmpty) {
    body = (
      <div className="state" data-testid="scope-empty">
        <p>{scopeEmpty}</p>
        <button type="button" onClick={() => update({ show: undefined })}>
          Show all entities
        </button>
      </div>
    );
  } else if (result.data.totalItems === 0 && !anyFilter) {
    body = (
      <div className="state">
        <h2>The catalog is empty</h2>
        <p>
          Add a location to <code>catalog.locations</code> in <code>app-config.yaml</code> (for
          example <code>{'{ type: file, target: ./catalog-info.yaml }'}</code>) and restart, or{' '}
          <Link to="/catalog-health">register an existing component</Link> by its URL.
        </p>
      </div>
    );
  } else if (result.data.totalItems === 0) {
    body = (
      <div className="state">
        <h2>No entities match</h2>
        <p>
          Nothing matches these filters
          {sort !== 'name' ? ' (sorting hides entities that lack the sorted field)' : ''}.
        </p>
        <button type="button" onClick={clearFilters}>
          Clear filters
        </button>
      </div>
    );
  } else {
    const data = result.data;
    body = (
      <>
        <div className="explorer-table-head">
          <p className="muted" aria-live="polite" data-testid="total">
            {data.totalItems} {data.totalItems === 1 ? 'entity' : 'entities'}
            {sort !== 'name' ? ` with a ${sort}` : ''}
          </p>
          <ColumnChooser
            columns={[
              ...BUILTIN_COLUMNS.map(({ id, title }) => ({ id, title })),
              ...contributedColumns.map(({ id, title }) => ({ id, title })),
            ]}
          />
        </div>
        <div className="table-wrap">
          <table aria-busy={result.isFetching}>
            <thead>
              <tr>
                {header('name', 'Name')}
                {builtins.map((c) =>
                  c.sort ? header(c.sort, c.title) : <th key={c.id}>{c.title}</th>,
                )}
                {contributed.map((c) => (
                  <th key={c.id}>{c.title}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.items.map((e) => (
                <tr key={`${e.kind}:${e.metadata.namespace}/${e.metadata.name}`}>
                  <td>
                    <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>
                  </td>
                  {builtins.map((c) => (
                    <td key={c.id}>{c.cell(e)}</td>
                  ))}
                  {contributed.map(({ id, component: Cell }) => (
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
          pages={Math.max(1, Math.ceil(data.totalItems / PAGE_SIZE))}
          hasPrevious={Boolean(data.pageInfo.prevCursor)}
          hasNext={Boolean(data.pageInfo.nextCursor)}
          onPrevious={() =>
            update(
              {
                cursor: page > 2 ? data.pageInfo.prevCursor : undefined,
                page: page > 2 ? String(page - 1) : undefined,
              },
              true,
            )
          }
          onNext={() => update({ cursor: data.pageInfo.nextCursor, page: String(page + 1) }, true)}
        />
      </>
    );
  }

  return (
    <div className="page">
      <div className="explorer-head">
        <h1>Catalog</h1>
        <ScopeSwitch value={show} onChange={(value) => update({ show: value || undefined })} />
      </div>
      {scope.note && <p className="muted explorer-scope-note">{scope.note}</p>}
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
            scope={scope}
            starredKey={starredKey}
          />
        ))}
        {catalogFilters.map(({ param, component: Control }) => (
          <Control
            key={param}
            value={params.get(param) ?? ''}
            onChange={(value) => update({ [param]: value || undefined })}
          />
        ))}
        <button type="button" disabled={!anyFilter} onClick={clearFilters}>
          Clear filters
        </button>
      </form>
      {body}
    </div>
  );
}
