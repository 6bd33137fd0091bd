import type { Migration } from '../../../core/plugin-api.ts';

/**
 * Roles edited in the web app. `members` and `rules` are JSON text: they are read whole,
 * never queried. Every write also bumps the one row of `permission_policy_version` in the
 * same transaction, so each replica notices a change by polling one tiny row.
 */
export const permissionMigrations: Migration[] = [
  {
    name: '0001_permission_roles',
    async up({ db }) {
      await db.schema
        .createTable('permission_roles')
        .addColumn('name', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('description', 'text')
        .addColumn('members', 'text', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(512)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('permission_policy_version')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('permission_policy_version').values({ id: 1, version: 0 }).execute();
    },
  },
];
