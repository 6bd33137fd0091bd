import { fetchJson, queryString } from '../../../web/plugin-api.ts';
import type { AuditEventFilter, AuditEventPage } from '../common/index.ts';

export function listAuditEvents(
  filter: AuditEventFilter & { limit?: number; cursor?: string },
  signal?: AbortSignal,
): Promise<AuditEventPage> {
  return fetchJson(`/api/audit/events${queryString({ ...filter })}`, { signal });
}
