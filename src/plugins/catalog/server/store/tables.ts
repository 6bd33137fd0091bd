import type { EntityEventRow } from '../history/event-rows.ts';
import type { EntityRow, RelationRow } from './entity-store.ts';
import type { LocationRow } from './location-store.ts';
import type { SearchRow } from './search-rows.ts';

/** The catalog's tables as Kysely sees them (created by ./migrations.ts). */
export interface CatalogTables {
  catalog_entities: EntityRow;
  catalog_relations: RelationRow;
  catalog_search: SearchRow;
  catalog_locations: LocationRow;
  catalog_location_files: { location_id: string; file: string; hash: string; outcome: string };
  catalog_state: { id: number; generation: number };
  catalog_entity_events: EntityEventRow;
}
