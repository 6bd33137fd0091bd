/**
 * The audit recorder and the secret scrubber on their own: recording never throws and never
 * waits for the database, rows reach a real table within ~200 ms in small batches, a failed
 * write is logged and retried, and secrets are dropped by name at any depth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import { createLogger } from '../src/core/logger.ts';
import type { Identity } from '../src/core/plugin-api.ts';
import { isSecretKey, scrubSecrets, scrubText } from '../src/core/secret-scrub.ts';
import { type AuditRow, AuditStore } from '../src/plugins/audit/server/audit-store.ts';
import { auditMigrations } from '../src/plugins/audit/server/migrations.ts';
import { BufferedAuditRecorder, newEventId, toRow } from '../src/plugins/audit/server/recorder.ts';
import { startRetention } from '../src/plugins/audit/server/retention.ts';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    json: true,
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe('secret scrubber', () => {
  it('drops keys named like secrets, case-insensitively, at any depth', () => {
    const input = {
      token: 't',
      Authorization: 'Bearer x',
      clientSecret: 'c',
      client_secret: 'c',
      'Client-Secret': 'c',
      Cookie: 'atrium_session=x',
      'set-cookie': ['a=b'],
      code: 'oauth-code',
      password: 'p',
      accessToken: 'a',
      refresh_token: 'r',
      apiKey: 'k',
      privateKey: 'k',
      sessionId: 's',
      nested: [{ deeper: { personalToken: 'x', keep: 1 } }, 'text'],
      tokenId: 'tok-123',
      credentialId: 'tok-123',
      owner: 'team-a',
      changed: ['spec.owner'],
    };
    expect(scrubSecrets(input)).toEqual({
      nested: [{ deeper: { keep: 1 } }, 'text'],
      tokenId: 'tok-123',
      credentialId: 'tok-123',
      owner: 'team-a',
      changed: ['spec.owner'],
    });
    for (const key of ['TOKEN', 'x-api-key', 'db.password', 'secrets', 'jwt'])
      expect(isSecretKey(key), key).toBe(true);
    for (const key of ['tokenId', 'owner', 'description', 'location', 'target'])
      expect(isSecretKey(key), key).toBe(false);
  });

  it('takes passwords and secret query parameters out of URLs in text', () => {
    expect(scrubText('https://user:hunter2@git.example/repo.git')).toBe(
      'https://user@git.example/repo.git',
    );
    expect(scrubText('read https://h.example/c.yaml?ref=main&token=abc&x=1 failed')).toBe(
      'read https://h.example/c.yaml?ref=main&x=1 failed',
    );
    expect(scrubText('https://h.example/cb#access_token=abc&state=1')).toBe('https://h.example/cb');
    expect(scrubText('https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/o/r')).toBe(
      'https://github.com/o/r',
    );
    expect(scrubText('no url here, token=abc')).toBe('no url here, token=abc');
  });

  it('survives cycles and values JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { a: 1, f: () => 1 };
    cyclic.self = cyclic;
    expect(scrubSecrets(cyclic)).toEqual({ a: 1 });
  });
});

describe('audit recorder', () => {
  let database: Database;
  let dir: string;
  let store: AuditStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-audit-'));
    database = await openDatabase({
      client: 'better-sqlite3',
      filename: join(dir, 'a.sqlite'),
      readWorkers: 0,
    });
    await runMigrations(database, 'audit', auditMigrations);
    store = new AuditStore(database);
  });
  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () =>
    Number(
      (
        await database.db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );

  it('takes actor, credential, request id and address from identity and request', () => {
    const identity: Identity = {
      userEntityRef: 'user:default/ada',
      ownershipEntityRefs: [],
      isGuest: false,
      credential: 'personal-token',
      credentialId: 'tok-42',
    };
    const request = { id: 'req-7', ip: '10.1.2.3' } as FastifyRequest;
    const row = toRow(
      {
        action: 'auth.token.create',
        resourceRef: 'tok-42',
        outcome: 'success',
        details: { name: 'ci', token: 'secret-value' },
      },
      { identity, request },
    );
    expect(row).toMatchObject({
      actor: 'user:default/ada',
      credential: 'personal-token',
      credential_id: 'tok-42',
      action: 'auth.token.create',
      resource_ref: 'tok-42',
      outcome: 'success',
      request_id: 'req-7',
      client_address: '10.1.2.3',
      details: '{"name":"ci"}',
    });
    // Outside a request: Atrium itself.
    expect(toRow({ action: 'job', outcome: 'success' })).toMatchObject({
      actor: 'service:atrium',
      credential: 'service',
      request_id: null,
      details: null,
    });
  });

  it('writes within ~200 ms in batches, without making the caller wait', async () => {
    const { logger } = capturingLogger();
    const batches: number[] = [];
    const counting = {
      insert: async (rows: AuditRow[]) => {
        batches.push(rows.length);
        await store.insert(rows);
      },
    } as AuditStore;
    const recorder = new BufferedAuditRecorder(counting, logger, { batchSize: 500 });
    const before = await count();
    const started = performance.now();
    for (let i = 0; i < 1200; i++) recorder.record({ action: 'test.fast', outcome: 'success' });
    // 1200 calls cost well under a millisecond each: nothing waited for the database
    // (the bound leaves room for a loaded machine; a wait for the database costs more).
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await count()).toBe(before);
    await expect.poll(() => count(), { timeout: 5000 }).toBe(before + 1200);
    expect(batches).toEqual([500, 500, 200]);
    await recorder.stop();
  });

  it('writes a large backlog a tick at a time, and all of it on an explicit flush', async () => {
    const { logger } = capturingLogger();
    const calls: Array<{ at: number; rows: number }> = [];
    // A store that only counts: writes within one tick take microseconds, so the gaps
    // between ticks show even on a loaded machine.
    const timed = {
      insert: async (rows: AuditRow[]) => {
        calls.push({ at: performance.now(), rows: rows.length });
      },
    } as unknown as AuditStore;
    const recorder = new BufferedAuditRecorder(timed, logger, {
      flushMs: 150,
      batchSize: 250,
      rowsPerTick: 1000,
    });
    for (let i = 0; i < 3000; i++) recorder.record({ action: 'test.backlog', outcome: 'success' });
    await expect.poll(() => calls.length, { timeout: 3000 }).toBeGreaterThanOrEqual(5);
    // The first tick wrote at most its share; the rest waited for the next ticks.
    const firstGap = calls.findIndex((c, i) => i > 0 && c.at - calls[i - 1]!.at > 100);
    expect(firstGap).toBeGreaterThan(0);
    expect(calls.slice(0, firstGap).reduce((n, c) => n + c.rows, 0)).toBeLessThanOrEqual(1000);
    await recorder.flush();
    expect(recorder.pending).toBe(0);
    expect(calls.reduce((n, c) => n + c.rows, 0)).toBe(3000);
    await recorder.stop();
  });

  it('never throws into the caller, logs a failed write and retries it', async () => {
    const { logger, lines } = capturingLogger();
    let fail = 1;
    const flaky = {
      insert: async (rows: AuditRow[]) => {
        if (fail-- > 0) throw new Error('database is locked');
        await store.insert(rows);
      },
    } as AuditStore;
    const recorder = new BufferedAuditRecorder(flaky, logger, { flushMs: 10 });
    const before = await count();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() =>
      recorder.record({ action: 'test.retry', outcome: 'success', details: cyclic }),
    ).not.toThrow();
    expect(() => recorder.record(null as never, { identity: {} as Identity })).not.toThrow();
    await expect
      .poll(() => lines.map((l) => l.message), { timeout: 5000 })
      .toContain('Writing audit events failed');
    await expect.poll(() => count(), { timeout: 5000 }).toBe(before + 1);
    expect(lines.map((l) => l.message)).toContain('Audit event not recorded');
    await recorder.stop();
  });

  it('gives a batch up after three failures and says so; stop writes what is queued', async () => {
    const { logger, lines } = capturingLogger();
    const broken = {
      insert: async () => {
        throw new Error('no such table');
      },
    } as unknown as AuditStore;
    const recorder = new BufferedAuditRecorder(broken, logger, { flushMs: 10_000 });
    recorder.record({ action: 'test.lost', outcome: 'success' });
    await recorder.stop();
    expect(lines.filter((l) => l.message === 'Writing audit events failed')).toHaveLength(2);
    expect(lines.find((l) => l.message === 'Audit events lost: writing them failed')).toMatchObject(
      { count: 1, error: 'no such table' },
    );
    expect(() => recorder.record({ action: 'late', outcome: 'success' })).not.toThrow();
    expect(lines.at(-1)?.message).toBe('Audit events after shutdown not recorded');

    const good = new BufferedAuditRecorder(store, logger, { flushMs: 10_000 });
    const before = await count();
    good.record({ action: 'test.stop', outcome: 'success' });
    await good.stop();
    expect(await count()).toBe(before + 1);
  });

  it('deletes old events at start and again at each interval', async () => {
    const { logger, lines } = capturingLogger();
    const day = 24 * 3600 * 1000;
    let now = Date.now();
    const row = (age: number, tag: string): AuditRow => ({
      ...toRow({ action: 'test.retention', resourceRef: tag, outcome: 'success' }),
      id: newEventId(now - age),
      time: new Date(now - age).toISOString(),
    });
    const left = async () =>
      (
        await database.db
          .selectFrom('audit_events')
          .select('resource_ref')
          .where('action', '=', 'test.retention')
          .orderBy('resource_ref')
          .execute()
      ).map((r) => r.resource_ref);
    await store.insert([row(40 * day, 'old'), row(20 * day, 'aging'), row(0, 'new')]);
    const job = startRetention(store, 30 * day, logger, { intervalMs: 100, now: () => now });
    await expect.poll(left).toEqual(['aging', 'new']);
    expect(
      lines.find((l) => l.message === 'Deleted audit events past their retention'),
    ).toMatchObject({ deleted: 1 });
    // A day later (as the clock says) the next run takes what has aged past 30 days.
    now += 15 * day;
    await expect.poll(left, { timeout: 2000 }).toEqual(['new']);
    await job.stop();
    const forever = startRetention(store, null, logger);
    expect(await forever.runNow()).toBe(0);
    await forever.stop();
  });
});
