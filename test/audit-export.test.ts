/**
 * `atrium audit export`: JSON lines, oldest first, read through the API page by page, with
 * the token from ATRIUM_TOKEN, and clear errors for bad times and refused reads.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointInTime } from '../src/cli/audit.ts';
import type { AuditEventItem } from '../src/plugins/audit/common/index.ts';
import { type AuditApi, auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { newEventId } from '../src/plugins/audit/server/recorder.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/atrium.mjs');

async function atrium(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ATRIUM_TOKEN: '', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pointInTime', () => {
  const now = Date.parse('2026-03-10T12:00:00.000Z');
  it('reads dates, times and durations back from now', () => {
    expect(pointInTime('2026-01-31', '--since', now)).toBe('2026-01-31T00:00:00.000Z');
    expect(pointInTime('2026-01-31T08:30:00Z', '--since', now)).toBe('2026-01-31T08:30:00.000Z');
    expect(pointInTime('7d', '--since', now)).toBe('2026-03-03T12:00:00.000Z');
    expect(pointInTime('PT1H', '--since', now)).toBe('2026-03-10T11:00:00.000Z');
    expect(() => pointInTime('last tuesday', '--since', now)).toThrow(
      "--since 'last tuesday' is neither a date (2026-01-31, 2026-01-31T12:00:00Z) nor a duration back from now (7d, 24h, P30D)",
    );
    expect(() => pointInTime('2026-02-31x', '--until', now)).toThrow(/--until/);
  });
});

describe('atrium audit export', () => {
  let server: TestServer;
  let audit: AuditApi;

  beforeAll(async () => {
    server = await startTestServer({
      catalog: {
        locations: [{ type: 'file', target: resolve(root, 'examples/catalog-info.yaml') }],
      },
    });
    audit = server.app.use(auditServiceRef);
    await fetch(`${server.url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/booking-service' }),
    });
    await audit.flush();
    // More than one page (500) of events, some sharing a millisecond, to walk the cursor.
    const start = Date.now() - 10 * 60_000;
    await audit.store.insert(
      Array.from({ length: 700 }, (_, i) => {
        const time = start + Math.floor(i / 3);
        return {
          id: newEventId(time),
          time: new Date(time).toISOString(),
          actor: 'user:default/exporter',
          credential: 'session',
          credential_id: null,
          action: 'test.bulk',
          resource_ref: `test:${i}`,
          outcome: 'success',
          request_id: null,
          client_address: null,
          details: null,
        };
      }),
    );
  });
  afterAll(() => server?.stop());

  it('prints every event since a time as JSON lines, oldest first, across pages', async () => {
    const { code, stdout, stderr } = await atrium([
      'audit',
      'export',
      '--since',
      '1h',
      '--server',
      server.url,
    ]);
    expect(stderr).toMatch(/Exported \d+ audit event\(s\) from /);
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEventItem);
    const bulk = events.filter((e) => e.action === 'test.bulk').map((e) => e.resourceRef);
    expect(bulk).toEqual(Array.from({ length: 700 }, (_, i) => `test:${i}`));
    // The demo organisation's entities, created by ingestion at start.
    const created = events.filter((e) => e.action === 'catalog.entity.created');
    expect(created.length).toBeGreaterThanOrEqual(127);
    expect(events.some((e) => e.action === 'catalog.entity.refresh')).toBe(true);
    const times = events.map((e) => e.time);
    expect(times).toEqual([...times].sort());
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const none = await atrium(['audit', 'export', '--since', '2999-01-01', '--server', server.url]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('filters by action and respects --until', async () => {
    const { stdout } = await atrium([
      'audit',
      'export',
      '--since',
      '1h',
      '--until',
      new Date(Date.now() + 60_000).toISOString(),
      '--action',
      'catalog.entity.refresh',
      '--server',
      server.url,
    ]);
    const actions = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as AuditEventItem).action);
    expect(actions).toEqual(['catalog.entity.refresh']);
  });

  it('sends ATRIUM_TOKEN as a bearer token and explains a refusal', async () => {
    let authorization: string | undefined;
    const refusing = createServer((request: IncomingMessage, response) => {
      authorization = request.headers.authorization;
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: { name: 'NotAllowedError', message: 'You need audit.event.read' },
        }),
      );
    });
    await new Promise<void>((done) => refusing.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    try {
      const result = await atrium(['audit', 'export', '--since', '1d', '--server', url], {
        ATRIUM_TOKEN: 'tok-for-export',
      });
      expect(result.code).toBe(1);
      expect(authorization).toBe('Bearer tok-for-export');
      expect(result.stderr).toContain(
        'HTTP 403: You need audit.event.read (the token in ATRIUM_TOKEN may not read the audit log: it needs audit.event.read)',
      );
    } finally {
      refusing.close();
    }
  });

  it('refuses a --since that is neither a date nor a duration', async () => {
    const result = await atrium([
      'audit',
      'export',
      '--since',
      'yesterday',
      '--server',
      server.url,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--since 'yesterday' is neither a date");
  });
});
