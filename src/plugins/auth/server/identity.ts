import type { FastifyRequest } from 'fastify';
import { renewIfDue } from './session-cookies.ts';
import type { GuestProviderConfig } from '../../../core/config/types.ts';
import type { IdentityResolver } from '../../../core/host-services.ts';
import { GUEST_IDENTITY } from '../../../core/permissions/guest.ts';
import { AuthenticationError, type Identity } from '../../../core/plugin-api.ts';
import { SESSION_COOKIE } from '../common/types.ts';
import { readCookie } from './cookies.ts';
import { changesSomething, checkCsrf } from './csrf.ts';
import type { SessionClaims, SessionService } from './sessions.ts';
import type { UserCache } from './user-cache.ts';

/** What the bearer-token module (./tokens) offers: null for a token it does not know. */
export interface BearerAuthenticator {
  authenticate(token: string): Promise<Identity | null>;
}

export interface IdentityDeps {
  sessions: SessionService;
  users: UserCache;
  /** Set when guest access is on. */
  guest?: GuestProviderConfig;
  /** Absent: bearer tokens are refused. */
  tokens?: BearerAuthenticator;
  /** Origins of the web app, for the cross-site request check. */
  origins: ReadonlySet<string>;
  /** Cookies are marked Secure (the app is served over https). */
  secure: boolean;
}

/** The guest as configured: its refs as written, else the user's refs from the catalog. */
export async function guestIdentity(
  guest: GuestProviderConfig,
  users: UserCache,
): Promise<Identity> {
  const user = guest.userEntityRef.toLowerCase();
  const refs = guest.ownershipEntityRefs
    ? [user, ...guest.ownershipEntityRefs.map((r) => r.toLowerCase())]
    : (await users.facts(user)).ownershipRefs;
  return {
    ...GUEST_IDENTITY,
    userEntityRef: user,
    ownershipEntityRefs: [...new Set(refs)],
  };
}

/** The identity of a verified session: the user's refs as of now, not as of sign-in. */
export async function sessionIdentity(
  claims: SessionClaims & { inCatalog: boolean },
  users: UserCache,
): Promise<Identity> {
  const facts = await users.facts(claims.userEntityRef);
  if (claims.inCatalog && !facts.exists) {
    throw new AuthenticationError(
      `You signed in as ${claims.userEntityRef}, which is no longer in the catalog; sign in again`,
    );
  }
  return {
    userEntityRef: claims.userEntityRef,
    ownershipEntityRefs: facts.ownershipRefs,
    isGuest: false,
    credential: 'session',
  };
}

/** `Authorization: Bearer <token>`; other schemes (a proxy's Basic auth) are not Atrium's. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(.*)$/i.exec(header);
  if (!match) return undefined;
  const token = match[1]!.trim();
  if (!token || /\s/.test(token)) {
    throw new AuthenticationError("Malformed Authorization header: expected 'Bearer <token>'");
  }
  return token;
}

/**
 * Who a request comes from: a bearer token first (programs), else the session cookie (the web
 * app; requests that change something must pass the cross-site check), else the guest when
 * guest access is on, else nobody.
 */
export function createIdentityResolver(deps: IdentityDeps): IdentityResolver {
  return {
    async resolve(request, reply) {
      const token = bearerToken(request);
      if (token !== undefined) {
        if (!deps.tokens) {
          throw new AuthenticationError('This server does not accept bearer tokens');
        }
        const identity = await deps.tokens.authenticate(token);
        if (!identity) {
          throw new AuthenticationError(
            'Unknown bearer token: it is not a personal access token of this server, nor a token that backend.auth.externalAccess accepts',
          );
        }
        return identity;
      }
      const cookie = readCookie(request, SESSION_COOKIE);
      if (cookie) {
        let claims = await deps.sessions.verify(cookie);
        if (changesSomething(request.method)) checkCsrf(request, claims, deps.origins);
        // Any request in the second half of a session's life renews it.
        if (reply) {
          claims = {
            ...(await renewIfDue(deps.sessions, claims, request, reply, deps.secure)),
            inCatalog: claims.inCatalog,
          };
        }
        return sessionIdentity(claims, deps.users);
      }
      return deps.guest ? guestIdentity(deps.guest, deps.users) : null;
    },
  };
}
