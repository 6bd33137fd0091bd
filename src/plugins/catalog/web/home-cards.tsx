/**
 * Home page cards of the catalog plugin, for a page a person opens every day: quick links,
 * their team's entities with their health, their starred and recently visited entities, what
 * changed in what they and their team own, and what changed in the whole catalog.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  AlertTriangle,
  BookOpen,
  CircleCheck,
  CircleX,
  History,
  LayoutList,
  Star,
  WandSparkles,
} from 'lucide-react';
import { type ReactNode, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import {
  fetchJson,
  KindIcon,
  queryString,
  useCatalogColumns,
  useExtensions,
  useIdentity,
  useStarredEntities,
  WithTooltip,
} from '../../../web/plugin-api.ts';
import type { HistoryItem, HistoryPage } from '../common/history.ts';
import { queryEntities } from './api.ts';
import { groupRef, ownedByFilter, useMyTeams } from './my-team.ts';
import { EntityRefLink, entityPath, formatTime, Pager, QueryView } from './shared.tsx';
import { useVisits } from './visits.ts';
import './home.css';

/** Long entity names wrap instead of overflowing the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;

export interface RecentEntity {
  entityRef: string;
  kind: string;
  namespace: string;
  name: string;
  title?: string;
  updatedAt: string;
}

export function recentEntities(
  limit: number,
  signal?: AbortSignal,
): Promise<{ items: RecentEntity[] }> {
  return fetchJson(`/api/catalog/entities/recent${queryString({ limit })}`, { signal });
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 minutes ago", "yesterday", "just now". */
export function relativeTime(iso: string, now = Date.now()): string {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return iso;
  const seconds = Math.round((time - now) / 1000);
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? 'just now' : format.format(seconds, 'second');
}

/** Re-renders each minute, so that relative times stay true. */
function useMinuteTick() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 60_000);
    return () => clearInterval(timer);
  }, []);
}

function Ago({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

/** A home card: a titled region; `wide` spans two columns of the grid where there is room. */
function HomeCard({
  id,
  title,
  icon,
  wide,
  action,
  children,
}: {
  id: string;
  title: string;
  icon?: ReactNode;
  wide?: boolean;
  action?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section
      className={`card home-card${wide ? ' home-wide' : ''}`}
      aria-labelledby={`${id}-title`}
    >
      <div className="home-card-head">
        <h2 id={`${id}-title`}>
          {icon}
          {title}
        </h2>
        {action}
      </div>
      {children}
    </section>
  );
}

/** Where a person goes next: create something, read the docs, their catalog. */
export function QuickLinksCard() {
  const { sidebarItems } = useExtensions();
  const has = (to: string) => sidebarItems.some((i) => i.to === to);
  return (
    <nav className="home-quick-links home-full" aria-label="Quick links">
      {has('/create') && (
        <Link className="button button-primary" to="/create">
          <WandSparkles size={16} aria-hidden /> Create something new
        </Link>
      )}
      {has('/docs') && (
        <Link className="button" to="/docs">
          <BookOpen size={16} aria-hidden /> Read the docs
        </Link>
      )}
      <Link className="button" to="/catalog?show=owned">
        <LayoutList size={16} aria-hidden /> What you own
      </Link>
      <Link className="button" to="/catalog?show=starred">
        <Star size={16} aria-hidden /> Your starred entities
      </Link>
    </nav>
  );
}

export function RecentlyChangedCard() {
  const recent = useQuery({
    queryKey: ['recent-entities', 10],
    queryFn: ({ signal }) => recentEntities(10, signal),
  });
  useMinuteTick();
  return (
    <HomeCard id="recent" title="Recently changed in the catalog">
      <QueryView query={recent} what="recent changes">
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">
              Nothing has changed yet. Entities appear here when their catalog files are read.
            </p>
          ) : (
            <ul className="plain-list home-list" data-testid="recent-entities" style={WRAP}>
              {items.map((e) => (
                <li key={e.entityRef}>
                  <Link
                    to={entityPath({
                      kind: e.kind,
                      metadata: { namespace: e.namespace, name: e.name },
                    })}
                  >
                    {e.title ?? e.name}
                  </Link>{' '}
                  <span className="muted">
                    <KindIcon kind={e.kind} size={13} /> {e.kind} · <Ago iso={e.updatedAt} />
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </HomeCard>
  );
}

const OWNED_PAGE = 10;

function groupLabel(g: Pick<Entity, 'metadata' | 'spec'>): string {
  const profile = g.spec?.profile as { displayName?: unknown } | undefined;
  const display = typeof profile?.displayName === 'string' ? profile.displayName : undefined;
  const name = display ?? g.metadata.title ?? g.metadata.name;
  const ns = g.metadata.namespace ?? 'default';
  return ns === 'default' ? name : `${name} (${ns})`;
}

/**
 * An entity's ingestion health: its processing errors and warnings (from `status.items`),
 * linked to its Ingestion status tab; "OK" when it was read without any.
 */
export function HealthBadge({ entity }: { entity: Entity }) {
  const items = entity.status?.items ?? [];
  const errors = items.filter((i) => i.level === 'error').length;
  const warnings = items.filter((i) => i.level === 'warning').length;
  if (!errors && !warnings) {
    return (
      <span className="health health-ok" data-testid="health">
        <CircleCheck size={14} aria-hidden /> OK
      </span>
    );
  }
  const text = errors
    ? `${errors} ${errors === 1 ? 'error' : 'errors'}`
    : `${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`;
  const Icon = errors ? CircleX : AlertTriangle;
  return (
    <WithTooltip label={items.map((i) => i.message).join(' · ')}>
      <Link
        to={`${entityPath(entity)}/status`}
        className={`health ${errors ? 'health-error' : 'health-warning'}`}
        data-testid="health"
      >
        <Icon size={14} aria-hidden /> {text}
      </Link>
    </WithTooltip>
  );
}

function OwnedList({ team }: { team: string }) {
  const [cursor, setCursor] = useState<string>();
  const [page, setPage] = useState(1);
  // Scorecard levels and other columns plugins add to the explorer, where they are shown.
  const columns = useCatalogColumns();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new team starts at page 1
  useEffect(() => {
    setCursor(undefined);
    setPage(1);
  }, [team]);
  const owned = useQuery({
    queryKey: ['team-owned', team, cursor],
    queryFn: ({ signal }) =>
      queryEntities(
        {
          filter: `relations.ownedBy=${team}`,
          orderField: 'metadata.name,asc',
          cursor,
          limit: OWNED_PAGE,
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'metadata.title',
            'spec.type',
            'status',
          ],
        },
        signal,
      ),
    placeholderData: keepPreviousData,
  });
  const pages = owned.data ? Math.max(1, Math.ceil(owned.data.totalItems / OWNED_PAGE)) : 1;
  return (
    <QueryView query={owned} what="what the team owns">
      {(data) =>
        data.items.length === 0 ? (
          <p className="muted">
            This group owns nothing in the catalog yet. Set <code>spec.owner</code> of a component
            to it to see it here.
          </p>
        ) : (
          <>
            <p className="muted">
              Owns {data.totalItems} {data.totalItems === 1 ? 'entity' : 'entities'}
            </p>
            <div className="home-table-wrap">
              <table className="home-table" data-testid="team-owned" aria-busy={owned.isFetching}>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Health</th>
                    {columns.map((c) => (
                      <th key={c.id}>{c.title}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((e) => (
                    <tr key={`${e.kind}:${e.metadata.namespace}/${e.metadata.name}`}>
                      <td style={WRAP}>
                        <KindIcon kind={e.kind} size={14} labelled />{' '}
                        <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>{' '}
                        <span className="muted">
                          {typeof e.spec?.type === 'string' ? e.spec.type : e.kind}
                        </span>
                      </td>
                      <td>
                        <HealthBadge entity={e} />
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
            {pages > 1 && (
              <Pager
                label="Pages of owned entities"
                page={page}
                pages={pages}
                hasPrevious={Boolean(data.pageInfo.prevCursor)}
                hasNext={Boolean(data.pageInfo.nextCursor)}
                busy={owned.isFetching}
                onPrevious={() => {
                  setCursor(data.pageInfo.prevCursor);
                  setPage((p) => Math.max(1, p - 1));
                }}
                onNext={() => {
                  setCursor(data.pageInfo.nextCursor);
                  setPage((p) => p + 1);
                }}
              />
            )}
          </>
        )
      }
    </QueryView>
  );
}

export function YourTeamCard() {
  const identity = useIdentity();
  const teams = useMyTeams();
  // A signed-in person starts on their own (first direct) group; a choice made here wins.
  const team = teams.chosen || teams.direct[0] || '';
  const groups = useQuery({
    queryKey: ['home-groups'],
    queryFn: ({ signal }) =>
      queryEntities(
        {
          filter: 'kind=group',
          orderField: 'metadata.name,asc',
          limit: 500,
          fields: ['metadata.name', 'metadata.namespace', 'metadata.title', 'spec.profile'],
        },
        signal,
      ),
    staleTime: 60_000,
  });
  return (
    <HomeCard
      id="team"
      title="Your team"
      wide
      action={
        team ? (
          <Link className="home-card-link" to={entityPath(team)}>
            Team page
          </Link>
        ) : undefined
      }
    >
      <QueryView query={groups} what="groups">
        {(data) => {
          if (data.items.length === 0) {
            return (
              <p className="muted">
                There are no groups in the catalog yet. Add <code>kind: Group</code> entities to see
                what each team owns.
              </p>
            );
          }
          const known = data.items.some((g) => groupRef(g) === team);
          return (
            <>
              <div className="home-team-choice">
                <label htmlFor="team-select">Group</label>
                <select
                  id="team-select"
                  value={team}
                  onChange={(e) => teams.choose(e.target.value)}
                >
                  <option value="">Choose a group…</option>
                  {team && !known && <option value={team}>{team} (not in the catalog)</option>}
                  {data.items.map((g) => (
                    <option key={groupRef(g)} value={groupRef(g)}>
                      {groupLabel(g)}
                    </option>
                  ))}
                </select>
                <span className="muted">
                  {identity.isGuest && !teams.direct.length
                    ? 'You are browsing as a guest: choose a group to see what it owns.'
                    : 'Starts on a team you are in.'}{' '}
                  The choice is remembered in this browser.
                </span>
              </div>
              {data.totalItems > data.items.length && (
                <p className="muted">
                  Showing the first {data.items.length} of {data.totalItems} groups.
                </p>
              )}
              {team && <OwnedList team={team} />}
            </>
          );
        }}
      </QueryView>
    </HomeCard>
  );
}

const MAX_LISTED = 8;

/** The signed-in person's starred entities, newest star first. */
export function StarredCard() {
  const { userEntityRef } = useIdentity();
  const { items, loaded, error, toggle } = useStarredEntities(userEntityRef);
  const newest = [...items].reverse();
  return (
    <HomeCard
      id="starred"
      title="Starred"
      icon={<Star size={16} aria-hidden className="star-on" />}
      action={
        items.length > MAX_LISTED ? (
          <Link className="home-card-link" to="/catalog?show=starred">
            All {items.length}
          </Link>
        ) : undefined
      }
    >
      {error && (
        <p className="state state-error" role="alert">
          {error}
        </p>
      )}
      {!loaded ? (
        <p className="muted" role="status">
          Loading your stars…
        </p>
      ) : newest.length === 0 ? (
        <p className="muted">
          Nothing starred yet. Star an entity from its page (the Star button beside its name) to
          keep it here, in every browser you sign in to.
        </p>
      ) : (
        <ul className="plain-list home-list" data-testid="starred-entities" style={WRAP}>
          {newest.slice(0, MAX_LISTED).map((item) => (
            <li key={item.entityRef} className="home-row">
              <span>
                <KindIcon kind={item.kind} size={14} labelled />{' '}
                <Link to={entityPath(item.entityRef)}>{item.title ?? item.name}</Link>{' '}
                <span className="muted">{item.type ?? item.kind}</span>
              </span>
              <button
                type="button"
                className="icon-button home-unstar"
                aria-label={`Unstar ${item.title ?? item.name}`}
                title="Unstar"
                onClick={() => toggle(item.entityRef)}
              >
                <Star size={14} aria-hidden className="star-on" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </HomeCard>
  );
}

/** Entity pages this person opened in this browser, newest first. */
export function RecentlyVisitedCard() {
  const { userEntityRef } = useIdentity();
  const visits = useVisits(userEntityRef).slice(0, MAX_LISTED);
  useMinuteTick();
  return (
    <HomeCard id="visited" title="Recently visited" icon={<History size={16} aria-hidden />}>
      {visits.length === 0 ? (
        <p className="muted">Entities you open are listed here, in this browser.</p>
      ) : (
        <ul className="plain-list home-list" data-testid="recently-visited" style={WRAP}>
          {visits.map((v) => (
            <li key={v.ref}>
              <EntityRefLink entityRef={v.ref} />{' '}
              <span className="muted">
                <Ago iso={v.at} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </HomeCard>
  );
}

/** What a change did, in a few words: "updated spec.lifecycle, metadata.tags". */
export function describeChange(item: HistoryItem): string {
  if (item.action !== 'updated') return item.action;
  // Problems found on reading are the entity's ingestion status, not a field of its YAML.
  const paths = (item.diff?.changes.map((c) => c.path) ?? []).map((p) =>
    p === 'status.items' ? 'ingestion status' : p,
  );
  const shown = paths.slice(0, 2).join(', ');
  const more = paths.length - 2 + (item.diff?.omitted ?? 0);
  return paths.length ? `updated ${shown}${more > 0 ? ` and ${more} more` : ''}` : 'updated';
}

/**
 * Changes (from the entity history) to what the person and their team own, newest first:
 * what someone opening the portal in the morning wants to know happened overnight.
 */
export function AreaChangesCard() {
  const identity = useIdentity();
  const teams = useMyTeams();
  const refs = [...new Set([...identity.ownershipEntityRefs, ...teams.refs])].sort();
  const filter = ownedByFilter(refs);
  const changes = useQuery({
    queryKey: ['area-changes', filter],
    queryFn: ({ signal }) =>
      fetchJson<HistoryPage>(`/api/catalog/history${queryString({ filter, limit: MAX_LISTED })}`, {
        signal,
      }),
    enabled: teams.ready,
    placeholderData: keepPreviousData,
  });
  useMinuteTick();
  return (
    <HomeCard id="area-changes" title="Changes in what you own">
      <QueryView query={changes} what="changes">
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">
              Nothing you or your team own has changed lately.
              {teams.refs.length === 0 && ' Choose your team under “Your team” to follow it here.'}
            </p>
          ) : (
            <ul className="plain-list home-list" data-testid="area-changes" style={WRAP}>
              {items.map((item) => (
                <li key={item.id}>
                  <EntityRefLink entityRef={item.entityRef} />{' '}
                  <span className="muted">
                    <Link to={`${entityPath(item.entityRef)}/history`} className="home-change">
                      {describeChange(item)}
                    </Link>{' '}
                    · <Ago iso={item.createdAt} />
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </HomeCard>
  );
}
