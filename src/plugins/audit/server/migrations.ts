import { sql } from 'kysely';
import type { Migration } from '../../../core/plugin-api.ts';

/**
 * The audit log: one row per event. Pages are read newest first by (time, id), alone or
 * after an equality filter on actor, action or resource, hence one index per filter that
 * ends in (time, id). `time` is ISO 8601 UTC with milliseconds, which sorts as text.
 */
export const auditMigrations: Migration[] = [
  {
    name: '0001_audit_events',
    async up({ db, dialect }) {
      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('time', 'varchar(40)', (c) => c.notNull())
        .addColumn('actor', 'varchar(512)', (c) => c.notNull())
        .addColumn('credential', 'varchar(32)', (c) => c.notNull())
        .addColumn('credential_id', 'varchar(256)')
        .addColumn('action', 'varchar(200)', (c) => c.notNull())
        .addColumn('resource_ref', 'varchar(1024)')
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(128)')
        .addColumn('client_address', 'varchar(128)')
        .addColumn('details', 'text')
        .execute();
      await db.schema
        .createIndex('audit_events_time')
        .on('audit_events')
        .columns(['time', 'id'])
        .execute();
      await db.schema
        .createIndex('audit_events_actor')
        .on('audit_events')
        .columns(['actor', 'time', 'id'])
        .execute();
      await db.schema
        .createIndex('audit_events_resource')
        .on('audit_events')
        .columns(['resource_ref', 'time', 'id'])
        .execute();
      if (dialect === 'pg') {
        // `varchar_pattern_ops` serves both `action = x` and the prefix filter `action LIKE
        // 'catalog.%'` whatever the database's collation.
        await sql`create index audit_events_action on audit_events (action varchar_pattern_ops, time, id)`.execute(
          db,
        );
      } else {
        await db.schema
          .createIndex('audit_events_action')
          .on('audit_events')
          .columns(['action', 'time', 'id'])
          .execute();
      }
    },
  },
];
