import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../core/plugin-api.ts';
import { WEBHOOK_SOURCES, type WebhookSourceStatus } from '../common/index.ts';
import type { WebhookSource } from './events-service.ts';

interface CounterRow {
  source: string;
  accepted: number;
  rejected: number;
  last_accepted_at: string | null;
  last_rejected_at: string | null;
  last_reject_reason: string | null;
}

interface CounterTables {
  events_webhook_counters: CounterRow;
}

/** A reason is what a 4xx answer said; bounded so a row stays small whatever was sent. */
const MAX_REASON_CHARS = 500;

/** Accepted and rejected deliveries per source, in the shared database. */
export class WebhookCounterStore {
  private readonly db: Kysely<CounterTables>;

  constructor(database: Database) {
    this.db = database.db as Kysely<CounterTables>;
  }

  /** Counts one delivery; the increment happens in the database, so replicas never lose one. */
  async count(
    source: WebhookSource,
    outcome: { accepted: true } | { accepted: false; reason: string },
    now = new Date(),
  ): Promise<void> {
    const at = now.toISOString();
    const row: CounterRow = outcome.accepted
      ? {
          source,
          accepted: 1,
          rejected: 0,
          last_accepted_at: at,
          last_rejected_at: null,
          last_reject_reason: null,
        }
      : {
          source,
          accepted: 0,
          rejected: 1,
          last_accepted_at: null,
          last_rejected_at: at,
          last_reject_reason: outcome.reason.slice(0, MAX_REASON_CHARS),
        };
    await this.db
      .insertInto('events_webhook_counters')
      .values(row)
      .onConflict((oc) =>
        oc.column('source').doUpdateSet(
          outcome.accepted
            ? {
                accepted: sql`events_webhook_counters.accepted + 1`,
                last_accepted_at: at,
              }
            : {
                rejected: sql`events_webhook_counters.rejected + 1`,
                last_rejected_at: at,
                last_reject_reason: row.last_reject_reason,
              },
        ),
      )
      .execute();
  }

  /** Every known source, with zeros for one that never received a delivery. */
  async status(configured: (source: WebhookSource) => boolean): Promise<WebhookSourceStatus[]> {
    const rows = await this.db.selectFrom('events_webhook_counters').selectAll().execute();
    const bySource = new Map(rows.map((row) => [row.source, row]));
    return WEBHOOK_SOURCES.map((source) => {
      const row = bySource.get(source);
      return {
        source,
        configured: configured(source),
        accepted: Number(row?.accepted ?? 0),
        rejected: Number(row?.rejected ?? 0),
        lastAcceptedAt: row?.last_accepted_at ?? null,
        lastRejectedAt: row?.last_rejected_at ?? null,
        lastRejectReason: row?.last_reject_reason ?? null,
      };
    });
  }
}
