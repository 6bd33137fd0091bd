import { sql } from 'kysely';
import type { Database } from '../../../../core/database/database.ts';

/**
 * The search keys whose values a trigram index serves, so that a full-text filter on them
 * (`value like '%term%'`) looks its matches up instead of reading every value of the key:
 * what the web explorer's search box sends (`metadata.name,metadata.title`) and what
 * Backstage's catalog table sends (`EntityTextFilter`: those two and `spec.profile.displayName`).
 * Each maps to its column of the SQLite FTS5 table, so a query names only the keys it asks for.
 * Other keys (the MCP tool's `metadata.description`, free-form longer text) keep the plain LIKE.
 */
export const TRIGRAM_KEYS: Readonly<Record<string, string>> = {
  'metadata.name': 'name',
  'metadata.title': 'title',
  'spec.profile.displayname': 'display_name',
};

/** The FTS5 column of a search key, or undefined when no trigram index serves it. */
export function trigramColumn(key: string): string | undefined {
  return Object.hasOwn(TRIGRAM_KEYS, key) ? TRIGRAM_KEYS[key] : undefined;
}

/** SQLite: the FTS5 table, rowid = the `catalog_search` row's rowid. */
export const TRIGRAM_TABLE = 'catalog_search_trigram';

/** PostgreSQL: the pg_trgm GIN index, partial on {@link TRIGRAM_KEYS}. */
const PG_INDEX = 'catalog_search_value_trgm';

const keyList = () =>
  sql.join(
    Object.keys(TRIGRAM_KEYS).map((k) => sql.lit(k)),
    sql`, `,
  );

/**
 * Creates the index and fills it from the rows stored so far; on SQLite, triggers on
 * `catalog_search` keep it current, so the write path is unchanged.
 */
export async function createTrigramIndex({ db, dialect }: Database): Promise<void> {
  const keys = keyList();
  if (dialect === 'pg') {
    // A DO block: when the role may not create extensions, the migration still succeeds and
    // full-text filters stay unindexed LIKE (the search plugin does the same).
    await sql`do $$ begin
      create extension if not exists pg_trgm;
    exception when others then
      raise notice 'pg_trgm is not available: %', sqlerrm;
    end $$`.execute(db);
    const trgm = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_extension where extname = 'pg_trgm'`.execute(db);
    if (Number(trgm.rows[0]?.n ?? 0) === 0) return;
    // On `value` itself, not lower(value): values are stored lowercase, and the query keeps
    // the exact condition it had (`value like '%term%'`), so its answer cannot change.
    await sql`create index ${sql.ref(PG_INDEX)} on catalog_search
      using gin (value gin_trgm_ops) where key in (${keys})`.execute(db);
    return;
  }
  const columns = [...Object.values(TRIGRAM_KEYS), 'entity_id'];
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  // One column per key: a value goes in its key's column, the others stay null.
  const values = (row: 'new' | 's') =>
    sql.join([
      ...Object.keys(TRIGRAM_KEYS).map(
        (key) =>
          sql`case when ${sql.ref(`${row}.key`)} = ${sql.lit(key)} then ${sql.ref(`${row}.value`)} end`,
      ),
      sql.ref(`${row}.entity_id`),
    ]);
  // Contentless (the values are in catalog_search already) with deletes by rowid, keeping
  // only the entity id (reading it here is about twice as fast as looking each matching
  // catalog_search row up: a small table, not one of ~40 rows per entity). Case-sensitive
  // trigrams: values and terms are both lowercased in JS, so a phrase match is exactly
  // LIKE's substring match (case folding here could match what LIKE does not).
  // The rowid ties an index row to its catalog_search row: nothing VACUUMs the catalog's
  // SQLite file (VACUUM may renumber rowids of a table without an INTEGER PRIMARY KEY).
  await sql`create virtual table ${sql.table(TRIGRAM_TABLE)} using fts5(
    ${sql.join(Object.values(TRIGRAM_KEYS).map((c) => sql.ref(c)))}, entity_id unindexed,
    content='', contentless_delete=1, contentless_unindexed=1,
    tokenize='trigram case_sensitive 1'
  )`.execute(db);
  const table = sql.table(TRIGRAM_TABLE);
  await sql`create trigger catalog_search_trigram_insert after insert on catalog_search
    when new.key in (${keys}) and new.value is not null
    begin
      insert into ${table} (rowid, ${cols}) values (new.rowid, ${values('new')});
    end`.execute(db);
  await sql`create trigger catalog_search_trigram_delete after delete on catalog_search
    when old.key in (${keys}) and old.value is not null
    begin
      delete from ${table} where rowid = old.rowid;
    end`.execute(db);
  await sql`create trigger catalog_search_trigram_update after update on catalog_search
    when old.key in (${keys}) or new.key in (${keys})
    begin
      delete from ${table} where rowid = old.rowid and old.key in (${keys});
      insert into ${table} (rowid, ${cols})
        select new.rowid, ${values('new')} where new.key in (${keys}) and new.value is not null;
    end`.execute(db);
  await sql`insert into ${table} (rowid, ${cols})
    select s.rowid, ${values('s')} from catalog_search s
    where s.key in (${keys}) and s.value is not null`.execute(db);
}

/**
 * The FTS5 query matching `term` as a substring of the values of `keys` (all in
 * {@link TRIGRAM_KEYS}), or undefined when the index cannot answer: a term of fewer than three
 * characters has no trigram, and a NUL ends the query text.
 */
export function trigramQuery(term: string, keys: readonly string[]): string | undefined {
  if ([...term].length < 3 || term.includes('\u0000')) return undefined;
  const columns = keys.map(trigramColumn);
  if (!columns.length || columns.some((c) => !c)) return undefined;
  return `{${[...new Set(columns)].join(' ')}} : "${term.replaceAll('"', '""')}"`;
}
