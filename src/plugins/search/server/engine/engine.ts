import { type Expression, type RawBuilder, sql } from 'kysely';
import type { AnyKysely, Database } from '../../../../core/database/database.ts';
import type { Logger } from '../../../../core/logger.ts';
import type { IndexableDocument, SearchIndex } from '../api.ts';
import {
  canonicalEntityRef,
  filterTerm,
  type PreparedDocument,
  prepareDocument,
} from './documents.ts';
import { type HighlightTags, highlightFields, type MatchMode } from './highlight.ts';
import { infixWords, type ParsedTerm, parseTerm } from './terms.ts';

/** One page of a search, as the engine is asked for it. */
export interface EngineQuery {
  term: string;
  /** Document types to search; absent or empty: all. */
  types?: string[];
  /** Field → accepted values (any of, case-insensitive). */
  filters?: Record<string, string[]>;
  offset: number;
  limit: number;
  /** Highlight matches in `title` and `text` with these tags. */
  tags?: HighlightTags;
  /**
   * What the caller may read: a subquery over the same database selecting one column of
   * lowercase entity refs (the catalog's `refsMatching(readFilter)`). Documents about an
   * entity are kept only when their `entityRef` is among them, inside every count and page,
   * so totals and pages hold only what the caller may see; documents about no entity are
   * unaffected. Absent: every document.
   */
  entityRefs?: Expression<unknown>;
}

export interface EngineHit {
  type: string;
  document: IndexableDocument;
  /** Global 1-based position. */
  rank: number;
  /** How the document matched: whole words / word prefixes, or a fragment inside a word. */
  match: MatchMode | 'all';
  highlight?: { title?: string; text?: string };
}

export interface EnginePage {
  /**
   * Number of matching documents in all pages, counted up to the count limit (or just past the
   * requested page, when that is further): see `exact`.
   */
  total: number;
  /** False when counting stopped at the limit: at least `total` documents match. */
  exact: boolean;
  hits: EngineHit[];
}

/**
 * A search engine: the write side every plugin sees ({@link SearchIndex}) plus queries.
 *
 * Ranking, on every engine: documents that match every word (as a word or the start of a
 * word) come first — those with a word in the title, then in name/tags, then by the engine's
 * relevance score (bm25 / ts_rank, exact words above prefixes); then documents that contain
 * every word as a fragment of their title, name or tags (infix, "ets" → petstore), those with
 * a fragment in the title first. Above the rank limit, word matches are ordered title hits,
 * then name/tag hits, then the rest, each in the engine's storage order (FTS5 rowids; the
 * table's blocks on PostgreSQL), and fragments are not looked for.
 */
export interface SearchEngine extends SearchIndex {
  readonly dialect: Database['dialect'];
  query(query: EngineQuery): Promise<EnginePage>;
  /** Types that have been indexed at least once. */
  types(): Promise<string[]>;
  /** Types that a full reindex (`replaceAll`) has built at least once. */
  completeTypes(): Promise<string[]>;
  /** Documents visible to queries, of one type or all. */
  count(type?: string): Promise<number>;
  /** Removes the documents of these entities, of every type. */
  removeEntities(refs: string[]): Promise<void>;
  /** Facts worth telling an operator (e.g. a missing PostgreSQL extension). */
  readonly notes: string[];
}

/** Which documents of a term a query step is about (see {@link BaseSearchEngine.query}). */
export interface MatchSpec {
  /** Whole words / word prefixes, or fragments inside title, name and tags. */
  mode: 'word' | 'infix';
  parsed: ParsedTerm;
  /**
   * For word matches only: those with a word in the title; those with one in name/tags but
   * not in the title; the rest. Absent: all of them.
   */
  part?: MatchPart;
}

export type MatchPart = 'title' | 'keywords' | 'rest';
const PARTS: MatchPart[] = ['title', 'keywords', 'rest'];

/** What every step of one query shares: a consistent read and the query's restrictions. */
export interface QueryContext {
  executor: AnyKysely;
  /** The live generation of each searched type (and one being built), as of this read. */
  live: Array<{ type: string; generation: number; pending: number | null }>;
  /** False when the query names types and others exist. */
  allTypes: boolean;
  /** One list of filter terms (documents.ts `filterTerm`) per filtered field: any of each. */
  filters: string[][];
  /** See {@link EngineQuery.entityRefs}. */
  entityRefs?: Expression<unknown>;
}

export interface EngineOptions {
  /**
   * Match sets up to this size are ordered by relevance (bm25 / ts_rank); bigger ones, which
   * only a very short or very common term produces, are ordered title hits first, then by
   * index order, so that a two-letter prefix over 100,000 documents still answers at once.
   * Fragment matches are looked for only when word matches are at most this many.
   */
  rankLimit?: number;
  /**
   * Totals stop here: a two-letter prefix can match a third of the index, and an exact
   * count would read every match — most of a query's time on PostgreSQL. Above it the total
   * is a lower bound (`EnginePage.exact` false), as Elasticsearch reports 10,000 hits by
   * default. (Counting itself goes on to the rank limit + 1, to choose the order.)
   */
  countLimit?: number;
  /**
   * SQLite, for callers who may not see every document: up to this many visible documents,
   * full-text matches are checked against the list of their ids; above it, on each match's
   * row (see sqlite-engine.ts `visibility`).
   */
  visibleListLimit?: number;
}

export const DEFAULT_RANK_LIMIT = 5000;
export const DEFAULT_COUNT_LIMIT = 10_000;

const BATCH = 500;
/** Old documents deleted per transaction while draining a replaced generation (SQLite). */
const DRAIN_BATCH = 200;

/**
 * Index maintenance shared by both engines. Documents of a type belong to a generation;
 * queries see the generation recorded in `search_types`. `replaceAll` writes a new
 * generation beside the live one and switches in one short transaction, so readers never
 * see an empty or half-built index. Changes made meanwhile, on any server, win over the
 * stream's older copies: upserts go to both generations, removals are recorded in
 * `search_removed` (see `stillFresh`).
 */
export abstract class BaseSearchEngine implements SearchEngine {
  abstract readonly dialect: Database['dialect'];
  readonly notes: string[] = [];
  protected readonly db: AnyKysely;
  protected readonly reader: AnyKysely;
  private readonly replacing = new Map<string, Promise<unknown>>();
  private readonly knownTypes = new Set<string>();

  protected readonly rankLimit: number;
  private readonly countLimit: number;

  constructor(
    protected readonly database: Database,
    protected readonly logger: Logger,
    options: EngineOptions = {},
  ) {
    this.db = database.db;
    this.reader = database.reader;
    this.rankLimit = options.rankLimit ?? DEFAULT_RANK_LIMIT;
    this.countLimit = options.countLimit ?? DEFAULT_COUNT_LIMIT;
  }

  /** Serialises index writes across replicas (PostgreSQL); SQLite has one writer anyway. */
  protected abstract lock(trx: AnyKysely): Promise<void>;
  /** Fresh document ids (also the rowids of the SQLite FTS tables). */
  protected abstract allocateIds(trx: AnyKysely, n: number): Promise<number[]>;
  /** Inserts documents with their ids: the documents table, filters and full-text rows. */
  protected abstract insertDocuments(
    trx: AnyKysely,
    type: string,
    generation: number,
    docs: Array<PreparedDocument & { id: number }>,
  ): Promise<void>;
  /** The `search_documents` columns both engines store for a document. */
  protected static documentRow(
    d: PreparedDocument & { id: number },
    type: string,
    generation: number,
  ) {
    return {
      id: d.id,
      type,
      generation,
      location: d.location,
      entity_ref: d.entityRef,
      title: d.title,
      body: d.body,
    };
  }
  /** Deletes the documents that `where` (over `search_documents`) selects, with their rows. */
  protected abstract deleteDocuments(trx: AnyKysely, where: RawBuilder<unknown>): Promise<void>;
  /** Runs after a full rebuild switched generations: statistics, index merges. */
  protected abstract afterRebuild(): Promise<void>;
  /**
   * True: after a rebuild switches generations, the old one is deleted in small transactions
   * (`drain`) instead of within the switch. For SQLite, where one statement deleting 100,000
   * documents from the full-text tables held the thread that answers HTTP for seconds.
   */
  protected readonly drainsOldGenerations: boolean = false;
  /**
   * Documents a rebuild writes per transaction. SQLite writes on the thread that answers HTTP
   * and takes fewer, so that each transaction stays short.
   */
  protected readonly rebuildBatch: number = BATCH;
  /**
   * Between a rebuild's transactions: lets the event loop turn on SQLite, whose statements
   * (and Kysely's promises over them) never give it back on their own.
   */
  protected pause(): Promise<void> {
    return Promise.resolve();
  }
  /** The type's live generation, and the one a reindex (on any replica) is writing. */
  private async ensureType(
    trx: AnyKysely,
    type: string,
  ): Promise<{ current: number; pending: number | null }> {
    await trx
      .insertInto('search_types')
      .values({ type, generation: 1 })
      .onConflict((oc) => oc.column('type').doNothing())
      .execute();
    const row = await trx
      .selectFrom('search_types')
      .select(['generation', 'pending'])
      .where('type', '=', type)
      .executeTakeFirstOrThrow();
    this.knownTypes.add(type);
    return {
      current: Number(row.generation),
      pending: row.pending === null ? null : Number(row.pending),
    };
  }

  /**
   * Where an upsert writes: the live generation and, while a reindex runs (here or on another
   * replica), the one it is building, which would otherwise lose it.
   */
  private generations(at: { current: number; pending: number | null }): number[] {
    // A pending generation below the live one is an old one being drained (see `drain`).
    return at.pending === null || at.pending <= at.current
      ? [at.current]
      : [at.current, at.pending];
  }

  /** Writes prepared documents into the given generations, replacing same-location ones. */
  private async write(
    trx: AnyKysely,
    type: string,
    generations: number[],
    docs: PreparedDocument[],
  ): Promise<void> {
    for (let i = 0; i < docs.length; i += BATCH) {
      const part = docs.slice(i, i + BATCH);
      await this.deleteDocuments(
        trx,
        sql`type = ${type} and generation in (${sql.join(generations)}) and location in (${sql.join(part.map((d) => d.location))})`,
      );
      for (const generation of generations) {
        const ids = await this.allocateIds(trx, part.length);
        await this.insertDocuments(
          trx,
          type,
          generation,
          part.map((d, j) => ({ ...d, id: ids[j]! })),
        );
      }
    }
  }

  private static dedupe(docs: PreparedDocument[]): PreparedDocument[] {
    const byLocation = new Map<string, PreparedDocument>();
    for (const doc of docs) {
      byLocation.delete(doc.location);
      byLocation.set(doc.location, doc);
    }
    return [...byLocation.values()];
  }

  async upsert(type: string, docs: IndexableDocument[]): Promise<void> {
    const prepared = BaseSearchEngine.dedupe(docs.map((d) => prepareDocument(type, d)));
    await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const at = await this.ensureType(trx, type);
      await this.write(trx, type, this.generations(at), prepared);
    });
  }

  /**
   * Records removals for the reindexes running now (on any server), whose streams may hold
   * older copies of these documents; `rebuild` leaves those out.
   */
  private async tombstone(
    trx: AnyKysely,
    types: string[] | undefined,
    rows: Array<{ location?: string; entity_ref?: string }>,
  ): Promise<void> {
    let q = trx
      .selectFrom('search_types')
      .select(['type', 'pending'])
      .where('pending', 'is not', null);
    if (types) q = q.where('type', 'in', types);
    const running = (await q.execute()) as Array<{ type: string; pending: number }>;
    const values = running.flatMap((r) =>
      rows.map((row) => ({
        type: r.type,
        generation: Number(r.pending),
        location: row.location ?? null,
        entity_ref: row.entity_ref ?? null,
      })),
    );
    if (values.length) await this.database.insertMany(trx, 'search_removed', values);
  }

  async remove(type: string, locations: string[]): Promise<void> {
    if (!locations.length) return;
    await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      for (let i = 0; i < locations.length; i += BATCH) {
        const part = locations.slice(i, i + BATCH);
        await this.deleteDocuments(trx, sql`type = ${type} and location in (${sql.join(part)})`);
      }
      await this.tombstone(
        trx,
        [type],
        locations.map((location) => ({ location })),
      );
    });
  }

  async removeByEntity(type: string, entityRef: string): Promise<void> {
    const ref = canonicalEntityRef(entityRef);
    await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      await this.deleteDocuments(trx, sql`type = ${type} and entity_ref = ${ref}`);
      await this.tombstone(trx, [type], [{ entity_ref: ref }]);
    });
  }

  async removeEntities(refs: string[]): Promise<void> {
    if (!refs.length) return;
    const lower = refs.map(canonicalEntityRef);
    await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      for (let i = 0; i < lower.length; i += BATCH) {
        await this.deleteDocuments(
          trx,
          sql`entity_ref in (${sql.join(lower.slice(i, i + BATCH))})`,
        );
      }
      await this.tombstone(
        trx,
        undefined,
        lower.map((entity_ref) => ({ entity_ref })),
      );
    });
  }

  /**
   * The documents of a reindex's batch that nothing newer has overtaken since its stream read
   * them: not removed meanwhile (search_removed), not written into the new generation by an
   * upsert (on this server or another). Called inside the batch's locked transaction.
   */
  private async stillFresh(
    trx: AnyKysely,
    type: string,
    generation: number,
    docs: PreparedDocument[],
  ): Promise<PreparedDocument[]> {
    if (!docs.length) return docs;
    const removed = (await trx
      .selectFrom('search_removed')
      .select(['location', 'entity_ref'])
      .where('type', '=', type)
      .where('generation', '=', generation)
      .execute()) as Array<{ location: string | null; entity_ref: string | null }>;
    const written = (await trx
      .selectFrom('search_documents')
      .select('location')
      .where('type', '=', type)
      .where('generation', '=', generation)
      .where(
        'location',
        'in',
        docs.map((d) => d.location),
      )
      .execute()) as Array<{ location: string }>;
    const overtaken = new Set([
      ...removed.map((r) => r.location),
      ...written.map((r) => r.location),
    ]);
    const goneEntities = new Set(removed.map((r) => r.entity_ref));
    return docs.filter(
      (d) => !overtaken.has(d.location) && !(d.entityRef && goneEntities.has(d.entityRef)),
    );
  }

  replaceAll(type: string, docs: AsyncIterable<IndexableDocument>): Promise<{ count: number }> {
    // One rebuild of a type at a time; a second waits for the first, then runs on its own stream.
    const previous = this.replacing.get(type) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.rebuild(type, docs));
    this.replacing.set(type, run);
    void run
      .finally(() => {
        if (this.replacing.get(type) === run) this.replacing.delete(type);
      })
      .catch(() => undefined);
    return run;
  }

  private async rebuild(
    type: string,
    docs: AsyncIterable<IndexableDocument>,
  ): Promise<{ count: number }> {
    let generation = 0;
    await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const { current } = await this.ensureType(trx, type);
      // Left over by a rebuild that died (crash, lost connection): invisible, but in the way.
      await this.deleteDocuments(trx, sql`type = ${type} and generation > ${current}`);
      await trx.deleteFrom('search_removed').where('type', '=', type).execute();
      generation = current + 1;
      await trx
        .updateTable('search_types')
        .set({ pending: generation })
        .where('type', '=', type)
        .execute();
    });
    let count = 0;
    let skipped = 0;
    try {
      let batch: PreparedDocument[] = [];
      const flush = async () => {
        const part = BaseSearchEngine.dedupe(batch);
        batch = [];
        if (!part.length) return;
        await this.db.transaction().execute(async (trx) => {
          await this.lock(trx);
          await this.write(
            trx,
            type,
            [generation],
            await this.stillFresh(trx, type, generation, part),
          );
        });
        await this.pause();
      };
      for await (const doc of docs) {
        try {
          batch.push(prepareDocument(type, doc));
          count++;
        } catch (error) {
          skipped++;
          if (skipped <= 10)
            this.logger.warn(`Skipped a document while reindexing: ${(error as Error).message}`);
        }
        if (batch.length >= this.rebuildBatch) await flush();
      }
      await flush();
      const drains = this.drainsOldGenerations;
      await this.db.transaction().execute(async (trx) => {
        await this.lock(trx);
        await trx
          .updateTable('search_types')
          // Draining: the old generation stays marked pending, which queries leave out.
          .set({ generation, complete: 1, pending: drains ? generation - 1 : null })
          .where('type', '=', type)
          .execute();
        if (!drains)
          await this.deleteDocuments(trx, sql`type = ${type} and generation < ${generation}`);
        await trx.deleteFrom('search_removed').where('type', '=', type).execute();
      });
      if (drains) await this.drain(type, generation);
    } catch (error) {
      await this.db
        .transaction()
        .execute(async (trx) => {
          await this.lock(trx);
          await this.deleteDocuments(trx, sql`type = ${type} and generation = ${generation}`);
          await trx.deleteFrom('search_removed').where('type', '=', type).execute();
          await trx
            .updateTable('search_types')
            .set({ pending: null })
            .where('type', '=', type)
            .execute();
        })
        .catch(() => undefined);
      throw error;
    }
    await this.afterRebuild().catch((error) =>
      this.logger.warn(`Index maintenance after reindexing '${type}' failed`, {
        error: (error as Error).message,
      }),
    );
    if (skipped) this.logger.warn(`Reindex of '${type}' skipped ${skipped} invalid documents`);
    return { count: count };
  }

  /**
   * Deletes the documents of `type` older than `generation` a few hundred at a time, each
   * batch its own short transaction with the event loop free in between, then clears the
   * pending mark that hid them from queries.
   */
  private async drain(type: string, generation: number): Promise<void> {
    for (;;) {
      const done = await this.db.transaction().execute(async (trx) => {
        const rows = (await trx
          .selectFrom('search_documents')
          .select('id')
          .where('type', '=', type)
          .where('generation', '<', generation)
          .limit(DRAIN_BATCH)
          .execute()) as Array<{ id: number }>;
        if (rows.length)
          await this.deleteDocuments(trx, sql`id in (${sql.join(rows.map((r) => r.id))})`);
        return rows.length < DRAIN_BATCH;
      });
      if (done) break;
      await this.pause();
    }
    await this.db
      .updateTable('search_types')
      .set({ pending: null })
      .where('type', '=', type)
      .where('pending', '<', generation)
      .execute();
  }

  async types(): Promise<string[]> {
    const rows = await this.reader.selectFrom('search_types').select('type').execute();
    for (const r of rows) this.knownTypes.add(r.type);
    return rows.map((r: { type: string }) => r.type).sort();
  }

  async completeTypes(): Promise<string[]> {
    const rows = await this.reader
      .selectFrom('search_types')
      .select('type')
      .where('complete', '=', 1)
      .execute();
    return rows.map((r: { type: string }) => r.type).sort();
  }

  /** Whether a type has been indexed; asks the database only for names not seen yet. */
  async hasType(type: string): Promise<boolean> {
    if (this.knownTypes.has(type)) return true;
    return (await this.types()).includes(type);
  }

  async count(type?: string): Promise<number> {
    let q = this.reader
      .selectFrom('search_documents as d')
      .select(sql<number>`count(*)`.as('n'))
      .where(
        sql<boolean>`d.generation = (select s.generation from search_types s where s.type = d.type)`,
      );
    if (type) q = q.where('d.type', '=', type);
    const row = await q.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Runs `fn` on one consistent read of the index (a reindex may switch meanwhile). */
  protected abstract snapshot<T>(fn: (executor: AnyKysely) => Promise<T>): Promise<T>;
  /**
   * Documents a step covers, with the context's types, generations and filters, counted up to
   * `cap`: the result is min(count, cap).
   */
  protected abstract countMatches(ctx: QueryContext, spec: MatchSpec, cap: number): Promise<number>;
  /**
   * Ids of a step's documents by relevance (title/name hits first, then score, then id),
   * `limit` from `offset`. Asked only of sets up to the rank limit.
   */
  protected abstract rankMatches(
    ctx: QueryContext,
    spec: MatchSpec,
    offset: number,
    limit: number,
  ): Promise<number[]>;
  /**
   * Ids of a step's first `n` documents (fewer when it has fewer) in the engine's storage
   * order: any order, as long as it is the same on every call while the index is unchanged,
   * and costs about `n` rows rather than the whole step.
   */
  protected abstract firstMatches(ctx: QueryContext, spec: MatchSpec, n: number): Promise<number[]>;
  /** Documents an empty term lists (types, generations, filters only), up to `cap`. */
  protected abstract countAll(ctx: QueryContext, cap: number): Promise<number>;
  /** Ids in title order; `small` says the whole set is at most the rank limit. */
  protected abstract pageAll(
    ctx: QueryContext,
    offset: number,
    limit: number,
    small: boolean,
  ): Promise<number[]>;

  async query(query: EngineQuery): Promise<EnginePage> {
    const parsed = parseTerm(query.term);
    const limit = this.rankLimit;
    const { total, exact, ids, bodies } = await this.snapshot(async (executor) => {
      const types = (await executor
        .selectFrom('search_types')
        .select(['type', 'generation', 'pending'])
        .execute()) as Array<{ type: string; generation: number; pending: number | null }>;
      const wanted = query.types?.length ? new Set(query.types) : undefined;
      const live = types
        .filter((t) => !wanted || wanted.has(t.type))
        .map((t) => ({
          type: t.type,
          generation: Number(t.generation),
          pending: t.pending === null ? null : Number(t.pending),
        }));
      const ctx: QueryContext = {
        executor,
        live,
        allTypes: live.length === types.length,
        filters: Object.entries(query.filters ?? {})
          .map(([key, values]) => [...new Set(values.map((v) => filterTerm(key, v)))])
          .filter((terms) => terms.length > 0),
        entityRefs: query.entityRefs,
      };
      if (!ctx.live.length) return { total: 0, exact: true, ids: [], bodies: new Map() };
      const end = query.offset + query.limit;
      // Past the page asked for, so that a capped count still says whether another follows;
      // past the rank limit, so that it says how to order them.
      const shown = Math.max(this.countLimit, end + 1);
      const cap = Math.max(shown, limit + 1);
      const ids: Array<{ id: number; match: EngineHit['match'] }> = [];
      /** Adds the part of a ranking segment [start, start + size) that falls in the page. */
      const take = async (
        start: number,
        size: number,
        match: EngineHit['match'],
        page: (offset: number, limit: number) => Promise<number[]>,
      ) => {
        const from = Math.max(query.offset, start);
        const to = Math.min(end, start + size);
        if (from < to)
          for (const id of await page(from - start, to - from)) ids.push({ id, match });
      };
      let total: number;
      if (!parsed.words.length) {
        total = await this.countAll(ctx, cap);
        await take(0, total, 'all', (o, l) => this.pageAll(ctx, o, l, total <= limit));
      } else {
        const words: MatchSpec = { mode: 'word', parsed };
        const wordCount = await this.countMatches(ctx, words, cap);
        total = wordCount;
        if (wordCount <= limit) {
          await take(0, wordCount, 'word', (o, l) => this.rankMatches(ctx, words, o, l));
          if (infixWords(parsed)) {
            const infix: MatchSpec = { mode: 'infix', parsed };
            const infixCount = await this.countMatches(ctx, infix, cap - wordCount);
            total += infixCount;
            await take(wordCount, infixCount, 'infix', (o, l) =>
              infixCount <= limit
                ? this.rankMatches(ctx, infix, o, l)
                : this.firstMatches(ctx, infix, o + l).then((first) => first.slice(o)),
            );
          }
        } else {
          // Too many to rank: title hits, name/tag hits, the rest, each in storage order. Only
          // the parts before the page's end are read, and each only up to it: none is counted.
          let start = 0;
          for (const part of PARTS) {
            const need = end - start;
            if (need <= 0) break;
            const first = await this.firstMatches(ctx, { ...words, part }, need);
            await take(start, first.length, 'word', async (o, l) => first.slice(o, o + l));
            start += first.length;
          }
        }
      }
      const exact = total < shown;
      if (!exact) total = shown;
      const bodies = new Map<number, { type: string; body: string }>();
      for (let i = 0; i < ids.length; i += BATCH) {
        const part = ids.slice(i, i + BATCH).map((x) => x.id);
        const rows = (await executor
          .selectFrom('search_documents')
          .select(['id', 'type', 'body'])
          .where('id', 'in', part)
          .execute()) as Array<{ id: number; type: string; body: string }>;
        for (const row of rows) bodies.set(Number(row.id), row);
      }
      return { total, exact, ids, bodies };
    });
    const hits: EngineHit[] = [];
    ids.forEach(({ id, match }) => {
      const row = bodies.get(id);
      if (!row) return;
      const document = JSON.parse(row.body) as IndexableDocument;
      const hit: EngineHit = {
        type: row.type,
        document,
        rank: query.offset + hits.length + 1,
        match,
      };
      if (query.tags && match !== 'all')
        hit.highlight = highlightFields(document, parsed, match, query.tags);
      hits.push(hit);
    });
    return { total, exact, hits };
  }
}
