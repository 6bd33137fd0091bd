import type { AnyKysely } from '../../../../core/database/database.ts';

/**
 * Indexes of the two derived tables (relations and the key/value search rows), created by the
 * catalog's migrations. Loads never drop them (see `EntityStore.writeLocation`).
 */
export const DERIVED_INDEXES = [
  {
    name: 'catalog_relations_source',
    table: 'catalog_relations',
    columns: ['source_ref', 'type', 'target_ref'],
  },
  { name: 'catalog_relations_origin', table: 'catalog_relations', columns: ['origin_ref'] },
  { name: 'catalog_relations_target', table: 'catalog_relations', columns: ['type', 'target_ref'] },
  {
    name: 'catalog_search_key_value',
    table: 'catalog_search',
    // original_value is mostly null and makes facet counts an index-only scan.
    columns: ['key', 'value', 'entity_id', 'original_value'],
  },
  { name: 'catalog_search_entity', table: 'catalog_search', columns: ['entity_id'] },
] as const;

export async function createDerivedIndexes(db: AnyKysely): Promise<void> {
  for (const index of DERIVED_INDEXES) {
    await db.schema
      .createIndex(index.name)
      .ifNotExists()
      .on(index.table)
      .columns([...index.columns])
      .execute();
  }
}
