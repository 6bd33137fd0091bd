/**
 * The catalog's change feed, which the audit log records ingestion from: every entity a
 * committed write created, updated (with the paths that changed), orphaned or deleted, with
 * its cause — on SQLite and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import type { Entity } from '../src/model/entity.ts';
import { createKindRegistry, deriveRelations, stringifyEntityRef } from '../src/model/index.ts';
import { ingestionRows } from '../src/plugins/audit/server/ingestion-events.ts';
import {
  changedPaths,
  type EntityChangeBatch,
  EntityStore,
} from '../src/plugins/catalog/server/store/entity-store.ts';
import { LocationStore } from '../src/plugins/catalog/server/store/location-store.ts';
import { catalogMigrations } from '../src/plugins/catalog/server/store/migrations.ts';
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const registry = createKindRegistry([]);

function component(name: string, changes: Partial<Record<string, unknown>> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', description: `${name} service` },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a', ...changes },
  };
}

describe('changedPaths', () => {
  it('names top-level keys and the keys one level below, ignoring bookkeeping', () => {
    const before = component('a');
    const after: Entity = {
      ...component('a', { owner: 'team-b' }),
      metadata: {
        name: 'a',
        namespace: 'default',
        description: 'other',
        uid: 'x',
        etag: 'y',
        annotations: { a: '1' },
      },
      relations: [{ type: 'ownedBy', targetRef: 'group:default/team-b' }],
    };
    expect(changedPaths(before, after)).toEqual([
      'metadata.annotations',
      'metadata.description',
      'spec.owner',
    ]);
    expect(changedPaths(before, { ...before, kind: 'API' })).toEqual(['kind']);
    // Key order is not a change.
    const reordered = {
      ...before,
      spec: { owner: 'team-a', lifecycle: 'production', type: 'service' },
    };
    expect(changedPaths(before, reordered)).toEqual([]);
  });
});

describe.each(ENGINES)('catalog change feed on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  let dir: string;
  let store: EntityStore;
  let locations: LocationStore;
  const batches: EntityChangeBatch[] = [];

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
  const take = () => batches.splice(0, batches.length);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-feed-'));
    ({ database, drop } = await openFreshDatabase(engine, dir));
    await runMigrations(database, 'catalog', catalogMigrations);
    store = new EntityStore(database);
    locations = new LocationStore(database);
    store.onEntityChanges((batch) => {
      batches.push(batch);
    });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports creations, updates with their paths, and orphans', async () => {
    const loc = (await locations.create({ type: 'file', target: '/a.yaml', origin: 'api' })).id;
    await apply(loc, [component('one'), component('two')], 'keep');
    expect(take()).toEqual([
      {
        cause: { type: 'location', location: { id: loc } },
        changes: [
          { action: 'created', ref: 'component:default/one' },
          { action: 'created', ref: 'component:default/two' },
        ],
      },
    ]);
    // Unchanged entities are not changes.
    await apply(loc, [component('one'), component('two')], 'keep');
    expect(take()).toEqual([]);

    await apply(loc, [component('one', { owner: 'team-b', lifecycle: 'experimental' })], 'keep');
    expect(take()).toEqual([
      {
        cause: { type: 'location', location: { id: loc } },
        changes: [
          {
            action: 'updated',
            ref: 'component:default/one',
            changed: ['spec.lifecycle', 'spec.owner'],
          },
          { action: 'orphaned', ref: 'component:default/two' },
        ],
      },
    ]);

    // Another location adopts the orphan: an update that removes the orphan annotation.
    const other = (await locations.create({ type: 'file', target: '/b.yaml', origin: 'api' })).id;
    await apply(other, [component('two')], 'keep');
    expect(take()[0]!.changes).toEqual([
      { action: 'updated', ref: 'component:default/two', changed: ['metadata.annotations'] },
    ]);
  });

  it('reports deletions by ingestion, by location removal and by uid, with their cause', async () => {
    const loc = (await locations.create({ type: 'file', target: '/c.yaml', origin: 'api' })).id;
    await apply(loc, [component('three'), component('four'), component('five')], 'delete');
    take();
    await apply(loc, [component('three'), component('five')], 'delete');
    expect(take()[0]!.changes).toEqual([{ action: 'deleted', ref: 'component:default/four' }]);

    const cause = {
      type: 'location' as const,
      location: { id: loc, type: 'file', target: '/c.yaml' },
    };
    await store.releaseLocation(loc, 'keep', cause);
    expect(take()).toEqual([
      {
        cause,
        changes: [
          { action: 'orphaned', ref: 'component:default/three' },
          { action: 'orphaned', ref: 'component:default/five' },
        ],
      },
    ]);
    const row = await store.rowByRef('component:default/three');
    await store.deleteByUid(row!.id);
    expect(take()).toEqual([
      {
        cause: { type: 'delete' },
        changes: [{ action: 'deleted', ref: 'component:default/three' }],
      },
    ]);
  });

  it('becomes audit rows as service:atrium, except deletions by uid', () => {
    const location = { id: 'loc-1', type: 'url', target: 'https://h.example/c.yaml?token=s3cr3t' };
    const rows = ingestionRows({
      cause: { type: 'location', location },
      changes: [
        { action: 'created', ref: 'component:default/a' },
        { action: 'updated', ref: 'component:default/b', changed: ['spec.owner'] },
      ],
    });
    expect(rows.map((r) => [r.actor, r.action, r.resource_ref])).toEqual([
      ['service:atrium', 'catalog.entity.created', 'component:default/a'],
      ['service:atrium', 'catalog.entity.updated', 'component:default/b'],
    ]);
    expect(JSON.parse(rows[0]!.details!)).toEqual({
      location: { id: 'loc-1', type: 'url', target: 'https://h.example/c.yaml' },
    });
    expect(JSON.parse(rows[1]!.details!)).toEqual({
      location: { id: 'loc-1', type: 'url', target: 'https://h.example/c.yaml' },
      changed: ['spec.owner'],
    });
    expect(rows[0]!.id < rows[1]!.id).toBe(true);
    expect(
      ingestionRows({ cause: { type: 'delete' }, changes: [{ action: 'deleted', ref: 'x:y/z' }] }),
    ).toEqual([]);
  });
});
