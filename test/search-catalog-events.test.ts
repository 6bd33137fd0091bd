/**
 * The catalog's change events, which keep the search index current: one event per committed
 * write, after the commit, naming what changed — on SQLite and on PostgreSQL.
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
  type EntitiesChangedEvent,
  EntityStore,
} from '../src/plugins/catalog/server/store/entity-store.ts';
import { LocationStore } from '../src/plugins/catalog/server/store/location-store.ts';
import { catalogMigrations } from '../src/plugins/catalog/server/store/migrations.ts';
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const registry = createKindRegistry([]);

function component(name: string, description = ''): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', description },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };
}

describe.each(ENGINES)('catalog change events on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  let dir: string;
  let store: EntityStore;
  let locations: LocationStore;
  const events: EntitiesChangedEvent[] = [];

  const apply = (locationId: string, entities: Entity[], orphanStrategy: 'keep' | 'delete') =>
    store.applyLocation({
      locationId,
      entities: entities.map((entity) => ({
        ref: stringifyEntityRef(entity),
        entity,
        hash: JSON.stringify(entity),
        parentRef: null,
        relations: deriveRelations(entity, registry),
      })),
      unchangedRefs: new Set(),
      failed: new Map(),
      orphanStrategy,
    });
  const take = () => events.splice(0, events.length);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-events-'));
    ({ database, drop } = await openFreshDatabase(engine, dir));
    await runMigrations(database, 'catalog', catalogMigrations);
    store = new EntityStore(database);
    locations = new LocationStore(database);
    store.onEntitiesChanged(async (event) => {
      // Called after the commit: another connection already sees the change.
      for (const ref of event.upserted) expect(await store.rowByRef(ref), ref).toBeDefined();
      for (const ref of event.deleted) expect(await store.rowByRef(ref), ref).toBeUndefined();
      events.push(event);
    });
  });

  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports inserts and updates, nothing for an unchanged read', async () => {
    const loc = (await locations.create({ type: 'file', target: '/k.yaml', origin: 'config' })).id;
    await apply(loc, [component('alpha'), component('beta')], 'keep');
    expect(take()).toEqual([
      { upserted: ['component:default/alpha', 'component:default/beta'], deleted: [] },
    ]);
    await apply(loc, [component('alpha'), component('beta')], 'keep');
    expect(take()).toEqual([]);
    await apply(loc, [component('alpha', 'changed'), component('beta')], 'keep');
    expect(take()).toEqual([{ upserted: ['component:default/alpha'], deleted: [] }]);
  });

  it('reports entities marked orphaned as upserted, and location removal', async () => {
    const loc = (await locations.create({ type: 'file', target: '/o.yaml', origin: 'config' })).id;
    await apply(loc, [component('gamma'), component('delta')], 'keep');
    take();
    await apply(loc, [component('gamma')], 'keep');
    expect(take()).toEqual([{ upserted: ['component:default/delta'], deleted: [] }]);
    await store.releaseLocation(loc, 'keep');
    // delta is already an orphan; gamma becomes one.
    expect(take()).toEqual([{ upserted: ['component:default/gamma'], deleted: [] }]);
  });

  it('reports deletions: by the delete strategy, by location removal, by uid', async () => {
    const loc = (await locations.create({ type: 'file', target: '/d.yaml', origin: 'config' })).id;
    await apply(loc, [component('one'), component('two'), component('three')], 'delete');
    take();
    await apply(loc, [component('one'), component('two')], 'delete');
    expect(take()).toEqual([{ upserted: [], deleted: ['component:default/three'] }]);
    const row = await store.rowByRef('component:default/two');
    expect(await store.deleteByUid(row!.id)).toBe(true);
    expect(take()).toEqual([{ upserted: [], deleted: ['component:default/two'] }]);
    expect(await store.deleteByUid(row!.id)).toBe(false);
    expect(take()).toEqual([]);
    await store.releaseLocation(loc, 'delete');
    expect(take()).toEqual([{ upserted: [], deleted: ['component:default/one'] }]);
  });

  it('keeps the write when a listener fails', async () => {
    const off = store.onEntitiesChanged(() => {
      throw new Error('listener broke');
    });
    const loc = (await locations.create({ type: 'file', target: '/f.yaml', origin: 'config' })).id;
    const result = await apply(loc, [component('epsilon')], 'keep');
    off();
    expect(result.inserted).toBe(1);
    expect(await store.rowByRef('component:default/epsilon')).toBeDefined();
    expect(take()).toEqual([{ upserted: ['component:default/epsilon'], deleted: [] }]);
  });
});
