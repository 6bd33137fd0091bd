import { type RawBuilder, sql } from 'kysely';
import type { AnyKysely } from '../../../../core/database/database.ts';
import {
  FILTER_SEPARATOR,
  facetToken,
  generationToken,
  type PreparedDocument,
} from './documents.ts';
import type { Database } from '../../../../core/database/database.ts';
import type { Logger } from '../../../../core/logger.ts';
import {
  BaseSearchEngine,
  type EngineOptions,
  type MatchSpec,
  type QueryContext,
} from './engine.ts';
import { infixWords, isPrefix } from './terms.ts';

/**
 * Visible documents up to which full-text matches are checked against their id list: the
 * list costs about a microsecond per id to build, once per statement.
 */
export const DEFAULT_VISIBLE_LIST_LIMIT = 5000;

/** Pages one incremental FTS5 merge step writes (see `afterRebuild`): a few ms each. */
const MERGE_PAGES = 16;
const FTS_TABLES = ['search_fts', 'search_trigram'] as const;
/** A bound on those steps, should FTS5 ever keep reporting work. */
const MAX_MERGE_STEPS = 1_000_000;

/** See `SqliteSearchEngine.visibility`; undefined: the caller may see every document. */
type Visibility = 'ids' | 'rows' | undefined;

/** A word as an FTS5 string: always quoted, so it is never an operator or column name. */
function quote(word: string): string {
  return `"${word.replaceAll('"', '""')}"`;
}

/** Every word (or, with `any`, at least one), as itself or as the start of a word. */
export function ftsWords(words: string[], any = false): string {
  return words
    .map((w) => (isPrefix(w) ? `(${quote(w)} OR ${quote(w)}*)` : quote(w)))
    .join(any ? ' OR ' : ' AND ');
}

/**
 * The query's restrictions as `facets` phrases: `positive` (named types, filters) must
 * match; `pending` (generations a reindex is still writing) must not. In the usual case —
 * all types, no filters, no reindex running — there are none, and a query costs only its
 * words (a phrase that every document has would make FTS5 walk every document).
 */
function ftsConditions(ctx: QueryContext): { positive?: string; pending?: string } {
  const parts: string[] = [];
  if (!ctx.allTypes) parts.push(ctx.live.map((l) => quote(facetToken('t', l.type))).join(' OR '));
  for (const terms of ctx.filters)
    parts.push(terms.map((t) => quote(facetToken('f', t))).join(' OR '));
  const pending = ctx.live
    .filter((l) => l.pending !== null)
    .map((l) => quote(generationToken(l.type, l.pending!)));
  return {
    positive: parts.length ? parts.map((p) => `{facets} : (${p})`).join(' AND ') : undefined,
    pending: pending.length ? `{facets} : (${pending.join(' OR ')})` : undefined,
  };
}

/**
 * SQLite: FTS5 (unicode61 words, prefix indexes) for words ranked by bm25, and an FTS5
 * trigram table over title, name and tags for fragments inside words. Both are contentless
 * (the documents table holds what results return). The word table has a `facets` column of
 * hashed type, generation and filter terms, so filtering and counting matches stays inside
 * the full-text index.
 */
export class SqliteSearchEngine extends BaseSearchEngine {
  readonly dialect = 'sqlite' as const;
  /** Each query's {@link visibility}, decided at its first step. */
  private readonly modes = new WeakMap<QueryContext, Promise<Visibility>>();
  private readonly visibleListLimit: number;

  constructor(database: Database, logger: Logger, options: EngineOptions = {}) {
    super(database, logger, options);
    this.visibleListLimit = options.visibleListLimit ?? DEFAULT_VISIBLE_LIST_LIMIT;
  }

  protected override readonly drainsOldGenerations = true;
  protected override readonly rebuildBatch = 100;

  protected override pause(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Runs FTS5 'merge' steps of `pages` pages on `table` until one finds nothing to do; a
   * negative `first` starts with a step that puts every segment on one level (the steps then
   * end where 'optimize' would).
   */
  private async mergeSteps(table: string, pages: number, first = pages): Promise<void> {
    let n = first;
    for (let step = 0; step < MAX_MERGE_STEPS; step++) {
      const before = await this.totalChanges();
      await sql`insert into ${sql.table(table)}(${sql.ref(table)}, rank) values ('merge', ${sql.lit(n)})`.execute(
        this.db,
      );
      // FTS5: fewer than two changes means the step found nothing left to merge.
      if ((await this.totalChanges()) - before < 2) return;
      n = pages;
      await this.pause();
    }
  }

  /**
   * Removes what a reindex that died (crash) left behind, the generation it built or the old
   * one it was draining: SQLite has no other writer.
   */
  async init(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.deleteDocuments(
        trx,
        sql`generation <> (select s.generation from search_types s where s.type = search_documents.type)`,
      );
      await trx.updateTable('search_types').set({ pending: null }).execute();
      // FTS5 rewrites a segment whenever a tenth of its rows are deleted ('deletemerge'): a
      // delete of 200 documents could then take 1.6 s at 10,000 documents, on the thread that
      // answers HTTP. Without it the deleted rows go when segments merge anyway (automerge,
      // and the merge after every rebuild). Settings stored in the table; the same every start.
      // Automerge at FTS5's default (4): merging in separate small steps after each write
      // instead made a 100,000-document reindex take 240 s instead of 37 s (bench/README.md).
      for (const table of FTS_TABLES) {
        await sql`insert into ${sql.table(table)}(${sql.ref(table)}, rank) values ('deletemerge', 0)`.execute(
          trx,
        );
        await sql`insert into ${sql.table(table)}(${sql.ref(table)}, rank) values ('automerge', 4)`.execute(
          trx,
        );
      }
    });
  }

  protected async lock(): Promise<void> {}

  protected async allocateIds(trx: AnyKysely, n: number): Promise<number[]> {
    const row = await sql<{
      m: number;
    }>`select coalesce(max(id), 0) as m from search_documents`.execute(trx);
    const base = Number(row.rows[0]?.m ?? 0);
    return Array.from({ length: n }, (_, i) => base + i + 1);
  }

  protected async insertDocuments(
    trx: AnyKysely,
    type: string,
    generation: number,
    docs: Array<PreparedDocument & { id: number }>,
  ): Promise<void> {
    await this.database.insertMany(
      trx,
      'search_documents',
      docs.map((d) => ({
        ...BaseSearchEngine.documentRow(d, type, generation),
        sort_title: d.sortTitle,
        filters: d.filters,
      })),
    );
    const facets = `${facetToken('t', type)} ${generationToken(type, generation)}`;
    await this.database.insertMany(
      trx,
      'search_fts',
      docs.map((d) => ({
        rowid: d.id,
        title: d.title,
        keywords: d.keywords,
        text: d.text,
        facets: `${facets} ${d.filterTokens}`,
      })),
    );
    await this.database.insertMany(
      trx,
      'search_trigram',
      docs.map((d) => ({ rowid: d.id, title: d.title, keywords: d.keywords })),
    );
  }

  protected async deleteDocuments(trx: AnyKysely, where: RawBuilder<unknown>): Promise<void> {
    const ids = sql`(select id from search_documents where ${where})`;
    await sql`delete from search_fts where rowid in ${ids}`.execute(trx);
    await sql`delete from search_trigram where rowid in ${ids}`.execute(trx);
    await sql`delete from search_documents where ${where}`.execute(trx);
  }

  protected async afterRebuild(): Promise<void> {
    // A bulk load leaves many small FTS segments (and the old generation's tombstones);
    // merged, every later query reads one b-tree per table. FTS5's 'optimize' does that in
    // one statement (over a second at 30,000 documents, on the thread that answers HTTP); an
    // incremental 'merge' does the same in steps of a few pages. The negative first step puts
    // every segment on one level, so the steps end where 'optimize' would.
    for (const table of FTS_TABLES) await this.mergeSteps(table, MERGE_PAGES, -MERGE_PAGES);
  }

  private async totalChanges(): Promise<number> {
    const r = await sql<{ n: number }>`select total_changes() as n`.execute(this.db);
    return Number(r.rows[0]?.n ?? 0);
  }

  protected snapshot<T>(fn: (executor: AnyKysely) => Promise<T>): Promise<T> {
    // One read transaction: every step sees the same generations (WAL snapshot).
    return this.reader.transaction().execute(fn);
  }

  /**
   * What the caller may see, on a `search_documents` row: documents about no entity and those
   * about an entity among the readable refs. Absent when the caller may see everything.
   */
  private visible(ctx: QueryContext, alias = 'd'): RawBuilder<unknown> | undefined {
    if (!ctx.entityRefs) return undefined;
    const column = sql.ref(`${alias}.entity_ref`);
    // `in ${refs}`: Kysely parenthesises a subquery itself; `in (${refs})` would be a list.
    return sql`(${column} is null or ${column} in ${ctx.entityRefs})`;
  }

  /** Ids of the documents the caller may see, read from the entity index alone. */
  private visibleIds(ctx: QueryContext): RawBuilder<unknown> {
    return sql`(select v.id from search_documents v where ${this.visible(ctx, 'v')!})`;
  }

  /**
   * How full-text matches are narrowed to what the caller may see (once per query): `ids`
   * when few documents are visible — their id list, read from the entity index, is built
   * once per statement and each match checked against it; `rows` when many are — each match
   * is checked on its row, and a count stops at its limit without building a long list.
   */
  private visibility(ctx: QueryContext): Promise<Visibility> {
    if (!ctx.entityRefs) return Promise.resolve(undefined);
    let mode = this.modes.get(ctx);
    if (!mode) {
      mode = sql<{ n: number }>`select count(*) as n from (
          select 1 from ${this.visibleIds(ctx)} as v limit ${this.visibleListLimit + 1}
        )`
        .execute(ctx.executor)
        .then((r) => (Number(r.rows[0]?.n ?? 0) <= this.visibleListLimit ? 'ids' : 'rows'));
      this.modes.set(ctx, mode);
    }
    return mode;
  }

  /**
   * Ids (with `scored`, also bm25 scores) of the documents an FTS5 expression matches, of
   * those the caller may see. With an id list, the unary `+` keeps SQLite from handing it to
   * FTS5 as one lookup per id (each recomputing bm25's statistics): matches are read as usual.
   * With rows, the full-text index stays the outer loop (CROSS JOIN), in rowid order.
   */
  private ftsMatches(
    ctx: QueryContext,
    visibility: Visibility,
    expr: string,
    scored = false,
  ): RawBuilder<unknown> {
    const score = scored ? sql`, bm25(search_fts, 10.0, 5.0, 1.0, 0.0) as score` : sql``;
    if (visibility === 'rows') {
      return sql`select search_fts.rowid as id${score} from search_fts
        cross join search_documents d on d.id = search_fts.rowid
        where search_fts match ${expr} and ${this.visible(ctx)!}`;
    }
    return sql`select rowid as id${score} from search_fts where search_fts match ${expr}${
      visibility === 'ids' ? sql` and +rowid in ${this.visibleIds(ctx)}` : sql``
    }`;
  }

  /** The FTS5 expression of a word step on `search_fts`. */
  private expression(ctx: QueryContext, spec: MatchSpec): string {
    const { positive, pending } = ftsConditions(ctx);
    const words = spec.parsed.words;
    const all = `(${ftsWords(words)})${positive ? ` AND ${positive}` : ''}`;
    const any = `(${ftsWords(words, true)})`;
    let expr: string;
    switch (spec.part) {
      case 'title':
        expr = `${all} AND {title} : ${any}`;
        break;
      case 'keywords':
        expr = `(${all} AND {keywords} : ${any}) NOT {title} : ${any}`;
        break;
      case 'rest':
        expr = `(${all}) NOT {title keywords} : ${any}`;
        break;
      default:
        expr = all;
    }
    return pending ? `(${expr}) NOT ${pending}` : expr;
  }

  /**
   * A fragment step as `with` clauses ending in `f(id)`: trigram matches that are not word
   * matches, restricted to live documents of the searched types passing the filters. Those
   * restrictions are checked on the candidates' rows (few), not as a facet set (maybe most of
   * the index). Every FTS5 subquery is materialized once.
   */
  private async infix(
    ctx: QueryContext,
    spec: MatchSpec,
    scored: boolean,
  ): Promise<RawBuilder<unknown>> {
    const { positive, pending } = ftsConditions(ctx);
    const match = infixWords(spec.parsed)!.map(quote).join(' AND ');
    const words = this.expression(ctx, { mode: 'word', parsed: spec.parsed });
    const visible = this.visible(ctx);
    const restricted = positive || pending || visible;
    // Word matches the caller may see: with a filter, the word step can be small while the
    // term's word matches are most of the index, which need not be materialized.
    return sql`w as materialized (${this.ftsMatches(ctx, await this.visibility(ctx), words)}),
      c as materialized (
        select rowid as id${scored ? sql`, bm25(search_trigram, 10.0, 5.0) as score` : sql``}
        from search_trigram
        where search_trigram match ${match} and rowid not in (select id from w)
      ),
      f as materialized (
        ${
          restricted
            ? sql`select c.* from c cross join search_documents d on d.id = c.id
                where ${sql.join(
                  [this.live(ctx), ...this.filterRows(ctx), ...(visible ? [visible] : [])],
                  sql` and `,
                )}`
            : sql`select * from c`
        }
      )`;
  }

  protected async countMatches(ctx: QueryContext, spec: MatchSpec, cap: number): Promise<number> {
    const r =
      spec.mode === 'word'
        ? await sql<{ n: number }>`select count(*) as n from (
              ${this.ftsMatches(ctx, await this.visibility(ctx), this.expression(ctx, spec))}
              limit ${cap}
            )`.execute(ctx.executor)
        : await sql<{ n: number }>`with ${await this.infix(ctx, spec, false)}
            select count(*) as n from (select 1 from f limit ${cap})`.execute(ctx.executor);
    return Number(r.rows[0]?.n ?? 0);
  }

  protected async rankMatches(
    ctx: QueryContext,
    spec: MatchSpec,
    offset: number,
    limit: number,
  ): Promise<number[]> {
    let rows: Array<{ id: number }>;
    if (spec.mode === 'word') {
      const match = this.expression(ctx, spec);
      const any = `(${ftsWords(spec.parsed.words, true)})`;
      // Within a part every document has the same title/name standing; without one, a word
      // in the title counts twice what one in name/tags does.
      const hits = spec.part
        ? sql``
        : sql`, t as materialized (
              select rowid as id from search_fts where search_fts match ${`(${match}) AND {title} : ${any}`}
            ),
            k as materialized (
              select rowid as id from search_fts where search_fts match ${`(${match}) AND {keywords} : ${any}`}
            )`;
      const boost = spec.part
        ? sql``
        : sql`(m.id in (select id from t)) * 2 + (m.id in (select id from k)) desc,`;
      rows = (
        await sql<{ id: number }>`with m as materialized (
            ${this.ftsMatches(ctx, await this.visibility(ctx), match, true)}
          )${hits}
          select m.id from m order by ${boost} m.score, m.id
          limit ${limit} offset ${offset}`.execute(ctx.executor)
      ).rows;
    } else {
      const fragments = infixWords(spec.parsed)!.map(quote);
      const inTitle = `(${fragments.join(' AND ')}) AND {title} : (${fragments.join(' OR ')})`;
      rows = (
        await sql<{ id: number }>`with ${await this.infix(ctx, spec, true)},
          t as materialized (
            select rowid as id from search_trigram where search_trigram match ${inTitle}
          )
          select f.id from f order by (f.id in (select id from t)) desc, f.score, f.id
          limit ${limit} offset ${offset}`.execute(ctx.executor)
      ).rows;
    }
    return rows.map((r) => Number(r.id));
  }

  protected async firstMatches(ctx: QueryContext, spec: MatchSpec, n: number): Promise<number[]> {
    // FTS5 yields matches in rowid order: the first n cost n steps.
    const rows =
      spec.mode === 'word'
        ? (
            await sql<{
              id: number;
            }>`${this.ftsMatches(ctx, await this.visibility(ctx), this.expression(ctx, spec))}
              order by id limit ${n}`.execute(ctx.executor)
          ).rows
        : (
            await sql<{ id: number }>`with ${await this.infix(ctx, spec, false)}
              select id from f order by id limit ${n}`.execute(ctx.executor)
          ).rows;
    return rows.map((r) => Number(r.id));
  }

  /** The live generations of the searched types, on `search_documents d`. */
  private live(ctx: QueryContext): RawBuilder<unknown> {
    return sql`(${sql.join(
      ctx.live.map((l) => sql`(d.type = ${l.type} and d.generation = ${l.generation})`),
      sql` or `,
    )})`;
  }

  /** The filters, checked on `search_documents d` rows. */
  private filterRows(ctx: QueryContext): RawBuilder<unknown>[] {
    return ctx.filters.map(
      (terms) =>
        sql`(${sql.join(
          terms.map((t) => sql`instr(d.filters, ${FILTER_SEPARATOR + t + FILTER_SEPARATOR}) > 0`),
          sql` or `,
        )})`,
    );
  }

  protected async countAll(ctx: QueryContext, cap: number): Promise<number> {
    const { positive, pending } = ftsConditions(ctx);
    const visible = this.visible(ctx);
    const r = positive
      ? await sql<{ n: number }>`select count(*) as n from (${this.ftsMatches(
          ctx,
          await this.visibility(ctx),
          pending ? `(${positive}) NOT ${pending}` : positive,
        )})`.execute(ctx.executor)
      : pending || !ctx.allTypes
        ? await sql<{ n: number }>`select count(*) as n from search_documents d
            where ${this.live(ctx)}${visible ? sql` and ${visible}` : sql``}`.execute(ctx.executor)
        : // Outside a reindex every stored document is live: a plain count reads the smallest
          // index (the entity index, when what the caller may see is counted).
          await sql<{ n: number }>`select count(*) as n from search_documents d${
            visible ? sql` where ${visible}` : sql``
          }`.execute(ctx.executor);
    // Counting whole indexes is cheap here; capped only so both engines report alike.
    return Math.min(Number(r.rows[0]?.n ?? 0), cap);
  }

  protected async pageAll(
    ctx: QueryContext,
    offset: number,
    limit: number,
    small: boolean,
  ): Promise<number[]> {
    const { positive } = ftsConditions(ctx);
    const visibility = await this.visibility(ctx);
    // Few documents qualify: sort those (the filtered ones, or the few the caller may see).
    // Most do: walking the title index finds a page in a few steps, checking each row.
    const candidates = positive
      ? this.ftsMatches(ctx, visibility, positive)
      : visibility === 'ids'
        ? sql`select id from ${this.visibleIds(ctx)} as v`
        : undefined;
    const visible = this.visible(ctx);
    const rows = (
      small && candidates
        ? await sql<{ id: number }>`with p as materialized (${candidates})
            select d.id from search_documents d
            where d.id in (select id from p) and ${this.live(ctx)}
            order by d.sort_title, d.id limit ${limit} offset ${offset}`.execute(ctx.executor)
        : await sql<{
            id: number;
          }>`select d.id from search_documents d indexed by search_documents_title
            where ${sql.join(
              [this.live(ctx), ...this.filterRows(ctx), ...(visible ? [visible] : [])],
              sql` and `,
            )}
            order by d.sort_title, d.id limit ${limit} offset ${offset}`.execute(ctx.executor)
    ).rows;
    return rows.map((r) => Number(r.id));
  }
}
