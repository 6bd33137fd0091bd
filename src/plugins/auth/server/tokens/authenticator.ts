import type { AtriumConfig } from '../../../../core/config/index.ts';
import {
  AuthenticationError,
  type Database,
  type Identity,
  type Logger,
} from '../../../../core/plugin-api.ts';
import type { UserDirectory } from '../../../catalog/server/user-directory.ts';
import { JwksTokens, StaticTokens } from './external-access.ts';
import { type PersonalTokenRow, PersonalTokenStore } from './personal-token-store.ts';
import { looksLikePersonalToken, parseToken, secretMatches } from './token-format.ts';

export interface TokenDeps {
  config: AtriumConfig;
  database: Database;
  users: UserDirectory;
  logger: Logger;
  /** The clock; tests move it. */
  now?: () => Date;
}

export interface TokenAuthenticator {
  /**
   * The caller a bearer token stands for. `null` when the token is none of these kinds
   * (another authenticator may know it); throws `AuthenticationError` (401) for one of ours
   * that is malformed, forged, expired or revoked, with a message that says which.
   */
  authenticate(token: string): Promise<Identity | null>;
}

/** Last use is written at most this often per token, so busy scripts do not write per call. */
export const LAST_USED_EVERY_MS = 60_000;

/**
 * Whether an operator configured the guest provider (`auth.providers.guest`), as opposed to
 * guest access being on only because development turns it on by default.
 */
export function guestConfigured(config: AtriumConfig): boolean {
  return config.auth.providers.guest?.configured === true;
}

/**
 * The guest's refs when its provider config lists them (Backstage `ownershipEntityRefs`), as
 * the auth plugin gives them to the guest signed in; undefined: from the catalog.
 */
function configuredGuestRefs(config: AtriumConfig, owner: string): string[] | undefined {
  const refs = config.auth.providers.guest?.ownershipEntityRefs;
  return refs && [...new Set([owner, ...refs].map((r) => r.toLowerCase()))];
}

export function createTokenAuthenticator(deps: TokenDeps): TokenAuthenticator {
  const { config, users, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const store = new PersonalTokenStore(deps.database);
  const external = config.backend.auth.externalAccess;
  const statics = new StaticTokens(external.filter((e) => e.type === 'static'));
  const jwks = new JwksTokens(
    external.filter((e) => e.type === 'jwks'),
    logger,
  );
  const touched = new Map<string, number>();

  const refuse = (id: string, reason: string, message: string): never => {
    // The id is not secret (it is in the owner's list and the audit log); the secret is never logged.
    logger.info('Personal access token refused', { tokenId: id, reason });
    throw new AuthenticationError(message);
  };

  const personal = async (token: string): Promise<Identity> => {
    if (!config.auth.personalTokens.enabled) {
      throw new AuthenticationError(
        'Personal access tokens are disabled on this server (auth.personalTokens.enabled: false)',
      );
    }
    const parsed = parseToken(token);
    if (!parsed) {
      throw new AuthenticationError(
        'Malformed personal access token: expected atp_<16 hex digits>_<43 base64url characters>, as shown once when it was created',
      );
    }
    const row = await store.find(parsed.id);
    // Unknown id and wrong secret answer alike: the id alone (not secret) reveals nothing.
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) {
      return refuse(
        parsed.id,
        row ? 'wrong secret' : 'unknown id',
        'Invalid personal access token: no token with this id and secret exists (it may have been deleted, mistyped or forged)',
      );
    }
    const at = now();
    if (row.revoked_at) {
      return refuse(
        row.id,
        'revoked',
        `This personal access token ('${row.name}') was revoked at ${row.revoked_at}`,
      );
    }
    if (row.expires_at <= at.toISOString()) {
      return refuse(
        row.id,
        'expired',
        `This personal access token ('${row.name}') expired at ${row.expires_at}`,
      );
    }
    if (row.owner_is_guest && !guestConfigured(config)) {
      return refuse(
        row.id,
        'guest off',
        `This personal access token was created by the guest (${row.owner_ref}), and guest sign-in is no longer configured (auth.providers.guest)`,
      );
    }
    if (row.owner_in_catalog && !(await users.exists(row.owner_ref))) {
      return refuse(
        row.id,
        'owner gone',
        `The owner of this personal access token, ${row.owner_ref}, is no longer in the catalog`,
      );
    }
    recordUse(row, at);
    // The owner's refs as of now, so a token never keeps a membership its owner has lost;
    // the guest's are what its provider config says, as for the guest signed in.
    const refs =
      (row.owner_is_guest ? configuredGuestRefs(config, row.owner_ref) : undefined) ??
      (await users.ownershipRefs(row.owner_ref));
    return {
      userEntityRef: row.owner_ref,
      ownershipEntityRefs: refs,
      isGuest: row.owner_is_guest === 1,
      credential: 'personal-token',
      scope: row.scope,
      credentialId: row.id,
    };
  };

  const recordUse = (row: PersonalTokenRow, at: Date) => {
    const last = Math.max(
      touched.get(row.id) ?? 0,
      row.last_used_at ? Date.parse(row.last_used_at) : 0,
    );
    if (at.getTime() - last < LAST_USED_EVERY_MS) return;
    touched.set(row.id, at.getTime());
    if (touched.size > 10_000) touched.clear();
    store.touch(row.id, at, LAST_USED_EVERY_MS).catch((error: Error) => {
      logger.warn('Could not record the use of a personal access token', {
        tokenId: row.id,
        error: error.message,
      });
    });
  };

  return {
    async authenticate(token) {
      if (looksLikePersonalToken(token)) return personal(token);
      return statics.match(token) ?? (await jwks.verify(token));
    },
  };
}
