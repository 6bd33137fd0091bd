/**
 * `atrium audit export`: the audit log as JSON lines, oldest first, read page by page from a
 * running server's `GET /api/audit/events` with the token in `ATRIUM_TOKEN`.
 *
 * Through the API rather than the database: the read is checked (`audit.event.read`) and
 * itself audited like any other, it works the same on SQLite and on PostgreSQL replicas, and
 * the machine that exports needs a token, not the database's credentials or app-config.
 */
import { DurationError, parseDuration } from '../core/config/duration.ts';
import type { AuditEventPage } from '../plugins/audit/common/index.ts';
import { MAX_AUDIT_PAGE } from '../plugins/audit/common/index.ts';

export interface AuditExportOptions {
  since: string;
  until?: string;
  server: string;
  action?: string;
  actor?: string;
  resourceRef?: string;
}

/**
 * A point in time from `--since`/`--until`: an ISO 8601 date or time (`2026-01-31`,
 * `2026-01-31T12:00:00Z`), or a duration back from now (`7d`, `24h`, `P30D`, `90`).
 */
export function pointInTime(value: string, option: string, now = Date.now()): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  } else {
    try {
      const ms = parseDuration(value);
      if (ms !== null) return new Date(now - ms).toISOString();
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
    }
  }
  throw new Error(
    `${option} '${value}' is neither a date (2026-01-31, 2026-01-31T12:00:00Z) nor a duration back from now (7d, 24h, P30D)`,
  );
}

function write(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(line, (error) => (error ? reject(error) : resolve()));
  });
}

export async function auditExportCommand(options: AuditExportOptions): Promise<number> {
  const now = Date.now();
  const from = pointInTime(options.since, '--since', now);
  // A fixed end, so an export finishes while events keep arriving.
  const to = options.until
    ? pointInTime(options.until, '--until', now)
    : new Date(now).toISOString();
  const base = `${options.server.replace(/\/$/, '')}/api/audit/events`;
  const token = process.env.ATRIUM_TOKEN;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let cursor: string | undefined;
  let count = 0;
  do {
    const params = new URLSearchParams({ from, to, order: 'asc', limit: String(MAX_AUDIT_PAGE) });
    if (options.action) params.set('action', options.action);
    if (options.actor) params.set('actor', options.actor);
    if (options.resourceRef) params.set('resourceRef', options.resourceRef);
    if (cursor) params.set('cursor', cursor);
    const response = await fetch(`${base}?${params}`, { headers }).catch(
      (error: Error & { cause?: { code?: string } }) => {
        throw new Error(
          `cannot reach ${options.server}: ${error.cause?.code ?? error.message} (is the server running? set --server)`,
        );
      },
    );
    const text = await response.text();
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        const detail = JSON.parse(text)?.error?.message;
        if (detail) message = `${message}: ${detail}`;
      } catch {
        // not JSON: keep the status
      }
      if (response.status === 401 || response.status === 403) {
        message += token
          ? ' (the token in ATRIUM_TOKEN may not read the audit log: it needs audit.event.read)'
          : ' (set ATRIUM_TOKEN to a token that may read the audit log)';
      }
      throw new Error(message);
    }
    const page = JSON.parse(text) as AuditEventPage;
    if (page.items.length)
      await write(page.items.map((item) => `${JSON.stringify(item)}\n`).join(''));
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  process.stderr.write(`Exported ${count} audit event(s) from ${from} to ${to}\n`);
  return 0;
}
