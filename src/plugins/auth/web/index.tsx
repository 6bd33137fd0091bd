import { useQuery } from '@tanstack/react-query';
import { definePlugin } from '../../../web/plugin-api.ts';
import { Loading } from '../../catalog/web/shared.tsx';
import { getSession, SESSION_KEY } from './api.ts';
import { OwnedByYouCard } from './OwnedByYouCard.tsx';
import { SessionGate } from './SessionGate.tsx';
import { SignInPage } from './SignInPage.tsx';
import { UserMenu } from './UserMenu.tsx';

/** /sign-in inside the app: a guest choosing a provider, or the page a failed sign-in links to. */
function SignInRoute() {
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: ({ signal }) => getSession(signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!session.data) return <Loading what="sign-in providers" />;
  return <SignInPage session={session.data} />;
}

/** Sign-in: the gate before the app, the user in the top bar, and "Owned by you". */
export const authPlugin = definePlugin({
  id: 'auth',
  appGate: SessionGate,
  topBarItems: [{ id: 'user', order: 100, component: UserMenu }],
  homeCards: [{ id: 'owned-by-you', order: 4, component: OwnedByYouCard }],
  routes: [{ path: '/sign-in', component: SignInRoute }],
});
