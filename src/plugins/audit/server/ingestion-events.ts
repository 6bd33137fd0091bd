import type { EntityChangeBatch } from '../../catalog/server/store/entity-store.ts';
import type { AuditRow } from './audit-store.ts';
import { detailsJson, newEventId } from './recorder.ts';

/**
 * Audit rows for what ingestion wrote: one per entity created, updated, orphaned or deleted,
 * as `service:atrium`, with the location that caused it. Deletions by uid through the API
 * are left out: the host records that request with its caller.
 *
 * Built in bulk (a first ingest writes 100,000 entities in one go): the location part of the
 * details is scrubbed and serialised once per batch.
 */
export function ingestionRows(batch: EntityChangeBatch, now = Date.now()): AuditRow[] {
  if (batch.cause.type !== 'location') return [];
  const time = new Date(now).toISOString();
  const location = detailsJson({ location: batch.cause.location });
  // `{"location":{…}}` → `{"location":{…},"changed":[…]}` without scrubbing every row again:
  // the paths are field names of the entity model, not values.
  const base = location ? location.slice(0, -1) : '{';
  return batch.changes.map((change) => ({
    id: newEventId(now),
    time,
    actor: 'service:atrium',
    credential: 'service',
    credential_id: null,
    action: `catalog.entity.${change.action}`,
    resource_ref: change.ref,
    outcome: 'success',
    request_id: null,
    client_address: null,
    details: change.changed
      ? `${base}${base === '{' ? '' : ','}"changed":${JSON.stringify(change.changed)}}`
      : location,
  }));
}
