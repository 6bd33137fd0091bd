import type { Entity } from '../../../../model/entity.ts';
import { TITLE_OR_NAME } from '../../common/fields.ts';

export interface SearchRow {
  entity_id: string;
  key: string;
  value: string | null;
  /** The value as written, when it differs from `value` (else null). */
  original_value: string | null;
}

/** Backstage does not index longer keys or values; filters on them cannot match either. */
export const MAX_SEARCH_LENGTH = 200;

/** The search key of {@link TITLE_OR_NAME} (keys are stored lowercase). */
export const TITLE_OR_NAME_KEY = TITLE_OR_NAME.toLowerCase();

/**
 * The value {@link TITLE_OR_NAME} is ordered by: the title when it is a string short enough to
 * be indexed (what migration 0002 can read from the `metadata.title` row), else the name.
 */
export function titleOrName(entity: Entity): string {
  const { title, name } = entity.metadata;
  return typeof title === 'string' && title.length <= MAX_SEARCH_LENGTH ? title : name;
}

/**
 * Flattens an entity into the key/value rows that filters, ordering and facets run on,
 * following Backstage's rules (COMPAT.md §5.3): lowercase keys and values, arrays traversed,
 * each string array item also indexed as `<path>.<item> = true`.
 */
export function buildSearchRows(entityId: string, entity: Entity): SearchRow[] {
  const rows: SearchRow[] = [];
  const add = (key: string, raw: unknown) => {
    if (key.length > MAX_SEARCH_LENGTH) return;
    if (raw === null || raw === undefined) {
      rows.push({ entity_id: entityId, key, value: null, original_value: null });
      return;
    }
    const original = String(raw);
    const lower = original.toLowerCase();
    if (original.length > MAX_SEARCH_LENGTH) return;
    rows.push({
      entity_id: entityId,
      key,
      value: lower,
      // Stored only when case differs: most values are lowercase already, and rows are smaller.
      original_value: lower === original ? null : original,
    });
  };
  const walk = (path: string, value: unknown) => {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object') {
          walk(path, item);
        } else {
          add(path, item);
          if (typeof item === 'string') add(`${path}.${item.toLowerCase()}`, 'true');
        }
      }
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined) walk(`${path}.${k.toLowerCase()}`, v);
      }
      return;
    }
    add(path, value);
  };
  add('apiversion', entity.apiVersion);
  add('kind', entity.kind);
  // The etag changes on every write and Backstage does not make it filterable.
  const { etag: _etag, ...metadata } = entity.metadata;
  walk('metadata', metadata);
  if (entity.spec) walk('spec', entity.spec);
  add(TITLE_OR_NAME_KEY, titleOrName(entity));
  return dedupe(rows);
}

function dedupe(rows: SearchRow[]): SearchRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const id = `${r.key}\u0000${r.value}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
