import { sql } from 'kysely';
import { createLeaseTable } from '../../../../core/database/leases.ts';
import type { Migration } from '../../../../core/plugin-api.ts';
import { createDerivedIndexes } from './derived-indexes.ts';
import { TITLE_OR_NAME_KEY } from './search-rows.ts';
import { createTrigramIndex } from './trigram-index.ts';

/**
 * Catalog tables. Entities are stored as JSON plus two derived tables: relations (both
 * directions, tagged with the entity whose spec produced them) and a flattened key/value
 * table that serves filters, ordering, facets and full-text matching.
 */
export const catalogMigrations: Migration[] = [
  {
    name: '0001_initial',
    async up({ db, dialect }) {
      await db.schema
        .createTable('catalog_locations')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        // Registration order: the first location to emit a ref keeps it.
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('origin', 'varchar(16)', (c) => c.notNull())
        .addColumn('base_dir', 'text')
        .addColumn('rules', 'text')
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('last_read_at', 'varchar(40)')
        .addColumn('read_ms', 'integer')
        .addColumn('content_hash', 'varchar(64)')
        .addColumn('entity_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('problems', 'text', (c) => c.notNull().defaultTo('[]'))
        .addUniqueConstraint('catalog_locations_type_target', ['type', 'target'])
        .execute();

      await db.schema
        .createTable('catalog_entities')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('entity_ref', 'varchar(512)', (c) => c.notNull().unique())
        .addColumn('kind', 'varchar(64)', (c) => c.notNull())
        .addColumn('location_id', 'varchar(64)')
        .addColumn('parent_ref', 'varchar(512)')
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('problems', 'text')
        .addColumn('orphan', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('catalog_entities_location')
        .on('catalog_entities')
        .column('location_id')
        .execute();
      await db.schema
        .createIndex('catalog_entities_kind')
        .on('catalog_entities')
        .column('kind')
        .execute();
      await db.schema
        .createIndex('catalog_entities_updated')
        .on('catalog_entities')
        .column('updated_at')
        .execute();

      await db.schema
        .createTable('catalog_relations')
        .addColumn('origin_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('source_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('target_ref', 'varchar(512)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('catalog_search')
        .addColumn('entity_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'varchar(256)', (c) => c.notNull())
        .addColumn('value', 'varchar(256)')
        .addColumn('original_value', 'varchar(256)')
        .execute();

      await createDerivedIndexes(db);
      if (dialect === 'pg') {
        // Key and value are strongly correlated (kind=component is half the rows); without
        // these statistics the planner misjudges filters by orders of magnitude.
        await sql`create statistics catalog_search_key_value_stats (mcv) on key, value from catalog_search`.execute(
          db,
        );
      }

      // Per-file cache: an unchanged file is neither parsed nor written on refresh.
      await db.schema
        .createTable('catalog_location_files')
        .addColumn('location_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_location_files_pk', ['location_id', 'file'])
        .execute();

      // One row: bumped by every write that changes entities, so caches of derived answers
      // (facet counts) know when they are stale, across replicas too.
      await db.schema
        .createTable('catalog_state')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('catalog_state').values({ id: 1, generation: 0 }).execute();
    },
  },
  {
    // The order field atrium.titleOrName (search-rows.ts writes it for every entity stored
    // from now on): one search row per entity already stored, so ordering by it walks the
    // (key, value, entity_id) index like any field and leaves no entity out. The title is
    // looked up by entity (`key || ''` keeps SQLite off the key index, which made it scan
    // every title for every entity: 11 minutes at 100,000 entities instead of seconds).
    name: '0002_title_or_name',
    async up({ db }) {
      await sql`
        insert into catalog_search (entity_id, key, value, original_value)
        select n.entity_id, ${sql.lit(TITLE_OR_NAME_KEY)},
          coalesce(t.value, n.value),
          case when t.value is null then n.original_value else t.original_value end
        from catalog_search n
        left join catalog_search t
          on t.entity_id = n.entity_id and t.key || '' = 'metadata.title'
        where n.key = 'metadata.name'`.execute(db);
    },
  },
  {
    // Entity history (history/): one row per entity created, updated, orphaned or deleted,
    // written in the transaction that changed the entity, so every replica reads the same
    // history and a crash loses none of it. The id orders events and is what a stream resumes
    // from: AUTOINCREMENT on SQLite, so ids of pruned events are never handed out again.
    name: '0003_entity_events',
    async up({ db, dialect }) {
      await db.schema
        .createTable('catalog_entity_events')
        .addColumn('id', dialect === 'pg' ? 'bigserial' : 'integer', (c) =>
          dialect === 'pg' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('entity_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('kind', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('diff', 'text')
        .addColumn('cause', 'text', (c) => c.notNull())
        .execute();
      // One entity's history, newest first.
      await db.schema
        .createIndex('catalog_entity_events_ref')
        .on('catalog_entity_events')
        .columns(['entity_ref', 'id'])
        .execute();
      // Retention by age and `since=<time>`.
      await db.schema
        .createIndex('catalog_entity_events_created')
        .on('catalog_entity_events')
        .column('created_at')
        .execute();
    },
  },
  {
    // Discovery providers (providers/): a location a provider listed is `origin: provider`
    // with the provider's id, the repository it came from, and the version (blob oid, commit)
    // of the file at its last read, so a scan that prefetched an unchanged file skips the read.
    // The status table is what every replica shows on the health page; the lease table lets
    // one replica at a time scan a provider.
    name: '0004_provider_locations',
    async up({ db }) {
      await db.schema
        .alterTable('catalog_locations')
        .addColumn('provider_id', 'varchar(128)')
        .execute();
      await db.schema
        .alterTable('catalog_locations')
        .addColumn('provider_source', 'varchar(512)')
        .execute();
      await db.schema
        .alterTable('catalog_locations')
        .addColumn('provider_version', 'varchar(256)')
        .execute();
      await db.schema
        .createIndex('catalog_locations_provider')
        .on('catalog_locations')
        .column('provider_id')
        .execute();
      await db.schema
        .createTable('catalog_provider_status')
        .addColumn('provider_id', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('state', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_scan', 'text')
        .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('pending_removal', 'text')
        .addColumn('last_webhook', 'text')
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await createLeaseTable(db, 'catalog_provider_leases', 'provider_id', 'varchar(128)');
    },
  },
  {
    // Starred entities (routes/starred-routes.ts): kept per user on the server, so a person's
    // stars follow them to every browser. A star outlives its entity (it may come back under
    // the same ref); lists join the catalog and show only entities that exist and may be read.
    name: '0005_starred_entities',
    async up({ db }) {
      await db.schema
        .createTable('catalog_starred_entities')
        .addColumn('user_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('entity_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_starred_entities_pk', ['user_ref', 'entity_ref'])
        .execute();
    },
  },
  {
    // Full-text filters on names and titles (`fullTextFilterTerm`, the explorer's search box)
    // were `value like '%term%'` over every value of the key: a trigram index answers them
    // (trigram-index.ts; SQLite FTS5 kept by triggers, PostgreSQL pg_trgm).
    name: '0006_search_trigram',
    up: createTrigramIndex,
  },
];
