import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AuthenticationError, type Database } from '../../../core/plugin-api.ts';
import type { SessionProfile } from '../common/types.ts';
import { SIGNING_ALGORITHM, type SigningKeys } from './keys.ts';

/** Audience of session tokens: a flow cookie or another application's JWT is never a session. */
const SESSION_AUDIENCE = 'atrium:session';
const ISSUER = 'atrium';
/** A sign-out on another replica is seen here within this time. */
export const REVOCATION_CACHE_MS = 5_000;

export interface SessionClaims {
  sid: string;
  userEntityRef: string;
  provider: string;
  profile: SessionProfile;
  /** SHA-256 of the CSRF token, so the token in the cookie is bound to this session. */
  csrfHash: string;
  issuedAt: number;
  expiresAt: number;
}

/** A new or renewed session: the cookie values and when they expire. */
export interface IssuedSession {
  token: string;
  /** Set at sign-in, and by a refresh that had to make a new one. */
  csrfToken?: string;
  claims: SessionClaims;
}

interface SessionRow {
  id: string;
  user_ref: string;
  in_catalog: number;
  expires_at: string;
  ends_at: string;
  revoked_at: string | null;
}

export interface SessionServiceOptions {
  database: Database;
  keys: SigningKeys;
  /** `auth.session.duration`, or the provider's `sessionDuration`. */
  durationMs: (provider: string) => number;
  maxDurationMs: number;
  now?: () => number;
}

export const hashCsrf = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

const iso = (ms: number) => new Date(ms).toISOString();

function expiryOf(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sessions: a JWT in a cookie that any replica can verify with the shared keys, and a row
 * per session that makes sign-out final (the JWT alone would stay valid until it expires).
 */
export class SessionService {
  private readonly now: () => number;
  private readonly rows = new Map<string, { row: SessionRow | undefined; at: number }>();

  constructor(private readonly options: SessionServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts a session for a user who just signed in. */
  async create(input: {
    userEntityRef: string;
    provider: string;
    inCatalog: boolean;
    profile: SessionProfile;
  }): Promise<IssuedSession> {
    const now = this.now();
    const sid = randomUUID();
    const endsAt = now + this.options.maxDurationMs;
    const expiresAt = Math.min(now + this.options.durationMs(input.provider), endsAt);
    await this.options.database.db
      .insertInto('auth_sessions')
      .values({
        id: sid,
        user_ref: input.userEntityRef,
        provider: input.provider,
        in_catalog: input.inCatalog ? 1 : 0,
        created_at: iso(now),
        expires_at: iso(expiresAt),
        ends_at: iso(endsAt),
        revoked_at: null,
      })
      .execute();
    const csrfToken = randomBytes(24).toString('base64url');
    const claims: SessionClaims = {
      sid,
      userEntityRef: input.userEntityRef,
      provider: input.provider,
      profile: input.profile,
      csrfHash: hashCsrf(csrfToken),
      issuedAt: now,
      expiresAt,
    };
    return { token: await this.sign(claims), csrfToken, claims };
  }

  /**
   * The session a cookie holds, checked: signature, expiry, sign-out. Throws
   * `AuthenticationError` with a message that says which check failed.
   */
  async verify(token: string): Promise<SessionClaims & { inCatalog: boolean }> {
    // An expired cookie is refused whatever its signature; saying "expired" first gives the
    // right message even when its key has been retired since.
    const exp = expiryOf(token);
    if (exp !== undefined && exp * 1000 <= this.now()) {
      throw new AuthenticationError(`Your session expired at ${iso(exp * 1000)}; sign in again`);
    }
    let payload: Record<string, unknown>;
    try {
      const result = await jwtVerify(
        token,
        async (header) => {
          const key = header.kid ? await this.options.keys.verificationKey(header.kid) : undefined;
          if (!key) throw new joseErrors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: [SIGNING_ALGORITHM],
          audience: SESSION_AUDIENCE,
          issuer: ISSUER,
          currentDate: new Date(this.now()),
        },
      );
      payload = result.payload as Record<string, unknown>;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        const exp = (error.payload as { exp?: number }).exp;
        throw new AuthenticationError(
          `Your session expired${exp ? ` at ${iso(exp * 1000)}` : ''}; sign in again`,
        );
      }
      throw new AuthenticationError(
        'The session cookie is not valid (it was not signed by this server, or by a key that has since been retired); sign in again',
      );
    }
    const claims = this.claimsOf(payload);
    const row = await this.row(claims.sid);
    if (!row || row.user_ref !== claims.userEntityRef) {
      throw new AuthenticationError('This session no longer exists on the server; sign in again');
    }
    if (row.revoked_at) {
      throw new AuthenticationError(
        `This session was signed out at ${row.revoked_at}; sign in again`,
      );
    }
    if (row.ends_at <= iso(this.now())) {
      throw new AuthenticationError(
        `This session reached its longest allowed length (auth.session.maxDuration) at ${row.ends_at}; sign in again`,
      );
    }
    return { ...claims, inCatalog: row.in_catalog === 1 };
  }

  /** Whether a session is in the second half of its life, when a request renews it. */
  dueForRefresh(claims: SessionClaims): boolean {
    return this.now() >= claims.issuedAt + (claims.expiresAt - claims.issuedAt) / 2;
  }

  /**
   * A new token for the same session, expiring a full duration from now (within `ends_at`).
   * The CSRF token stays (requests in flight carry it) unless `newCsrfToken`: the browser
   * lost its cookie.
   */
  async refresh(
    claims: SessionClaims,
    options: { newCsrfToken?: boolean } = {},
  ): Promise<IssuedSession> {
    const now = this.now();
    const row = await this.row(claims.sid);
    const endsAt = row ? Date.parse(row.ends_at) : claims.expiresAt;
    const expiresAt = Math.max(
      claims.expiresAt,
      Math.min(now + this.options.durationMs(claims.provider), endsAt),
    );
    await this.options.database.db
      .updateTable('auth_sessions')
      .set({ expires_at: iso(expiresAt) })
      .where('id', '=', claims.sid)
      .execute();
    const csrfToken = options.newCsrfToken ? randomBytes(24).toString('base64url') : undefined;
    const next = {
      ...claims,
      issuedAt: now,
      expiresAt,
      ...(csrfToken ? { csrfHash: hashCsrf(csrfToken) } : {}),
    };
    return { token: await this.sign(next), csrfToken, claims: next };
  }

  /** Ends a session on every replica (within {@link REVOCATION_CACHE_MS}; here at once). */
  async revoke(sid: string): Promise<void> {
    await this.options.database.db
      .updateTable('auth_sessions')
      .set({ revoked_at: iso(this.now()) })
      .where('id', '=', sid)
      .where('revoked_at', 'is', null)
      .execute();
    this.rows.delete(sid);
  }

  /** Deletes rows of sessions whose cookie has expired. Returns how many. */
  async prune(): Promise<number> {
    const result = await this.options.database.db
      .deleteFrom('auth_sessions')
      .where('expires_at', '<', iso(this.now()))
      .executeTakeFirst();
    this.rows.clear();
    return Number(result.numDeletedRows ?? 0);
  }

  private async row(sid: string): Promise<SessionRow | undefined> {
    const cached = this.rows.get(sid);
    if (cached && this.now() - cached.at < REVOCATION_CACHE_MS) return cached.row;
    const row = (await this.options.database.db
      .selectFrom('auth_sessions')
      .select(['id', 'user_ref', 'in_catalog', 'expires_at', 'ends_at', 'revoked_at'])
      .where('id', '=', sid)
      .executeTakeFirst()) as SessionRow | undefined;
    if (this.rows.size > 50_000) this.rows.clear();
    this.rows.set(sid, { row, at: this.now() });
    return row;
  }

  private async sign(claims: SessionClaims): Promise<string> {
    const { kid, key } = await this.options.keys.signingKey();
    return new SignJWT({
      sid: claims.sid,
      prv: claims.provider,
      csrf: claims.csrfHash,
      ...(Object.keys(claims.profile).length ? { profile: claims.profile } : {}),
    })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid })
      .setSubject(claims.userEntityRef)
      .setIssuer(ISSUER)
      .setAudience(SESSION_AUDIENCE)
      .setIssuedAt(Math.floor(claims.issuedAt / 1000))
      .setExpirationTime(Math.floor(claims.expiresAt / 1000))
      .sign(key);
  }

  private claimsOf(payload: Record<string, unknown>): SessionClaims {
    const { sid, sub, prv, csrf, profile, iat, exp } = payload;
    if (
      typeof sid !== 'string' ||
      typeof sub !== 'string' ||
      typeof prv !== 'string' ||
      typeof csrf !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    ) {
      throw new AuthenticationError('The session cookie lacks required claims; sign in again');
    }
    return {
      sid,
      userEntityRef: sub,
      provider: prv,
      csrfHash: csrf,
      profile: (profile && typeof profile === 'object' ? profile : {}) as SessionProfile,
      issuedAt: iat * 1000,
      expiresAt: exp * 1000,
    };
  }
}
