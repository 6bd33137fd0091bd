/**
 * The search engine conformance suite: the same tests on SQLite (FTS5) and on PostgreSQL
 * (tsvector + pg_trgm), against the SearchEngine interface directly (no HTTP), so both
 * engines rank, filter, page and highlight alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import { createLogger } from '../src/core/logger.ts';
import { splitHighlight } from '../src/plugins/search/common/types.ts';
import type { IndexableDocument } from '../src/plugins/search/server/api.ts';
import {
  createSearchEngine,
  type EngineQuery,
  type SearchEngine,
} from '../src/plugins/search/server/engine/index.ts';
import { searchMigrations } from '../src/plugins/search/server/migrations.ts';
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const TAGS = { preTag: '<m-1f3a>', postTag: '</m-1f3a>' };

/** A catalog-like document. */
function entityDoc(
  name: string,
  fields: Partial<IndexableDocument> & { kind?: string; owner?: string } = {},
): IndexableDocument {
  const kind = fields.kind ?? 'Component';
  return {
    title: name,
    text: '',
    location: `/catalog/default/${kind.toLowerCase()}/${name}`,
    kind,
    namespace: 'default',
    owner: 'team-a',
    lifecycle: 'production',
    type: 'service',
    name,
    tags: [],
    entityRef: `${kind.toLowerCase()}:default/${name}`,
    ...fields,
  };
}

function page(name: string, path: string, title: string, text: string): IndexableDocument {
  return {
    title,
    text,
    location: `/docs/default/component/${name}/${path}`,
    kind: 'component',
    namespace: 'default',
    name,
    entityRef: `component:default/${name}`,
  };
}

const CATALOG: IndexableDocument[] = [
  entityDoc('petstore', {
    kind: 'API',
    text: 'The Petstore example API',
    tags: ['openapi', 'rest'],
    owner: 'team-pets',
  }),
  entityDoc('pet-adoption', {
    title: 'Pet Adoption',
    text: 'Adopt a pet from the shelter',
    owner: 'team-b',
    lifecycle: 'experimental',
  }),
  entityDoc('carpet-cleaner', { text: 'Cleans carpets every night', owner: 'team-b' }),
  entityDoc('billing', {
    title: 'Billing Service',
    text: 'Invoices and payments',
    tags: ['payments'],
    owner: 'Team-Money',
    lifecycle: 'deprecated',
  }),
  entityDoc('rollback', { kind: 'Group', title: 'Rollback Crew', owner: '' }),
];

const LONG_FILLER =
  'This paragraph talks about queues, caches and dashboards at length so that the page is long enough to need a snippet window. '.repeat(
    4,
  );

const DOCS: IndexableDocument[] = [
  page(
    'booking',
    'rollback/',
    'Rollback procedure',
    `${LONG_FILLER}How to deploy a fix and rollback a release. <b>Never</b> & always check.`,
  ),
  page(
    'booking',
    'ops/',
    'Operations',
    'We deploy often. A rollback is rare; rollback steps: stop, rollback, verify, rollback again.',
  ),
  page('tracking', '', 'Tracking overview', 'Tracks parcels. Nothing about releases here.'),
];

const titles = (hits: Array<{ document: IndexableDocument }>) => hits.map((h) => h.document.title);

for (const engineName of ENGINES) {
  describe(`search engine conformance (${engineName})`, () => {
    let database: Database;
    let engine: SearchEngine;
    let drop: () => Promise<void>;
    let dir: string;

    const q = (query: Partial<EngineQuery> & { term: string }) =>
      engine.query({ offset: 0, limit: 25, tags: TAGS, ...query });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atrium-search-'));
      ({ database, drop } = await openFreshDatabase(engineName, dir));
      expect(await runMigrations(database, 'search', searchMigrations)).toEqual([
        '0001_initial',
        '0002_removed_during_reindex',
        '0003_search_index_entity_ref',
      ]);
      engine = await createSearchEngine(database, createLogger({ level: 'error' }));
      if (engineName === 'pg') expect(engine.notes).toEqual([]); // pg_trgm is available
    });

    afterAll(async () => {
      await database?.close();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      await engine.replaceAll('catalog', iterate(CATALOG));
      await engine.replaceAll('docs', iterate(DOCS));
    });

    it('finds whole words, ranks title matches above text matches', async () => {
      const r = await q({ term: 'rollback' });
      // Titles first (the group named "rollback" also matches by name), then text-only pages.
      expect(titles(r.hits)).toEqual(['Rollback Crew', 'Rollback procedure', 'Operations']);
      expect(r.total).toBe(3);
      expect(r.hits.map((h) => h.rank)).toEqual([1, 2, 3]);
      expect(r.hits.every((h) => h.match === 'word')).toBe(true);
    });

    it('requires every word, anywhere in the document', async () => {
      const r = await q({ term: 'deploy rollback' });
      expect(titles(r.hits)).toEqual(['Rollback procedure', 'Operations']);
      expect((await q({ term: 'deploy parcels' })).total).toBe(0);
    });

    it('matches the start of words as the user types (every word, the last one too)', async () => {
      expect(titles((await q({ term: 'petst' })).hits)).toEqual(['petstore']);
      expect(titles((await q({ term: 'depl rollb' })).hits)).toEqual([
        'Rollback procedure',
        'Operations',
      ]);
      // An exact word beats a longer word that merely starts with it.
      const pet = await q({ term: 'pet' });
      expect(titles(pet.hits).slice(0, 2)).toEqual(['Pet Adoption', 'petstore']);
    });

    it('finds fragments inside words ("ets" → petstore), after every word match', async () => {
      const ets = await q({ term: 'ets' });
      // Fragments are looked for in titles, names and tags ("carpets" is in a text only).
      expect(titles(ets.hits)).toEqual(['petstore']);
      expect(ets.hits.every((h) => h.match === 'infix')).toBe(true);
      const pet = await q({ term: 'pet' });
      const kinds = pet.hits.map((h) => h.match);
      // carpet-cleaner has "pet" only inside "carpet": it comes last, as an infix hit.
      expect(titles(pet.hits).at(-1)).toBe('carpet-cleaner');
      expect(kinds.at(-1)).toBe('infix');
      expect(kinds.slice(0, -1).every((k) => k === 'word')).toBe(true);
      expect(pet.total).toBe(3);
    });

    if (engineName === 'pg') {
      it('filters alike through the GIN index (rare terms) and checked per match (common ones)', async () => {
        const queries: Array<Partial<EngineQuery> & { term: string }> = [
          { term: '', types: ['catalog'], filters: { kind: ['component'] } },
          { term: 'pet', filters: { owner: ['team-b'], lifecycle: ['EXPERIMENTAL'] } },
          { term: '', filters: { tags: ['REST', 'payments'] } },
          { term: 'roll', filters: { kind: ['group', 'component'] } },
        ];
        const run = async () =>
          Promise.all(queries.map(async (query) => titles((await q(query)).hits)));
        // After the rebuild in beforeEach, ANALYZE counted every term of this small index as
        // common: the engine checks them per match.
        const internals = engine as unknown as { filterShares: Map<string, number> };
        const perMatch = await run();
        expect(internals.filterShares.size).toBeGreaterThan(0);
        const shares = internals.filterShares;
        internals.filterShares = new Map();
        try {
          expect(await run()).toEqual(perMatch);
        } finally {
          internals.filterShares = shares;
        }
        expect(perMatch.map((t) => t.length)).toEqual([3, 1, 2, 3]);
      });
    }

    it('filters case-insensitively, arrays are any-of, and types narrow the search', async () => {
      const comp = await q({ term: '', types: ['catalog'], filters: { kind: ['component'] } });
      expect(titles(comp.hits)).toEqual(['Billing Service', 'carpet-cleaner', 'Pet Adoption']);
      const owners = await q({
        term: '',
        types: ['catalog'],
        filters: { owner: ['TEAM-B', 'team-money'] },
      });
      expect(titles(owners.hits)).toEqual(['Billing Service', 'carpet-cleaner', 'Pet Adoption']);
      const both = await q({
        term: 'pet',
        filters: { owner: ['team-b'], lifecycle: ['EXPERIMENTAL'] },
      });
      expect(titles(both.hits)).toEqual(['Pet Adoption']);
      expect((await q({ term: 'pet', filters: { nosuchfield: ['x'] } })).total).toBe(0);
      // Array fields (tags) are filterable too.
      expect(titles((await q({ term: '', filters: { tags: ['REST'] } })).hits)).toEqual([
        'petstore',
      ]);
      expect(titles((await q({ term: 'rollback', types: ['docs'] })).hits)).toEqual([
        'Rollback procedure',
        'Operations',
      ]);
      expect((await q({ term: 'rollback', types: ['nosuchtype'] })).total).toBe(0);
    });

    it('lists documents in title order for an empty term', async () => {
      const all = await q({ term: '', types: ['catalog'] });
      expect(titles(all.hits)).toEqual([
        'Billing Service',
        'carpet-cleaner',
        'Pet Adoption',
        'petstore',
        'Rollback Crew',
      ]);
      expect(all.hits.every((h) => h.match === 'all' && h.highlight === undefined)).toBe(true);
    });

    it('pages through results without gaps or repeats, with global ranks', async () => {
      const items = Array.from({ length: 23 }, (_, i) =>
        entityDoc(`widget-${String(i).padStart(2, '0')}`, { text: 'a reusable widget' }),
      );
      await engine.upsert('catalog', items);
      const seen: string[] = [];
      const ranks: number[] = [];
      for (let offset = 0; offset < 30; offset += 10) {
        const r = await q({ term: 'widget', offset, limit: 10 });
        expect(r.total).toBe(23);
        seen.push(...titles(r.hits));
        ranks.push(...r.hits.map((h) => h.rank));
      }
      expect(seen).toHaveLength(23);
      expect(new Set(seen).size).toBe(23);
      expect(ranks).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
      // Past the end: no hits, but the total still says where results end.
      const past = await q({ term: 'widget', offset: 40, limit: 10 });
      expect(past.hits).toEqual([]);
      expect(past.total).toBe(23);
    });

    it('highlights title and a window of text around the first match, text unescaped', async () => {
      const r = await q({ term: 'rollback' });
      const proc = r.hits.find((h) => h.document.title === 'Rollback procedure')!;
      expect(proc.highlight?.title).toBe(`${TAGS.preTag}Rollback${TAGS.postTag} procedure`);
      const text = proc.highlight!.text!;
      // The page is long: the snippet starts with an ellipsis near the first match.
      expect(text.startsWith('…')).toBe(true);
      expect(text).toContain(`${TAGS.preTag}rollback${TAGS.postTag} a release`);
      // Document text is returned as text: markup stays as typed, not escaped, not dropped.
      expect(text).toContain('<b>Never</b> & always');
      expect(text.length).toBeLessThan(400);
      const parts = splitHighlight(text, TAGS.preTag, TAGS.postTag);
      expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['rollback']);

      const ops = r.hits.find((h) => h.document.title === 'Operations')!;
      expect(ops.highlight?.title).toBeUndefined(); // no match in the title
      expect(
        splitHighlight(ops.highlight!.text!, TAGS.preTag, TAGS.postTag).filter((p) => p.match),
      ).toHaveLength(4);

      // Prefixes mark the typed part; fragments mark the fragment inside the word.
      const typed = await q({ term: 'petst' });
      expect(typed.hits[0]!.highlight?.title).toBe(`${TAGS.preTag}petst${TAGS.postTag}ore`);
      const infix = await q({ term: 'ets' });
      const pets = infix.hits.find((h) => h.document.title === 'petstore')!;
      expect(pets.highlight?.title).toBe(`p${TAGS.preTag}ets${TAGS.postTag}tore`);
      // No tags without a request for them.
      const plain = await engine.query({ term: 'rollback', offset: 0, limit: 5 });
      expect(plain.hits.every((h) => h.highlight === undefined)).toBe(true);
    });

    it('never fails on FTS syntax in the term', async () => {
      const hostile = [
        '"',
        '""',
        "'",
        '*',
        '**',
        ':',
        '-',
        '--pet',
        '(',
        ')',
        '()',
        'NEAR(pet store)',
        'NEAR',
        'pet AND',
        'AND OR NOT',
        'pet OR',
        '^pet',
        'title:pet',
        '{title}: pet',
        'pet*',
        '"unterminated',
        'pet:*',
        '!pet & | <->',
        "pet' or 1=1 --",
        '%_%',
        '\\',
        '🐶 pet',
        'x'.repeat(300),
        'a b c d e f g h i j k l m n o p q r s',
      ];
      for (const term of hostile) {
        const r = await q({ term });
        expect(typeof r.total, term).toBe('number');
      }
      // Syntax characters are separators: these still find what their words say.
      expect(titles((await q({ term: 'title:pet' })).hits)).toEqual([]); // "title" AND "pet"
      expect(titles((await q({ term: 'NEAR(petstore)' })).hits)).toEqual([]);
      expect(titles((await q({ term: '"petstore"' })).hits)).toEqual(['petstore']);
      expect(titles((await q({ term: '(petstore) AND' })).hits)).toEqual([]);
      expect(titles((await q({ term: 'petstore*' })).hits)).toEqual(['petstore']);
      expect(titles((await q({ term: '-petstore-' })).hits)).toEqual(['petstore']);
    });

    it('orders match sets above the rank limit by title hits, then name hits, then the rest', async () => {
      // A tiny rank limit puts these few documents on the path that 100,000 take.
      const broad = await createSearchEngine(database, createLogger({ level: 'error' }), {
        rankLimit: 2,
      });
      const items = [
        ...Array.from({ length: 4 }, (_, i) => entityDoc(`gadget-${i}`, { text: 'x' })),
        ...Array.from({ length: 3 }, (_, i) =>
          entityDoc(`thing-${i}`, { title: `Thing ${i}`, tags: ['gadget'], text: 'y' }),
        ),
        ...Array.from({ length: 5 }, (_, i) =>
          entityDoc(`other-${i}`, { title: `Other ${i}`, text: 'mentions a gadget' }),
        ),
      ];
      await engine.upsert('catalog', items);
      const ranked = await q({ term: 'gadget', limit: 50 });
      expect(ranked.total).toBe(12);
      const all: string[] = [];
      for (let offset = 0; offset < 12; offset += 5) {
        const r = await broad.query({ term: 'gadget', offset, limit: 5, tags: TAGS });
        expect(r.total).toBe(12);
        all.push(...titles(r.hits));
      }
      expect(new Set(all).size).toBe(12);
      const standing = (t: string) => (t.startsWith('gadget') ? 0 : t.startsWith('Thing') ? 1 : 2);
      expect(all.map(standing)).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
      // Same standing on the ranked path (the engine's score orders within each).
      expect(titles(ranked.hits).map(standing)).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
      // Fragments are not looked for when word matches are that many.
      expect((await broad.query({ term: 'gadget', offset: 0, limit: 1 })).total).toBe(12);
      // Filters and counts agree on both paths; an empty term lists in title order on both.
      const f = { kind: ['component'], owner: ['team-a'] };
      expect((await broad.query({ term: 'gadget', offset: 0, limit: 50, filters: f })).total).toBe(
        (await q({ term: 'gadget', filters: f })).total,
      );
      const list = await broad.query({ term: '', types: ['catalog'], offset: 0, limit: 50 });
      expect(titles(list.hits)).toEqual(
        titles((await q({ term: '', types: ['catalog'], limit: 50 })).hits),
      );
      expect(list.total).toBe(CATALOG.length + items.length);
    });

    it('stops counting at the count limit, says so, and still pages to the last match', async () => {
      const capped = await createSearchEngine(database, createLogger({ level: 'error' }), {
        rankLimit: 2,
        countLimit: 4,
      });
      const items = Array.from({ length: 6 }, (_, i) =>
        entityDoc(`widget-${i}`, { title: `Widget ${i}`, text: 'x' }),
      ).concat(
        Array.from({ length: 5 }, (_, i) =>
          entityDoc(`part-${i}`, { title: `Part ${i}`, text: 'fits any widget' }),
        ),
      );
      await engine.upsert('catalog', items);
      const first = await capped.query({ term: 'widget', offset: 0, limit: 3 });
      expect(first).toMatchObject({ total: 4, exact: false });
      expect(first.hits).toHaveLength(3);
      // Each page counts just past itself, so "is there a next page" stays right to the end.
      const seen: string[] = [];
      const totals: Array<[number, boolean]> = [];
      for (let offset = 0; offset < 20; offset += 3) {
        const r = await capped.query({ term: 'widget', offset, limit: 3 });
        totals.push([r.total, r.exact]);
        seen.push(...titles(r.hits));
        if (r.hits.length < 3) break;
      }
      expect(new Set(seen).size).toBe(11);
      expect(seen.slice(0, 6).every((t) => t.startsWith('Widget'))).toBe(true);
      expect(totals.at(-1)).toEqual([11, true]);
      expect(totals.slice(0, -1).every(([, exact]) => !exact)).toBe(true);
      // Below the limit the count is exact; the full engine counts everything.
      expect(await capped.query({ term: 'widget 3', offset: 0, limit: 3 })).toMatchObject({
        total: 2,
        exact: true,
      });
      expect(await q({ term: 'widget' })).toMatchObject({ total: 11, exact: true });
      // An empty term lists under the same limit.
      const list = await capped.query({ term: '', types: ['catalog'], offset: 0, limit: 2 });
      expect(list).toMatchObject({ total: 4, exact: false });
      // Fragment matches after few word matches are capped too.
      const infix = await capped.query({ term: 'idge', offset: 0, limit: 2 });
      expect(infix.hits.every((h) => h.match === 'infix')).toBe(true);
      expect(infix).toMatchObject({ total: 4, exact: false });
    });

    it('upsert replaces the document with the same location', async () => {
      const before = await engine.count('catalog');
      await engine.upsert('catalog', [
        entityDoc('petstore', { kind: 'API', title: 'Animal Shop', text: 'renamed' }),
      ]);
      expect(await engine.count('catalog')).toBe(before);
      expect((await q({ term: 'petstore example' })).total).toBe(0);
      expect(titles((await q({ term: 'animal' })).hits)).toEqual(['Animal Shop']);
      // The same location under another type is another document.
      await engine.upsert('docs', [entityDoc('petstore', { kind: 'API', title: 'Animal Docs' })]);
      expect(await engine.count('catalog')).toBe(before);
      expect(titles((await q({ term: 'animal' })).hits).sort()).toEqual([
        'Animal Docs',
        'Animal Shop',
      ]);
    });

    it('rejects a document without the required fields, naming the field', async () => {
      await expect(
        engine.upsert('catalog', [{ text: 'x', location: '/x' } as unknown as IndexableDocument]),
      ).rejects.toThrow(/type 'catalog' at '\/x': field 'title' must be a string/);
    });

    it('removes by location, by entity within a type, and by entity across types', async () => {
      await engine.remove('catalog', ['/catalog/default/api/petstore']);
      expect(titles((await q({ term: 'petstore' })).hits)).toEqual([]);

      // booking has two docs pages; removeByEntity of another type leaves them.
      await engine.removeByEntity('catalog', 'component:default/booking');
      expect((await q({ term: 'rollback', types: ['docs'] })).total).toBe(2);
      await engine.removeByEntity('docs', 'Component:default/Booking');
      expect((await q({ term: 'rollback', types: ['docs'] })).total).toBe(0);
      expect((await q({ term: 'tracking' })).total).toBe(1);

      await engine.upsert('docs', [page('billing', '', 'Billing docs', 'invoices')]);
      await engine.removeEntities(['component:default/billing']);
      expect((await q({ term: 'billing' })).total).toBe(0);
    });

    it('replaceAll swaps atomically: readers see the old index until the new one is complete', async () => {
      const oldCount = await engine.count('catalog');
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let yielded = 0;
      async function* slow(): AsyncGenerator<IndexableDocument> {
        for (let i = 0; i < 1200; i++) {
          if (i === 700) await gate; // after at least one committed batch of the new generation
          yielded++;
          yield entityDoc(`fresh-${i}`, { text: 'brand new' });
        }
        yield entityDoc('pet-adoption', { title: 'Pet Adoption (stale copy)' });
        yield entityDoc('billing', { title: 'Billing Service' });
      }
      const running = engine.replaceAll('catalog', slow());
      while (yielded < 700) await new Promise((r) => setTimeout(r, 5));
      // Mid-rebuild: the old documents, none of the new.
      expect(await engine.count('catalog')).toBe(oldCount);
      expect((await q({ term: 'fresh' })).total).toBe(0);
      expect((await q({ term: 'petstore' })).total).toBe(1);
      // Changes made meanwhile survive the switch and beat the stream's older copies.
      await engine.upsert('catalog', [entityDoc('pet-adoption', { title: 'Pet Adoption v2' })]);
      await engine.remove('catalog', ['/catalog/default/component/billing']);
      expect(titles((await q({ term: 'adoption' })).hits)).toEqual(['Pet Adoption v2']);
      release();
      expect(await running).toEqual({ count: 1202 });
      expect((await q({ term: 'fresh' })).total).toBe(1200);
      expect((await q({ term: 'petstore' })).total).toBe(0);
      expect(titles((await q({ term: 'adoption' })).hits)).toEqual(['Pet Adoption v2']);
      expect((await q({ term: 'billing' })).total).toBe(0);
      expect(await engine.count('catalog')).toBe(1201);
      expect(await engine.completeTypes()).toEqual(['catalog', 'docs']);
    });

    it("an upsert by another replica during a reindex survives the switch and beats the stream's copy", async () => {
      // Another server on the same database: it knows of the reindex only through the database.
      const replica = await createSearchEngine(database, createLogger({ level: 'error' }));
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let yielded = 0;
      async function* slow(): AsyncGenerator<IndexableDocument> {
        // Read before the replica's change: the stream's copy is the older one.
        yield entityDoc('pet-adoption', { title: 'Pet Adoption (stale copy)' });
        for (let i = 0; i < 1200; i++) {
          if (i === 700) await gate;
          yielded++;
          yield entityDoc(`later-${i}`, { text: 'rebuilt' });
        }
        // Read before the change too, but written after it (in the stream's last batch).
        yield entityDoc('brand-new', { title: 'Brand New (stale copy)' });
      }
      const running = engine.replaceAll('catalog', slow());
      while (yielded < 700) await new Promise((r) => setTimeout(r, 5));
      await replica.upsert('catalog', [
        entityDoc('pet-adoption', { title: 'Pet Adoption v3' }),
        entityDoc('brand-new', { title: 'Brand New Thing' }),
      ]);
      release();
      await running;
      expect(titles((await q({ term: 'adoption' })).hits)).toEqual(['Pet Adoption v3']);
      expect(titles((await q({ term: 'brand' })).hits)).toEqual(['Brand New Thing']);
      expect((await q({ term: 'later' })).total).toBe(1200);
    });

    it('a removal by another replica during a reindex is not undone by the stream', async () => {
      const replica = await createSearchEngine(database, createLogger({ level: 'error' }));
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let yielded = 0;
      async function* slow(): AsyncGenerator<IndexableDocument> {
        for (let i = 0; i < 700; i++) {
          yielded++;
          yield entityDoc(`kept-${i}`, { text: 'rebuilt' });
        }
        // Read before the removals below, written after them (the batch is still open).
        yield entityDoc('pet-adoption', { title: 'Pet Adoption' });
        yield entityDoc('billing', { title: 'Billing Service' });
        yield page('tracking', 'gone/', 'Gone page', 'obsolete words');
        yielded++;
        await gate;
      }
      const running = engine.replaceAll('catalog', slow());
      while (yielded < 701) await new Promise((r) => setTimeout(r, 5));
      await replica.removeEntities(['component:default/pet-adoption']);
      await replica.removeByEntity('catalog', 'component:default/billing');
      await replica.remove('catalog', ['/docs/default/component/tracking/gone/']);
      release();
      await running;
      expect((await q({ term: 'kept' })).total).toBe(700);
      expect((await q({ term: 'adoption' })).total).toBe(0);
      expect((await q({ term: 'billing' })).total).toBe(0);
      expect((await q({ term: 'obsolete' })).total).toBe(0);
      // The next reindex starts clean: the same documents come back when the stream has them.
      await engine.replaceAll('catalog', iterate(CATALOG));
      expect(titles((await q({ term: 'adoption' })).hits)).toEqual(['Pet Adoption']);
    });

    it('a failed replaceAll leaves the previous index as it was', async () => {
      const before = await engine.count('catalog');
      async function* broken(): AsyncGenerator<IndexableDocument> {
        for (let i = 0; i < 600; i++) yield entityDoc(`half-${i}`);
        throw new Error('collator lost its source');
      }
      await expect(engine.replaceAll('catalog', broken())).rejects.toThrow(/lost its source/);
      expect(await engine.count('catalog')).toBe(before);
      expect((await q({ term: 'half' })).total).toBe(0);
      expect(titles((await q({ term: 'petstore' })).hits)).toEqual(['petstore']);
      // And the next rebuild is not confused by the abandoned rows.
      await engine.replaceAll('catalog', iterate(CATALOG));
      expect(await engine.count('catalog')).toBe(CATALOG.length);
    });
  });
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
