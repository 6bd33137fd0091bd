/** Types shared by the audit log's API and its web page. */

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Largest page `GET /api/audit/events` answers. */
export const MAX_AUDIT_PAGE = 500;
export const DEFAULT_AUDIT_PAGE = 100;

/** The permission that reads the audit log. */
export const AUDIT_EVENT_READ_PERMISSION = 'audit.event.read';

/** One event as `GET /api/audit/events` returns it. */
export interface AuditEventItem {
  id: string;
  /** ISO 8601, UTC, millisecond precision. */
  time: string;
  /** A user ref, `service:<subject>` for external tokens, `service:atrium` for Atrium itself. */
  actor: string;
  credential: string;
  /** The id of the personal token or the subject of the external token; never a secret. */
  credentialId: string | null;
  /** e.g. `catalog.entity.delete`, `catalog.entity.updated`, `permission.denied`. */
  action: string;
  resourceRef: string | null;
  outcome: AuditOutcome;
  requestId: string | null;
  clientAddress: string | null;
  /** What changed (for entity changes: `location`, `changed`); never secrets. */
  details: Record<string, unknown> | null;
}

export interface AuditEventPage {
  items: AuditEventItem[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** The filters of `GET /api/audit/events`, also the Audit page's URL parameters. */
export interface AuditEventFilter {
  actor?: string;
  /** Exact (`catalog.entity.delete`) or a prefix ending in `*` (`catalog.*`). */
  action?: string;
  resourceRef?: string;
  outcome?: AuditOutcome;
  /** Events at or after this time (ISO 8601). */
  from?: string;
  /** Events before this time (ISO 8601). */
  to?: string;
}
