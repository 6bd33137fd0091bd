import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useMemo, useRef } from 'react';
import { IdentityContext, SESSION_ENDED_EVENT, type WebIdentity } from '../../../web/plugin-api.ts';
import type { SessionResponse } from '../common/types.ts';
import { getSession, SESSION_KEY } from './api.ts';
import { SignInPage } from './SignInPage.tsx';

/** Longest wait a timer takes (setTimeout's limit is about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function webIdentity(session: SessionResponse): WebIdentity | undefined {
  if (!session.signedIn || !session.identity) return undefined;
  return {
    userEntityRef: session.identity.userEntityRef,
    ownershipEntityRefs: session.identity.ownershipEntityRefs,
    isGuest: session.identity.isGuest,
    ...session.profile,
  };
}

/** Asks for the session again once it is due for renewal, and whenever the API says 401. */
function useSessionUpkeep(session: SessionResponse | undefined, refetch: () => void) {
  const refreshAfter = session?.refreshAfter;
  useEffect(() => {
    if (!refreshAfter) return;
    const due = Date.parse(refreshAfter);
    const timer = setTimeout(refetch, Math.min(MAX_TIMER_MS, Math.max(1_000, due - Date.now())));
    // A laptop that slept past the time: renew when the page is looked at again.
    const onVisible = () => {
      if (document.visibilityState === 'visible' && Date.now() >= due) refetch();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refreshAfter, refetch]);
  useEffect(() => {
    window.addEventListener(SESSION_ENDED_EVENT, refetch);
    return () => window.removeEventListener(SESSION_ENDED_EVENT, refetch);
  }, [refetch]);
}

/**
 * The app when someone (or the guest) is signed in, with their identity for `useIdentity`;
 * the sign-in page otherwise. When the user changes (signed out, session expired and guest
 * access on), what was loaded for the previous one is dropped.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: ({ signal }) => getSession(signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const { refetch } = session;
  const ask = useMemo(() => () => void refetch(), [refetch]);
  useSessionUpkeep(session.data, ask);
  const identity = session.data ? webIdentity(session.data) : undefined;
  const user = identity?.userEntityRef;
  const previous = useRef(user);
  useEffect(() => {
    const before = previous.current;
    previous.current = user;
    // Reset (which refetches what is shown) rather than remove: removing a query that a
    // mounted component observes leaves that component loading forever.
    if (before !== undefined && before !== user) {
      void queryClient.resetQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
    }
  }, [user, queryClient]);

  if (session.isPending) {
    return (
      <div className="state" role="status" aria-busy="true">
        Loading…
      </div>
    );
  }
  if (session.isError) {
    return (
      <div
        className="state state-error"
        role="alert"
        style={{ margin: '4rem auto', maxWidth: '40rem' }}
      >
        <strong>Atrium could not be reached.</strong>
        <p>{session.error.message}</p>
        <button type="button" onClick={ask}>
          Retry
        </button>
      </div>
    );
  }
  if (!identity) return <SignInPage session={session.data} />;
  return <IdentityContext.Provider value={identity}>{children}</IdentityContext.Provider>;
}
