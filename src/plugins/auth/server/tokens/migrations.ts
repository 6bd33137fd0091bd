import type { Migration } from '../../../../core/plugin-api.ts';

/**
 * Personal access tokens. Timestamps are ISO-8601 strings in UTC (as in the catalog's
 * tables), which compare correctly as text on both engines. Revoked tokens keep their row so
 * that using one answers "revoked" rather than "unknown"; rows are purged some time after
 * they expire or are revoked (see personal-tokens.ts).
 */
export const tokenMigrations: Migration[] = [
  {
    name: 'tokens-0001_personal_tokens',
    async up({ db }) {
      await db.schema
        .createTable('auth_personal_tokens')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('owner_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('scope', 'varchar(16)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('last_used_at', 'varchar(40)')
        .addColumn('revoked_at', 'varchar(40)')
        // Whether the owner was a User entity when the token was made: if it then leaves the
        // catalog (someone left the company), the token stops working.
        .addColumn('owner_in_catalog', 'integer', (c) => c.notNull())
        // Made by the guest: works only while the guest provider is configured.
        .addColumn('owner_is_guest', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('auth_personal_tokens_owner')
        .on('auth_personal_tokens')
        .columns(['owner_ref', 'created_at'])
        .execute();
    },
  },
];
