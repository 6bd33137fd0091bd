import type { Migration } from '../../../core/plugin-api.ts';

/**
 * Signing keys and sessions. They live in the database, not in memory, so that every replica
 * sharing it signs with the same current key, accepts the sessions the others issued, and
 * sees a sign-out made on another one. Times are ISO-8601 strings in UTC, which compare
 * correctly as text on both engines (as in the catalog's tables).
 */
export const authMigrations: Migration[] = [
  {
    name: '0001_signing_keys_and_sessions',
    async up({ db }) {
      await db.schema
        .createTable('auth_signing_keys')
        .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        // The private half stays in the database, as Backstage's database key store keeps it:
        // whoever can read the database can already change every session row.
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        // After this, the key signs nothing new; it still verifies what it signed.
        .addColumn('sign_until', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('auth_sessions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('provider', 'varchar(64)', (c) => c.notNull())
        // Whether the user was a User entity at sign-in: if it leaves the catalog, the
        // session ends (someone who left the company).
        .addColumn('in_catalog', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        // When the current cookie expires; moved forward by each refresh.
        .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
        // No refresh goes past this (auth.session.maxDuration from sign-in).
        .addColumn('ends_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(40)')
        .execute();
      await db.schema
        .createIndex('auth_sessions_expires')
        .on('auth_sessions')
        .column('expires_at')
        .execute();
    },
  },
];
