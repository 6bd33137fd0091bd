/**
 * The store conformance suite: the same tests on SQLite and on PostgreSQL, against the
 * catalog's store and query layer directly (no HTTP), so both engines behave identically.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import type { Entity } from '../src/model/entity.ts';
import { createKindRegistry, deriveRelations, stringifyEntityRef } from '../src/model/index.ts';
import { EntityQuery } from '../src/plugins/catalog/server/query/entity-query.ts';
import { parseFilterParams } from '../src/plugins/catalog/server/query/predicate.ts';
import {
  EntityStore,
  type PreparedEntity,
} from '../src/plugins/catalog/server/store/entity-store.ts';
import { LocationStore } from '../src/plugins/catalog/server/store/location-store.ts';
import { catalogMigrations } from '../src/plugins/catalog/server/store/migrations.ts';
import { buildSearchRows } from '../src/plugins/catalog/server/store/search-rows.ts';
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const registry = createKindRegistry([]);

function component(
  name: string,
  spec: Record<string, unknown>,
  extra: Partial<Entity['metadata']> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', ...extra },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a', ...spec },
  };
}

function prepare(entity: Entity): PreparedEntity {
  return {
    ref: stringifyEntityRef(entity),
    entity,
    hash: JSON.stringify(entity),
    parentRef: null,
    relations: deriveRelations(entity, registry),
  };
}

describe.each(ENGINES)('catalog store on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  let dir: string;
  let store: EntityStore;
  let locations: LocationStore;
  let query: EntityQuery;
  let locA: string;
  let locB: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-store-'));
    ({ database, drop } = await openFreshDatabase(engine, dir));
    expect(await runMigrations(database, 'catalog', catalogMigrations)).toEqual(
      catalogMigrations.map((m) => m.name),
    );
    // Running again applies nothing: migrations are recorded.
    expect(await runMigrations(database, 'catalog', catalogMigrations)).toEqual([]);
    store = new EntityStore(database);
    locations = new LocationStore(database);
    query = new EntityQuery(
      database.db,
      store,
      (t) => ({ ownedby: 'ownedBy', ownerof: 'ownerOf', dependson: 'dependsOn' })[t],
    );
    locA = (await locations.create({ type: 'file', target: '/a.yaml', origin: 'config' })).id;
    locB = (await locations.create({ type: 'file', target: '/b.yaml', origin: 'config' })).id;
  });

  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const apply = (
    locationId: string,
    entities: Entity[],
    orphanStrategy: 'keep' | 'delete' = 'keep',
  ) =>
    store.applyLocation({
      locationId,
      entities: entities.map(prepare),
      unchangedRefs: new Set(),
      failed: new Map(),
      orphanStrategy,
    });

  it('inserts, then writes nothing for unchanged entities', async () => {
    const entities = [
      component(
        'alpha',
        { dependsOn: ['component:beta'] },
        { tags: ['java', 'lang:go'], title: 'Alpha Service' },
      ),
      component('beta', { type: 'website' }),
      component('gamma', { type: 'library', owner: 'team-b' }),
    ];
    expect(await apply(locA, entities)).toMatchObject({ inserted: 3, updated: 0, unchanged: 0 });
    const before = await store.rowByRef('component:default/alpha');
    expect(await apply(locA, entities)).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    const after = await store.rowByRef('component:default/alpha');
    expect(after?.updated_at).toBe(before?.updated_at);
    expect(after?.id).toBe(before?.id);
  });

  it('resolves relations in both directions on read', async () => {
    const [alpha] = await store.assemble([(await store.rowByRef('component:default/alpha'))!]);
    expect(alpha!.relations).toEqual([
      { type: 'dependsOn', targetRef: 'component:default/beta' },
      { type: 'ownedBy', targetRef: 'group:default/team-a' },
    ]);
    const [beta] = await store.assemble([(await store.rowByRef('component:default/beta'))!]);
    expect(beta!.relations).toEqual([
      { type: 'dependencyOf', targetRef: 'component:default/alpha' },
      { type: 'ownedBy', targetRef: 'group:default/team-a' },
    ]);
  });

  it('filters with AND, OR, any-of, exists and relations', async () => {
    const names = async (filters: string[]) =>
      (await query.list({ filter: parseFilterParams(filters) })).items.map((e) => e.metadata?.name);
    expect(await names(['kind=component,spec.type=website'])).toEqual(['beta']);
    expect(await names(['spec.type=website', 'spec.type=library'])).toEqual(['beta', 'gamma']);
    expect(await names(['spec.type=website,spec.type=LIBRARY'])).toEqual(['beta', 'gamma']);
    expect(await names(['metadata.title'])).toEqual(['alpha']);
    expect(await names(['metadata.tags.java'])).toEqual(['alpha']);
    expect(await names(['metadata.tags=lang:go'])).toEqual(['alpha']);
    expect(await names(['relations.ownedby=group:default/team-b'])).toEqual(['gamma']);
    expect(await names(['relations.dependencyof=component:default/alpha'])).toEqual(['beta']);
  });

  it('pages by cursor in both directions with a stable total', async () => {
    const first = await query.byQuery({
      filter: parseFilterParams(['kind=component']),
      orderField: { field: 'metadata.name', order: 'desc' },
      limit: 2,
    });
    expect(first.items.map((e) => e.metadata?.name)).toEqual(['gamma', 'beta']);
    expect(first.totalItems).toBe(3);
    expect(first.pageInfo.prevCursor).toBeUndefined();
    const second = await query.byQuery({ cursor: first.pageInfo.nextCursor!, limit: 2 });
    expect(second.items.map((e) => e.metadata?.name)).toEqual(['alpha']);
    expect(second.totalItems).toBe(3);
    expect(second.pageInfo.nextCursor).toBeUndefined();
    const back = await query.byQuery({ cursor: second.pageInfo.prevCursor!, limit: 2 });
    expect(back.items.map((e) => e.metadata?.name)).toEqual(['gamma', 'beta']);
  });

  it('matches full text on the named fields and counts facets by original value', async () => {
    const hits = await query.byQuery({
      fullTextFilter: { term: ' ALPHA serv ', fields: ['metadata.title'] },
    });
    expect(hits.items.map((e) => e.metadata?.name)).toEqual(['alpha']);
    const facets = await query.facets(
      ['spec.type', 'metadata.tags'],
      parseFilterParams(['kind=component']),
    );
    expect(facets).toEqual({
      'spec.type': [
        { value: 'library', count: 1 },
        { value: 'service', count: 1 },
        { value: 'website', count: 1 },
      ],
      'metadata.tags': [
        { value: 'java', count: 1 },
        { value: 'lang:go', count: 1 },
      ],
    });
  });

  it('recounts facets after every change, though it caches them in between', async () => {
    const websites = async () =>
      (await query.facets(['spec.type'], parseFilterParams(['kind=component'])))['spec.type']!.find(
        (f) => f.value === 'website',
      )?.count;
    expect(await websites()).toBe(1);
    const generation = await store.generation();
    await apply(locB, [component('web-2', { type: 'website' })]);
    expect(await store.generation()).toBe(generation + 1);
    expect(await websites()).toBe(2);
    await store.deleteByUid((await store.rowByRef('component:default/web-2'))!.id);
    expect(await websites()).toBe(1);
    // An unchanged write does not move the generation.
    const before = await store.generation();
    await apply(locB, []);
    await apply(locB, []);
    expect(await store.generation()).toBe(before);
  });

  it('gives a ref to the first location and reports the conflict to the second', async () => {
    const result = await apply(locB, [
      component('alpha', { type: 'website' }),
      component('delta', {}),
    ]);
    expect(result.conflicts).toEqual([{ ref: 'component:default/alpha', ownerLocationId: locA }]);
    expect(result.inserted).toBe(1);
    const [alpha] = await store.assemble([(await store.rowByRef('component:default/alpha'))!]);
    expect(alpha!.spec?.type).toBe('service');
  });

  it('orphans what a location stops emitting, and re-adopts it when emitted again', async () => {
    const result = await apply(locA, [
      component(
        'alpha',
        { dependsOn: ['component:beta'] },
        { tags: ['java', 'lang:go'], title: 'Alpha Service' },
      ),
      component('beta', { type: 'website' }),
    ]);
    expect(result.orphaned).toBe(1);
    const gamma = (await store.assemble([(await store.rowByRef('component:default/gamma'))!]))[0]!;
    expect(gamma.metadata.annotations?.['backstage.io/orphan']).toBe('true');
    const orphans = await query.list({
      filter: parseFilterParams(['metadata.annotations.backstage.io/orphan=true']),
    });
    expect(orphans.items.map((e) => e.metadata?.name)).toEqual(['gamma']);
    await apply(locA, [component('gamma', { type: 'library', owner: 'team-b' })]);
    const again = (await store.assemble([(await store.rowByRef('component:default/gamma'))!]))[0]!;
    expect(again.metadata.annotations?.['backstage.io/orphan']).toBeUndefined();
  });

  it('deletes what a location stops emitting under orphanStrategy delete', async () => {
    const result = await apply(locB, [component('delta', {})], 'delete');
    expect(result.deleted).toBe(0);
    const gone = await apply(locB, [], 'delete');
    expect(gone.deleted).toBe(1);
    expect(await store.rowByRef('component:default/delta')).toBeUndefined();
  });

  it('lists every match slice by slice, in order, without paging parameters', async () => {
    const many = await locations.create({ type: 'file', target: '/many.yaml', origin: 'config' });
    const names = Array.from({ length: 2345 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
    await apply(
      many.id,
      names.map((n) => component(n, { type: 'bulk' })),
    );
    const seen: string[] = [];
    let slices = 0;
    for await (const slice of query.listAll({
      filter: parseFilterParams(['spec.type=bulk']),
      fields: ['metadata.name'],
    })) {
      slices++;
      seen.push(...slice.map((e) => e.metadata!.name as string));
    }
    expect(slices).toBe(3);
    expect(seen).toEqual(names);
    await apply(many.id, [], 'delete');
  });

  it('returns by-refs in order with null for missing or filtered-out refs', async () => {
    const items = await query.byRefs(
      ['component:default/gamma', 'component:default/nope', 'component:default/alpha'],
      ['metadata.name'],
      parseFilterParams(['spec.type=library']),
    );
    expect(items).toEqual([{ metadata: { name: 'gamma' } }, null, null]);
  });

  it('rewrites only what changed, and leaves the same search rows and relations as a fresh write', async () => {
    const loc = (await locations.create({ type: 'file', target: '/diff.yaml', origin: 'config' }))
      .id;
    const v1 = [
      component('delta', { dependsOn: ['component:epsilon'] }, { tags: ['a', 'b'] }),
      component('epsilon', {}, { description: 'First' }),
    ];
    const v2 = [
      // A dependency swapped, a tag dropped and one added, a description set.
      component('delta', { dependsOn: ['component:zeta'] }, { tags: ['b', 'c'], description: 'X' }),
      // Only the case of a value changes: its lowercase row stays, its original value does not.
      component('epsilon', { owner: 'Team-A' }, { description: 'Second' }),
    ];
    expect(await apply(loc, v1)).toMatchObject({ inserted: 2 });
    expect(await apply(loc, v2)).toMatchObject({ updated: 2, inserted: 0 });
    for (const entity of v2) {
      const row = (await store.rowByRef(stringifyEntityRef(entity)))!;
      const stored = await database.db
        .selectFrom('catalog_search')
        .select(['entity_id', 'key', 'value', 'original_value'])
        .where('entity_id', '=', row.id)
        .execute();
      const key = (r: { key: string; value: string | null }) => `${r.key}=${r.value}`;
      const wanted = buildSearchRows(row.id, JSON.parse(row.body) as Entity);
      expect(stored.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
        wanted.sort((a, b) => key(a).localeCompare(key(b))),
      );
      const relations = await database.db
        .selectFrom('catalog_relations')
        .select(['source_ref', 'type', 'target_ref'])
        .where('origin_ref', '=', row.entity_ref)
        .orderBy('type')
        .orderBy('target_ref')
        .execute();
      expect(relations).toEqual(
        deriveRelations(entity, registry)
          .map((r) => ({ source_ref: r.source, type: r.type, target_ref: r.target }))
          .sort((a, b) => a.type.localeCompare(b.type) || a.target_ref.localeCompare(b.target_ref)),
      );
    }
    const [delta] = await store.assemble([(await store.rowByRef('component:default/delta'))!]);
    expect(delta!.relations).toContainEqual({
      type: 'dependsOn',
      targetRef: 'component:default/zeta',
    });
    expect(delta!.relations).not.toContainEqual({
      type: 'dependsOn',
      targetRef: 'component:default/epsilon',
    });
    await store.releaseLocation(loc, 'delete');
  });
  it('writes a location all or nothing while its batches overlap the reading of the next files', async () => {
    const loc = (await locations.create({ type: 'file', target: '/big.yaml', origin: 'config' }))
      .id;
    // Batches of 100 (SQLite) or 1,000 (PostgreSQL): 2,500 entities make several, and the
    // write of one runs while the next is produced.
    const many = Array.from({ length: 2500 }, (_, i) => prepare(component(`bulk-${i}`, {})));
    const stored = async () =>
      Number(
        (
          await database.db
            .selectFrom('catalog_entities')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('location_id', '=', loc)
            .executeTakeFirstOrThrow()
        ).n,
      );
    // The reading fails after two thousand entities went to the store: nothing stays.
    await expect(
      store.writeLocation(loc, 'keep', async (sink) => {
        for (let i = 0; i < 2000; i += 50) await sink.add(many.slice(i, i + 50));
        throw new Error('the reading failed');
      }),
    ).rejects.toThrow('the reading failed');
    expect(await stored()).toBe(0);
    // A statement of a later batch fails in the database: nothing stays either.
    if (engine === 'sqlite') {
      await sql`create trigger refuse_bulk before insert on catalog_entities
        when new.entity_ref = 'component:default/bulk-2100'
        begin select raise(abort, 'refused by the test'); end`.execute(database.db);
    } else {
      await sql`create function refuse_bulk() returns trigger language plpgsql as $$
        begin
          if new.entity_ref = 'component:default/bulk-2100' then raise exception 'refused by the test'; end if;
          return new;
        end $$`.execute(database.db);
      await sql`create trigger refuse_bulk before insert on catalog_entities
        for each row execute function refuse_bulk()`.execute(database.db);
    }
    try {
      await expect(
        store.writeLocation(loc, 'keep', async (sink) => {
          for (let i = 0; i < many.length; i += 50) await sink.add(many.slice(i, i + 50));
        }),
      ).rejects.toThrow('refused by the test');
      expect(await stored()).toBe(0);
    } finally {
      await sql`drop trigger refuse_bulk${sql.raw(engine === 'pg' ? ' on catalog_entities' : '')}`.execute(
        database.db,
      );
    }
    // And the same write, unrefused, stores every entity once.
    expect(
      await store.writeLocation(loc, 'keep', async (sink) => {
        for (let i = 0; i < many.length; i += 50) await sink.add(many.slice(i, i + 50));
      }),
    ).toMatchObject({ inserted: 2500, updated: 0 });
    expect(await stored()).toBe(2500);
    await store.releaseLocation(loc, 'delete');
  });
});
