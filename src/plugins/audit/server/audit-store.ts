import type { Kysely } from 'kysely';
import { InputError } from '../../../core/errors.ts';
import type { Database } from '../../../core/plugin-api.ts';
import { scrubSecrets } from '../../../core/secret-scrub.ts';
import type { AuditEventFilter, AuditEventItem, AuditOutcome } from '../common/index.ts';

export interface AuditRow {
  id: string;
  time: string;
  actor: string;
  credential: string;
  credential_id: string | null;
  action: string;
  resource_ref: string | null;
  outcome: string;
  request_id: string | null;
  client_address: string | null;
  /** JSON text, already scrubbed. */
  details: string | null;
}

interface AuditTables {
  audit_events: AuditRow;
}

export interface AuditPageRequest extends AuditEventFilter {
  limit: number;
  cursor?: string;
  /** `desc` (default): newest first. `asc`: oldest first (exports). */
  order?: 'asc' | 'desc';
}

interface Cursor {
  t: string;
  i: string;
  o: 'asc' | 'desc';
}

/** Rows deleted per statement by retention, so no statement holds the writer for long. */
const DELETE_BATCH = 5000;

export class AuditStore {
  private readonly db: Kysely<AuditTables>;
  private readonly reader: Kysely<AuditTables>;

  constructor(private readonly database: Database) {
    this.db = database.db as Kysely<AuditTables>;
    this.reader = database.reader as Kysely<AuditTables>;
  }

  /** Writes rows in one transaction (on SQLite, prepared statements on the one writer). */
  async insert(rows: AuditRow[]): Promise<void> {
    if (!rows.length) return;
    await this.db
      .transaction()
      .execute((trx) => this.database.insertMany(trx, 'audit_events', rows));
  }

  /** A page of events, keyset-paged on (time, id). */
  async list(request: AuditPageRequest): Promise<{ items: AuditEventItem[]; nextCursor?: string }> {
    const order = request.order ?? 'desc';
    let query = this.reader.selectFrom('audit_events').selectAll();
    if (request.actor) query = query.where('actor', '=', request.actor);
    if (request.action) {
      const action = request.action;
      if (action.endsWith('*')) {
        const prefix = action.slice(0, -1);
        if (prefix) {
          if (this.database.dialect === 'pg') {
            query = query.where('action', 'like', `${prefix.replace(/[\\%_]/g, '\\$&')}%`);
          } else {
            // SQLite's LIKE ignores case and cannot use the index; a range on the binary
            // collation is the same prefix test and can.
            const upper =
              prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
            query = query.where('action', '>=', prefix).where('action', '<', upper);
          }
        }
      } else {
        query = query.where('action', '=', action);
      }
    }
    if (request.resourceRef) {
      const ref = request.resourceRef;
      const lower = ref.toLowerCase();
      // Entity refs are stored lowercased; other ids as written.
      query = query.where('resource_ref', 'in', lower === ref ? [ref] : [ref, lower]);
    }
    if (request.outcome) query = query.where('outcome', '=', request.outcome);
    if (request.from) query = query.where('time', '>=', isoTime(request.from, 'from'));
    if (request.to) query = query.where('time', '<', isoTime(request.to, 'to'));
    if (request.cursor) {
      const cursor = decodeCursor(request.cursor);
      if (cursor.o !== order) throw new InputError('cursor belongs to a listing in another order');
      const cmp = order === 'desc' ? '<' : '>';
      query = query.where((eb) =>
        eb.or([
          eb('time', cmp, cursor.t),
          eb.and([eb('time', '=', cursor.t), eb('id', cmp, cursor.i)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('time', order)
      .orderBy('id', order)
      .limit(request.limit + 1)
      .execute();
    const more = rows.length > request.limit;
    const page = more ? rows.slice(0, request.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(toItem),
      ...(more && last ? { nextCursor: encodeCursor({ t: last.time, i: last.id, o: order }) } : {}),
    };
  }

  /**
   * Deletes events older than `before`, a batch per statement. Safe to run on several
   * replicas at once: each deletes what is still there.
   */
  async deleteBefore(before: string): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db
        .deleteFrom('audit_events')
        .where(
          'id',
          'in',
          this.db
            .selectFrom('audit_events')
            .select('id')
            .where('time', '<', before)
            .limit(DELETE_BATCH),
        )
        .executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      total += deleted;
      if (deleted < DELETE_BATCH) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function toItem(row: AuditRow): AuditEventItem {
  let details: Record<string, unknown> | null = null;
  if (row.details) {
    try {
      // Scrubbed when written; again here, so rows written by older versions cannot leak.
      details = scrubSecrets(JSON.parse(row.details) as Record<string, unknown>);
    } catch {
      details = { unreadable: true };
    }
  }
  return {
    id: row.id,
    time: row.time,
    actor: row.actor,
    credential: row.credential,
    credentialId: row.credential_id,
    action: row.action,
    resourceRef: row.resource_ref,
    outcome: row.outcome as AuditOutcome,
    requestId: row.request_id,
    clientAddress: row.client_address,
    details,
  };
}

/** An ISO 8601 time (or date) as stored: UTC with milliseconds. */
export function isoTime(value: string, field: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InputError(
      `${field} must be an ISO 8601 date or time (2026-01-31 or 2026-01-31T12:00:00Z), got '${value}'`,
    );
  }
  return new Date(ms).toISOString();
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.t === 'string' && typeof c.i === 'string' && (c.o === 'asc' || c.o === 'desc'))
      return c;
  } catch {
    // reported below
  }
  throw new InputError('cursor is not valid: pass the nextCursor of a previous page as it is');
}
