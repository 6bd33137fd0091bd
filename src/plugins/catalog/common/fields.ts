/**
 * An order field of Atrium's own (not an entity path): an entity's `metadata.title`, or its
 * `metadata.name` when it has none — what the portal shows as an entity's name. Every entity
 * has it, so ordering by it (`orderField=atrium.titleOrName,asc`) leaves none out. Stored as
 * a search row like any field (lowercase key), written at ingest and by migration 0002.
 */
export const TITLE_OR_NAME = 'atrium.titleOrName';
