import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type {
  AccessRestrictionConfig,
  ExternalAccessConfig,
  JwksExternalAccessConfig,
  StaticExternalAccessConfig,
} from '../../../../core/config/index.ts';
import {
  AuthenticationError,
  type Identity,
  type Logger,
  ServiceUnavailableError,
} from '../../../../core/plugin-api.ts';

/*
 * `backend.auth.externalAccess`: programs calling with a static token or a JWT from a JSON
 * Web Key Set, as in Backstage. The JWKS URL comes from the operator's config, never from
 * the token (jose ignores `jku`/`x5u`), so `backend.reading.allow`, which guards requests
 * that users can steer, does not apply to it; jose does not follow redirects either.
 */

const where = (entry: ExternalAccessConfig) => `backend.auth.externalAccess[${entry.index}]`;

function externalIdentity(
  subject: string,
  restrictions: AccessRestrictionConfig[] | undefined,
): Identity {
  return {
    userEntityRef: `service:${subject}`,
    ownershipEntityRefs: [],
    isGuest: false,
    credential: 'external',
    credentialId: subject,
    ...(restrictions ? { accessRestrictions: restrictions.map((r) => structuredClone(r)) } : {}),
  };
}

/** `type: static` entries. */
export class StaticTokens {
  private readonly entries: { digest: Buffer; entry: StaticExternalAccessConfig }[];

  constructor(entries: StaticExternalAccessConfig[]) {
    this.entries = entries.map((entry) => ({ digest: digest(entry.token), entry }));
  }

  /**
   * Compares digests of equal length with `timingSafeEqual`, against every entry without
   * stopping at a match, so the time taken says nothing about which characters matched.
   */
  match(token: string): Identity | null {
    const candidate = digest(token);
    let found: StaticExternalAccessConfig | undefined;
    for (const { digest: known, entry } of this.entries) {
      if (timingSafeEqual(known, candidate) && !found) found = entry;
    }
    return found ? externalIdentity(found.subject, found.accessRestrictions) : null;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

type Outcome =
  | { kind: 'identity'; identity: Identity }
  /** Not signed by this entry's keys: the token may be someone else's. */
  | { kind: 'no-key'; entry: JwksExternalAccessConfig }
  | { kind: 'unreachable'; entry: JwksExternalAccessConfig; error: Error }
  | { kind: 'rejected'; entry: JwksExternalAccessConfig; message: string };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `type: jwks` entries. */
export class JwksTokens {
  private readonly entries: {
    entry: JwksExternalAccessConfig;
    keys: ReturnType<typeof createRemoteJWKSet>;
  }[];

  constructor(
    entries: JwksExternalAccessConfig[],
    private readonly logger: Logger,
  ) {
    this.entries = entries.map((entry) => ({
      entry,
      keys: createRemoteJWKSet(new URL(entry.url), { timeoutDuration: 5000 }),
    }));
  }

  /** Whether `token` is a JWT at all (three base64url parts and a JSON header). */
  static isJwt(token: string): boolean {
    if (!JWT_SHAPE.test(token)) return false;
    try {
      decodeProtectedHeader(token);
      decodeJwt(token);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The caller when one entry verifies the token; null when no entry's keys signed it and
   * none names its issuer (the token is someone else's, e.g. a session token). Otherwise
   * throws with the reason: expired, wrong issuer or audience, forged signature, or the key
   * set could not be fetched (503: the caller is not at fault).
   */
  async verify(token: string): Promise<Identity | null> {
    if (!this.entries.length || !JwksTokens.isJwt(token)) return null;
    const claimed = decodeJwt(token);
    const { kid, alg } = decodeProtectedHeader(token);
    const names = (entry: JwksExternalAccessConfig) =>
      typeof claimed.iss === 'string' && (entry.issuers?.includes(claimed.iss) ?? false);
    const outcomes: Outcome[] = [];
    for (const { entry, keys } of this.entries) {
      const outcome = await this.verifyWith(token, entry, keys);
      if (outcome.kind === 'identity') return outcome.identity;
      outcomes.push(outcome);
    }
    const ours = (o: Outcome) =>
      o.kind !== 'identity' && (names(o.entry) || o.entry.issuers === undefined);
    const rejected = [
      ...outcomes.filter((o) => o.kind === 'rejected' && names(o.entry)),
      ...outcomes.filter((o) => o.kind === 'rejected'),
    ][0];
    if (rejected?.kind === 'rejected') throw new AuthenticationError(rejected.message);
    const forged = outcomes.find((o) => o.kind === 'no-key' && names(o.entry));
    if (forged && forged.kind === 'no-key') {
      throw new AuthenticationError(
        `The token claims issuer '${claimed.iss}' but is signed with a key (${kid ? `kid '${kid}'` : `alg ${alg}`}) that the JSON Web Key Set at ${forged.entry.url} does not hold (${where(forged.entry)}): it was not issued there`,
      );
    }
    const unreachable = outcomes.find((o) => o.kind === 'unreachable' && ours(o));
    if (unreachable && unreachable.kind === 'unreachable') {
      this.logger.warn('JSON Web Key Set could not be fetched', {
        url: unreachable.entry.url,
        error: unreachable.error.message,
      });
      throw new ServiceUnavailableError(
        `The token could not be verified: the JSON Web Key Set at ${unreachable.entry.url} (${where(unreachable.entry)}) could not be fetched`,
      );
    }
    return null;
  }

  private async verifyWith(
    token: string,
    entry: JwksExternalAccessConfig,
    keys: ReturnType<typeof createRemoteJWKSet>,
  ): Promise<Outcome> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: entry.algorithms,
        issuer: entry.issuers,
        audience: entry.audiences,
      }));
    } catch (error) {
      return classify(error as Error, entry, token);
    }
    if (typeof payload.sub !== 'string' || !payload.sub) {
      return {
        kind: 'rejected',
        entry,
        message: `The token has no 'sub' claim, which names the caller (${where(entry)})`,
      };
    }
    const subject = entry.subjectPrefix ? `${entry.subjectPrefix}:${payload.sub}` : payload.sub;
    return { kind: 'identity', identity: externalIdentity(subject, entry.accessRestrictions) };
  }
}

const list = (values: string[] | undefined) => values?.map((v) => `'${v}'`).join(' or ') ?? '';

function classify(error: Error, entry: JwksExternalAccessConfig, token: string): Outcome {
  const rejected = (message: string): Outcome => ({
    kind: 'rejected',
    entry,
    message: `${message} (${where(entry)})`,
  });
  const payload = decodeJwt(token);
  if (error instanceof errors.JWKSNoMatchingKey) return { kind: 'no-key', entry };
  if (error instanceof errors.JWTExpired) {
    const when = typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : '';
    return rejected(`The token expired${when ? ` at ${when}` : ''}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') {
      return rejected(
        payload.iss === undefined
          ? `The token has no issuer ('iss' claim): expected ${list(entry.issuers)}`
          : `The token's issuer '${String(payload.iss)}' is not accepted: expected ${list(entry.issuers)}`,
      );
    }
    if (error.claim === 'aud') {
      const aud = Array.isArray(payload.aud) ? payload.aud.join("', '") : String(payload.aud);
      return rejected(
        `The token's audience '${aud}' is not accepted: expected ${list(entry.audiences)}`,
      );
    }
    if (error.claim === 'nbf') return rejected('The token is not valid yet (nbf is in the future)');
    return rejected(`The token's '${error.claim}' claim is invalid: ${error.reason}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return rejected(
      `The token's signature does not verify with the key of ${entry.url}: it was forged or altered`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    const { alg } = decodeProtectedHeader(token);
    return rejected(
      `The token is signed with ${alg}, which is not accepted: expected ${list(entry.algorithms)}`,
    );
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return rejected(`The token is not a valid JWT: ${error.message}`);
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return rejected(
      `The token names no key id ('kid') and several keys of ${entry.url} could have signed it`,
    );
  }
  if (error instanceof errors.JOSENotSupported) {
    return rejected(`The token cannot be verified: ${error.message}`);
  }
  // Timeouts, network failures, non-200 answers, a malformed key set: the operator's side.
  return { kind: 'unreachable', entry, error };
}
