import type { Kysely } from 'kysely';
import type { Database } from '../../../../core/plugin-api.ts';
import { generateToken } from './token-format.ts';

export type TokenScope = 'read' | 'full';

export interface PersonalTokenRow {
  id: string;
  owner_ref: string;
  name: string;
  scope: TokenScope;
  secret_hash: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  owner_in_catalog: number;
  owner_is_guest: number;
}

interface Tables {
  auth_personal_tokens: PersonalTokenRow;
}

/** How long revoked and expired tokens stay, so that using one says why it fails. */
export const KEEP_DEAD_TOKENS_MS = 30 * 24 * 3600 * 1000;

/** Rows of `auth_personal_tokens`; every method that changes a token is scoped to its owner. */
export class PersonalTokenStore {
  private readonly db: Kysely<Tables>;

  constructor(database: Database) {
    // Writes and the reads that must see them (revocation) go to the writer connection: a
    // revoked token must fail on the very next request, not after a read replica catches up.
    this.db = database.db as Kysely<Tables>;
  }

  async create(input: {
    ownerRef: string;
    name: string;
    scope: TokenScope;
    expiresAt: Date;
    ownerInCatalog: boolean;
    ownerIsGuest: boolean;
    now: Date;
  }): Promise<{ row: PersonalTokenRow; token: string }> {
    const { id, token, secretHash } = generateToken();
    const row: PersonalTokenRow = {
      id,
      owner_ref: input.ownerRef,
      name: input.name,
      scope: input.scope,
      secret_hash: secretHash,
      created_at: input.now.toISOString(),
      expires_at: input.expiresAt.toISOString(),
      last_used_at: null,
      revoked_at: null,
      owner_in_catalog: input.ownerInCatalog ? 1 : 0,
      owner_is_guest: input.ownerIsGuest ? 1 : 0,
    };
    await this.db.insertInto('auth_personal_tokens').values(row).execute();
    return { row, token };
  }

  /** The owner's tokens that are not revoked, expired ones included (newest first). */
  listOwn(ownerRef: string): Promise<PersonalTokenRow[]> {
    return this.db
      .selectFrom('auth_personal_tokens')
      .selectAll()
      .where('owner_ref', '=', ownerRef)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
  }

  find(id: string): Promise<PersonalTokenRow | undefined> {
    return this.db
      .selectFrom('auth_personal_tokens')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Marks the owner's token revoked; undefined when it is not theirs or already revoked. */
  async revoke(ownerRef: string, id: string, now: Date): Promise<PersonalTokenRow | undefined> {
    const row = await this.db
      .updateTable('auth_personal_tokens')
      .set({ revoked_at: now.toISOString() })
      .where('id', '=', id)
      .where('owner_ref', '=', ownerRef)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row;
  }

  /** Records use, at most once per `every` ms per token (the condition holds across replicas). */
  async touch(id: string, now: Date, every: number): Promise<void> {
    const before = new Date(now.getTime() - every).toISOString();
    await this.db
      .updateTable('auth_personal_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', before)]))
      .execute();
  }

  /** Deletes tokens revoked or expired longer than {@link KEEP_DEAD_TOKENS_MS} ago. */
  async purge(now: Date): Promise<number> {
    const before = new Date(now.getTime() - KEEP_DEAD_TOKENS_MS).toISOString();
    const result = await this.db
      .deleteFrom('auth_personal_tokens')
      .where((eb) => eb.or([eb('revoked_at', '<', before), eb('expires_at', '<', before)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
