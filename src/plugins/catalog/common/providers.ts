/**
 * What `GET /api/catalog/providers` answers: each discovery provider's status, as the health
 * page shows it. Shared by the server (which writes it) and the web page (which reads it).
 */

/**
 * `idle` between scans, `scanning` while a replica holds the provider's lease, `failed` when
 * the last scan threw or timed out, `awaiting-confirmation` when the removal guard tripped.
 */
export type ProviderState = 'idle' | 'scanning' | 'failed' | 'awaiting-confirmation';

/** One problem with one repository (or the scan as a whole: `source` is the provider id). */
export interface ProviderProblem {
  source: string;
  message: string;
  file?: string;
  line?: number;
}

/** The last scan of a provider. */
export interface ProviderScanSummary {
  trigger: 'schedule' | 'manual' | 'event';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** False when the provider could not see everything: nothing was removed. */
  complete: boolean;
  repositoriesSeen: number;
  /** Locations the scan listed. */
  locations: number;
  /** Locations created, read, skipped as unchanged (same prefetched version), removed. */
  locationsCreated: number;
  locationsRead: number;
  locationsUnchanged: number;
  locationsRemoved: number;
  /** Entities, summed over the reads and removals of this scan. */
  entitiesAdded: number;
  entitiesUpdated: number;
  entitiesRemoved: number;
  /** Entities that a read location stopped emitting and that were marked orphaned. */
  entitiesOrphaned: number;
  requests: number;
  notModified: number;
  rateLimitRemaining: number | null;
  graphqlCost: number | null;
  /** Why the scan failed (thrown, timed out), when it did. */
  error?: string;
}

/** A scan's removal that the guard stopped, waiting for someone to confirm or dismiss it. */
export interface PendingRemoval {
  /** Locations the scan would have removed. */
  count: number;
  /** Of the provider's locations at the time. */
  total: number;
  share: number;
  /** Repositories they came from (at most 200 listed here; `count` has them all). */
  sources: string[];
  detectedAt: string;
}

/** The last webhook event applied to a provider's locations. */
export interface ProviderWebhookSummary {
  at: string;
  type: string;
  deliveryId?: string;
  upserted: number;
  refreshed: number;
  removed: number;
  rescan: boolean;
  error?: string;
}

export interface ProviderStatus {
  id: string;
  title: string;
  state: ProviderState;
  /** Milliseconds between scheduled scans; null: at start and on demand only. */
  frequencyMs: number | null;
  /** Locations the provider owns now. */
  locations: number;
  lastScan: ProviderScanSummary | null;
  /**
   * The last scan's errors, then the current problems (errors) of the provider's locations
   * with file and line; at most 200, `errorCount` has them all.
   */
  errors: ProviderProblem[];
  errorCount: number;
  pendingRemoval: PendingRemoval | null;
  lastWebhook: ProviderWebhookSummary | null;
}

/** `GET /api/catalog/providers`. */
export interface ProvidersResponse {
  items: ProviderStatus[];
}
