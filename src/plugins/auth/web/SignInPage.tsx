import { useLocation } from 'react-router-dom';
import { usePageTitle } from '../../../web/plugin-api.ts';
import type { SessionResponse } from '../common/types.ts';
import { startUrl } from './api.ts';

/** A link that looks like the primary button (the stylesheet styles buttons, not links). */
const PROVIDER_LINK = {
  display: 'inline-block',
  padding: '8px 14px',
  borderRadius: '6px',
  background: 'var(--accent)',
  color: 'var(--accent-text)',
  textDecoration: 'none',
} as const;

/** Where to come back after signing in: here, unless here is the sign-in page itself. */
function useReturnPath(): string {
  const location = useLocation();
  if (location.pathname === '/sign-in') {
    const from = new URLSearchParams(location.search).get('from');
    return from?.startsWith('/') && !from.startsWith('//') ? from : '/';
  }
  return `${location.pathname}${location.search}${location.hash}`;
}

/**
 * The configured providers, each a link to its sign-in; with why the last attempt failed or
 * the session ended, when that is known. Shown instead of the app when nobody is signed in
 * and guest access is off, and at /sign-in for a guest who wants to sign in.
 */
export function SignInPage({ session }: { session: SessionResponse }) {
  usePageTitle('Sign in');
  const location = useLocation();
  const returnTo = useReturnPath();
  const error = new URLSearchParams(location.search).get('error');
  const message = error ?? session.notice;
  return (
    <div className="page sign-in" style={{ maxWidth: '32rem', margin: '4rem auto' }}>
      <h1>Sign in to Atrium</h1>
      <p className="muted">Use your organisation's account to see what you and your teams own.</p>
      {message && (
        <div className="state state-error" role="alert">
          {message}
        </div>
      )}
      {session.providers.length === 0 ? (
        <p className="muted" data-testid="no-providers">
          No sign-in provider is configured. An administrator adds one under{' '}
          <code>auth.providers</code> in <code>app-config.yaml</code> (oidc, github, gitlab).
        </p>
      ) : (
        <ul aria-label="Sign-in providers" style={{ listStyle: 'none', padding: 0 }}>
          {session.providers.map((provider) => (
            <li key={provider.id} style={{ margin: '0.75rem 0' }}>
              <a style={PROVIDER_LINK} href={startUrl(provider.startUrl, returnTo)}>
                Sign in with {provider.title}
              </a>
            </li>
          ))}
        </ul>
      )}
      {session.signedIn && session.identity?.isGuest && (
        <p className="muted">You are browsing as a guest; signing in shows what you own.</p>
      )}
    </div>
  );
}
