/**
 * Starred entities, kept in this browser's localStorage per user ref (`atrium.starred.<ref>`),
 * until the server keeps them per user. Every component that shows stars reads them through
 * `useStarredEntities`, so starring on one page updates the others at once, and other tabs
 * follow through the `storage` event.
 */
import { useCallback, useSyncExternalStore } from 'react';

const PREFIX = 'atrium.starred.';
/** Fired on window when this tab changes a list (the `storage` event covers the other tabs). */
const CHANGED_EVENT = 'atrium:starred-changed';

const keyOf = (userRef: string) => `${PREFIX}${userRef.toLowerCase()}`;

/** The raw stored text: what useSyncExternalStore compares, so equal lists do not re-render. */
function readRaw(userRef: string): string {
  try {
    return localStorage.getItem(keyOf(userRef)) ?? '[]';
  } catch {
    return '[]';
  }
}

function parse(raw: string): string[] {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** The entity refs a user has starred, oldest first. */
export function readStarred(userRef: string): string[] {
  return parse(readRaw(userRef));
}

/** Stars or unstars an entity ref (compared lower-case, as canonical refs are). */
export function setStarred(userRef: string, entityRef: string, starred: boolean): void {
  const ref = entityRef.toLowerCase();
  const rest = readStarred(userRef).filter((r) => r !== ref);
  const next = starred ? [...rest, ref] : rest;
  try {
    localStorage.setItem(keyOf(userRef), JSON.stringify(next));
  } catch {
    // private mode or storage full: the star is not kept
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

/**
 * A user's starred entity refs and a function to change one; pass `useIdentity().userEntityRef`
 * (the guest has a list of their own).
 */
export function useStarredEntities(userEntityRef: string): {
  starred: string[];
  isStarred(entityRef: string): boolean;
  toggle(entityRef: string): void;
} {
  const raw = useSyncExternalStore(subscribe, () => readRaw(userEntityRef));
  const starred = parse(raw);
  const isStarred = useCallback(
    (entityRef: string) => parse(raw).includes(entityRef.toLowerCase()),
    [raw],
  );
  const toggle = useCallback(
    (entityRef: string) =>
      setStarred(
        userEntityRef,
        entityRef,
        !readStarred(userEntityRef).includes(entityRef.toLowerCase()),
      ),
    [userEntityRef],
  );
  return { starred, isStarred, toggle };
}
