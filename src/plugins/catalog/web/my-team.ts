/**
 * "My team", one meaning for the home page and the catalog explorer: the group chosen on the
 * home page (kept in this browser), else the groups the signed-in user is a direct member of
 * (`relations.hasMember`; parent groups, which own whole departments, are not "my team").
 */
import { useQuery } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import type { Entity } from '../../../model/entity.ts';
import { useIdentity } from '../../../web/plugin-api.ts';
import { queryEntities } from './api.ts';

const TEAM_KEY = 'atrium.home.team';
const CHANGED_EVENT = 'atrium:team-changed';

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
  window.dispatchEvent(new Event(CHANGED_EVENT));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGED_EVENT, onChange);
  window.addEventListener('storage', onChange);
  return () => {
    window.removeEventListener(CHANGED_EVENT, onChange);
    window.removeEventListener('storage', onChange);
  };
}

export const groupRef = (g: Pick<Entity, 'metadata'>) =>
  `group:${g.metadata.namespace ?? 'default'}/${g.metadata.name}`.toLowerCase();

export interface MyTeams {
  /** Group refs (lowercase); empty while loading and for a person in no group. */
  refs: string[];
  /** The group chosen on the home page ('' for none). */
  chosen: string;
  /** The user's direct groups, whatever was chosen. */
  direct: string[];
  /** Whether the direct groups are known yet. */
  ready: boolean;
  choose(ref: string): void;
}

export function useMyTeams(): MyTeams {
  const { userEntityRef } = useIdentity();
  const user = userEntityRef.toLowerCase();
  const chosen = useSyncExternalStore(subscribe, readTeam);
  const direct = useQuery({
    queryKey: ['my-groups', user],
    queryFn: ({ signal }) =>
      queryEntities(
        {
          filter: `kind=group,relations.hasMember=${user}`,
          orderField: 'metadata.name,asc',
          limit: 50,
          fields: ['metadata.name', 'metadata.namespace'],
        },
        signal,
      ),
    staleTime: 60_000,
  });
  const directRefs = (direct.data?.items ?? []).map(groupRef);
  const choose = useCallback((ref: string) => writeTeam(ref), []);
  return {
    refs: chosen ? [chosen] : directRefs,
    chosen,
    direct: directRefs,
    ready: Boolean(chosen) || !direct.isPending,
    choose,
  };
}

/** `relations.ownedBy=a,relations.ownedBy=b`: owned by any of the refs (one filter, any-of). */
export function ownedByFilter(refs: readonly string[]): string {
  return refs.map((ref) => `relations.ownedBy=${ref}`).join(',');
}
