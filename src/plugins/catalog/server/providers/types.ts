/**
 * The contract between the catalog and its discovery providers (GitHub, GitLab, their org
 * data). A provider says which locations should exist; the catalog owns the locations, reads
 * them through the usual ingestion, removes what disappeared (behind the mass-removal guard)
 * and records the provider's status. Webhook events reach a provider through the events
 * plugin and come back as the same kind of effect, applied the same way.
 */
import type { AtriumConfig } from '../../../../core/config/index.ts';
import type { Logger } from '../../../../core/logger.ts';
import type { ReadingPolicy } from '../../../../core/reading/allow-list.ts';
import type { LocationReader, PrefetchedFiles } from '../ingest/readers.ts';

/** A location a provider wants to exist: read through the reader of `type`. */
export interface DiscoveredLocation {
  /** `url` for catalog files (a blob URL), or a provider's own type such as `github-org`. */
  type: string;
  target: string;
  /** The repository (or organisation) it came from, as shown on the status: `org/repo`. */
  source: string;
  /**
   * The file's text when the scan already holds it (GraphQL returns blob text): the next read of
   * `target` uses it instead of a request. `version` (blob oid, commit, etag) lets the catalog
   * skip a location whose version did not change since its last read.
   */
  prefetched?: { content: string; version: string };
}

/** What one problem with one repository was; shown on the health page. */
export interface ProviderError {
  source: string;
  message: string;
  file?: string;
  line?: number;
}

/** Counters a scan reports; the catalog adds entities added/updated/removed itself. */
export interface ScanCost {
  /** HTTP requests sent (REST + GraphQL), 304s included. */
  requests: number;
  /** Requests answered 304 Not Modified (free on GitHub). */
  notModified: number;
  /** The lowest `X-RateLimit-Remaining` (or GitLab `RateLimit-Remaining`) seen, if any. */
  rateLimitRemaining?: number;
  /** GraphQL rate-limit points spent, if GraphQL was used. */
  graphqlCost?: number;
}

export interface ScanResult {
  /** Every location this provider wants, complete: the others it owns are removed. */
  locations: DiscoveredLocation[];
  /** Repositories (or projects) listed before filtering. */
  repositoriesSeen: number;
  cost: ScanCost;
  errors: ProviderError[];
  /**
   * False when the scan could not see everything (budget exhausted, a page failed): the catalog
   * then adds and refreshes but removes nothing.
   */
  complete: boolean;
}

/** What a webhook event means for a provider's locations. */
export interface ProviderEffect {
  /** Locations to create if missing, then read now. */
  upsert?: DiscoveredLocation[];
  /** Existing locations to read again now (by type + target). */
  refresh?: { type: string; target: string }[];
  /** Locations to remove now (repository deleted, archived, renamed away, file removed). */
  remove?: { type: string; target: string }[];
  /** Nothing precise can be derived: run a full scan soon. */
  rescan?: boolean;
}

/** One webhook delivery, already verified by the events plugin. */
export interface WebhookEvent {
  source: 'github' | 'gitlab';
  /** `X-GitHub-Event` (push, repository, membership, team, organization, …) or GitLab `object_kind`/`X-Gitlab-Event`. */
  type: string;
  /** The parsed JSON body. */
  payload: Record<string, unknown>;
  /** Delivery id (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID`), for logs. */
  deliveryId?: string;
}

export interface CatalogProvider {
  /** Unique: `github:<id>`, `githubOrg:<id>`, `gitlab:<id>`, `gitlabOrg:<id>`. */
  id: string;
  /** Shown on the health page: `GitHub discovery acme`. */
  title: string;
  /** How often a full scan runs (ms); null: only at start and on demand. */
  frequencyMs: number | null;
  /** How long after start the first scan waits (ms; `schedule.initialDelay`). Default 0. */
  initialDelayMs?: number;
  /** A scan taking longer is aborted through `signal`. */
  timeoutMs: number;
  /** Lists what should exist now. Must honour `signal`. Must not throw for one bad repository. */
  scan(signal: AbortSignal): Promise<ScanResult>;
  /** Maps a verified webhook event to an effect; undefined when the event is not this provider's. */
  onEvent?(event: WebhookEvent, signal: AbortSignal): Promise<ProviderEffect | undefined>;
}

/** What a provider factory is given at the catalog's setup. */
export interface ProviderContext {
  config: AtriumConfig;
  logger: Logger;
  /** The reading policy (allow list + integration hosts); every request goes through it. */
  policy: () => ReadingPolicy;
  /**
   * The text a scan prefetched for the location being read (held only during that read): a
   * provider's own reader (`github-org`) takes it from here instead of fetching again.
   */
  prefetched?: PrefetchedFiles;
}

/**
 * Contributed to the catalog's `catalogProvidersExtensionPoint`: creates the providers its
 * config section declares (none when the section is absent), and any location readers they
 * need (`github-org` reads an organisation's teams and members).
 */
export interface CatalogProviderFactory {
  /** e.g. `github`, `githubOrg`, `gitlab`: for errors naming the factory. */
  name: string;
  create(ctx: ProviderContext): { providers: CatalogProvider[]; readers?: LocationReader[] };
}
