/**
 * Sessions and their keys: cookies, the cross-site request check, key rotation and
 * retirement (with a moved clock), and two app instances sharing one database that accept
 * each other's sessions, rotate keys together and see each other's sign-outs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { type Database, openDatabase } from '../src/core/database/database.ts';
import { runMigrations } from '../src/core/database/migrations.ts';
import { createLogger } from '../src/core/logger.ts';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { parseCookies, serializeCookie } from '../src/plugins/auth/server/cookies.ts';
import { checkCsrf, portalOrigins } from '../src/plugins/auth/server/csrf.ts';
import { safeReturnPath } from '../src/plugins/auth/server/flow.ts';
import { SigningKeys } from '../src/plugins/auth/server/keys.ts';
import { authMigrations } from '../src/plugins/auth/server/migrations.ts';
import { authServiceRef } from '../src/plugins/auth/server/plugin.ts';
import {
  hashCsrf,
  REVOCATION_CACHE_MS,
  SessionService,
} from '../src/plugins/auth/server/sessions.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { ENGINES, type Engine, freshDatabase } from './helpers/server.ts';

const logger = createLogger({ level: 'error' });

/** A fresh database of one engine with the auth tables, opened directly. */
async function authDatabase(engine: Engine, dir: string) {
  const fresh = await freshDatabase(engine, dir);
  const c = fresh.config as { client: string; connection: string | { filename: string } };
  const database = await openDatabase(
    c.client === 'pg'
      ? { client: 'pg', connection: c.connection as string }
      : { client: 'better-sqlite3', filename: (c.connection as { filename: string }).filename },
  );
  await runMigrations(database, 'auth', authMigrations);
  return { database, fresh };
}

function fakeRequest(method: string, headers: Record<string, string>): FastifyRequest {
  return { method, headers } as unknown as FastifyRequest;
}

describe('cookies', () => {
  it('parses the Cookie header as browsers send it', () => {
    const cookies = parseCookies('a=1; b="quoted"; c=x%3Dy; a=2; broken; =nameless');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'quoted'],
      ['c', 'x=y'],
    ]);
  });

  it('writes HttpOnly, SameSite=Lax cookies, Secure when asked, and deletes with Max-Age=0', () => {
    expect(serializeCookie('s', 'v;1', { maxAge: 60.7, httpOnly: true, secure: true })).toBe(
      's=v%3B1; Max-Age=60; Path=/; SameSite=Lax; HttpOnly; Secure',
    );
    expect(
      serializeCookie('f', '', { maxAge: 0, path: '/api/auth', httpOnly: false, secure: false }),
    ).toBe('f=; Max-Age=0; Path=/api/auth; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });
});

describe('cross-site request check', () => {
  const origins = portalOrigins('https://portal.example.com/', 'http://localhost:7007');
  const token = 'the-csrf-token';
  const session = { csrfHash: hashCsrf(token) };
  const cookie = `${SESSION_COOKIE}=x; ${CSRF_COOKIE}=${token}`;

  it('passes the web app: header equal to the cookie, bound to the session, same origin', () => {
    expect(() =>
      checkCsrf(fakeRequest('POST', { cookie, [CSRF_HEADER]: token }), session, origins),
    ).not.toThrow();
    expect(() =>
      checkCsrf(
        fakeRequest('DELETE', {
          cookie,
          [CSRF_HEADER]: token,
          origin: 'https://portal.example.com',
        }),
        session,
        origins,
      ),
    ).not.toThrow();
  });

  it('refuses a missing or different header, a token of another session, another origin', () => {
    const refuse = (headers: Record<string, string>, message: RegExp) =>
      expect(() => checkCsrf(fakeRequest('POST', headers), session, origins)).toThrow(message);
    refuse({ cookie }, /must carry the header x-atrium-csrf/);
    refuse({ cookie, [CSRF_HEADER]: 'other' }, /does not match this session/);
    refuse(
      { cookie: `${CSRF_COOKIE}=planted`, [CSRF_HEADER]: 'planted' },
      /does not match this session/,
    );
    refuse(
      { cookie, [CSRF_HEADER]: token, origin: 'https://portal.example.com.evil.example' },
      /^Cross-site request refused: this POST comes from a page at https:\/\/portal\.example\.com\.evil\.example/,
    );
    refuse({ cookie, [CSRF_HEADER]: token, origin: 'null' }, /Cross-site request refused/);
  });
});

describe('return paths after sign-in', () => {
  it('keeps local paths and turns everything else into /', () => {
    expect(safeReturnPath('/catalog?kind=api#x')).toBe('/catalog?kind=api#x');
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example',
      'catalog',
      '/a\nb',
      undefined,
      `/${'a'.repeat(2001)}`,
    ]) {
      expect(safeReturnPath(bad)).toBe('/');
    }
  });
});

describe.each(ENGINES)('keys and sessions on a moved clock (%s)', (engine) => {
  let dir: string;
  let database: Database;
  let drop: () => Promise<void>;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = () => now;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-keys-'));
    const opened = await authDatabase(engine, dir);
    database = opened.database;
    drop = opened.fresh.drop;
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const keysOf = (maxTokenLifetimeMs = 10 * 60_000) =>
    new SigningKeys({
      database,
      logger,
      rotationMs: 60_000,
      maxTokenLifetimeMs: () => maxTokenLifetimeMs,
      now: clock,
    });

  it('rotates the signing key, verifies old keys until what they signed expired, then deletes them', async () => {
    const a = keysOf();
    const b = keysOf();
    const first = await a.signingKey();
    expect((await b.signingKey()).kid).toBe(first.kid); // one key for both instances
    now += 61_000;
    const second = await b.signingKey();
    expect(second.kid).not.toBe(first.kid);
    expect((await a.signingKey()).kid).toBe(second.kid); // a finds b's new key
    // The first key stopped signing 1 s ago; it verifies for 10 more minutes.
    expect(await a.verificationKey(first.kid)).toBeDefined();
    now += 9 * 60_000;
    expect(await b.verificationKey(first.kid)).toBeDefined();
    expect(await a.prune()).toBe(0);
    now += 2 * 60_000;
    expect(await a.verificationKey(first.kid)).toBeUndefined();
    expect(await a.prune()).toBe(1);
    const kids = await database.db.selectFrom('auth_signing_keys').select('kid').execute();
    expect(kids.map((k) => k.kid)).not.toContain(first.kid);
    expect(await a.verificationKey('forged-kid')).toBeUndefined();
  });

  it('renews sessions within their longest length, then ends them with a clear message', async () => {
    // Keys must verify as long as a session lasts: what the plugin gives them.
    const sessions = new SessionService({
      database,
      keys: keysOf(3_600_000),
      durationMs: () => 3_600_000,
      maxDurationMs: 2.5 * 3_600_000,
      now: clock,
    });
    const start = now;
    const issued = await sessions.create({
      userEntityRef: 'user:default/alice',
      provider: 'oidc',
      inCatalog: true,
      profile: { displayName: 'Alice' },
    });
    expect(issued.csrfToken).toMatch(/^[\w-]{32}$/);
    expect(hashCsrf(issued.csrfToken!)).toBe(issued.claims.csrfHash);
    const verified = await sessions.verify(issued.token);
    expect(verified).toMatchObject({
      userEntityRef: 'user:default/alice',
      provider: 'oidc',
      inCatalog: true,
      profile: { displayName: 'Alice' },
    });
    expect(sessions.dueForRefresh(verified)).toBe(false);
    now = start + 31 * 60_000;
    expect(sessions.dueForRefresh(verified)).toBe(true);
    let renewed = await sessions.refresh(verified);
    expect(renewed.csrfToken).toBeUndefined();
    expect(renewed.claims.csrfHash).toBe(issued.claims.csrfHash);
    // A browser that lost its CSRF cookie gets a new token, bound to the renewed session.
    const lost = await sessions.refresh(verified, { newCsrfToken: true });
    expect(hashCsrf(lost.csrfToken!)).toBe((await sessions.verify(lost.token)).csrfHash);
    expect(lost.csrfToken).not.toBe(issued.csrfToken);
    expect(renewed.claims.expiresAt - now).toBeGreaterThanOrEqual(3_599_000);
    now = start + 80 * 60_000;
    renewed = await sessions.refresh(await sessions.verify(renewed.token));
    expect(renewed.claims.expiresAt - now).toBeGreaterThanOrEqual(3_599_000);
    now = start + 130 * 60_000;
    renewed = await sessions.refresh(await sessions.verify(renewed.token));
    // Capped at sign-in + maxDuration.
    expect(renewed.claims.expiresAt).toBe(start + 2.5 * 3_600_000);
    now = start + 2.5 * 3_600_000 + 1_000;
    await expect(sessions.verify(renewed.token)).rejects.toThrow(
      `Your session expired at ${new Date(start + 2.5 * 3_600_000).toISOString()}; sign in again`,
    );
    // The row alone ends it too, whatever the cookie says.
    await database.db
      .updateTable('auth_sessions')
      .set({ ends_at: new Date(now - 1).toISOString() })
      .where('id', '=', issued.claims.sid)
      .execute();
    const fresh = await sessions.create({
      userEntityRef: 'user:default/alice',
      provider: 'oidc',
      inCatalog: true,
      profile: {},
    });
    await database.db
      .updateTable('auth_sessions')
      .set({ ends_at: new Date(now - 1).toISOString() })
      .where('id', '=', fresh.claims.sid)
      .execute();
    now += REVOCATION_CACHE_MS + 1;
    await expect(sessions.verify(fresh.token)).rejects.toThrow(
      /^This session reached its longest allowed length \(auth\.session\.maxDuration\) at /,
    );
    expect(await sessions.prune()).toBeGreaterThanOrEqual(1);
  });

  it('refuses tampered and foreign tokens', async () => {
    const sessions = new SessionService({
      database,
      keys: keysOf(),
      durationMs: () => 3_600_000,
      maxDurationMs: 7 * 24 * 3_600_000,
      now: clock,
    });
    const { token } = await sessions.create({
      userEntityRef: 'user:default/bob',
      provider: 'github',
      inCatalog: false,
      profile: {},
    });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'user:default/admin' })).toString('base64url')}.${signature}`;
    await expect(sessions.verify(forged)).rejects.toThrow(
      'The session cookie is not valid (it was not signed by this server, or by a key that has since been retired); sign in again',
    );
    await expect(sessions.verify('not.a.jwt')).rejects.toThrow(/not valid/);
  });
});

describe.each(ENGINES)('two app instances sharing one database (%s)', (engine) => {
  const apps: App[] = [];
  const urls: string[] = [];
  let dir: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-replicas-'));
    const database = await freshDatabase(engine, dir);
    drop = database.drop;
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
        catalog: { refresh: { interval: false } },
        // Production without providers: no guest, so only sessions get in.
        auth: { environment: 'production', session: { keyRotation: '1s' } },
      }),
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    for (let i = 0; i < 2; i++) {
      const app = await createApp({ config, plugins: installedPlugins(), cwd: dir, logger });
      apps.push(app);
      urls.push(await app.start());
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const issue = (app: App, user: string) =>
    app.use(authServiceRef).sessions.create({
      userEntityRef: `user:default/${user}`,
      provider: 'oidc',
      inCatalog: false,
      profile: {},
    });
  const whoAmI = async (url: string, token: string) => {
    const response = await fetch(`${url}/api/auth/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${token}` },
    });
    return { status: response.status, body: await response.json() };
  };

  it('accepts on each instance the sessions the other issued, across key rotations', async () => {
    const first = await issue(apps[0]!, 'alice');
    await new Promise((r) => setTimeout(r, 1_200));
    const second = await issue(apps[1]!, 'bob');
    const third = await issue(apps[0]!, 'carol');
    const kid = (t: string) => decodeProtectedHeader(t).kid;
    expect(kid(second.token)).not.toBe(kid(first.token));
    expect(kid(third.token)).toBe(kid(second.token));
    for (const url of urls) {
      for (const [session, user] of [
        [first, 'alice'],
        [second, 'bob'],
        [third, 'carol'],
      ] as const) {
        const { status, body } = await whoAmI(url, session.token);
        expect(status).toBe(200);
        expect(body.identity.userEntityRef).toBe(`user:default/${user}`);
      }
    }
    const anonymous = await fetch(`${urls[1]}/api/catalog/entities?limit=1`);
    expect(anonymous.status).toBe(401);
  });

  it('sees a sign-out made on the other instance within the revocation cache time', async () => {
    const session = await issue(apps[0]!, 'dave');
    expect((await whoAmI(urls[0]!, session.token)).status).toBe(200);
    const out = await fetch(`${urls[1]}/api/auth/signout`, {
      method: 'POST',
      headers: {
        cookie: `${SESSION_COOKIE}=${session.token}; ${CSRF_COOKIE}=${session.csrfToken}`,
        [CSRF_HEADER]: session.csrfToken!,
      },
    });
    expect(await out.json()).toEqual({ signedOut: true });
    await new Promise((r) => setTimeout(r, REVOCATION_CACHE_MS + 200));
    const after = await fetch(`${urls[0]}/api/catalog/entities?limit=1`, {
      headers: { cookie: `${SESSION_COOKIE}=${session.token}` },
    });
    expect(after.status).toBe(401);
    expect((await after.json()).error.message).toMatch(/^This session was signed out at /);
  });
});
