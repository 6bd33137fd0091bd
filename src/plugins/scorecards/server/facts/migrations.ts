import type { Migration } from '../../../../core/plugin-api.ts';

/**
 * Tables of the fact providers (named `scorecards-facts-…`, after the plugin's own
 * `0001_…` migrations, which sort first):
 *
 * - `scorecard_facts`: one value per (entity, fact) with where it came from (`push`) and when
 *   it was observed; a newer observation replaces it, an older one is ignored.
 * - `scorecard_repo_sources`: what the scheduled scan of each source folder found (the
 *   `repo.*` facts as JSON), with the commit or content hash it was found at, so an unchanged
 *   repository is not written again and scoring never reads a repository.
 */
export const factMigrations: Migration[] = [
  {
    name: 'scorecards-facts-0001_facts',
    async up({ db }) {
      await db.schema
        .createTable('scorecard_facts')
        .addColumn('entity_ref', 'varchar(512)', (c) => c.notNull())
        .addColumn('fact_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('value_json', 'text', (c) => c.notNull())
        .addColumn('source', 'varchar(64)', (c) => c.notNull())
        .addColumn('observed_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('scorecard_facts_pk', ['entity_ref', 'fact_id'])
        .execute();
      await db.schema
        .createTable('scorecard_repo_sources')
        .addColumn('source', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('commit_sha', 'varchar(64)')
        .addColumn('content_hash', 'varchar(64)')
        .addColumn('facts_json', 'text')
        .addColumn('error', 'text')
        .addColumn('scanned_at', 'varchar(40)', (c) => c.notNull())
        .execute();
    },
  },
];

export interface FactRow {
  entity_ref: string;
  fact_id: string;
  value_json: string;
  source: string;
  observed_at: string;
}

export interface RepoSourceRow {
  source: string;
  commit_sha: string | null;
  content_hash: string | null;
  /** `{ "repo.readme": true, … }`; null when the source could not be read. */
  facts_json: string | null;
  error: string | null;
  scanned_at: string;
}

export interface FactTables {
  scorecard_facts: FactRow;
  scorecard_repo_sources: RepoSourceRow;
}
