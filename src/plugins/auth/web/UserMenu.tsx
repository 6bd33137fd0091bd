import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { parseEntityRef } from '../../../model/ref.ts';
import { useIdentity } from '../../../web/plugin-api.ts';
import { entityPath } from '../../catalog/web/shared.tsx';
import type { SessionResponse } from '../common/types.ts';
import { getSession, SESSION_KEY, signOut } from './api.ts';

const MENU = { display: 'flex', alignItems: 'center', gap: '10px', marginLeft: 'auto' } as const;

/** The signed-in user in the top bar, linking to their entity page, with sign-out. */
export function UserMenu() {
  const identity = useIdentity();
  const queryClient = useQueryClient();
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: ({ signal }) => getSession(signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const out = useMutation({
    mutationFn: signOut,
    onSuccess: () => {
      // The sign-in page (or the guest) at once; then ask the server what is true now.
      const before = queryClient.getQueryData<SessionResponse>(SESSION_KEY);
      queryClient.setQueryData<SessionResponse>(SESSION_KEY, {
        providers: before?.providers ?? [],
        guest: before?.guest ?? false,
        signedIn: false,
        notice: 'You signed out.',
      });
      if (before?.guest) void queryClient.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  const name = identity.displayName ?? parseEntityRef(identity.userEntityRef).name;
  if (identity.isGuest) {
    const canSignIn = (session.data?.providers.length ?? 0) > 0;
    return (
      <div style={MENU} data-testid="user-menu">
        <span className="muted">Guest</span>
        {canSignIn && <Link to="/sign-in">Sign in</Link>}
      </div>
    );
  }
  return (
    <div style={MENU} data-testid="user-menu">
      <Link to={entityPath(identity.userEntityRef)} title={identity.userEntityRef}>
        {name}
      </Link>
      <button type="button" onClick={() => out.mutate()} disabled={out.isPending}>
        Sign out
      </button>
      {out.isError && (
        <span className="level-error" role="alert">
          {out.error.message}
        </span>
      )}
    </div>
  );
}
