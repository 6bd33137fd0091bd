import type { Migration } from '../../../core/plugin-api.ts';

/**
 * Results and history of scorecards.
 *
 * - `scorecard_results`: the current score of each (scorecard, entity), with the checks as
 *   JSON (what the entity page shows) and as one status letter per check (`P`, `F`, `U` in the
 *   scorecard's check order) that roll-ups aggregate in SQL without parsing JSON; the owner,
 *   system and domain the entity had when scored; and the campaigns whose filter it matches
 *   (`,id,id,`).
 * - `scorecard_level_changes`: every change of an entity's level (its history).
 * - `scorecard_daily`, `scorecard_check_daily`, `scorecard_campaign_daily`: a daily snapshot
 *   aggregated per owner. A row per entity and day would be 100,000 × 365 × scorecards rows;
 *   level changes plus per-owner aggregates tell the same story in a fraction of that.
 * - `scorecard_state`: per scorecard, the hash of the spec last evaluated in full (a changed
 *   spec is evaluated again at start) and the last day snapshotted.
 * - `scorecard_generation` (one row) and `scorecard_generations` (one per scorecard): bumped
 *   by writes of results (the scorecard's own) or of history (the demo seed: every scorecard),
 *   so cached roll-ups know they are stale, across replicas too.
 */
export const scorecardMigrations: Migration[] = [
  {
    name: '0001_scorecard_results',
    async up({ db }) {
      await db.schema
        .createTable('scorecard_results')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('entity_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('level', 'varchar(200)')
        .addColumn('rank', 'integer', (c) => c.notNull())
        .addColumn('checks_json', 'text', (c) => c.notNull())
        .addColumn('statuses', 'varchar(200)', (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('failed', 'integer', (c) => c.notNull())
        .addColumn('unknown', 'integer', (c) => c.notNull())
        .addColumn('owner_ref', 'varchar(512)')
        .addColumn('system_ref', 'varchar(512)')
        .addColumn('domain_ref', 'varchar(512)')
        .addColumn('campaigns', 'text')
        .addColumn('scored_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('level_since', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('scorecard_results_pk', ['scorecard_ref', 'entity_ref'])
        .execute();
      // Lists walk (rank, entity_ref) lowest first; roll-ups count by owner from the owner
      // index alone (it holds the status letters) and keep each owner's lowest ranks.
      await db.schema
        .createIndex('scorecard_results_rank')
        .on('scorecard_results')
        .columns(['scorecard_ref', 'rank', 'entity_ref'])
        .execute();
      await db.schema
        .createIndex('scorecard_results_owner')
        .on('scorecard_results')
        .columns(['scorecard_ref', 'owner_ref', 'rank', 'entity_ref', 'statuses'])
        .execute();
      // The same for roll-ups by system and by domain.
      await db.schema
        .createIndex('scorecard_results_system')
        .on('scorecard_results')
        .columns(['scorecard_ref', 'system_ref', 'rank', 'entity_ref', 'statuses'])
        .execute();
      await db.schema
        .createIndex('scorecard_results_domain')
        .on('scorecard_results')
        .columns(['scorecard_ref', 'domain_ref', 'rank', 'entity_ref', 'statuses'])
        .execute();
      await db.schema
        .createIndex('scorecard_results_entity')
        .on('scorecard_results')
        .column('entity_ref')
        .execute();

      await db.schema
        .createTable('scorecard_level_changes')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('entity_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addColumn('from_level', 'varchar(200)')
        .addColumn('to_level', 'varchar(200)')
        .execute();
      await db.schema
        .createIndex('scorecard_level_changes_entity')
        .on('scorecard_level_changes')
        .columns(['entity_ref', 'at'])
        .execute();
      await db.schema
        .createIndex('scorecard_level_changes_at')
        .on('scorecard_level_changes')
        .column('at')
        .execute();

      // `owner_ref` is '' for entities without an owner; `level` null for no level.
      await db.schema
        .createTable('scorecard_daily')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('level', 'varchar(200)')
        .addColumn('count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('scorecard_daily_day')
        .on('scorecard_daily')
        .columns(['scorecard_ref', 'day'])
        .execute();
      await db.schema
        .createTable('scorecard_check_daily')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('check_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('failed', 'integer', (c) => c.notNull())
        .addColumn('unknown', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('scorecard_check_daily_day')
        .on('scorecard_check_daily')
        .columns(['scorecard_ref', 'day'])
        .execute();
      // Per owner as well, so a caller who may read only some owners' entities sees their
      // progress and nothing of the others'.
      await db.schema
        .createTable('scorecard_campaign_daily')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('campaign_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('reached', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('scorecard_campaign_daily_day')
        .on('scorecard_campaign_daily')
        .columns(['scorecard_ref', 'campaign_id', 'day'])
        .execute();

      await db.schema
        .createTable('scorecard_state')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.primaryKey())
        .addColumn('spec_hash', 'varchar(64)')
        .addColumn('evaluated_at', 'varchar(40)')
        .addColumn('snapshot_day', 'varchar(10)')
        .execute();
      await db.schema
        .createTable('scorecard_generation')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('scorecard_generation').values({ id: 1, generation: 0 }).execute();
    },
  },
  {
    // A full evaluation rewrites only the results that changed: `digest` tells them apart
    // without reading `checks_json` back. Cached answers follow one generation per scorecard,
    // so a write of one scorecard's results leaves the others' roll-ups cached.
    name: '0002_scorecard_result_digest',
    async up({ db }) {
      await db.schema.alterTable('scorecard_results').addColumn('digest', 'varchar(40)').execute();
      await db.schema
        .createTable('scorecard_generations')
        .addColumn('scorecard_ref', 'varchar(512)', (c) => c.primaryKey())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
