/**
 * Ordering by what the portal shows as an entity's name (`atrium.titleOrName`: the title,
 * else the name), on SQLite and PostgreSQL: for entities stored before the field existed
 * (migration 0002 fills it in) and for entities written since, through pages in both directions.
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
import { TITLE_OR_NAME } from '../src/plugins/catalog/common/fields.ts';
import { EntityQuery } from '../src/plugins/catalog/server/query/entity-query.ts';
import { parseFilterParams } from '../src/plugins/catalog/server/query/predicate.ts';
import { EntityStore } from '../src/plugins/catalog/server/store/entity-store.ts';
import { LocationStore } from '../src/plugins/catalog/server/store/location-store.ts';
import { catalogMigrations } from '../src/plugins/catalog/server/store/migrations.ts';
import { TITLE_OR_NAME_KEY } from '../src/plugins/catalog/server/store/search-rows.ts';
import { ENGINES, openFreshDatabase } from './helpers/server.ts';

const registry = createKindRegistry([]);

function component(name: string, title?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', ...(title === undefined ? {} : { title }) },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };
}

// Shown as: Alpha, "booking-api" sorts between them by name, "Shipment Booking" among the S's
// though its name starts with b, "zeta" last; a title differing only in case sorts as text.
const BEFORE = [
  component('alpha'),
  component('booking-service', 'Shipment Booking'),
  component('booking-api'),
  component('zeta'),
  component('mid', 'Carrier Rates'),
];

describe.each(ENGINES)('ordering by title or name on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  let dir: string;
  let store: EntityStore;
  let query: EntityQuery;
  let location: string;

  const apply = (entities: Entity[]) =>
    store.applyLocation({
      locationId: location,
      entities: entities.map((entity) => ({
        ref: stringifyEntityRef(entity),
        entity,
        hash: JSON.stringify(entity),
        parentRef: null,
        relations: deriveRelations(entity, registry),
      })),
      unchangedRefs: new Set(),
      failed: new Map(),
      orphanStrategy: 'keep',
    });

  const ordered = async (order: 'asc' | 'desc', limit = 100) => {
    const names: string[] = [];
    let page = await query.byQuery({
      filter: parseFilterParams(['kind=component']),
      orderField: { field: TITLE_OR_NAME, order },
      limit,
    });
    const total = page.totalItems;
    names.push(...page.items.map((e) => e.metadata!.name!));
    while (page.pageInfo.nextCursor) {
      page = await query.byQuery({ cursor: page.pageInfo.nextCursor, limit });
      names.push(...page.items.map((e) => e.metadata!.name!));
    }
    return { names, total };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-title-sort-'));
    ({ database, drop } = await openFreshDatabase(engine, dir));
    // A catalog stored before the field existed: every migration but 0002 (today's store
    // writes to the tables of the later ones), and entities without the row (today's store
    // writes it, so it is taken out again).
    const others = catalogMigrations.filter((m) => m.name !== '0002_title_or_name');
    expect(await runMigrations(database, 'catalog', others)).toEqual(others.map((m) => m.name));
    store = new EntityStore(database);
    location = (
      await new LocationStore(database).create({
        type: 'file',
        target: '/a.yaml',
        origin: 'config',
      })
    ).id;
    await apply(BEFORE);
    await sql`delete from catalog_search where key = ${TITLE_OR_NAME_KEY}`.execute(database.db);
    query = new EntityQuery(database.db, store, (t) => ({ ownedby: 'ownedBy' })[t]);
  });

  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves out every entity until the migration fills the field in', async () => {
    // (The count assumes every entity has the field, as it will once migrated.)
    expect((await ordered('asc')).names).toEqual([]);
    expect(await runMigrations(database, 'catalog', catalogMigrations)).toEqual([
      '0002_title_or_name',
    ]);
  });

  it('orders stored entities by title, else name, and keeps none out', async () => {
    const asc = await ordered('asc');
    expect(asc.total).toBe(BEFORE.length);
    expect(asc.names).toEqual(['alpha', 'booking-api', 'mid', 'booking-service', 'zeta']);
    expect((await ordered('desc')).names).toEqual([
      'zeta',
      'booking-service',
      'mid',
      'booking-api',
      'alpha',
    ]);
  });

  it('pages through the order in both directions', async () => {
    expect((await ordered('asc', 2)).names).toEqual([
      'alpha',
      'booking-api',
      'mid',
      'booking-service',
      'zeta',
    ]);
    const first = await query.byQuery({
      orderField: { field: TITLE_OR_NAME, order: 'asc' },
      limit: 2,
    });
    const second = await query.byQuery({ cursor: first.pageInfo.nextCursor!, limit: 2 });
    expect(second.items.map((e) => e.metadata?.name)).toEqual(['mid', 'booking-service']);
    const back = await query.byQuery({ cursor: second.pageInfo.prevCursor!, limit: 2 });
    expect(back.items.map((e) => e.metadata?.name)).toEqual(['alpha', 'booking-api']);
  });

  it('follows titles written, changed and removed after the migration', async () => {
    await apply([
      ...BEFORE.filter((e) => e.metadata.name !== 'zeta' && e.metadata.name !== 'mid'),
      component('zeta', 'Aardvark Gateway'),
      component('mid'),
      component('new-one', 'Bravo Queue'),
    ]);
    expect((await ordered('asc')).names).toEqual([
      'zeta',
      'alpha',
      'booking-api',
      'new-one',
      'mid',
      'booking-service',
    ]);
  });

  it('is a field like any other: filters and facets see it, with its case kept', async () => {
    const hits = await query.list({
      filter: parseFilterParams([`${TITLE_OR_NAME}=shipment booking`]),
    });
    expect(hits.items.map((e) => e.metadata?.name)).toEqual(['booking-service']);
    const facets = await query.facets([TITLE_OR_NAME], undefined);
    expect(facets[TITLE_OR_NAME]!.map((f) => f.value)).toContain('Shipment Booking');
  });
});
