import type { Migration } from '../../../core/plugin-api.ts';

/**
 * One row per webhook source, updated in place by whichever replica received the delivery, so
 * the health page of every replica shows the same counts. Times are ISO 8601 UTC text.
 */
export const eventsMigrations: Migration[] = [
  {
    name: '0001_webhook_counters',
    async up({ db }) {
      await db.schema
        .createTable('events_webhook_counters')
        .addColumn('source', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('accepted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_accepted_at', 'varchar(40)')
        .addColumn('last_rejected_at', 'varchar(40)')
        .addColumn('last_reject_reason', 'text')
        .execute();
    },
  },
];
