import type { Migration } from '../../../core/plugin-api.ts';

/**
 * One row per recipient and notification: a user's list, counts and read toggles all filter
 * on `user_ref` first, newest first, hence the (user_ref, created) index. `created` and
 * `read_at` are ISO 8601 UTC text, which sorts as time.
 */
export const notificationsMigrations: Migration[] = [
  {
    name: '0001_notifications',
    async up({ db }) {
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('user_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('created', 'varchar(40)', (c) => c.notNull())
        .addColumn('read_at', 'varchar(40)')
        .addColumn('origin', 'varchar(512)', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('link', 'text')
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('topic', 'varchar(512)')
        .addColumn('scope', 'varchar(512)')
        .execute();
      await db.schema
        .createIndex('notifications_user_created')
        .on('notifications')
        .columns(['user_ref', 'created', 'id'])
        .execute();
      await db.schema
        .createIndex('notifications_user_scope')
        .on('notifications')
        .columns(['user_ref', 'origin', 'scope'])
        .execute();
    },
  },
];
