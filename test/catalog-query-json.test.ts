/**
 * The catalog's by-query answer written as JSON text from the stored rows (EntityQuery
 * .byQueryJson, what the route sends) is, byte for byte, JSON.stringify of the assembled answer
 * (EntityQuery.byQuery), on SQLite (read workers) and PostgreSQL: relations sorted and without
 * duplicates, status items, non-ASCII text, projections, every page of a cursor walk both
 * ways, filters matching many entities (SQLite walks the id index then) and few, full text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
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
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const registry = createKindRegistry([]);

/** More than the 2,000 matches up to which a filtered page reads the matches first. */
const COMPONENTS = 2300;

function entities(): Entity[] {
  const out: Entity[] = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'team-a', namespace: 'default' },
      spec: { type: 'team', children: [] },
    },
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 'système-ü', namespace: 'default', title: 'Zürich "quoted" \\ \u2028' },
      spec: { owner: 'team-a' },
    },
  ];
  for (let i = 0; i < COMPONENTS; i++) {
    out.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: `svc-${String(i).padStart(4, '0')}${i % 7 === 0 ? '-metrics' : ''}`,
        namespace: 'default',
        ...(i % 11 === 0 ? { tags: ['alpha', 'beta'] } : {}),
      },
      spec: {
        type: i % 3 === 0 ? 'website' : 'service',
        lifecycle: 'production',
        owner: i % 5 === 0 ? 'team-a' : 'group:default/Équipe-missing',
        ...(i % 4 === 0 ? { system: 'système-ü' } : {}),
        ...(i % 9 === 0
          ? { dependsOn: ['component:default/svc-0001', 'resource:default/db'] }
          : {}),
      },
    });
  }
  return out;
}

describe.each(ENGINES)('by-query JSON text on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  let dir: string;
  let store: EntityStore;
  let query: EntityQuery;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-query-json-'));
    ({ database, drop } = await openFreshDatabase(engine, dir));
    await runMigrations(database, 'catalog', catalogMigrations);
    store = new EntityStore(database);
    const location = (
      await new LocationStore(database).create({
        type: 'file',
        target: '/a.yaml',
        origin: 'config',
      })
    ).id;
    await store.applyLocation({
      locationId: location,
      entities: entities().map((entity, i) => ({
        ref: stringifyEntityRef(entity),
        entity,
        hash: JSON.stringify(entity),
        parentRef: null,
        relations: deriveRelations(entity, registry),
        ...(i % 13 === 2
          ? { statusItems: [{ level: 'warning', type: 'test', message: `Ünïcode warning ${i}` }] }
          : {}),
      })),
      unchangedRefs: new Set(),
      failed: new Map(),
      orphanStrategy: 'keep',
    });
    query = new EntityQuery(
      database.reader,
      store,
      (t) =>
        (
          ({ ownedby: 'ownedBy', partof: 'partOf', dependson: 'dependsOn' }) as Record<
            string,
            string
          >
        )[t],
    );
  }, 120_000);

  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Both answers of a request, equal as text; the parsed answer. */
  const same = async (request: ByQueryRequest) => {
    const text = await query.byQueryJson(request);
    expect(text).toBe(JSON.stringify(await query.byQuery(request)));
    return JSON.parse(text) as {
      items: Entity[];
      totalItems: number;
      pageInfo: { nextCursor?: string; prevCursor?: string };
    };
  };

  /**
   * Every page forward from `request`, then back from the last; the entity refs seen. The
   * caller's read filter goes with every page, as the route passes it (cursors never hold it).
   */
  const walk = async (request: ByQueryRequest) => {
    let page = await same(request);
    const refs = page.items.map((e) => stringifyEntityRef(e));
    let pages = 1;
    const next = (cursor: string) => ({
      cursor,
      limit: request.limit,
      ...(request.readFilter ? { readFilter: request.readFilter } : {}),
    });
    while (page.pageInfo.nextCursor) {
      page = await same(next(page.pageInfo.nextCursor));
      refs.push(...page.items.map((e) => stringifyEntityRef(e)));
      pages++;
    }
    const back: string[] = [];
    while (page.pageInfo.prevCursor) {
      page = await same(next(page.pageInfo.prevCursor));
      back.unshift(...page.items.map((e) => stringifyEntityRef(e)));
    }
    return { refs, pages, back, totalItems: page.totalItems };
  };

  it('walks the whole catalog in pages of 500 with the same text as the assembled answer', async () => {
    const { refs, pages, totalItems } = await walk({ limit: 500 });
    expect(totalItems).toBe(COMPONENTS + 2);
    expect(new Set(refs).size).toBe(COMPONENTS + 2);
    expect(pages).toBe(Math.ceil((COMPONENTS + 2) / 500));
  });

  it('writes relations sorted once each, status items and non-ASCII text as JSON.stringify does', async () => {
    const page = await same({ filter: parseFilterParams(['kind=system']), limit: 10 });
    const system = page.items[0]!;
    expect(system.metadata.title).toBe('Zürich "quoted" \\ \u2028');
    // Every fourth component is part of it: hasPart to each, sorted, once.
    const parts = system.relations!.filter((r) => r.type === 'hasPart').map((r) => r.targetRef);
    expect(parts.length).toBe(Math.ceil(COMPONENTS / 4));
    expect(parts).toEqual([...parts].sort());
    // svc-0000-metrics (the third entity stored) has a warning; svc-0001 an owner that does
    // not exist.
    const warned = await same({
      filter: parseFilterParams(['metadata.name=svc-0000-metrics,metadata.name=svc-0001']),
      limit: 20,
    });
    expect(warned.items.length).toBe(2);
    expect(warned.items.some((e) => e.status?.items?.[0]?.message.startsWith('Ünïcode'))).toBe(
      true,
    );
    const owned = warned.items.flatMap((e) => e.relations ?? []);
    expect(owned.some((r) => r.targetRef === 'group:default/équipe-missing')).toBe(true);
  });

  it('pages a filter matching many entities, and one matching few, both ways', async () => {
    const many = await walk({ filter: parseFilterParams(['kind=component']), limit: 100 });
    expect(many.totalItems).toBe(COMPONENTS);
    expect(new Set(many.refs).size).toBe(COMPONENTS);
    expect(many.back).toEqual(many.refs.slice(0, many.back.length));
    const few = await walk({
      filter: parseFilterParams(['kind=component,spec.type=website']),
      limit: 50,
    });
    expect(few.totalItems).toBe(Math.ceil(COMPONENTS / 3));
    expect(few.refs.length).toBe(Math.ceil(COMPONENTS / 3));
    const readable = await walk({
      filter: parseFilterParams(['kind=component']),
      readFilter: { 'relations.ownedby': 'group:default/team-a' },
      limit: 100,
    });
    expect(readable.refs.length).toBe(Math.ceil(COMPONENTS / 5));
  });

  it('matches full text in the named fields, counted and paged as before', async () => {
    const named = await walk({
      fullTextFilter: { term: 'METRICS', fields: ['metadata.name'] },
      limit: 20,
    });
    expect(named.totalItems).toBe(Math.ceil(COMPONENTS / 7));
    expect(named.refs.every((r) => r.includes('-metrics'))).toBe(true);
    expect(named.refs.length).toBe(named.totalItems);
    const filtered = await same({
      filter: parseFilterParams(['spec.type=website']),
      fullTextFilter: { term: 'metrics', fields: ['metadata.name'] },
      limit: 20,
    });
    expect(filtered.totalItems).toBe(
      Array.from({ length: COMPONENTS }, (_, i) => i).filter((i) => i % 21 === 0).length,
    );
    const ordered = await walk({
      fullTextFilter: { term: 'metrics', fields: ['metadata.name'] },
      orderField: { field: 'metadata.name', order: 'desc' },
      limit: 30,
    });
    expect(ordered.refs).toEqual([...named.refs].sort().reverse());
    const tags = await same({
      fullTextFilter: { term: 'alph', fields: ['metadata.tags'] },
      limit: 5,
    });
    expect(tags.totalItems).toBe(Math.ceil(COMPONENTS / 11));
    expect((await same({ fullTextFilter: { term: 'no-such-thing' }, limit: 5 })).totalItems).toBe(
      0,
    );
    expect((await same({ fullTextFilter: { term: '%' }, limit: 5 })).totalItems).toBe(0);
  });

  it('projects fields, and answers a count alone', async () => {
    const page = await same({
      filter: parseFilterParams(['kind=component']),
      fields: ['metadata.name', 'relations'],
      limit: 5,
    });
    expect(Object.keys(page.items[0]!)).toEqual(['metadata', 'relations']);
    expect((await same({ filter: parseFilterParams(['kind=group']), limit: 0 })).totalItems).toBe(
      1,
    );
  });

  it('reads one entity by ref as the store assembles it', async () => {
    for (const ref of [
      'system:default/système-ü',
      'component:default/svc-0002',
      'Group:default/TEAM-A',
    ]) {
      const row = await store.rowByRef(ref);
      const [assembled] = await store.assemble([row!]);
      expect(JSON.stringify(await query.entityByRef(ref))).toBe(JSON.stringify(assembled));
    }
    expect(await query.entityByRef('component:default/none')).toBeUndefined();
  });
});
