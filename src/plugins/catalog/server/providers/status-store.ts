import type { Kysely } from 'kysely';
import type { Database } from '../../../../core/plugin-api.ts';
import type {
  PendingRemoval,
  ProviderProblem,
  ProviderScanSummary,
  ProviderState,
  ProviderWebhookSummary,
} from '../../common/providers.ts';

interface StatusTable {
  provider_id: string;
  state: string;
  last_scan: string | null;
  errors: string;
  pending_removal: string | null;
  last_webhook: string | null;
  updated_at: string;
}

interface Tables {
  catalog_provider_status: StatusTable;
}

/** A location the guard kept from being removed; confirming removes exactly these. */
export interface HeldLocation {
  id: string;
  type: string;
  target: string;
  source: string;
}

/** The stored removal: what the API shows, and the locations themselves. */
export interface StoredPendingRemoval extends PendingRemoval {
  locations: HeldLocation[];
}

export interface StoredProviderStatus {
  state: ProviderState;
  lastScan: ProviderScanSummary | null;
  /** The last scan's own errors (the locations' problems are read from their rows). */
  errors: ProviderProblem[];
  pendingRemoval: StoredPendingRemoval | null;
  lastWebhook: ProviderWebhookSummary | null;
  updatedAt: string;
}

const EMPTY: Omit<StoredProviderStatus, 'updatedAt'> = {
  state: 'idle',
  lastScan: null,
  errors: [],
  pendingRemoval: null,
  lastWebhook: null,
};

/**
 * Each provider's status in the database (`catalog_provider_status`), so that every replica
 * shows the scan that any of them ran.
 */
export class ProviderStatusStore {
  private readonly db: Kysely<Tables>;
  private readonly reader: Kysely<Tables>;

  constructor(database: Database) {
    this.db = database.db as Kysely<Tables>;
    this.reader = database.reader as Kysely<Tables>;
  }

  async get(providerId: string): Promise<StoredProviderStatus> {
    const row = await this.db
      .selectFrom('catalog_provider_status')
      .selectAll()
      .where('provider_id', '=', providerId)
      .executeTakeFirst();
    return row ? fromRow(row) : { ...EMPTY, updatedAt: new Date(0).toISOString() };
  }

  async all(): Promise<Map<string, StoredProviderStatus>> {
    const rows = await this.reader.selectFrom('catalog_provider_status').selectAll().execute();
    return new Map(rows.map((row) => [row.provider_id, fromRow(row)]));
  }

  /** Changes the given fields of a provider's status, creating it when missing. */
  async update(
    providerId: string,
    changes: Partial<Omit<StoredProviderStatus, 'updatedAt'>>,
  ): Promise<void> {
    const set: Partial<StatusTable> = { updated_at: new Date().toISOString() };
    if (changes.state !== undefined) set.state = changes.state;
    if (changes.lastScan !== undefined) set.last_scan = json(changes.lastScan);
    if (changes.errors !== undefined) set.errors = JSON.stringify(changes.errors);
    if (changes.pendingRemoval !== undefined) set.pending_removal = json(changes.pendingRemoval);
    if (changes.lastWebhook !== undefined) set.last_webhook = json(changes.lastWebhook);
    await this.db
      .insertInto('catalog_provider_status')
      .values({
        provider_id: providerId,
        state: EMPTY.state,
        last_scan: null,
        errors: '[]',
        pending_removal: null,
        last_webhook: null,
        updated_at: set.updated_at!,
        ...set,
      })
      .onConflict((oc) => oc.column('provider_id').doUpdateSet(set))
      .execute();
  }
}

function json(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

function fromRow(row: StatusTable): StoredProviderStatus {
  return {
    state: row.state as ProviderState,
    lastScan: row.last_scan ? (JSON.parse(row.last_scan) as ProviderScanSummary) : null,
    errors: JSON.parse(row.errors) as ProviderProblem[],
    pendingRemoval: row.pending_removal
      ? (JSON.parse(row.pending_removal) as StoredPendingRemoval)
      : null,
    lastWebhook: row.last_webhook ? (JSON.parse(row.last_webhook) as ProviderWebhookSummary) : null,
    updatedAt: row.updated_at,
  };
}
