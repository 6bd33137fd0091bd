import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuditEvent, AuditRecorder, Identity, Logger } from '../../../core/plugin-api.ts';
import { scrubSecrets, scrubText } from '../../../core/secret-scrub.ts';
import type { AuditRow, AuditStore } from './audit-store.ts';

export interface RecorderOptions {
  /** Longest an event waits in memory before it is written. */
  flushMs?: number;
  /** Rows per transaction: on SQLite each one holds the thread that answers HTTP. */
  batchSize?: number;
  /** Events kept in memory while the database does not take them; beyond, new ones are dropped. */
  maxBuffered?: number;
  /**
   * Rows written per timed flush. A first ingest of 100,000 entities queues 100,000 events at
   * once: they trickle in behind it instead of competing with the catalog's own work after
   * its commit (statistics, search indexing). An explicit `flush()` writes everything.
   */
  rowsPerTick?: number;
}

/** Details larger than this (as JSON) are replaced by a note: the log is not a data store. */
const MAX_DETAILS_CHARS = 16 * 1024;
/** Consecutive failed writes of one batch before it is given up (and logged as lost). */
const MAX_ATTEMPTS = 3;

const LIMITS = {
  actor: 512,
  credential: 32,
  credential_id: 256,
  action: 200,
  resource_ref: 1024,
  request_id: 128,
  client_address: 128,
} as const;

const clip = (value: string | undefined | null, max: number): string | null =>
  value === undefined || value === null || value === '' ? null : value.slice(0, max);

// Ids sort by creation within a process (time, then a counter) and differ between processes
// (a random part), so pages ordered by (time, id) keep the order events were recorded in.
const PROCESS_PART = randomBytes(4).toString('hex');
let counter = 0;
export function newEventId(now = Date.now()): string {
  counter = (counter + 1) % 36 ** 6;
  return `${now.toString(36).padStart(9, '0')}${PROCESS_PART}${counter.toString(36).padStart(6, '0')}`;
}

/** Details as stored: scrubbed of secrets, bounded, as JSON text. */
export function detailsJson(details: Record<string, unknown> | undefined): string | null {
  if (!details) return null;
  const text = JSON.stringify(scrubSecrets(details));
  if (text === '{}') return null;
  if (text.length <= MAX_DETAILS_CHARS) return text;
  return JSON.stringify({ truncated: true, keys: Object.keys(details).slice(0, 50) });
}

/** An event as a row: actor and credential from the identity, request id and address from the request. */
export function toRow(
  event: AuditEvent,
  context: { identity?: Identity; request?: FastifyRequest } = {},
  now = Date.now(),
): AuditRow {
  const identity = context.identity;
  const request = context.request;
  return {
    id: newEventId(now),
    time: new Date(now).toISOString(),
    // Without an identity the event is Atrium's own (a job, ingestion).
    actor: clip(identity?.userEntityRef, LIMITS.actor) ?? 'service:atrium',
    credential: clip(identity?.credential, LIMITS.credential) ?? 'service',
    credential_id: clip(identity?.credentialId, LIMITS.credential_id),
    action: clip(event.action, LIMITS.action) ?? 'unknown',
    resource_ref: clip(
      event.resourceRef === undefined ? undefined : scrubText(event.resourceRef),
      LIMITS.resource_ref,
    ),
    outcome: ['success', 'failure', 'denied'].includes(event.outcome) ? event.outcome : 'failure',
    request_id: clip(request?.id === undefined ? undefined : String(request.id), LIMITS.request_id),
    client_address: clip(request?.ip, LIMITS.client_address),
    details: detailsJson(event.details),
  };
}

/**
 * The audit log's recorder. `record` only builds a row and queues it, so it costs a request
 * next to nothing and never throws; rows are written in small batches at most `flushMs`
 * later, and on stop. A write that fails is retried, then given up, and logged each time.
 */
export class BufferedAuditRecorder implements AuditRecorder {
  private buffer: AuditRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private dropped = 0;
  private stopped = false;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly rowsPerTick: number;

  constructor(
    private readonly store: AuditStore,
    private readonly logger: Logger,
    options: RecorderOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 200;
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 500_000;
    this.rowsPerTick = options.rowsPerTick ?? 2000;
  }

  record(event: AuditEvent, context?: { identity?: Identity; request?: FastifyRequest }): void {
    try {
      this.enqueue([toRow(event, context)]);
    } catch (error) {
      this.logger.error('Audit event not recorded', {
        action: String(event?.action),
        error: (error as Error).message,
      });
    }
  }

  /** Queues rows built by the caller (ingestion's changes, built in bulk). */
  enqueue(rows: AuditRow[]): void {
    if (this.stopped) {
      // The database is about to close: say what was lost rather than fail later.
      this.logger.warn('Audit events after shutdown not recorded', {
        count: rows.length,
        actions: [...new Set(rows.map((r) => r.action))].slice(0, 10),
      });
      return;
    }
    const room = this.maxBuffered - this.buffer.length;
    if (room < rows.length) {
      this.dropped += rows.length - Math.max(room, 0);
      rows = rows.slice(0, Math.max(room, 0));
    }
    for (const row of rows) this.buffer.push(row);
    this.schedule(this.flushMs);
  }

  /** Events waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  private schedule(ms: number): void {
    if (this.timer || this.flushing || !this.buffer.length) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(this.rowsPerTick);
    }, ms);
    this.timer.unref();
  }

  /** Writes what is queued (up to `limit` rows); resolves when it is written (or given up). */
  async flush(limit = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    if (!this.buffer.length) return this.reportDropped();
    this.flushing = this.drain(limit);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    // A failed write leaves rows behind, to be retried a little later.
    if (this.buffer.length) this.schedule(this.failures ? 1000 : this.flushMs);
  }

  private async drain(limit: number): Promise<void> {
    for (let written = 0; this.buffer.length && written < limit; written += this.batchSize) {
      const batch = this.buffer.slice(0, this.batchSize);
      try {
        await this.store.insert(batch);
        this.buffer.splice(0, batch.length);
        this.failures = 0;
      } catch (error) {
        this.failures++;
        const lost = this.failures >= MAX_ATTEMPTS;
        if (lost) {
          this.buffer.splice(0, batch.length);
          this.failures = 0;
        }
        this.logger.error(
          lost ? 'Audit events lost: writing them failed' : 'Writing audit events failed',
          {
            count: batch.length,
            ...(lost ? {} : { retry: true }),
            error: (error as Error).message,
          },
        );
        if (!lost) return;
      }
      // Let requests in between batches.
      if (this.buffer.length) await new Promise((resolve) => setImmediate(resolve));
    }
    this.reportDropped();
  }

  private reportDropped(): void {
    if (!this.dropped) return;
    this.logger.error('Audit events lost: too many waiting to be written', {
      count: this.dropped,
    });
    this.dropped = 0;
  }

  /** Writes what is queued, then refuses new events (the database closes next). */
  async stop(): Promise<void> {
    for (let attempt = 0; this.buffer.length && attempt < MAX_ATTEMPTS; attempt++) {
      await this.flush();
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.buffer.length) {
      this.logger.error('Audit events lost at shutdown: writing them failed', {
        count: this.buffer.length,
      });
      this.buffer = [];
    }
  }
}
