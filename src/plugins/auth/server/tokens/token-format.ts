import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PERSONAL_TOKEN_PREFIX } from '../../../../core/config/external-access.ts';

/*
 * A personal access token is `atp_<id>_<secret>`: the prefix lets the authenticator tell
 * Atrium's tokens from others (and secret scanners find leaked ones), the id finds the row
 * without a scan, and only the SHA-256 of the 32 random secret bytes is stored. A fast hash
 * is enough here: the secret has 256 bits of entropy, so there is nothing to brute-force.
 */

export { PERSONAL_TOKEN_PREFIX };

const ID_BYTES = 8;
const SECRET_BYTES = 32;
const FORMAT = /^atp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  id: string;
  /** The whole token, shown to its owner once. */
  token: string;
  /** Hex SHA-256 of the secret bytes, what the database keeps. */
  secretHash: string;
}

export function generateToken(): NewToken {
  const id = randomBytes(ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES);
  return {
    id,
    token: `${PERSONAL_TOKEN_PREFIX}${id}_${secret.toString('base64url')}`,
    secretHash: hashSecret(secret),
  };
}

export function looksLikePersonalToken(token: string): boolean {
  return token.startsWith(PERSONAL_TOKEN_PREFIX);
}

/** The id and secret of a well-formed token; undefined when it is malformed. */
export function parseToken(token: string): { id: string; secret: Buffer } | undefined {
  const match = FORMAT.exec(token);
  if (!match) return undefined;
  const secret = Buffer.from(match[2]!, 'base64url');
  // base64url of 43 characters may carry stray low bits; re-encoding must give the same text.
  if (secret.length !== SECRET_BYTES || secret.toString('base64url') !== match[2]) return undefined;
  return { id: match[1]!, secret };
}

export function hashSecret(secret: Buffer): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time: how long it takes says nothing about how much of the hash matched. */
export function secretMatches(secret: Buffer, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(secret).digest();
  return stored.length === actual.length && timingSafeEqual(stored, actual);
}
