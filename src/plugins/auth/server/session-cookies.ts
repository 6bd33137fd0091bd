import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_COOKIE, SESSION_COOKIE } from '../common/types.ts';
import { readCookie, serializeCookie, setCookie } from './cookies.ts';
import {
  hashCsrf,
  type IssuedSession,
  type SessionClaims,
  type SessionService,
} from './sessions.ts';

/** Both cookies, with the same lifetime: a CSRF cookie gone before its session breaks changes. */
export function setSessionCookies(
  reply: FastifyReply,
  issued: IssuedSession,
  secure: boolean,
  keptCsrf?: string,
) {
  const maxAge = (issued.claims.expiresAt - Date.now()) / 1000;
  setCookie(
    reply,
    serializeCookie(SESSION_COOKIE, issued.token, { maxAge, httpOnly: true, secure }),
  );
  const csrf = issued.csrfToken ?? keptCsrf;
  if (csrf) {
    setCookie(reply, serializeCookie(CSRF_COOKIE, csrf, { maxAge, httpOnly: false, secure }));
  }
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean) {
  setCookie(reply, serializeCookie(SESSION_COOKIE, '', { maxAge: 0, httpOnly: true, secure }));
  setCookie(reply, serializeCookie(CSRF_COOKIE, '', { maxAge: 0, httpOnly: false, secure }));
}

const renewedBy = new WeakMap<FastifyRequest, SessionClaims>();

/**
 * Sliding expiry: a session in the second half of its life gets new cookies on the request
 * that notices, keeping the CSRF token the page already holds. Returns the claims in force.
 */
export async function renewIfDue(
  sessions: SessionService,
  claims: SessionClaims,
  request: FastifyRequest,
  reply: FastifyReply,
  secure: boolean,
): Promise<SessionClaims> {
  // The resolver renews before a route runs; the session probe asking again gets the same.
  const done = renewedBy.get(request);
  if (done) return done;
  if (!sessions.dueForRefresh(claims)) return claims;
  const csrf = readCookie(request, CSRF_COOKIE);
  const kept = csrf && hashCsrf(csrf) === claims.csrfHash ? csrf : undefined;
  const renewed = await sessions.refresh(claims, { newCsrfToken: !kept });
  setSessionCookies(reply, renewed, secure, kept);
  renewedBy.set(request, renewed.claims);
  return renewed.claims;
}
