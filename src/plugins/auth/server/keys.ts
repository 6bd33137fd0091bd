import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Database, Logger } from '../../../core/plugin-api.ts';

/** Sessions and sign-in flows are signed with ECDSA P-256 (compact and fast to verify). */
export const SIGNING_ALGORITHM = 'ES256';

/** An unknown key id makes the store re-read the table at most this often (forged tokens). */
const RELOAD_ON_UNKNOWN_MS = 1_000;
/** The table is re-read at least this often, so another replica's new key is seen. */
const RELOAD_EVERY_MS = 60_000;

interface KeyRow {
  kid: string;
  public_jwk: string;
  private_jwk: string;
  created_at: string;
  sign_until: string;
}

interface LoadedKey {
  kid: string;
  createdAt: number;
  signUntil: number;
  publicKey: CryptoKey;
  privateJwk: string;
  privateKey?: CryptoKey;
}

export interface SigningKeysOptions {
  database: Database;
  logger: Logger;
  /** How long one key signs new tokens (`auth.session.keyRotation`). */
  rotationMs: number;
  /**
   * The longest life of anything signed: a key verifies until this long after it stopped
   * signing, then is deleted.
   */
  maxTokenLifetimeMs: () => number;
  now?: () => number;
}

/**
 * Signing keys kept in the database, shared by every replica. The newest key still within
 * its signing period signs; when there is none, the first replica to notice makes one. Two
 * replicas noticing together each make one: both keys are valid and the newer one signs from
 * then on, which is harmless. Old keys verify until every token they signed has expired.
 */
export class SigningKeys {
  private keys = new Map<string, LoadedKey>();
  private loadedAt = 0;
  private loading?: Promise<void>;
  private lastUnknownReload = 0;
  private readonly now: () => number;

  constructor(private readonly options: SigningKeysOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The key new tokens are signed with: its id and private key. */
  async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    if (this.now() - this.loadedAt > RELOAD_EVERY_MS || !this.newestSigning()) await this.reload();
    let current = this.newestSigning();
    if (!current) {
      await this.create();
      await this.reload();
      current = this.newestSigning();
    }
    if (!current) throw new Error('No signing key could be created in auth_signing_keys');
    current.privateKey ??= (await importJWK(
      JSON.parse(current.privateJwk) as JWK,
      SIGNING_ALGORITHM,
    )) as CryptoKey;
    return { kid: current.kid, key: current.privateKey };
  }

  /**
   * The public key with this id, or undefined when no replica has it (anymore): then the
   * token was forged, or signed by a key deleted because everything it signed has expired.
   */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    let key = this.usable(kid);
    if (!key && this.now() - this.lastUnknownReload > RELOAD_ON_UNKNOWN_MS) {
      this.lastUnknownReload = this.now();
      await this.reload();
      key = this.usable(kid);
    }
    return key?.publicKey;
  }

  /** Deletes keys that verify nothing anymore. Returns how many. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.now() - this.options.maxTokenLifetimeMs()).toISOString();
    const result = await this.options.database.db
      .deleteFrom('auth_signing_keys')
      .where('sign_until', '<', cutoff)
      .executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }

  private usable(kid: string): LoadedKey | undefined {
    const key = this.keys.get(kid);
    if (!key) return undefined;
    return this.now() <= key.signUntil + this.options.maxTokenLifetimeMs() ? key : undefined;
  }

  private newestSigning(): LoadedKey | undefined {
    const now = this.now();
    let best: LoadedKey | undefined;
    for (const key of this.keys.values()) {
      if (key.createdAt > now || key.signUntil <= now) continue;
      if (
        !best ||
        key.createdAt > best.createdAt ||
        (key.createdAt === best.createdAt && key.kid > best.kid)
      )
        best = key;
    }
    return best;
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = (await this.options.database.db
          .selectFrom('auth_signing_keys')
          .selectAll()
          .execute()) as KeyRow[];
        const next = new Map<string, LoadedKey>();
        for (const row of rows) {
          const known = this.keys.get(row.kid);
          next.set(
            row.kid,
            known ?? {
              kid: row.kid,
              createdAt: Date.parse(row.created_at),
              signUntil: Date.parse(row.sign_until),
              publicKey: (await importJWK(
                JSON.parse(row.public_jwk) as JWK,
                SIGNING_ALGORITHM,
              )) as CryptoKey,
              privateJwk: row.private_jwk,
            },
          );
        }
        this.keys = next;
        this.loadedAt = this.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async create(): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
      extractable: true,
    });
    const kid = randomUUID();
    const now = this.now();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM };
    await this.options.database.db
      .insertInto('auth_signing_keys')
      .values({
        kid,
        public_jwk: JSON.stringify(publicJwk),
        private_jwk: JSON.stringify(privateJwk),
        created_at: new Date(now).toISOString(),
        sign_until: new Date(now + this.options.rotationMs).toISOString(),
      })
      .execute();
    this.options.logger.info('Created a new session signing key', { kid });
  }
}
