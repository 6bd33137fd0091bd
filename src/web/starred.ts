/**
 * Starred entities, kept per user on the server (`/api/catalog/starred`) so they follow a
 * person to every browser. Every component that shows stars reads them through
 * `useStarredEntities`, so starring on one page updates the others at once.
 *
 * This browser keeps a copy of the list in localStorage (`atrium.starred.<user ref>`): stars
 * show before the server answers, and other tabs hear of a change through the `storage` event
 * and ask the server again. Stars kept only in that key by earlier versions are sent to the
 * server once, on the first load (marked by `atrium.starred.migrated.<user ref>`).
 */
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { StarredItem, StarredList } from '../plugins/catalog/common/starred.ts';
import { fetchJson } from './api-client.ts';

export type { StarredItem } from '../plugins/catalog/common/starred.ts';

const PREFIX = 'atrium.starred.';
const MIGRATED_PREFIX = 'atrium.starred.migrated.';
const BASE = '/api/catalog/starred';

const keyOf = (userRef: string) => `${PREFIX}${userRef.toLowerCase()}`;
const migratedKeyOf = (userRef: string) => `${MIGRATED_PREFIX}${userRef.toLowerCase()}`;

interface StarredState {
  /** Refs, oldest first: the server's list once it answered, this browser's copy before. */
  refs: string[];
  /** The server's entries (only entities that exist and that the user may read). */
  items: StarredItem[];
  /** Whether the server has answered since this page loaded. */
  loaded: boolean;
  /** Why the last load or change failed (shown by pages that list stars). */
  error?: string;
}

const states = new Map<string, StarredState>();
const listeners = new Set<() => void>();
const loading = new Map<string, Promise<void>>();
/** Changes go to the server one at a time per user, in the order they were made. */
const queues = new Map<string, Promise<unknown>>();

function readLocal(userRef: string): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(keyOf(userRef)) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function writeLocal(userRef: string, refs: string[]): void {
  try {
    localStorage.setItem(keyOf(userRef), JSON.stringify(refs));
  } catch {
    // private mode or storage full: the server still has the list
  }
}

function stateOf(userRef: string): StarredState {
  const user = userRef.toLowerCase();
  let state = states.get(user);
  if (!state) {
    state = { refs: readLocal(user), items: [], loaded: false };
    states.set(user, state);
  }
  return state;
}

function update(userRef: string, change: Partial<StarredState>): void {
  const user = userRef.toLowerCase();
  const next = { ...stateOf(user), ...change };
  states.set(user, next);
  if (change.refs) writeLocal(user, change.refs);
  for (const listener of listeners) listener();
}

const refPath = (entityRef: string) => `${BASE}/${encodeURIComponent(entityRef.toLowerCase())}`;

/** Sends stars that only this browser kept (before the server kept them) to the server. */
async function migrateLocal(userRef: string, serverRefs: string[]): Promise<boolean> {
  let migrated = false;
  try {
    migrated = localStorage.getItem(migratedKeyOf(userRef)) === '1';
  } catch {
    return false;
  }
  if (migrated) return false;
  const known = new Set(serverRefs);
  const local = readLocal(userRef).filter((ref) => !known.has(ref));
  for (const ref of local) {
    // An entity gone since, or hidden now, cannot be starred: it is left behind.
    await fetchJson(refPath(ref), { method: 'PUT' }).catch(() => undefined);
  }
  try {
    localStorage.setItem(migratedKeyOf(userRef), '1');
  } catch {
    // not kept: the next load tries again, and finds the stars already there
  }
  return local.length > 0;
}

/** What the changes on their way to the server will make of each ref, per user. */
const pending = new Map<string, Map<string, boolean>>();

function pendingOf(user: string): Map<string, boolean> {
  let wanted = pending.get(user);
  if (!wanted) {
    wanted = new Map();
    pending.set(user, wanted);
  }
  return wanted;
}

/** Whether a ref is starred once the changes on their way are made (what a toggle flips). */
function willBeStarred(user: string, ref: string): boolean {
  return pendingOf(user).get(ref) ?? stateOf(user).refs.includes(ref);
}

/** Changes the server confirmed per user: a list asked for before one of them is stale. */
const changes = new Map<string, number>();

/** Loads (again) the user's list from the server. */
export function loadStarred(userRef: string): Promise<void> {
  const user = userRef.toLowerCase();
  const running = loading.get(user);
  if (running) return running;
  const run = (async () => {
    try {
      for (;;) {
        const seen = changes.get(user) ?? 0;
        let list = await fetchJson<StarredList>(BASE);
        if (
          await migrateLocal(
            user,
            list.items.map((i) => i.entityRef),
          )
        ) {
          list = await fetchJson<StarredList>(BASE);
        }
        if ((changes.get(user) ?? 0) !== seen) continue;
        update(user, {
          refs: list.items.map((i) => i.entityRef),
          items: list.items,
          loaded: true,
          error: undefined,
        });
        return;
      }
    } catch (error) {
      update(user, { loaded: true, error: (error as Error).message });
    } finally {
      loading.delete(user);
    }
  })();
  loading.set(user, run);
  return run;
}

/** The entity refs a user has starred, oldest first, as far as this page knows. */
export function readStarred(userRef: string): string[] {
  return stateOf(userRef).refs;
}

/**
 * Stars or unstars an entity ref (compared lower-case, as canonical refs are). The change
 * shows once the server has kept it, so what a page shows is never lost by leaving it; when
 * the server refuses, `error` says why.
 */
export function setStarred(userRef: string, entityRef: string, starred: boolean): Promise<void> {
  const user = userRef.toLowerCase();
  const ref = entityRef.toLowerCase();
  const wanted = pendingOf(user);
  wanted.set(ref, starred);
  const previous = queues.get(user) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      try {
        await fetchJson(refPath(ref), { method: starred ? 'PUT' : 'DELETE' });
      } catch (error) {
        if (wanted.get(ref) === starred) wanted.delete(ref);
        update(user, { error: (error as Error).message });
        return;
      }
      if (wanted.get(ref) === starred) wanted.delete(ref);
      changes.set(user, (changes.get(user) ?? 0) + 1);
      const now = stateOf(user);
      const rest = now.refs.filter((r) => r !== ref);
      update(user, {
        refs: starred ? [...rest, ref] : rest,
        items: starred ? now.items : now.items.filter((i) => i.entityRef !== ref),
        error: undefined,
      });
      // The new star's title and kind, for lists of stars.
      if (starred) await loadStarred(user);
    });
  queues.set(user, next);
  return next;
}

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  return () => listeners.delete(onChange);
}

// Another tab changed a list: ask the server, which has the truth.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    const key = event.key ?? '';
    if (!key.startsWith(PREFIX) || key.startsWith(MIGRATED_PREFIX)) return;
    const user = key.slice(PREFIX.length);
    if (states.has(user)) void loadStarred(user);
  });
}

/**
 * A user's starred entities and a function to change one; pass `useIdentity().userEntityRef`
 * (the guest has a list of their own). `items` are the server's entries, for lists of stars.
 */
export function useStarredEntities(userEntityRef: string): {
  starred: string[];
  items: StarredItem[];
  loaded: boolean;
  error?: string;
  isStarred(entityRef: string): boolean;
  toggle(entityRef: string): void;
} {
  const user = userEntityRef.toLowerCase();
  const state = useSyncExternalStore(subscribe, () => stateOf(user));
  useEffect(() => {
    if (!stateOf(user).loaded) void loadStarred(user);
  }, [user]);
  const isStarred = useCallback(
    (entityRef: string) => state.refs.includes(entityRef.toLowerCase()),
    [state],
  );
  const toggle = useCallback(
    (entityRef: string) =>
      void setStarred(user, entityRef, !willBeStarred(user, entityRef.toLowerCase())),
    [user],
  );
  return {
    starred: state.refs,
    items: state.items,
    loaded: state.loaded,
    error: state.error,
    isStarred,
    toggle,
  };
}
