/**
 * Full-text filters through the trigram index (store/trigram-index.ts: SQLite FTS5 kept by
 * triggers, PostgreSQL pg_trgm) answer exactly what `value like '%term%'` over the search rows
 * answers: the same items and totalItems for many random terms (substrings of stored names,
 * titles and display names, 1–2 characters, LIKE wildcards, quotes, FTS5 syntax, non-ASCII)
 * and field lists (indexed keys, unindexed keys, both), with and without a read filter; after
 * the migration filled the index from rows stored before it, and after updates, orphaning and
 * deletes went through the unchanged write path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import { escapeLike } from '../src/core/plugin-api.ts';
import type { Entity } from '../src/model/entity.ts';
import { createKindRegistry, deriveRelations, stringifyEntityRef } from '../src/model/index.ts';
import {
  type ByQueryRequest,
  EntityQuery,
} from '../src/plugins/catalog/server/query/entity-query.ts';
import { parseFilterParams } from '../src/plugins/catalog/server/query/predicate.ts';
import { EntityStore } from '../src/plugins/catalog/server/store/entity-store.ts';
import { LocationStore } from '../src/plugins/catalog/server/store/location-store.ts';
import { catalogMigrations } from '../src/plugins/catalog/server/store/migrations.ts';
import { TRIGRAM_KEYS, TRIGRAM_TABLE } from '../src/plugins/catalog/server/store/trigram-index.ts';
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const registry = createKindRegistry([]);

/** Deterministic random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD = [
  '%',
  '_',
  '"',
  "'",
  '\\',
  ' ',
  'é',
  'Ü',
  'ß',
  'İ',
  'ǅ',
  '😀',
  '中文',
  '*',
  '-',
  ':',
  '{',
  '}',
  '^',
  '(',
  'AND',
  'NEAR',
];
const WORDS = [
  'metrics',
  'orders',
  'pay',
  'svc',
  'api',
  'Zürich',
  'STRASSE',
  'straße',
  'a_b',
  '50%',
  'x"y',
  "o'neil",
];

function entities(rnd: () => number, n: number, generation: number): Entity[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const text = (parts: number) =>
    Array.from({ length: parts }, () => (rnd() < 0.3 ? pick(ODD) : pick(WORDS))).join(
      rnd() < 0.5 ? '-' : ' ',
    );
  const out: Entity[] = [];
  for (let i = 0; i < n; i++) {
    const user = i % 5 === 0;
    const name = `${pick(WORDS)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}-${i}`;
    out.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: user ? 'User' : 'Component',
      metadata: {
        name,
        namespace: 'default',
        ...(i % 3 === 0 ? {} : { title: `${text(3)} g${generation}` }),
        ...(i % 4 === 0 ? { description: text(5) } : {}),
      },
      spec: user
        ? { profile: { displayName: text(2) }, memberOf: [] }
        : { type: 'service', lifecycle: 'production', owner: i % 2 ? 'team-a' : 'team-b' },
    });
  }
  return out;
}

const FIELD_LISTS: Array<string[] | undefined> = [
  ['metadata.name'],
  ['metadata.name', 'metadata.title'],
  ['Metadata.Title'],
  ['spec.profile.displayName'],
  ['metadata.name', 'metadata.title', 'spec.profile.displayName'],
  ['metadata.description'],
  ['metadata.name', 'metadata.description'],
  ['constructor'],
  undefined,
];

describe.each(ENGINES)('full text through the trigram index on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  let dir: string;
  let store: EntityStore;
  let query: EntityQuery;
  let location: string;
  const rnd = random(11);

  const apply = (list: Entity[]) =>
    store.applyLocation({
      locationId: location,
      entities: list.map((entity) => ({
        ref: stringifyEntityRef(entity),
        entity,
        hash: JSON.stringify(entity),
        parentRef: null,
        relations: deriveRelations(entity, registry),
      })),
      unchangedRefs: new Set(),
      failed: new Map(),
      orphanStrategy: 'delete',
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-trigram-'));
    ({ database, drop } = await openFreshDatabase(engine, dir));
    // Rows stored before the index exists: the migration must fill it from them.
    const before = catalogMigrations.filter((m) => m.name < '0006');
    await runMigrations(database, 'catalog', before);
    store = new EntityStore(database);
    location = (
      await new LocationStore(database).create({
        type: 'file',
        target: '/a.yaml',
        origin: 'config',
      })
    ).id;
    await apply(entities(rnd, 600, 0));
    expect(await runMigrations(database, 'catalog', catalogMigrations)).toEqual([
      '0006_search_trigram',
    ]);
    query = new EntityQuery(database.reader, store, () => undefined);
  }, 120_000);

  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Today's answer: the entity ids whose values of `fields` contain the term (plain LIKE). */
  const likeIds = async (term: string, fields: string[], readable?: Set<string>) => {
    const t = term.trim().toLowerCase();
    const rows = await sql<{ entity_id: string }>`select distinct s.entity_id from catalog_search s
      join catalog_entities e on e.id = s.entity_id
      where s.key in (${sql.join(fields.map((f) => f.toLowerCase()))})
      and s.value like ${`%${escapeLike(t)}%`} escape '\\'`.execute(database.db);
    const refs = new Set<string>();
    const ids = rows.rows.map((r) => r.entity_id);
    if (!ids.length) return refs;
    const ents = await database.db
      .selectFrom('catalog_entities' as never)
      .select(['entity_ref' as never])
      .where('id' as never, 'in', ids as never)
      .execute();
    for (const e of ents as Array<{ entity_ref: string }>)
      if (!readable || readable.has(e.entity_ref.toLowerCase()))
        refs.add(e.entity_ref.toLowerCase());
    return refs;
  };

  /** Every page of the request's answer (pages of 7 with a cursor); its refs and total. */
  const answer = async (request: ByQueryRequest) => {
    let page = await query.byQuery({ ...request, limit: 7 });
    const total = page.totalItems;
    const refs = page.items.map((e) => stringifyEntityRef(e as Entity).toLowerCase());
    while (page.pageInfo.nextCursor) {
      page = await query.byQuery({
        cursor: page.pageInfo.nextCursor,
        limit: 7,
        ...(request.readFilter ? { readFilter: request.readFilter } : {}),
      });
      refs.push(...page.items.map((e) => stringifyEntityRef(e as Entity).toLowerCase()));
    }
    return { refs, total };
  };

  /** Random terms: pieces of stored values (any length from 1), odd characters, mixed case. */
  const terms = async (count: number) => {
    const values = (
      await sql<{ v: string }>`select coalesce(original_value, value) as v from catalog_search
        where key in (${sql.join([...Object.keys(TRIGRAM_KEYS), 'metadata.description'])})
        and value is not null`.execute(database.db)
    ).rows.map((r) => r.v);
    const out = [
      'a',
      'ab',
      'e-',
      '%',
      '_',
      '\\',
      '"',
      '""',
      "'",
      '😀',
      'ß',
      'İ',
      'svc',
      'SVC',
      '50%',
      'a_b',
      'x"y',
      ' metrics ',
      'NEAR(',
      '{name} : x',
      'ü g0',
    ];
    while (out.length < count) {
      const v = [...values[Math.floor(rnd() * values.length)]!];
      const len = 1 + Math.floor(rnd() * 8);
      const at = Math.floor(rnd() * Math.max(1, v.length - len));
      let t = v.slice(at, at + len).join('');
      if (rnd() < 0.2) t = t.toUpperCase();
      if (rnd() < 0.1) t += ODD[Math.floor(rnd() * ODD.length)];
      out.push(t);
    }
    return out;
  };

  const check = async (count: number, readFilter?: ByQueryRequest['readFilter']) => {
    const readable = readFilter ? new Set((await answer({ filter: readFilter })).refs) : undefined;
    let nonEmpty = 0;
    for (const term of await terms(count)) {
      for (const fields of FIELD_LISTS) {
        if (!term.trim()) continue;
        const expected = await likeIds(term, fields ?? ['metadata.uid'], readable);
        const got = await answer({
          fullTextFilter: { term, ...(fields ? { fields } : {}) },
          ...(readFilter ? { readFilter } : {}),
        });
        const context = `term ${JSON.stringify(term)} fields ${JSON.stringify(fields)}`;
        expect([...got.refs].sort(), context).toEqual([...expected].sort());
        expect(got.total, context).toBe(expected.size);
        if (expected.size) nonEmpty++;
      }
    }
    // The terms must find something, or equality proves nothing.
    expect(nonEmpty).toBeGreaterThan(count);
  };

  it('answers as LIKE does for random terms and field lists, after the migration filled it', async () => {
    await check(120);
  }, 120_000);

  it('answers as LIKE does under a read filter', async () => {
    await check(40, parseFilterParams(['spec.owner=team-a', 'kind=user']));
  }, 120_000);

  it('stays current through updates and deletes by the write path', async () => {
    // Generation 1: titles change (updates), every third entity of the first 600 is gone
    // (deletes), new ones come (inserts).
    const next = entities(rnd, 900, 1).filter((_, i) => i >= 600 || i % 3 !== 1);
    await apply(next);
    if (engine === 'sqlite') {
      // One index row per indexed search row, none left for deleted rows.
      const indexed = await sql<{ n: number }>`select count(*) as n from catalog_search
        where key in (${sql.join(Object.keys(TRIGRAM_KEYS))}) and value is not null`.execute(
        database.db,
      );
      const fts = await sql<{ n: number }>`select count(*) as n from ${sql.table(
        TRIGRAM_TABLE,
      )}`.execute(database.db);
      expect(Number(fts.rows[0]!.n)).toBe(Number(indexed.rows[0]!.n));
    }
    const gone = await answer({ fullTextFilter: { term: ' g0', fields: ['metadata.title'] } });
    expect(gone.total).toBe(0);
    // The write path deletes and inserts search rows; an update (by hand here) is kept too.
    await sql`update catalog_search set value = 'zzqqxx-renamed'
      where key = 'metadata.name' and entity_id = (select min(entity_id) from catalog_search)`.execute(
      database.db,
    );
    await sql`update catalog_search set key = 'metadata.name'
      where key = 'metadata.description' and entity_id = (select max(entity_id) from catalog_search
        where key = 'metadata.description' and value like '%metrics%')`.execute(database.db);
    const renamed = { term: 'qqxx-ren', fields: ['metadata.name'] };
    expect((await answer({ fullTextFilter: renamed })).total).toBe(1);
    await check(80);
  }, 120_000);

  it('uses the index for a term of three or more characters', async () => {
    if (engine === 'sqlite') {
      // Emptied, the index finds nothing: the query asked it (a shorter term still finds).
      const name = { fields: ['metadata.name'] };
      expect((await answer({ fullTextFilter: { term: 'svc', ...name } })).total).toBeGreaterThan(0);
      await sql`delete from ${sql.table(TRIGRAM_TABLE)}`.execute(database.db);
      expect((await answer({ fullTextFilter: { term: 'svc', ...name } })).total).toBe(0);
      expect((await answer({ fullTextFilter: { term: 'sv', ...name } })).total).toBeGreaterThan(0);
      return;
    }
    // Few rows here: the planner may well prefer a scan. Without the alternatives (dropped in
    // a transaction that is rolled back) the plan shows whether the index can serve the query.
    let plan = '';
    await database.db
      .transaction()
      .execute(async (trx) => {
        await sql`drop index catalog_search_key_value`.execute(trx);
        await sql`set local enable_seqscan = off`.execute(trx);
        const rows = await sql<{ 'QUERY PLAN': string }>`explain select entity_id
          from catalog_search
          where (key in (${'metadata.name'}) and value like ${'%svc-1%'} escape '\\')`.execute(trx);
        plan = rows.rows.map((r) => r['QUERY PLAN']).join('\n');
        throw new Error('roll back');
      })
      .catch((error: Error) => {
        if (error.message !== 'roll back') throw error;
      });
    expect(plan).toMatch(/Bitmap Index Scan on catalog_search_value_trgm/);
  });
});
