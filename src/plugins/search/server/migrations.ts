import { sql } from 'kysely';
import type { Migration } from '../../../core/plugin-api.ts';

/**
 * Search tables. `search_types` records each type's live generation (engine/engine.ts);
 * `search_documents` holds every document once per generation, as returned in results.
 * The full-text structures depend on the engine:
 * - SQLite: two contentless FTS5 tables, words (with a `facets` column of hashed type,
 *   generation and filter terms, engine/documents.ts `facetToken`) and trigrams of title,
 *   name and tags; `search_documents` keeps the filter terms for title-ordered listings.
 * - PostgreSQL: a narrow `search_index` table (one row per document: tsvectors, filter terms,
 *   fragment text) with GIN indexes, kept apart from the wide document rows so that counting
 *   thousands of matches reads a few megabytes, not the documents.
 */
export const searchMigrations: Migration[] = [
  {
    name: '0001_initial',
    async up({ db, dialect }) {
      await db.schema
        .createTable('search_types')
        .addColumn('type', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        // 1 once a full reindex has completed; until then the type holds only upserts.
        .addColumn('complete', 'integer', (c) => c.notNull().defaultTo(0))
        // The generation a running reindex writes; its documents are not visible yet.
        .addColumn('pending', 'bigint')
        .execute();

      if (dialect === 'sqlite') {
        await sql`create table search_documents (
          id integer primary key,
          type text not null,
          generation integer not null,
          location text not null,
          entity_ref text,
          title text not null,
          sort_title text not null,
          filters text not null,
          -- Last: a long body spills to overflow pages, which the columns before it never read.
          body text not null
        )`.execute(db);
        await sql`create virtual table search_fts using fts5(
          title, keywords, text, facets,
          content='', contentless_delete=1,
          tokenize='unicode61 remove_diacritics 0', prefix='2 3'
        )`.execute(db);
        await sql`create virtual table search_trigram using fts5(
          title, keywords,
          content='', contentless_delete=1,
          tokenize='trigram'
        )`.execute(db);
      } else {
        // A DO block: when the role may not create extensions, the migration still succeeds
        // and the engine falls back to unindexed LIKE for fragments.
        await sql`do $$ begin
          create extension if not exists pg_trgm;
        exception when others then
          raise notice 'pg_trgm is not available: %', sqlerrm;
        end $$`.execute(db);
        await sql`create table search_documents (
          id bigint primary key,
          type varchar(100) not null,
          generation bigint not null,
          location text not null,
          entity_ref varchar(512),
          title text not null,
          body text not null
        )`.execute(db);
        await sql`create sequence search_documents_id_seq`.execute(db);
        // Filled by engine/pg-engine.ts: `tsv` matches and ranks (title A and name/tags B with
        // positions, the text stripped of them so the vector stays small); `title_tsv` and
        // `keywords_tsv` tell title and name hits apart from their GIN indexes alone;
        // `filter_hashes` are the filter terms hashed (small rows count faster).
        await sql`create table search_index (
          id bigint primary key,
          type varchar(100) not null,
          generation bigint not null,
          sort_title text collate "C" not null,
          ltitle text not null,
          tsv tsvector not null,
          title_tsv tsvector not null,
          keywords_tsv tsvector not null,
          filter_hashes bigint[] not null,
          infix text not null
        )`.execute(db);
        for (const column of ['tsv', 'title_tsv', 'keywords_tsv', 'filter_hashes']) {
          await sql`create index ${sql.raw(`search_index_${column}`)} on search_index using gin (${sql.raw(column)})`.execute(
            db,
          );
        }
        await sql`create index search_index_title on search_index (sort_title, id)`.execute(db);
        const trgm = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_extension where extname = 'pg_trgm'`.execute(db);
        if (Number(trgm.rows[0]?.n ?? 0) > 0) {
          await sql`create index search_index_infix on search_index using gin (infix gin_trgm_ops)`.execute(
            db,
          );
        }
      }
      await sql`create unique index search_documents_key on search_documents (type, generation, location)`.execute(
        db,
      );
      await sql`create index search_documents_entity on search_documents (entity_ref)`.execute(db);
      if (dialect === 'sqlite') {
        await sql`create index search_documents_title on search_documents (sort_title, id)`.execute(
          db,
        );
      }
    },
  },
  {
    // Removals made while a reindex runs (on any server), so that its stream, which may have
    // read those documents before, does not bring them back (engine/engine.ts `rebuild`).
    name: '0002_removed_during_reindex',
    async up({ db }) {
      await db.schema
        .createTable('search_removed')
        .addColumn('type', 'varchar(100)', (c) => c.notNull())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .addColumn('location', 'text')
        .addColumn('entity_ref', 'varchar(512)')
        .execute();
      await db.schema
        .createIndex('search_removed_generation')
        .on('search_removed')
        .columns(['type', 'generation'])
        .execute();
    },
  },
  {
    // What a caller may read filters inside search queries (engine/engine.ts `entityRefs`).
    // PostgreSQL counts and pages from the narrow `search_index` alone, so the documents'
    // entity refs go there too, '' for a document about no entity: visibility is then one
    // semi-join on `entity_ref` that the planner may drive from the readable refs through
    // this index (a caller who reads 1% of the catalog), or check per match (one who reads
    // most of it). SQLite reads `search_documents.entity_ref` through its index instead.
    name: '0003_search_index_entity_ref',
    async up({ db, dialect }) {
      if (dialect !== 'pg') return;
      await sql`alter table search_index add column entity_ref varchar(512) not null default ''`.execute(
        db,
      );
      await sql`update search_index i set entity_ref = d.entity_ref
        from search_documents d where d.id = i.id and d.entity_ref is not null`.execute(db);
      await sql`create index search_index_entity on search_index (entity_ref)`.execute(db);
    },
  },
];
