import { type RawBuilder, sql } from 'kysely';
import type { AnyKysely, Database } from '../../../../core/database/database.ts';
import type { Logger } from '../../../../core/logger.ts';
import { facetHash, type PreparedDocument } from './documents.ts';
import {
  BaseSearchEngine,
  type EngineOptions,
  type MatchSpec,
  type QueryContext,
} from './engine.ts';
import { infixWords, isPrefix } from './terms.ts';

/** ts_rank weights for D, C, B, A: text (no weight, counted as D), name/tags (B), title (A). */
const RANK_WEIGHTS = sql.raw(`'{0.1, 0.2, 0.5, 1.0}'::float4[]`);

/**
 * A tsquery text: every word (or, with `any`, at least one) as itself or as a prefix
 * (`(w | w:*)`). Words hold only letters and digits (see terms.ts), so they cannot be
 * operators.
 */
export function tsQueryText(words: string[], any = false): string {
  return words.map((w) => (isPrefix(w) ? `(${w} | ${w}:*)` : w)).join(any ? ' | ' : ' & ');
}

/**
 * A filter term on more than this share of documents is checked on each match rather than
 * through its GIN index: ANDing the word matches with 60,000 postings of kind=component costs
 * 4–5 ms per step, checking 1,500 matches' arrays under one. Rare terms (an owner) keep it.
 */
const COMMON_FILTER_SHARE = 0.05;
/** How long the filter-term frequencies read from pg_stats are trusted. */
const FILTER_STATS_MS = 60_000;

const tsQuery = (text: string) => sql`to_tsquery('simple', ${text})`;

/**
 * Words as PostgreSQL indexes them. Punctuation becomes a space first, so that words split
 * exactly where SQLite's tokenizer and the query parser (terms.ts) split them.
 */
const words = (column: string) =>
  sql.raw(
    `to_tsvector('simple'::regconfig, regexp_replace(${column}, '[[:punct:][:space:]]+', ' ', 'g'))`,
  );

/**
 * PostgreSQL: tsvectors with GIN indexes in a narrow `search_index` table (see
 * migrations.ts), ranked by ts_rank; fragments inside title/name/tags through pg_trgm's GIN
 * index on `infix` (or an unindexed LIKE scan when the extension is missing); filters through
 * a GIN index on hashed filter terms.
 */
export class PgSearchEngine extends BaseSearchEngine {
  readonly dialect = 'pg' as const;
  private trigram = true;
  /** Share of documents per filter-term hash (ANALYZE's most common elements). */
  private filterShares = new Map<string, number>();
  private filterSharesRead = 0;

  constructor(database: Database, logger: Logger, options: EngineOptions = {}) {
    super(database, logger, options);
  }

  async init(): Promise<void> {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_extension where extname = 'pg_trgm'`.execute(this.db);
    this.trigram = Number(r.rows[0]?.n ?? 0) > 0;
    if (!this.trigram) {
      this.notes.push(
        'PostgreSQL extension pg_trgm is not installed (CREATE EXTENSION pg_trgm needs a privileged role): fragment search ("ets" → petstore) scans every title without an index',
      );
    }
  }

  protected async lock(trx: AnyKysely): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext('atrium-search-write'))`.execute(trx);
  }

  protected async allocateIds(trx: AnyKysely, n: number): Promise<number[]> {
    if (!n) return [];
    const r = await sql<{
      id: number;
    }>`select nextval('search_documents_id_seq')::bigint as id from generate_series(1, ${n})`.execute(
      trx,
    );
    return r.rows.map((row) => Number(row.id));
  }

  protected async insertDocuments(
    trx: AnyKysely,
    type: string,
    generation: number,
    docs: Array<PreparedDocument & { id: number }>,
  ): Promise<void> {
    if (!docs.length) return;
    await this.database.insertMany(
      trx,
      'search_documents',
      docs.map((d) => BaseSearchEngine.documentRow(d, type, generation)),
    );
    // One statement per batch; the vectors are computed by PostgreSQL from unnested arrays.
    const column = <K extends keyof (PreparedDocument & { id: number })>(key: K) =>
      docs.map((d) => d[key]);
    await sql`insert into search_index
        (id, type, generation, entity_ref, sort_title, ltitle, tsv, title_tsv, keywords_tsv,
          filter_hashes, infix)
      select u.id, ${type}, ${generation}, coalesce(u.entity_ref, ''), u.sort_title,
        lower(u.title),
        setweight(${words('u.title')}, 'A') || setweight(${words('u.keywords')}, 'B')
          || strip(${words('u.text')}),
        ${words('u.title')}, ${words('u.keywords')},
        string_to_array(u.hashes, ',')::bigint[],
        lower(u.title || ' ' || u.keywords)
      from unnest(${column('id')}::bigint[], ${column('entityRef')}::text[],
        ${column('sortTitle')}::text[], ${column('title')}::text[],
        ${column('keywords')}::text[], ${column('text')}::text[],
        ${docs.map((d) => d.filterHashes.join(','))}::text[])
        as u(id, entity_ref, sort_title, title, keywords, text, hashes)`.execute(trx);
  }

  protected async deleteDocuments(trx: AnyKysely, where: RawBuilder<unknown>): Promise<void> {
    await sql`delete from search_index where id in (select id from search_documents where ${where})`.execute(
      trx,
    );
    await sql`delete from search_documents where ${where}`.execute(trx);
  }

  protected async afterRebuild(): Promise<void> {
    // Planner statistics: after a rebuild the old ones describe a different table.
    await sql`analyze search_index`.execute(this.db);
    await sql`analyze search_documents`.execute(this.db);
    this.filterSharesRead = 0;
    // Counting matches from the GIN index alone skips reading rows only where the visibility
    // map says a page is all-visible, which VACUUM writes; a rebuild also leaves the previous
    // generation's rows dead. VACUUM cannot run in a transaction and need not delay anyone.
    sql`vacuum search_index, search_documents`.execute(this.db).catch(() => undefined);
  }

  /** Reads how common each frequent filter term is, at most once a minute. */
  private async readFilterShares(): Promise<void> {
    if (Date.now() - this.filterSharesRead < FILTER_STATS_MS) return;
    this.filterSharesRead = Date.now();
    const r = await sql<{ elems: string[] | null; freqs: number[] | null }>`
      select most_common_elems::text::bigint[]::text[] as elems,
        most_common_elem_freqs::float8[] as freqs
      from pg_stats where schemaname = current_schema()
        and tablename = 'search_index' and attname = 'filter_hashes'`.execute(this.reader);
    const elems = r.rows[0]?.elems ?? [];
    const freqs = r.rows[0]?.freqs ?? [];
    this.filterShares = new Map(elems.map((hash, i) => [hash, Number(freqs[i] ?? 0)]));
  }

  protected async snapshot<T>(fn: (executor: AnyKysely) => Promise<T>): Promise<T> {
    await this.readFilterShares().catch((error) => {
      this.logger.debug('Could not read filter statistics', { error: (error as Error).message });
    });
    // Every step of a query sees the same generations, even if a reindex switches meanwhile.
    return this.reader
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        // Counting a third of the index, the planner prefers reading the whole table; the
        // GIN bitmap reads half as much. Disabling a plan makes its cost look huge, which
        // would trigger JIT compilation (tens of ms for a millisecond query). Both local.
        await sql`set local enable_seqscan = off`.execute(trx);
        await sql`set local jit = off`.execute(trx);
        // Workers would return a large result's rows in a different order on each call.
        await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
        return fn(trx);
      });
  }

  /**
   * Types, generations, filters and what the caller may see, on `search_index d`. Outside a
   * reindex every stored document is live, so a query over all types needs no generation
   * check.
   */
  private conditions(ctx: QueryContext): RawBuilder<unknown> {
    const parts: RawBuilder<unknown>[] = [];
    if (ctx.live.some((l) => l.pending !== null)) {
      parts.push(
        sql`(${sql.join(
          ctx.live.map((l) => sql`(d.type = ${l.type} and d.generation = ${l.generation})`),
          sql` or `,
        )})`,
      );
    } else if (!ctx.allTypes) {
      parts.push(sql`d.type in (${sql.join(ctx.live.map((l) => l.type))})`);
    }
    for (const terms of ctx.filters) {
      const hashes = terms.map((t) => String(facetHash(t)));
      const share = hashes.reduce((sum, h) => sum + (this.filterShares.get(h) ?? 0), 0);
      // The planner underrates reading a long posting list; coalesce() hides the index.
      const column =
        share > COMMON_FILTER_SHARE
          ? sql`coalesce(d.filter_hashes, '{}'::bigint[])`
          : sql`d.filter_hashes`;
      parts.push(sql`${column} && ${hashes}::bigint[]`);
    }
    // What the caller may see: documents about no entity ('') and those about a readable one,
    // as one semi-join (see migration 0003). Kysely parenthesises the subquery itself.
    if (ctx.entityRefs) parts.push(sql`d.entity_ref in (select '' union all ${ctx.entityRefs})`);
    return parts.length ? sql.join(parts, sql` and `) : sql`true`;
  }

  private where(ctx: QueryContext, spec: MatchSpec): RawBuilder<unknown> {
    const all = sql`d.tsv @@ ${tsQuery(tsQueryText(spec.parsed.words))}`;
    const base = this.conditions(ctx);
    if (spec.mode === 'infix') {
      const fragments = infixWords(spec.parsed)!.map((w) => sql`d.infix like ${`%${w}%`}`);
      return sql`${sql.join(fragments, sql` and `)} and not (${all}) and ${base}`;
    }
    const any = tsQuery(tsQueryText(spec.parsed.words, true));
    // `tsv` holds the title and name words too: for one word, a title or name hit implies
    // `all`, and leaving it out spares reading a second index for the same rows.
    const allOf = spec.parsed.words.length === 1 ? sql`true` : all;
    switch (spec.part) {
      case 'title':
        return sql`d.title_tsv @@ ${any} and ${allOf} and ${base}`;
      case 'keywords':
        return sql`d.keywords_tsv @@ ${any} and ${allOf} and ${base} and not (d.title_tsv @@ ${any})`;
      case 'rest':
        return sql`${all} and ${base} and not (d.title_tsv @@ ${any}) and not (d.keywords_tsv @@ ${any})`;
      default:
        return sql`${all} and ${base}`;
    }
  }

  /** Rows of `search_index d` that `where` selects, counted up to `cap`. */
  private async countUpTo(
    ctx: QueryContext,
    where: RawBuilder<unknown>,
    cap: number,
  ): Promise<number> {
    const r = await sql<{ n: number }>`select count(*)::int as n from (
        select 1 from search_index d where ${where} limit ${cap}
      ) m`.execute(ctx.executor);
    return Number(r.rows[0]?.n ?? 0);
  }

  protected countMatches(ctx: QueryContext, spec: MatchSpec, cap: number): Promise<number> {
    return this.countUpTo(ctx, this.where(ctx, spec), cap);
  }

  protected async rankMatches(
    ctx: QueryContext,
    spec: MatchSpec,
    offset: number,
    limit: number,
  ): Promise<number[]> {
    let order: RawBuilder<unknown>;
    if (spec.mode === 'infix') {
      const infix = infixWords(spec.parsed)!;
      const inTitle = sql.join(
        infix.map((w) => sql`d.ltitle like ${`%${w}%`}`),
        sql` or `,
      );
      // Then shorter names first: the fragment is more of them (and word_similarity over
      // thousands of rows costs more than the whole query may).
      order = sql`(${inTitle}) desc, length(d.infix), d.id`;
    } else {
      const words = spec.parsed.words;
      const any = tsQuery(tsQueryText(words, true));
      const boost = spec.part
        ? sql``
        : sql`(d.title_tsv @@ ${any})::int * 2 + (d.keywords_tsv @@ ${any})::int desc,`;
      // ts_rank does not prefer `pet` over `petstore` for `pet | pet:*`: exact words score again.
      order = sql`${boost}
        ts_rank(${RANK_WEIGHTS}, d.tsv, ${tsQuery(tsQueryText(words))})
          + ts_rank(${RANK_WEIGHTS}, d.tsv, ${tsQuery(words.join(' | '))}) desc, d.id`;
    }
    const r = await sql<{ id: number }>`select d.id from search_index d
      where ${this.where(ctx, spec)} order by ${order} limit ${limit} offset ${offset}`.execute(
      ctx.executor,
    );
    return r.rows.map((row) => Number(row.id));
  }

  protected async firstMatches(ctx: QueryContext, spec: MatchSpec, n: number): Promise<number[]> {
    // In the order the bitmap scan reads the table (block, then line): it stops after n rows,
    // where any ORDER BY would read and sort every match (28,000 for "serv": 40 ms). The order
    // is the same on every call while the table is unchanged (no parallel workers, see
    // snapshot), so pages of a large result neither overlap nor skip.
    const r = await sql<{ id: number }>`select d.id from search_index d
      where ${this.where(ctx, spec)} limit ${n}`.execute(ctx.executor);
    return r.rows.map((row) => Number(row.id));
  }

  protected countAll(ctx: QueryContext, cap: number): Promise<number> {
    return this.countUpTo(ctx, this.conditions(ctx), cap);
  }

  protected async pageAll(
    ctx: QueryContext,
    offset: number,
    limit: number,
    small: boolean,
  ): Promise<number[]> {
    if (small) {
      const r = await sql<{ id: number }>`select d.id from search_index d
        where ${this.conditions(ctx)} order by d.sort_title, d.id
        limit ${limit} offset ${offset}`.execute(ctx.executor);
      return r.rows.map((row) => Number(row.id));
    }
    // Most documents qualify: walking the title index finds a page in a few steps, where the
    // planner would rather collect and sort them all. Local to this read's transaction.
    await sql`set local enable_bitmapscan = off`.execute(ctx.executor);
    const r = await sql<{ id: number }>`select d.id from search_index d
      where ${this.conditions(ctx)} order by d.sort_title, d.id
      limit ${limit} offset ${offset}`.execute(ctx.executor);
    await sql`set local enable_bitmapscan = on`.execute(ctx.executor);
    return r.rows.map((row) => Number(row.id));
  }
}
