import { sql } from 'kysely';
import type { EntityRelation } from '../../../../model/entity.ts';
import { sortRelations } from '../../../../model/relations.ts';

/**
 * API entities written as JSON text straight from their stored rows. A page of 500 entities
 * parsed and written again costs more than reading it from the database; the stored body is
 * already `JSON.stringify(entity)` (and never has `relations` or `status`: validation refuses
 * them), so the answer is that text with the relations and status appended, exactly what
 * `JSON.stringify` gives for the assembled entity (EntityStore.assemble).
 */

/** A stored row with what the answer needs. */
export interface EntityJsonRow {
  entity_ref: string;
  body: string;
  problems: string | null;
  /** SQLite: {@link relationsColumn}, the relations' JSON text. */
  relations_json?: string | null;
  /** PostgreSQL: {@link relationsColumn}, `[type, targetRef]` pairs (pg parses json). */
  relation_pairs?: Array<[string, string]> | null;
}

/**
 * The entity's relations, computed beside its row in the same statement (one trip to the
 * database or a read worker instead of two, and no relation rows to copy). SQLite writes
 * them as the API does, sorted and without duplicates (a relation both ends derive is stored
 * twice); PostgreSQL's JSON text and sort order differ, so it gives pairs to sort here.
 */
export function relationsColumn(dialect: 'sqlite' | 'pg') {
  return dialect === 'sqlite'
    ? sql<
        string | null
      >`(select json_group_array(json_object('type', r.type, 'targetRef', r.target_ref) order by r.type, r.target_ref) from (select type, target_ref from catalog_relations where source_ref = e.entity_ref group by type, target_ref) as r)`.as(
        'relations_json',
      )
    : sql<Array<
        [string, string]
      > | null>`(select json_agg(json_build_array(r.type, r.target_ref)) from catalog_relations as r where r.source_ref = e.entity_ref)`.as(
        'relation_pairs',
      );
}

/**
 * Printable ASCII without backslashes: SQLite's JSON of it is JSON.stringify's, and byte order
 * (SQLite's sort) is code unit order (sortRelations). Anything else is parsed and redone.
 */
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

/** The relations' JSON from SQLite's {@link relationsJsonColumn}, as JSON.stringify writes it. */
function relationsText(json: string | null | undefined): string {
  if (!json) return '[]';
  if (PLAIN.test(json)) return json;
  return JSON.stringify(sortRelations(JSON.parse(json) as EntityRelation[]));
}

/** The entity's JSON: the stored body with the row's relations and status appended. */
export function entityJson(row: EntityJsonRow): string {
  const body = row.body;
  const rels = row.relation_pairs
    ? JSON.stringify(
        sortRelations(row.relation_pairs.map(([type, targetRef]) => ({ type, targetRef }))),
      )
    : relationsText(row.relations_json);
  let status = '';
  if (row.problems) {
    const items = JSON.parse(row.problems) as unknown[];
    if (items.length) status = `,"status":${JSON.stringify({ items })}`;
  }
  // Bodies are written by JSON.stringify of an entity object: `{` … `}` with keys inside.
  if (body.length > 2 && body.charCodeAt(body.length - 1) === 0x7d)
    return `${body.slice(0, -1)},"relations":${rels}${status}}`;
  const entity = JSON.parse(body) as Record<string, unknown>;
  entity.relations = JSON.parse(rels);
  if (status) entity.status = { items: JSON.parse(row.problems!) };
  return JSON.stringify(entity);
}
