/**
 * Home page cards of the catalog plugin: recently changed entities and "Your team" (with guest
 * access, a group the visitor chooses, remembered in localStorage).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { fetchJson, queryString, useIdentity } from '../../../web/plugin-api.ts';
import { queryEntities } from './api.ts';
import { entityPath, formatTime, Pager, QueryView } from './shared.tsx';

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

export function RecentlyChangedCard() {
  const recent = useQuery({
    queryKey: ['recent-entities', 10],
    queryFn: ({ signal }) => recentEntities(10, signal),
  });
  // Re-render each minute so that the relative times stay true.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 60_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <section className="card" aria-labelledby="recent-title">
      <h2 id="recent-title">Recently changed</h2>
      <QueryView query={recent} what="recent changes">
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">
              Nothing has changed yet. Entities appear here when their catalog files are read.
            </p>
          ) : (
            <ul className="plain" data-testid="recent-entities" style={WRAP}>
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
                    {e.kind} ·{' '}
                    <time dateTime={e.updatedAt} title={formatTime(e.updatedAt)}>
                      {relativeTime(e.updatedAt)}
                    </time>
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </section>
  );
}

const TEAM_KEY = 'atrium.home.team';
const OWNED_PAGE = 10;

function readTeam(): string {
  try {
    return localStorage.getItem(TEAM_KEY) ?? '';
  } catch {
    return '';
  }
}

function writeTeam(ref: string) {
  try {
    if (ref) localStorage.setItem(TEAM_KEY, ref);
    else localStorage.removeItem(TEAM_KEY);
  } catch {
    // storage unavailable (private mode): the choice lasts for this page only
  }
}

const groupRef = (g: Pick<Entity, 'metadata'>) =>
  `group:${g.metadata.namespace ?? 'default'}/${g.metadata.name}`.toLowerCase();

function groupLabel(g: Pick<Entity, 'metadata' | 'spec'>): string {
  const profile = g.spec?.profile as { displayName?: unknown } | undefined;
  const display = typeof profile?.displayName === 'string' ? profile.displayName : undefined;
  const name = display ?? g.metadata.title ?? g.metadata.name;
  const ns = g.metadata.namespace ?? 'default';
  return ns === 'default' ? name : `${name} (${ns})`;
}

function OwnedList({ team }: { team: string }) {
  const [cursor, setCursor] = useState<string>();
  const [page, setPage] = useState(1);
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
          fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'spec.type'],
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
            <ul
              className="plain"
              data-testid="team-owned"
              aria-busy={owned.isFetching}
              style={WRAP}
            >
              {data.items.map((e) => (
                <li key={`${e.kind}:${e.metadata.namespace}/${e.metadata.name}`}>
                  <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>{' '}
                  <span className="muted">
                    {e.kind}
                    {typeof e.spec?.type === 'string' ? ` · ${e.spec.type}` : ''}
                  </span>
                </li>
              ))}
            </ul>
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
  // A signed-in person starts on their own (first direct) group; a choice made here wins.
  const ownGroup = identity.ownershipEntityRefs.find((ref) => ref.startsWith('group:')) ?? '';
  const [team, setTeam] = useState(() => readTeam() || ownGroup);
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
  const choose = (ref: string) => {
    setTeam(ref);
    writeTeam(ref);
  };
  return (
    <section className="card" aria-labelledby="team-title">
      <h2 id="team-title">Your team</h2>
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
              <p className="muted">
                {identity.isGuest
                  ? 'You are browsing as a guest: choose a group to see what it owns.'
                  : 'Starts on a team you are in; choose another group to see what it owns.'}{' '}
                The choice is remembered in this browser.
              </p>
              <label htmlFor="team-select">Group</label>{' '}
              <select id="team-select" value={team} onChange={(e) => choose(e.target.value)}>
                <option value="">Choose a group…</option>
                {team && !known && <option value={team}>{team} (not in the catalog)</option>}
                {data.items.map((g) => (
                  <option key={groupRef(g)} value={groupRef(g)}>
                    {groupLabel(g)}
                  </option>
                ))}
              </select>
              {data.totalItems > data.items.length && (
                <p className="muted">
                  Showing the first {data.items.length} of {data.totalItems} groups.
                </p>
              )}
              {team && (
                <>
                  <OwnedList team={team} />
                  <p>
                    <Link to={entityPath(team)}>Open the group's page</Link> for its members and
                    everything it owns.
                  </p>
                </>
              )}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}
