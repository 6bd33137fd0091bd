import type { Migration } from '../../../../core/plugin-api.ts';

/**
 * Scaffolder tables. A task row holds the spec the runner executes, its status and the
 * claim/heartbeat that let several replicas share one queue; events are the task's log, in
 * the order they happened (integer ids); step rows keep each step's status and output so a
 * retry can resume after the steps that already succeeded.
 */
export const scaffolderMigrations: Migration[] = [
  {
    name: '0001_tasks',
    async up({ db, dialect }) {
      await db.schema
        .createTable('scaffolder_tasks')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('template_ref', 'varchar(512)')
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(512)')
        .addColumn('last_heartbeat_at', 'varchar(40)')
        .addColumn('finished_at', 'varchar(40)')
        // The runner (one per process) that holds the task while it is `processing`.
        .addColumn('claimed_by', 'varchar(64)')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        // AES-256-GCM ciphertext of the request secrets; null once the task has ended.
        .addColumn('secrets', 'text')
        .addColumn('secrets_schema', 'text')
        .addColumn('retry_of', 'varchar(36)')
        .execute();
      await db.schema
        .createIndex('scaffolder_tasks_status')
        .on('scaffolder_tasks')
        .columns(['status', 'created_at'])
        .execute();
      await db.schema
        .createIndex('scaffolder_tasks_created')
        .on('scaffolder_tasks')
        .column('created_at')
        .execute();

      await db.schema
        .createTable('scaffolder_task_events')
        .addColumn('id', dialect === 'pg' ? 'bigserial' : 'integer', (c) =>
          dialect === 'pg' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('task_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('scaffolder_task_events_task')
        .on('scaffolder_task_events')
        .columns(['task_id', 'id'])
        .execute();

      await db.schema
        .createTable('scaffolder_task_steps')
        .addColumn('task_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('step_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('output', 'text')
        .addColumn('started_at', 'varchar(40)')
        .addColumn('finished_at', 'varchar(40)')
        // Set when a retry took the step's result over from the task it retries.
        .addColumn('reused_from', 'varchar(36)')
        .addPrimaryKeyConstraint('scaffolder_task_steps_pk', ['task_id', 'step_id'])
        .execute();

      await db.schema
        .createTable('scaffolder_settings')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
];
