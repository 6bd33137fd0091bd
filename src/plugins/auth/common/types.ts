/**
 * What the auth plugin's server and web app share: cookie and header names, and the shapes of
 * `GET /api/auth/session` and `GET /api/auth/providers`.
 */

/** The session cookie: HttpOnly, so scripts (and injected scripts) never read it. */
export const SESSION_COOKIE = 'atrium_session';

/**
 * The CSRF cookie, readable by the web app, which echoes it in {@link CSRF_HEADER} on every
 * request that changes something (double submit). A cross-site page can make the browser send
 * cookies, but cannot read them to set the header.
 */
export const CSRF_COOKIE = 'atrium_csrf';
export const CSRF_HEADER = 'x-atrium-csrf';

/** A sign-in provider as the sign-in page lists it. */
export interface ProviderInfo {
  /** `oidc`, `github`, `gitlab`. */
  id: string;
  /** e.g. "GitHub", "OpenID Connect (id.example.com)". */
  title: string;
  /** Where the browser goes to sign in; add `?redirect=/path` to come back there. */
  startUrl: string;
}

export interface ProvidersResponse {
  providers: ProviderInfo[];
  /** Whether anonymous visitors are the guest (no sign-in needed). */
  guest: boolean;
}

export interface SessionIdentity {
  userEntityRef: string;
  ownershipEntityRefs: string[];
  isGuest: boolean;
  credential: string;
}

export interface SessionProfile {
  displayName?: string;
  email?: string;
  picture?: string;
}

/** `GET /api/auth/session`: 200 when someone (or the guest) is signed in, 401 otherwise. */
export interface SessionResponse extends ProvidersResponse {
  signedIn: boolean;
  identity?: SessionIdentity;
  profile?: SessionProfile;
  /** The provider the session was started with. */
  provider?: string;
  /** When the session cookie expires unless refreshed (ISO-8601). */
  expiresAt?: string;
  /** From then on, asking for the session again renews it (ISO-8601). */
  refreshAfter?: string;
  /** Why an earlier session is no longer valid ("Your session expired at …"). */
  notice?: string;
}
