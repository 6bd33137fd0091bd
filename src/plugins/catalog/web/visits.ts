/**
 * Entity pages a person opened recently, kept in this browser per user
 * (`atrium.visited.<user ref>`, newest first): what the home page's "Recently visited" lists.
 * `VisitRecorder` sits in the shell (a top bar item that draws nothing) and notes every entity
 * page the router shows, whichever tab.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { useLocation } from 'react-router-dom';
import { useIdentity } from '../../../web/plugin-api.ts';

export interface Visit {
  /** Canonical ref, `component:default/orders`. */
  ref: string;
  /** ISO 8601. */
  at: string;
}

const PREFIX = 'atrium.visited.';
const CHANGED_EVENT = 'atrium:visited-changed';
/** Enough for a home page card; older visits drop off. */
export const MAX_VISITS = 20;

const keyOf = (userRef: string) => `${PREFIX}${userRef.toLowerCase()}`;

function readRaw(userRef: string): string {
  try {
    return localStorage.getItem(keyOf(userRef)) ?? '[]';
  } catch {
    return '[]';
  }
}

function parse(raw: string): Visit[] {
  try {
    const value: unknown = JSON.parse(raw);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (v): v is Visit =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as Visit).ref === 'string' &&
        typeof (v as Visit).at === 'string',
    );
  } catch {
    return [];
  }
}

export function recordVisit(userRef: string, ref: string, at = new Date()): void {
  const visits = [
    { ref, at: at.toISOString() },
    ...parse(readRaw(userRef)).filter((v) => v.ref !== ref),
  ].slice(0, MAX_VISITS);
  try {
    localStorage.setItem(keyOf(userRef), JSON.stringify(visits));
  } catch {
    // private mode or storage full: nothing is remembered
  }
  window.dispatchEvent(new Event(CHANGED_EVENT));
}

/** The entity ref an entity page path shows (`/catalog/:namespace/:kind/:name[/:tab]`). */
export function entityRefOfPath(pathname: string): string | undefined {
  const match = /^\/catalog\/([^/]+)\/([^/]+)\/([^/]+)(?:\/[^/]*)?$/.exec(pathname);
  if (!match) return undefined;
  try {
    const [namespace, kind, name] = match.slice(1).map((part) => decodeURIComponent(part!));
    return `${kind}:${namespace}/${name}`.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Notes each entity page shown; draws nothing. */
export function VisitRecorder() {
  const { pathname } = useLocation();
  const { userEntityRef } = useIdentity();
  useEffect(() => {
    const ref = entityRefOfPath(pathname);
    if (ref) recordVisit(userEntityRef, ref);
  }, [pathname, userEntityRef]);
  return null;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGED_EVENT, onChange);
  window.addEventListener('storage', onChange);
  return () => {
    window.removeEventListener(CHANGED_EVENT, onChange);
    window.removeEventListener('storage', onChange);
  };
}

/** The user's recent visits, newest first. */
export function useVisits(userRef: string): Visit[] {
  const raw = useSyncExternalStore(subscribe, () => readRaw(userRef));
  return parse(raw);
}
