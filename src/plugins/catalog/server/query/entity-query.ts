import { type Expression, PostgresAdapter, type SqlBool, sql } from 'kysely';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Entity } from '../../../../model/entity.ts';
import { InputError } from '../../../../core/errors.ts';
import { escapeLike } from '../../../../core/plugin-api.ts';
import type { EntityRow, EntityStore } from '../store/entity-store.ts';
import { TITLE_OR_NAME_KEY } from '../store/search-rows.ts';
import { TRIGRAM_TABLE, trigramColumn, trigramQuery } from '../store/trigram-index.ts';
import { type CompileOptions, compilePredicate, type RelationTypeLookup } from './compile.ts';
import { type EntityJsonRow, entityJson, relationsColumn } from './entity-json.ts';
import { type QueryCursor, decodeCursor, encodeCursor } from './cursor.ts';
import type { Predicate } from './predicate.ts';
import { type QueryField, queryFieldFor } from './query-fields.ts';
import { needsRelations, project } from './projection.ts';

/** Refs of generated Location entities (ingest-location.ts); no LIKE wildcard in it. */
const GENERATED_LOCATION_PREFIX = 'location:default/generated-';

export interface ByQueryRequest {
  filter?: Predicate;
  orderField?: { field: string; order: 'asc' | 'desc' };
  fullTextFilter?: { term: string; fields?: string[] };
  fields?: string[];
  limit?: number;
  offset?: number;
  cursor?: string;
  totalItems?: boolean;
  /** The request came as POST with a predicate `query`. */
  viaPost?: boolean;
  /**
   * What the caller may read (from the access policy). Applied to every page and count but
   * never written into cursors: a cursor replayed by someone else gets their own filter.
   */
  readFilter?: Predicate;
}

export interface ByQueryResponse {
  items: Partial<Entity>[];
  totalItems: number;
  pageInfo: { nextCursor?: string; prevCursor?: string };
}

export const DEFAULT_QUERY_LIMIT = 200;

/** Entities read per slice of an unpaginated GET /entities. */
const LIST_SLICE = 1000;

const ALWAYS_PRESENT = new Set([
  'kind',
  'apiversion',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  TITLE_OR_NAME_KEY,
]);

// biome-ignore lint/suspicious/noExplicitAny: untyped catalog tables
type DB = Kysely<any>;

/** Read side of the catalog: filters, order, pagination, facets, over the stored tables. */
export class EntityQuery {
  constructor(
    private readonly db: DB,
    private readonly store: EntityStore,
    private readonly relationType: RelationTypeLookup,
    /** Keys other plugins answer (`catalog.query-fields`), e.g. `scorecard.<name>.level`. */
    private readonly queryFields: readonly QueryField[] = [],
  ) {}

  private where(filter: Predicate | undefined, options?: CompileOptions) {
    return filter
      ? compilePredicate(filter, this.relationType, this.queryFields, options)
      : undefined;
  }

  /** The search rows that contain the full-text term, or undefined for no (or a blank) term. */
  private fullTextMatch(
    ft: { term: string; fields?: string[] } | undefined,
    orderField: string | undefined,
  ) {
    const term = ft?.term.trim().toLowerCase();
    if (!ft || !term) return undefined;
    const fields = (ft.fields?.length ? ft.fields : [orderField ?? 'metadata.uid']).map((f) =>
      f.toLowerCase(),
    );
    const pattern = `%${escapeLike(term)}%`;
    const like = (keys: string[], value = sql`value`) =>
      sql<SqlBool>`(key in (${sql.join(keys)}) and ${value} like ${pattern} escape '\\')`;
    const rows = this.db.selectFrom('catalog_search');
    const indexed = fields.filter((f) => trigramColumn(f));
    const rest = fields.filter((f) => !trigramColumn(f));
    if (this.choosesJoinOrder()) {
      // PostgreSQL: the partial pg_trgm index (trigram-index.ts) serves the indexed keys' part.
      // pg_trgm takes trigrams from runs of letters and digits: without a run of three the
      // index would be read whole (110 ms for `ca` at 100,000 names, where the planner expects
      // a few rows), so `value || ''` keeps such terms to the key index, as before the index.
      if (!/[\p{L}\p{N}]{3}/u.test(term)) return rows.where(like(fields, sql`(value || '')`));
      if (!indexed.length || !rest.length) return rows.where(like(fields));
      return rows.where(sql<SqlBool>`(${like(indexed)} or ${like(rest)})`);
    }
    // SQLite: the FTS5 trigram table finds the indexed keys' matches; the rest keep the LIKE.
    const match = trigramQuery(term, indexed);
    if (!match) return rows.where(like(fields));
    const table = sql.table(TRIGRAM_TABLE);
    // Only indexed keys: the index rows carry the entity id (typed as the rows they stand for).
    if (!rest.length)
      return this.db
        .selectFrom(TRIGRAM_TABLE as 'catalog_search')
        .where(sql<SqlBool>`${table} match ${match}`);
    // Else the search rows found by either way (index rowid = search row rowid).
    const found = sql<SqlBool>`rowid in (select rowid from ${table} where ${table} match ${match})`;
    return rows.where(sql<SqlBool>`(${found} or ${like(rest)})`);
  }

  /** The full-text condition: the entities in `ids` when known, else by subquery. */
  private fullText(
    ft: { term: string; fields?: string[] } | undefined,
    orderField: string | undefined,
    ids: string[] | undefined,
  ) {
    const match = this.fullTextMatch(ft, orderField);
    if (!match) return undefined;
    // biome-ignore lint/suspicious/noExplicitAny: expression builder over untyped tables
    return (eb: any): Expression<SqlBool> => {
      if (ids) return ids.length ? eb('e.id', 'in', ids) : sql<SqlBool>`1=0`;
      return eb('e.id', 'in', match.select('entity_id'));
    };
  }

  /** `/entities/by-query`: keyset pagination on (order value, id). */
  async byQuery(request: ByQueryRequest): Promise<ByQueryResponse> {
    const { rows, totalItems, pageInfo } = await this.queryPage(request, false);
    const entities = await this.store.assemble(rows, needsRelations(request.fields));
    return { items: entities.map((e) => project(e, request.fields)), totalItems, pageInfo };
  }

  /**
   * {@link byQuery}'s answer as the JSON text the route sends: the same bytes as
   * `JSON.stringify(await byQuery(request))`, written from the stored bodies without parsing
   * them when no `fields` projection asks for parts of them.
   */
  async byQueryJson(request: ByQueryRequest): Promise<string> {
    const { rows, totalItems, pageInfo } = await this.queryPage(request, !request.fields);
    const items = await this.entitiesJson(rows, request.fields);
    return `{"items":[${items.join(',')}],"totalItems":${totalItems},"pageInfo":${JSON.stringify(pageInfo)}}`;
  }

  /** Rows as entity JSON: spliced from the stored text, or assembled and projected. */
  private async entitiesJson(rows: EntityJsonRow[], fields: string[] | undefined) {
    if (fields) {
      const entities = await this.store.assemble(rows, needsRelations(fields));
      return entities.map((e) => JSON.stringify(project(e, fields)));
    }
    return rows.map((row) => entityJson(row));
  }

  private dialect(): 'sqlite' | 'pg' {
    return this.choosesJoinOrder() ? 'pg' : 'sqlite';
  }

  /**
   * One page of by-query rows with its count and cursors. `relations`: the rows carry their
   * relations ({@link relationsColumn}).
   */
  private async queryPage(
    request: ByQueryRequest,
    relations: boolean,
  ): Promise<{
    rows: Array<Pick<EntityRow, 'id' | 'entity_ref' | 'body' | 'problems'> & EntityJsonRow>;
    totalItems: number;
    pageInfo: ByQueryResponse['pageInfo'];
  }> {
    const limit = request.limit ?? DEFAULT_QUERY_LIMIT;
    let cursor: QueryCursor | undefined;
    if (request.cursor) cursor = decodeCursor(request.cursor);
    const orderFields = cursor?.orderFields ?? (request.orderField ? [request.orderField] : []);
    const order = orderFields[0];
    const filter = cursor ? (cursor.query ?? cursor.filter) : request.filter;
    const fullText = cursor ? cursor.fullTextFilter : request.fullTextFilter;
    const orderKey = order?.field.toLowerCase();

    // Full text: the matching entities, found in one pass over the fields' values and used by
    // the count and the page alike (each would otherwise make that pass again).
    const ftIds = fullText ? await this.fullTextIds(fullText, order?.field) : undefined;

    // Unordered pages in SQLite walk the entity id index (see CompileOptions.unindexedKind)
    // unless the filter matches few entities (decided below, as for ordered pages).
    let idWalk = false;
    const base = (forCount = false, entitiesFirst = false) => {
      // Ordered pages walk the (key, value, entity_id) index of the order field and stop after
      // one page. SQLite keeps the left side of a CROSS JOIN as the outer loop, so naming the
      // search rows first keeps it from sorting every match of the filter instead; when the
      // filter matches few entities, naming them first reads just those and sorts them.
      // Every entity has the always-present fields, so counting needs no join on them.
      let q =
        orderKey && !(forCount && ALWAYS_PRESENT.has(orderKey))
          ? entitiesFirst
            ? this.db
                .selectFrom('catalog_entities as e')
                .crossJoin(this.orderRows(orderKey))
                .whereRef('e.id', '=', 'o.entity_id')
                .where(SEARCH_KEY_UNINDEXED('o'), '=', orderKey)
            : this.db
                .selectFrom(this.orderRows(orderKey))
                .crossJoin('catalog_entities as e')
                .whereRef('e.id', '=', 'o.entity_id')
                .where('o.key', '=', orderKey)
          : this.db.selectFrom('catalog_entities as e');
      const options = { unindexedKind: idWalk && !forCount && !entitiesFirst };
      const w = this.where(filter, options);
      if (w) q = q.where(w);
      const r = this.where(request.readFilter, options);
      if (r) q = q.where(r);
      const ft = this.fullText(fullText, order?.field, ftIds);
      if (ft) q = q.where(ft);
      return q;
    };

    let totalItems = cursor?.totalItems ?? 0;
    if (!cursor && request.totalItems !== false) {
      const everyMatchCounts =
        !filter && !request.readFilter && (!orderKey || ALWAYS_PRESENT.has(orderKey));
      if (ftIds && everyMatchCounts) totalItems = ftIds.length;
      else {
        const row = await base(true).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
        totalItems = Number(row?.n ?? 0);
      }
    }
    if (limit === 0) return { rows: [], totalItems, pageInfo: {} };

    // Walking the order index visits every entity ordered before the page's matches: when
    // they are few (an owner-only read policy, a rare kind) and sparse or late in the order,
    // that is most of the catalog. A count made for this request decides; else a bounded one,
    // except with full text, whose match list would be built twice. PostgreSQL's planner
    // makes this choice itself.
    // The same holds for an unordered page walking the id index (only a `kind` condition can
    // take SQLite off it: other conditions are id or ref lists, read in id order).
    let entitiesFirst = false;
    if ((filter || request.readFilter) && !this.choosesJoinOrder()) {
      if (!cursor && request.totalItems !== false) entitiesFirst = totalItems <= FEW_MATCHES;
      else if (ftIds) entitiesFirst = ftIds.length <= FEW_MATCHES;
      else if (!fullText) entitiesFirst = await this.fewMatches(base(true));
      idWalk = !orderKey && !entitiesFirst;
    }

    const dir = order?.order ?? 'asc';
    const backwards = cursor?.isPrevious ?? false;
    const effective = backwards ? (dir === 'asc' ? 'desc' : 'asc') : dir;
    let q = base(false, entitiesFirst).select(['e.id', 'e.entity_ref', 'e.body', 'e.problems']);
    if (orderKey) q = q.select('o.value as sort_value');
    if (relations) q = q.select(relationsColumn(this.dialect()));
    if (cursor) {
      const [value = null, id = null] = orderKey
        ? cursor.orderFieldValues
        : [null, cursor.orderFieldValues[0] ?? null];
      const cmp = effective === 'asc' ? '>' : '<';
      if (orderKey) {
        q = q.where(sql<SqlBool>`(o.value, o.entity_id) ${sql.raw(cmp)} (${value}, ${id})`);
      } else {
        q = q.where('e.id', cmp, id);
      }
    }
    if (orderKey) q = q.orderBy('o.value', effective).orderBy('o.entity_id', effective);
    else q = q.orderBy('e.id', effective);
    if (!cursor && request.offset) q = q.offset(request.offset);
    const rows = (await q.limit(limit + 1).execute()) as Array<
      Pick<EntityRow, 'id' | 'entity_ref' | 'body' | 'problems'> &
        EntityJsonRow & { sort_value?: string }
    >;
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    if (backwards) page.reverse();

    const keyOf = (r: (typeof page)[number]) => (orderKey ? [r.sort_value ?? null, r.id] : [r.id]);
    const firstSortFieldValues =
      cursor?.firstSortFieldValues ?? (page[0] ? keyOf(page[0]) : undefined);
    const common = {
      orderFields,
      totalItems,
      firstSortFieldValues,
      ...(fullText ? { fullTextFilter: fullText } : {}),
      // The client POSTs the next page exactly when the cursor has `query`.
      ...(cursor?.query || (!cursor && request.viaPost && filter)
        ? { query: filter }
        : filter
          ? { filter }
          : {}),
    };
    const pageInfo: ByQueryResponse['pageInfo'] = {};
    const first = page[0];
    const last = page[page.length - 1];
    const moreForward = backwards ? true : hasMore;
    const moreBackward = backwards ? hasMore : Boolean(cursor) || Boolean(request.offset);
    if (moreForward && last)
      pageInfo.nextCursor = encodeCursor({
        ...common,
        orderFieldValues: keyOf(last),
        isPrevious: false,
      } as QueryCursor);
    const atStart =
      first &&
      firstSortFieldValues &&
      JSON.stringify(keyOf(first)) === JSON.stringify(firstSortFieldValues);
    if (moreBackward && first && !atStart)
      pageInfo.prevCursor = encodeCursor({
        ...common,
        orderFieldValues: keyOf(first),
        isPrevious: true,
      } as QueryCursor);
    return { rows: page, totalItems, pageInfo };
  }

  /**
   * The ids of the entities whose `fields` contain the full-text term, when there are at most
   * {@link FULL_TEXT_LIST} of them; undefined when more (the page then matches by subquery).
   */
  private async fullTextIds(
    ft: { term: string; fields?: string[] },
    orderField: string | undefined,
  ): Promise<string[] | undefined> {
    const match = this.fullTextMatch(ft, orderField);
    if (!match) return undefined;
    const rows = (await match
      .select('entity_id')
      .distinct()
      .limit(FULL_TEXT_LIST + 1)
      .execute()) as Array<{ entity_id: string }>;
    return rows.length > FULL_TEXT_LIST ? undefined : rows.map((r) => r.entity_id);
  }

  /**
   * Where an ordered page reads its order values, as `o` (entity_id, key, value): the search
   * rows, or for a key another plugin answers (`scorecard.<name>.rank`) the values it gives.
   */
  private orderRows(key: string): 'catalog_search as o' {
    const contributed = queryFieldFor(this.queryFields, key);
    if (!contributed?.orderValues) return 'catalog_search as o';
    const values = contributed.orderValues;
    // biome-ignore lint/suspicious/noExplicitAny: a derived table standing in for `o`
    const derived = (eb: any) =>
      eb
        .selectFrom(values(eb, key).as('v'))
        .innerJoin('catalog_entities as oe', 'oe.entity_ref', 'v.entity_ref')
        .select([
          'oe.id as entity_id',
          sql<string>`cast(${key} as varchar(256))`.as('key'),
          'v.value as value',
        ])
        .as('o');
    // Typed as the search rows it replaces: the same three columns under the same alias.
    return derived as unknown as 'catalog_search as o';
  }

  /** PostgreSQL orders joins by its own estimates; SQLite runs a CROSS JOIN as written. */
  private choosesJoinOrder(): boolean {
    return this.db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** Whether `query` selects at most {@link FEW_MATCHES} entities (it counts no further). */
  // biome-ignore lint/suspicious/noExplicitAny: a query over the untyped catalog tables
  private async fewMatches(query: SelectQueryBuilder<any, any, any>): Promise<boolean> {
    const row = await this.db
      .selectFrom(
        query
          .select(sql<number>`1`.as('one'))
          .limit(FEW_MATCHES + 1)
          .as('m'),
      )
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0) <= FEW_MATCHES;
  }

  /** GET `/entities`: every match, or a page when limit/offset/after is given. */
  async list(request: {
    filter?: Predicate;
    fields?: string[];
    order?: Array<{ field: string; order: 'asc' | 'desc' }>;
    limit?: number;
    offset?: number;
    /**
     * A slice of an unpaginated listing (see {@link listAll}); keeps its ordering rules.
     * `after` (unordered listings only) continues after that entity ref instead of skipping
     * `offset` matches.
     */
    slice?: { limit: number; offset: number; after?: string };
  }): Promise<{
    items: Partial<Entity>[];
    hasMore: boolean;
    /** The entity ref of the last item (what a slice's `after` continues from). */
    lastRef?: string;
  }> {
    const paginated = request.limit !== undefined || request.offset !== undefined;
    let q = this.db
      .selectFrom('catalog_entities as e')
      .select(['e.id', 'e.entity_ref', 'e.body', 'e.problems']);
    const w = this.where(request.filter);
    if (w) q = q.where(w);
    const orders = request.order ?? [];
    if (paginated) {
      orders.forEach((o, i) => {
        const alias = `o${i}`;
        q = q
          .leftJoin(`catalog_search as ${alias}`, (join) =>
            join
              .onRef(`${alias}.entity_id`, '=', 'e.id')
              .on(`${alias}.key`, '=', o.field.toLowerCase()),
          )
          .orderBy(sql`${sql.ref(`${alias}.value`)} is null`)
          .orderBy(`${alias}.value`, o.order);
      });
      q = q.orderBy('e.entity_ref');
      if (request.offset) q = q.offset(request.offset);
      if (request.limit !== undefined) q = q.limit(request.limit + 1);
    } else if (orders[0]) {
      const o = orders[0];
      q = q
        .innerJoin('catalog_search as o0', (join) =>
          join.onRef('o0.entity_id', '=', 'e.id').on('o0.key', '=', o.field.toLowerCase()),
        )
        .orderBy('o0.value', o.order)
        .orderBy('e.entity_ref');
    } else {
      q = q.orderBy('e.entity_ref');
    }
    if (!paginated && request.slice) {
      const { after, offset, limit } = request.slice;
      if (after !== undefined && !orders[0]) q = q.where('e.entity_ref', '>', after);
      else if (offset) q = q.offset(offset);
      q = q.limit(limit + 1);
    }
    const rows = (await q.execute()) as Array<
      Pick<EntityRow, 'id' | 'entity_ref' | 'body' | 'problems'>
    >;
    const pageSize = paginated ? request.limit : request.slice?.limit;
    const hasMore = pageSize !== undefined && rows.length > pageSize;
    const page = hasMore ? rows.slice(0, pageSize) : rows;
    const entities = await this.store.assemble(page, needsRelations(request.fields));
    const lastRef = page[page.length - 1]?.entity_ref;
    return {
      items: entities.map((e) => project(e, request.fields)),
      hasMore,
      ...(lastRef !== undefined ? { lastRef } : {}),
    };
  }

  /**
   * GET `/entities` without paging: every match, read a slice at a time so that a 100,000
   * entity answer is streamed rather than held in memory whole. In entity ref order, each
   * slice continues after the previous one's last ref (keyset: every slice costs about its
   * own rows, where skipping an offset would read every earlier match again); ordered by a
   * field, slices are taken by offset.
   */
  listAll(request: {
    filter?: Predicate;
    fields?: string[];
    order?: Array<{ field: string; order: 'asc' | 'desc' }>;
  }): AsyncGenerator<Partial<Entity>[]> {
    this.checkFilter(request.filter);
    return this.listSlices(request);
  }

  /**
   * Builds the filter's SQL once without running it: a key another plugin answers may refuse
   * a value (InputError), and a streamed answer must be refused before its first byte.
   */
  private checkFilter(filter: Predicate | undefined): void {
    const w = this.where(filter);
    if (w) this.db.selectFrom('catalog_entities as e').select('e.id').where(w).compile();
  }

  private async *listSlices(request: {
    filter?: Predicate;
    fields?: string[];
    order?: Array<{ field: string; order: 'asc' | 'desc' }>;
  }): AsyncGenerator<Partial<Entity>[]> {
    let after: string | undefined;
    for (let offset = 0; ; offset += LIST_SLICE) {
      const { items, hasMore, lastRef } = await this.list({
        ...request,
        slice: { limit: LIST_SLICE, offset, ...(after !== undefined ? { after } : {}) },
      });
      if (items.length) yield items;
      if (!hasMore || lastRef === undefined) return;
      after = lastRef;
    }
  }

  /**
   * The most recently changed entities (Atrium; the home page shows them). The Location
   * entities generated for registered locations (generatedLocationRef) are left out: every
   * registration makes one, and their hashed names would push real changes off the list.
   */
  async recent(limit: number, filter: Predicate | undefined) {
    let q = this.db
      .selectFrom('catalog_entities as e')
      .select(['e.entity_ref', 'e.body', 'e.updated_at'])
      .where('e.entity_ref', 'not like', `${GENERATED_LOCATION_PREFIX}%`);
    const w = this.where(filter);
    if (w) q = q.where(w);
    const rows = (await q
      .orderBy('e.updated_at', 'desc')
      .orderBy('e.entity_ref')
      .limit(limit)
      .execute()) as Array<Pick<EntityRow, 'entity_ref' | 'body' | 'updated_at'>>;
    return rows.map((row) => {
      const entity = JSON.parse(row.body) as Entity;
      return {
        entityRef: row.entity_ref,
        kind: entity.kind,
        namespace: entity.metadata.namespace ?? 'default',
        name: entity.metadata.name,
        ...(entity.metadata.title ? { title: entity.metadata.title } : {}),
        updatedAt: row.updated_at,
      };
    });
  }

  /**
   * The entity stored under `ref`, assembled as {@link EntityStore.assemble} does; on SQLite
   * in one statement (the relations beside the row: one trip to a read worker, not two).
   */
  async entityByRef(ref: string): Promise<Entity | undefined> {
    const row = (await this.db
      .selectFrom('catalog_entities as e')
      .select(['e.entity_ref', 'e.body', 'e.problems', relationsColumn(this.dialect())])
      .where('e.entity_ref', '=', ref.toLowerCase())
      .executeTakeFirst()) as EntityJsonRow | undefined;
    return row ? (JSON.parse(entityJson(row)) as Entity) : undefined;
  }

  async byRefs(
    refs: string[],
    fields: string[] | undefined,
    filter: Predicate | undefined,
  ): Promise<Array<Partial<Entity> | null>> {
    if (!refs.length) return [];
    let q = this.db
      .selectFrom('catalog_entities as e')
      .select(['e.id', 'e.entity_ref', 'e.body', 'e.problems']);
    const w = this.where(filter);
    if (w) q = q.where(w);
    const found = new Map<string, Pick<EntityRow, 'id' | 'entity_ref' | 'body' | 'problems'>>();
    for (let i = 0; i < refs.length; i += 500) {
      const part = refs.slice(i, i + 500);
      for (const row of (await q.where('e.entity_ref', 'in', part).execute()) as Array<
        Pick<EntityRow, 'id' | 'entity_ref' | 'body' | 'problems'>
      >) {
        found.set(row.entity_ref, row);
      }
    }
    const rows = [...found.values()];
    const entities = await this.store.assemble(rows, needsRelations(fields));
    const byRef = new Map(rows.map((r, i) => [r.entity_ref, project(entities[i]!, fields)]));
    return refs.map((ref) => byRef.get(ref) ?? null);
  }

  /**
   * A subquery of the refs (lowercase, column `entity_ref`) of entities matching `filter`,
   * for other plugins' queries over the same database (search hits, docs sites): they filter
   * by what the caller may read inside their own SQL.
   */
  refsMatching(filter: Predicate) {
    return this.db
      .selectFrom('catalog_entities as e')
      .select('e.entity_ref')
      .where(this.where(filter)!);
  }

  /** Which of `refs` (lowercase) exist and match `filter`: the graph hides the others. */
  async matchingRefs(refs: string[], filter: Predicate): Promise<Set<string>> {
    const out = new Set<string>();
    const w = this.where(filter)!;
    for (let i = 0; i < refs.length; i += 500) {
      const rows = (await this.db
        .selectFrom('catalog_entities as e')
        .select('e.entity_ref')
        .where('e.entity_ref', 'in', refs.slice(i, i + 500))
        .where(w)
        .execute()) as Array<{ entity_ref: string }>;
      for (const row of rows) out.add(row.entity_ref);
    }
    return out;
  }

  async facets(
    facets: string[],
    filter: Predicate | undefined,
  ): Promise<Record<string, Array<{ value: string; count: number }>>> {
    // Facet counts aggregate many rows, and catalog pages ask for the same ones again and
    // again; they are cached until the catalog's generation moves.
    const generation = await this.store.generation();
    const cacheKey = JSON.stringify([facets, filter ?? null]);
    const cached = this.facetCache.get(cacheKey);
    if (cached && cached.generation === generation) return structuredClone(cached.value);
    const out: Record<string, Array<{ value: string; count: number }>> = {};
    const w = this.where(filter);
    const keys = [
      ...new Set(facets.map((f) => f.toLowerCase()).filter((k) => !k.startsWith('relations.'))),
    ];
    const fromFew =
      w &&
      keys.length &&
      (await this.fewMatches(this.db.selectFrom('catalog_entities as e').where(w)))
        ? await this.facetRowsOfFew(keys, w)
        : undefined;
    for (const facet of facets) {
      const key = facet.toLowerCase();
      if (key.startsWith('relations.')) {
        // Relation facets count target refs of one relation type, from the relations table.
        const type = key.slice('relations.'.length);
        const actual = this.relationType(type);
        let q = this.db
          .selectFrom('catalog_relations as r')
          .innerJoin('catalog_entities as e', 'e.entity_ref', 'r.source_ref')
          .select(['r.target_ref as value', sql<number>`count(*)`.as('count')])
          .where(actual ? sql<SqlBool>`r.type = ${actual}` : sql<SqlBool>`lower(r.type) = ${type}`);
        if (w) q = q.where(w);
        const rows = await q.groupBy('r.target_ref').orderBy('r.target_ref').execute();
        out[facet] = rows.map((r: { value: string; count: number | string }) => ({
          value: r.value,
          count: Number(r.count),
        }));
        continue;
      }
      const grouped = fromFew ? fromFew.filter((r) => r.key === key) : await this.facetRows(key, w);
      // Groups are by stored (value, original_value); merged here by their written form.
      const counts = new Map<string, number>();
      for (const r of grouped) {
        counts.set(r.value, (counts.get(r.value) ?? 0) + Number(r.count));
      }
      out[facet] = [...counts]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([value, count]) => ({ value, count }));
    }
    if (this.facetCache.size >= FACET_CACHE_SIZE)
      this.facetCache.delete(this.facetCache.keys().next().value!);
    this.facetCache.set(cacheKey, { generation, value: out });
    return structuredClone(out);
  }

  /** One facet's groups over the whole catalog's rows of it, each checked against the filter. */
  private async facetRows(key: string, w: ReturnType<EntityQuery['where']>) {
    let q = this.db
      .selectFrom('catalog_search as s')
      .select([
        sql<string>`coalesce(s.original_value, s.value)`.as('value'),
        sql<number>`count(*)`.as('count'),
      ])
      .where('s.key', '=', key)
      .where('s.value', 'is not', null);
    if (w) {
      q = q.where(
        's.entity_id',
        'in',
        this.db.selectFrom('catalog_entities as e').select('e.id').where(w),
      );
    }
    // Grouping on the indexed columns first keeps this an index-only scan.
    return (await q.groupBy(['s.value', 's.original_value']).execute()) as FacetRow[];
  }

  /**
   * Every facet's groups over the rows of the few entities matching `w`, in one statement
   * that reads those entities first: scanning each facet's rows of the whole catalog for them
   * (see {@link facetRows}) costs the same for 1,000 matches as for 100,000.
   */
  private async facetRowsOfFew(keys: string[], w: NonNullable<ReturnType<EntityQuery['where']>>) {
    return (await this.db
      .selectFrom('catalog_entities as e')
      .crossJoin('catalog_search as s')
      .whereRef('s.entity_id', '=', 'e.id')
      .where(w)
      .where(SEARCH_KEY_UNINDEXED('s'), 'in', keys)
      .where('s.value', 'is not', null)
      .select([
        's.key',
        sql<string>`coalesce(s.original_value, s.value)`.as('value'),
        sql<number>`count(*)`.as('count'),
      ])
      .groupBy(['s.key', 's.value', 's.original_value'])
      .execute()) as Array<FacetRow & { key: string }>;
  }

  private readonly facetCache = new Map<
    string,
    { generation: number; value: Record<string, Array<{ value: string; count: number }>> }
  >();
}

const FACET_CACHE_SIZE = 200;

type FacetRow = { value: string; count: number | string };

/**
 * Up to this many matches, an ordered page or a facet count reads the matching entities first
 * (then sorts or groups them) instead of going through the order field's or facet's rows of
 * the whole catalog. About where both cost the same at 100,000 entities (a page of 100 of
 * 2,000 matches spread evenly walks ~5,000 index entries); reading the matches first does
 * not depend on where they fall in the order.
 */
const FEW_MATCHES = 2000;

/**
 * Up to this many entities matching a full-text term are listed by id (bound parameters) for
 * the count and the page; a term matching more is matched by subquery in each.
 */
const FULL_TEXT_LIST = 5000;

/**
 * The `key` of a search row, written so that no index can serve it: where the entities are
 * read first, each one's rows must be found by `entity_id`. SQLite would otherwise take the
 * (key, value, …) index whenever its statistics make a key look rare (an exact ANALYZE
 * averages over thousands of one-off annotation keys), and scan a whole key per entity.
 */
const SEARCH_KEY_UNINDEXED = (alias: 'o' | 's') => sql<string>`${sql.ref(`${alias}.key`)} || ''`;

export function parseOrderParam(
  value: string,
  style: 'colon' | 'comma',
): { field: string; order: 'asc' | 'desc' } {
  if (style === 'colon') {
    const m = /^(asc|desc):(.+)$/.exec(value.trim());
    if (!m) throw new InputError(`Invalid order '${value}': expected asc:<field> or desc:<field>`);
    return { order: m[1] as 'asc' | 'desc', field: m[2]! };
  }
  const [field, order = 'asc', ...rest] = value.split(',').map((s) => s.trim());
  if (!field || rest.length || (order !== 'asc' && order !== 'desc')) {
    throw new InputError(`Invalid orderField '${value}': expected <field>,asc or <field>,desc`);
  }
  return { field, order };
}
