import type { Entity, EntityStatusItem } from '../../../../model/entity.ts';
import type { DiffEntry, EntityDiff } from '../../common/history.ts';

/**
 * Bounds that keep one event small whatever an entity holds: a 1 MB description or a
 * thousand annotations rewritten at once still make a row of a few hundred KB at most.
 */
export const MAX_VALUE_CHARS = 2048;
export const MAX_ENTRIES = 200;

/** Bookkeeping that every write sets anew: a change there is not a change of the entity. */
const IGNORED = new Set(['metadata.uid', 'metadata.etag', 'relations', 'status']);

/**
 * The leaf values that differ between two versions of an entity, in path order. Objects are
 * walked key by key (also when one side lacks the object, so an added annotation shows as
 * one entry); arrays and scalars are compared as whole values (`metadata.tags` [a] → [a, b]).
 * Processing problems count as `status.items`.
 */
export function entityDiff(
  before: { entity: Entity; problems: EntityStatusItem[] | null },
  after: { entity: Entity; problems: EntityStatusItem[] | null },
): EntityDiff {
  const entries: DiffEntry[] = [];
  walk([], before.entity, after.entity, entries);
  const a = before.problems?.length ? before.problems : undefined;
  const b = after.problems?.length ? after.problems : undefined;
  if (!sameJson(a, b)) entries.push(entry('status.items', a, b));
  return capped(entries);
}

function walk(path: string[], a: unknown, b: unknown, out: DiffEntry[]): void {
  if (path.length && IGNORED.has(path.join('.'))) return;
  if (sameJson(a, b)) return;
  if ((isRecord(a) || a === undefined) && (isRecord(b) || b === undefined)) {
    const x = (a ?? {}) as Record<string, unknown>;
    const y = (b ?? {}) as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort())
      walk([...path, key], x[key], y[key], out);
    return;
  }
  out.push(entry(path.join('.'), a, b));
}

function entry(path: string, before: unknown, after: unknown): DiffEntry {
  const out: DiffEntry = { path };
  for (const [side, value] of [
    ['before', before],
    ['after', after],
  ] as const) {
    if (value === undefined) continue;
    const json = JSON.stringify(value);
    if (json.length > MAX_VALUE_CHARS) {
      out[side] = json.slice(0, MAX_VALUE_CHARS);
      out.truncated = [...(out.truncated ?? []), side];
    } else {
      out[side] = value;
    }
  }
  return out;
}

function capped(entries: DiffEntry[]): EntityDiff {
  if (entries.length <= MAX_ENTRIES) return { changes: entries };
  return { changes: entries.slice(0, MAX_ENTRIES), omitted: entries.length - MAX_ENTRIES };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values, whatever the order of object keys. */
export function sameJson(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    return x.every((v, i) => sameJson(v, y[i]));
  }
  if (!isRecord(x) || !isRecord(y)) return false;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => k in y && sameJson(x[k], y[k]));
}
