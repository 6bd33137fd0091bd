import type { Generated } from 'kysely';
import { scrubText } from '../../../../core/secret-scrub.ts';
import type {
  EntityChangeAction,
  EntityChangeCause,
  EntityDiff,
  HistoryItem,
} from '../../common/history.ts';
import type { EntityChange } from '../store/entity-store.ts';

/** A row of `catalog_entity_events` (migration 0003_entity_events). */
export interface EntityEventRow {
  id: Generated<number>;
  created_at: string;
  /** Lowercased. */
  entity_ref: string;
  /** Lowercased. */
  kind: string;
  action: EntityChangeAction;
  /** {@link EntityDiff} as JSON, for updates. */
  diff: string | null;
  /** {@link EntityChangeCause} as JSON. */
  cause: string;
}

export type StoredEventRow = Omit<EntityEventRow, 'id'> & { id: number };

/**
 * The rows recording what one write changed. The cause is scrubbed and serialised once: a
 * first ingest records 100,000 events with the same one.
 */
export function eventRows(
  changes: readonly EntityChange[],
  cause: EntityChangeCause,
  now: string,
): Array<Omit<EntityEventRow, 'id'>> {
  if (!changes.length) return [];
  const causeJson = JSON.stringify(storedCause(cause));
  return changes.map((change) => ({
    created_at: now,
    entity_ref: change.ref,
    kind: change.ref.slice(0, change.ref.indexOf(':')),
    action: change.action,
    diff: change.diff ? JSON.stringify(change.diff) : null,
    cause: causeJson,
  }));
}

/** History outlives the request: a URL target keeps no password or token-named parameter. */
function storedCause(cause: EntityChangeCause): EntityChangeCause {
  if (cause.type !== 'location' || cause.location.target === undefined) return cause;
  return { ...cause, location: { ...cause.location, target: scrubText(cause.location.target) } };
}

export function toHistoryItem(row: StoredEventRow): HistoryItem {
  return {
    id: Number(row.id),
    createdAt: row.created_at,
    entityRef: row.entity_ref,
    kind: row.kind,
    action: row.action,
    diff: row.diff ? (JSON.parse(row.diff) as EntityDiff) : null,
    cause: JSON.parse(row.cause) as EntityChangeCause,
  };
}
