import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { NotAllowedError } from '../../../core/plugin-api.ts';
import { CSRF_COOKIE, CSRF_HEADER } from '../common/types.ts';
import { parseCookies } from './cookies.ts';
import { hashCsrf } from './sessions.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const changesSomething = (method: string): boolean => !SAFE_METHODS.has(method);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Cross-site request forgery check of a request that the session cookie authenticates and
 * that changes something. A page on another site can make the browser send the cookie, but
 * it can neither read the CSRF cookie to copy it into the header (double submit) nor forge the
 * Origin header. The token must also be this session's (its hash is in the signed session),
 * so a cookie planted by a sibling subdomain does not pass either. Throws `NotAllowedError`.
 */
export function checkCsrf(
  request: FastifyRequest,
  session: { csrfHash: string },
  allowedOrigins: ReadonlySet<string>,
): void {
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins.has(origin)) {
    throw new NotAllowedError(
      `Cross-site request refused: this ${request.method} comes from a page at ${origin}, not from this portal (${[...allowedOrigins].join(' or ')})`,
    );
  }
  const header = request.headers[CSRF_HEADER];
  const cookie = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
  if (typeof header !== 'string' || !header) {
    throw new NotAllowedError(
      `Cross-site request protection: a ${request.method} authenticated by the session cookie must carry the header ${CSRF_HEADER} with the value of the ${CSRF_COOKIE} cookie (the web app sends it; other programs should use a bearer token)`,
    );
  }
  if (!cookie || !sameText(header, cookie) || !sameText(hashCsrf(header), session.csrfHash)) {
    throw new NotAllowedError(
      `Cross-site request protection: the ${CSRF_HEADER} header does not match this session's ${CSRF_COOKIE} cookie; reload the page (or sign in again) and retry`,
    );
  }
}

/** Origins the web app is served from: `app.baseUrl` and `backend.baseUrl`. */
export function portalOrigins(...urls: string[]): Set<string> {
  const origins = new Set<string>();
  for (const url of urls) if (URL.canParse(url)) origins.add(new URL(url).origin);
  return origins;
}
