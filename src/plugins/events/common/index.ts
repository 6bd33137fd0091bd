/** Types shared by the events plugin's API and the pages that show its counters. */

/** Reads the webhook counters (`GET /api/events/status`, the health page). */
export const EVENTS_STATUS_READ_PERMISSION = 'events.status.read';

/** The webhook sources Atrium receives, as the last segment of `/api/events/http/<source>`. */
export const WEBHOOK_SOURCES = ['github', 'gitlab'] as const;

/** Deliveries of one source, counted by every replica in the shared database. */
export interface WebhookSourceStatus {
  source: (typeof WEBHOOK_SOURCES)[number];
  /** Whether this server has the source's secret (`events.modules.<source>.webhookSecret`). */
  configured: boolean;
  accepted: number;
  rejected: number;
  /** ISO 8601, UTC; null before the first. */
  lastAcceptedAt: string | null;
  lastRejectedAt: string | null;
  /** Why the last rejected delivery was refused, as its 4xx answer said. */
  lastRejectReason: string | null;
}

/** `GET /api/events/status`. */
export interface EventsStatus {
  sources: WebhookSourceStatus[];
}
