import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogClient } from '@backstage/catalog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { authServiceRef } from '../src/plugins/auth/server/plugin.ts';
import { createTokenAuthenticator } from '../src/plugins/auth/server/tokens/index.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import { ENGINES, type Engine, startTestServer, type TestServer } from './helpers/server.ts';

/*
 * Personal access tokens over HTTP, on each engine: a signed-in user (a real session from the
 * auth plugin's session service) creates, lists, uses and revokes tokens; what a token may do
 * follows its owner; bad tokens answer 401 saying why.
 */

const CATALOG = `
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { memberOf: [team-a], profile: { email: alice@example.com } }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec: { memberOf: [team-b] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: engineering }
spec: { type: department, children: [team-a] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-a }
spec: { type: team, parent: engineering, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-b }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: service-a }
spec: { type: service, lifecycle: production, owner: team-a }
`;

const TOKEN_FORMAT = /^atp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;
const DAY = 24 * 3600 * 1000;

interface Caller {
  headers: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies, checked by the assertions
type Json = Record<string, any>;

/** Guest access off (`production`) unless `extra` says otherwise. */
function startServer(
  dir: string,
  engine: Engine,
  extra: Record<string, unknown> = {},
  backend: Record<string, unknown> = {},
) {
  writeFileSync(join(dir, 'catalog.yaml'), CATALOG);
  return startTestServer({
    engine,
    backend,
    catalog: { locations: [{ type: 'file', target: join(dir, 'catalog.yaml') }] },
    extraConfig: { auth: { environment: 'production' }, ...extra },
  });
}

/** A signed-in user, with a session made by the auth plugin itself. */
async function signIn(server: TestServer, userEntityRef: string): Promise<Caller> {
  const { sessions } = server.app.use(authServiceRef);
  const session = await sessions.create({
    userEntityRef,
    provider: 'oidc',
    inCatalog: true,
    profile: {},
  });
  return {
    headers: {
      cookie: `${SESSION_COOKIE}=${session.token}; ${CSRF_COOKIE}=${session.csrfToken}`,
      [CSRF_HEADER]: session.csrfToken!,
    },
  };
}

const bearer = (token: string): Caller => ({ headers: { authorization: `Bearer ${token}` } });

async function api(
  server: TestServer,
  caller: Caller,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...caller.headers,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

describe.each(ENGINES)('personal access tokens (%s)', (engine) => {
  let server: TestServer;
  let dir: string;
  let alice: Caller;
  let bob: Caller;
  /** Every token secret handed out, to grep the logs and tables for. */
  const secrets: string[] = [];

  const create = async (caller: Caller, body: Json) => {
    const result = await api(server, caller, 'POST', '/api/auth/tokens', body);
    if (typeof result.body.token === 'string') secrets.push(result.body.token);
    return result;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-pat-'));
    server = await startServer(dir, engine);
    alice = await signIn(server, 'user:default/alice');
    bob = await signIn(server, 'user:default/bob');
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a token whose secret is shown once, and lists it without the secret', async () => {
    const before = Date.now();
    const created = await create(alice, { name: 'ci deploys', scope: 'full', expiresInDays: 30 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'ci deploys',
      scope: 'full',
      lastUsedAt: null,
      expired: false,
      token: expect.stringMatching(TOKEN_FORMAT),
    });
    expect(created.body.token).toContain(created.body.id);
    const expires = Date.parse(created.body.expiresAt);
    expect(expires - before).toBeGreaterThanOrEqual(30 * DAY - 1000);
    expect(expires - before).toBeLessThanOrEqual(30 * DAY + 60_000);

    const list = await api(server, alice, 'GET', '/api/auth/tokens');
    expect(list.status).toBe(200);
    expect(list.body.maxDurationDays).toBe(365);
    expect(list.body.items).toEqual([
      {
        id: created.body.id,
        name: 'ci deploys',
        scope: 'full',
        createdAt: created.body.createdAt,
        expiresAt: created.body.expiresAt,
        lastUsedAt: null,
        expired: false,
      },
    ]);
    // The secret is what follows `atp_<id>_` (base64url, so it may hold '_' itself).
    const secret = created.body.token.slice(`atp_${created.body.id}_`.length);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it("acts as its owner, with the owner's groups as of now, and records its last use", async () => {
    const { body } = await create(alice, { name: 'reader', scope: 'read', expiresInDays: 1 });
    const catalog = await api(
      server,
      bearer(body.token),
      'GET',
      '/api/catalog/entities?filter=kind=component',
    );
    expect(catalog.status).toBe(200);
    expect(catalog.body.map((e: Json) => e.metadata.name)).toEqual(['service-a']);

    const { config } = await loadConfig({
      configPaths: ['app-config.yaml'],
      cwd: server.dir,
      env: {},
    });
    const authenticator = createTokenAuthenticator({
      config,
      database: server.app.database,
      users: server.app.use(catalogServiceRef).users,
      logger: createLogger({ level: 'error' }),
    });
    const identity = await authenticator.authenticate(body.token);
    expect({ ...identity, ownershipEntityRefs: [...identity!.ownershipEntityRefs].sort() }).toEqual(
      {
        userEntityRef: 'user:default/alice',
        ownershipEntityRefs: [
          'group:default/engineering',
          'group:default/team-a',
          'user:default/alice',
        ],
        isGuest: false,
        credential: 'personal-token',
        scope: 'read',
        credentialId: body.id,
      },
    );

    let used: Json | undefined;
    for (let i = 0; i < 50 && !used?.lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 20));
      used = (await api(server, alice, 'GET', '/api/auth/tokens')).body.items.find(
        (t: Json) => t.id === body.id,
      );
    }
    expect(Date.parse(used!.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('works with @backstage/catalog-client given { token }', async () => {
    const { body } = await create(alice, {
      name: 'backstage client',
      scope: 'read',
      expiresInDays: 1,
    });
    const client = new CatalogClient({
      discoveryApi: { getBaseUrl: async (plugin) => `${server.url}/api/${plugin}` },
    });
    const { items } = await client.getEntities(
      { filter: { kind: 'group' }, fields: ['metadata.name'] },
      { token: body.token },
    );
    expect(items.map((e) => e.metadata.name).sort()).toEqual(['engineering', 'team-a', 'team-b']);
    const entity = await client.getEntityByRef('component:default/service-a', {
      token: body.token,
    });
    expect(entity?.spec?.owner).toBe('team-a');
    await expect(
      client.getEntities({ filter: { kind: 'group' } }, { token: `${body.token.slice(0, -2)}AA` }),
    ).rejects.toThrow(/401/);
  });

  it('limits a read-only token to reading, and no token may create tokens', async () => {
    const read = (await create(alice, { name: 'read only', scope: 'read', expiresInDays: 1 })).body;
    const full = (await create(alice, { name: 'full', scope: 'full', expiresInDays: 1 })).body;
    const register = await api(server, bearer(read.token), 'POST', '/api/catalog/locations', {
      type: 'url',
      target: 'https://example.com/catalog-info.yaml',
    });
    expect(register.status).toBe(403);
    expect(register.body.error.message).toMatch(/read-only/);
    const revokeWithRead = await api(
      server,
      bearer(read.token),
      'DELETE',
      `/api/auth/tokens/${full.id}`,
    );
    expect(revokeWithRead.status).toBe(403);

    for (const token of [read.token, full.token]) {
      const mint = await api(server, bearer(token), 'POST', '/api/auth/tokens', {
        name: 'child',
        scope: 'full',
        expiresInDays: 1,
      });
      expect(mint.status).toBe(403);
    }
    const fromFull = await api(server, bearer(full.token), 'POST', '/api/auth/tokens', {
      name: 'child',
      scope: 'full',
      expiresInDays: 1,
    });
    expect(fromFull.body.error.message).toBe(
      'A personal access token cannot create tokens: sign in to the web app to create one',
    );
    // A full token may list its owner's tokens and revoke one (itself, when it leaked).
    const own = await api(server, bearer(full.token), 'GET', '/api/auth/tokens');
    expect(own.body.items.map((t: Json) => t.id)).toContain(read.id);
    expect(
      (await api(server, bearer(full.token), 'DELETE', `/api/auth/tokens/${full.id}`)).status,
    ).toBe(204);
    expect((await api(server, bearer(full.token), 'GET', '/api/auth/tokens')).status).toBe(401);
  });

  it("keeps users apart: another user's token id answers 404 and the token keeps working", async () => {
    const mine = (await create(alice, { name: 'private', scope: 'full', expiresInDays: 2 })).body;
    const bobs = await api(server, bob, 'GET', '/api/auth/tokens');
    expect(bobs.status).toBe(200);
    expect(bobs.body.items).toEqual([]);
    const steal = await api(server, bob, 'DELETE', `/api/auth/tokens/${mine.id}`);
    expect(steal.status).toBe(404);
    expect(steal.body.error.message).toBe(`You have no token with id '${mine.id}'`);
    expect(
      (await api(server, bearer(mine.token), 'GET', '/api/catalog/entities?limit=1')).status,
    ).toBe(200);
  });

  it('revokes: the token answers 401 saying so, leaves the list, and a second revoke is 404', async () => {
    const { body } = await create(alice, { name: 'short lived', scope: 'full', expiresInDays: 1 });
    expect(
      (await api(server, bearer(body.token), 'GET', '/api/catalog/entities?limit=1')).status,
    ).toBe(200);
    const revoke = await api(server, alice, 'DELETE', `/api/auth/tokens/${body.id}`);
    expect(revoke.status).toBe(204);
    const after = await api(server, bearer(body.token), 'GET', '/api/catalog/entities?limit=1');
    expect(after.status).toBe(401);
    expect(after.body.error).toMatchObject({
      name: 'AuthenticationError',
      message: expect.stringMatching(
        /^This personal access token \('short lived'\) was revoked at \d{4}-/,
      ),
    });
    const list = await api(server, alice, 'GET', '/api/auth/tokens');
    expect(list.body.items.map((t: Json) => t.id)).not.toContain(body.id);
    expect((await api(server, alice, 'DELETE', `/api/auth/tokens/${body.id}`)).status).toBe(404);
  });

  it('refuses expired, forged and malformed tokens with 401 and the reason', async () => {
    const { body } = await create(alice, { name: 'to expire', scope: 'full', expiresInDays: 1 });
    await server.app.database.db
      .updateTable('auth_personal_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', body.id)
      .execute();
    const expired = await api(server, bearer(body.token), 'GET', '/api/catalog/entities?limit=1');
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toMatch(
      /^This personal access token \('to expire'\) expired at /,
    );
    const listed = (await api(server, alice, 'GET', '/api/auth/tokens')).body.items;
    expect(listed.find((t: Json) => t.id === body.id)).toMatchObject({ expired: true });

    const live = (await create(alice, { name: 'to forge', scope: 'full', expiresInDays: 1 })).body;
    const secret = live.token.slice(-43);
    const flipped = `${live.token.slice(0, -43)}${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    const cases: [string, RegExp][] = [
      [flipped, /^Invalid personal access token: no token with this id and secret exists/],
      [`atp_${'0'.repeat(16)}_${secret}`, /^Invalid personal access token/],
      ['atp_not-a-token', /^Malformed personal access token: expected atp_/],
      [`${live.token}x`, /^Malformed personal access token/],
    ];
    for (const [token, message] of cases) {
      const result = await api(server, bearer(token), 'GET', '/api/catalog/entities?limit=1');
      expect(result.status, token).toBe(401);
      expect(result.body.error.message).toMatch(message);
    }
  });

  it('validates the request: expiry required and bounded, scope and name checked', async () => {
    const cases: [Json, number, RegExp][] = [
      [{ name: 'x', scope: 'full' }, 400, /exactly one of expiresInDays .* or expiresAt/],
      [{ name: 'x', scope: 'full', expiresInDays: 1, expiresAt: '2099-01-01' }, 400, /exactly one/],
      [
        { name: 'x', scope: 'full', expiresInDays: 366 },
        400,
        /expiresInDays must be at most 365 \(auth\.personalTokens\.maxDuration is 365 days\); got 366/,
      ],
      [
        { name: 'x', scope: 'full', expiresAt: '2001-01-01T00:00:00Z' },
        400,
        /expiresAt must be in the future/,
      ],
      [
        { name: 'x', scope: 'full', expiresAt: new Date(Date.now() + 400 * DAY).toISOString() },
        400,
        /at most 365 days from now/,
      ],
      [
        { name: 'x', scope: 'full', expiresAt: 'next week' },
        400,
        /expiresAt must be an ISO-8601 date/,
      ],
      [{ name: 'x', scope: 'admin', expiresInDays: 1 }, 400, /scope/],
      [{ name: '   ', scope: 'full', expiresInDays: 1 }, 400, /^name must not be blank/],
      [{ name: 'a\nb', scope: 'full', expiresInDays: 1 }, 400, /^name must not contain control/],
      [{ name: 'x', scope: 'full', expiresInDays: 0 }, 400, /expiresInDays/],
      [
        { name: 'x', scope: 'full', expiresInDays: 1, owner: 'user:default/bob' },
        400,
        /owner|additional/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const result = await create(alice, body);
      expect(result.status, JSON.stringify(body)).toBe(status);
      expect(result.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const at = new Date(Date.now() + 10 * DAY).toISOString();
    const ok = await create(alice, { name: 'until a date', scope: 'read', expiresAt: at });
    expect(ok.status).toBe(201);
    expect(ok.body.expiresAt).toBe(at);
    const again = await create(alice, { name: 'until a date', scope: 'read', expiresInDays: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already have a token named 'until a date'/);
  });

  it('stops working when its owner leaves the catalog', async () => {
    const carol = `
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol }
spec: { memberOf: [] }
`;
    writeFileSync(join(dir, 'carol.yaml'), carol);
    const located = await api(server, alice, 'POST', '/api/catalog/locations', {
      type: 'file',
      target: join(dir, 'carol.yaml'),
    });
    expect(located.status).toBe(201);
    const session = await signIn(server, 'user:default/carol');
    const { body } = await create(session, { name: 'carol', scope: 'full', expiresInDays: 1 });
    expect(
      (await api(server, bearer(body.token), 'GET', '/api/catalog/entities?limit=1')).status,
    ).toBe(200);
    const entity = await api(
      server,
      alice,
      'GET',
      '/api/catalog/entities/by-name/user/default/carol',
    );
    const gone = await api(
      server,
      alice,
      'DELETE',
      `/api/catalog/entities/by-uid/${entity.body.metadata.uid}`,
    );
    expect(gone.status).toBe(204);
    const refused = await api(server, bearer(body.token), 'GET', '/api/catalog/entities?limit=1');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe(
      'The owner of this personal access token, user:default/carol, is no longer in the catalog',
    );
  });

  it('audits creation and revocation with the id and name, never the secret', async () => {
    const { body } = await create(alice, { name: 'audited', scope: 'full', expiresInDays: 3 });
    await api(server, alice, 'DELETE', `/api/auth/tokens/${body.id}`);
    let rows: Json[] = [];
    for (let i = 0; i < 100 && rows.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await server.app.database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('resource_ref', '=', body.id)
        .where('action', 'in', ['auth.token.create', 'auth.token.revoke'])
        .orderBy('time')
        .execute();
    }
    expect(rows.map((r) => [r.action, r.actor, r.outcome])).toEqual([
      ['auth.token.create', 'user:default/alice', 'success'],
      ['auth.token.revoke', 'user:default/alice', 'success'],
    ]);
    expect(JSON.parse(rows[0]!.details)).toMatchObject({ name: 'audited', scope: 'full' });
    expect(JSON.parse(rows[1]!.details)).toEqual({ name: 'audited' });

    // No secret in any audit row, nor in the token table (only its hash).
    const everything = JSON.stringify(
      await server.app.database.db.selectFrom('audit_events').selectAll().execute(),
    );
    const tokens = JSON.stringify(
      await server.app.database.db.selectFrom('auth_personal_tokens').selectAll().execute(),
    );
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      const part = secret.slice(-43);
      expect(everything).not.toContain(part);
      expect(tokens).not.toContain(part);
    }
  });
});

describe('who may create tokens', () => {
  const servers: TestServer[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (extra: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-pat-'));
    dirs.push(dir);
    const server = await startServer(dir, 'sqlite', extra);
    servers.push(server);
    return server;
  };
  const anonymous: Caller = { headers: {} };

  it('not the guest that development turns on by default', async () => {
    const server = await start({ auth: { environment: 'development' } });
    const result = await api(server, anonymous, 'POST', '/api/auth/tokens', {
      name: 'x',
      scope: 'full',
      expiresInDays: 1,
    });
    expect(result.status).toBe(403);
    expect(result.body.error.message).toMatch(
      /^The guest cannot create personal access tokens unless the guest provider is configured explicitly \(auth\.providers\.guest\)/,
    );
  });

  it('the guest when an operator configured it, and its tokens stop with guest access', async () => {
    const server = await start({
      auth: {
        environment: 'development',
        providers: {
          guest: {
            userEntityRef: 'user:default/alice',
            ownershipEntityRefs: ['group:default/team-b'],
          },
        },
      },
    });
    const result = await api(server, anonymous, 'POST', '/api/auth/tokens', {
      name: 'demo script',
      scope: 'read',
      expiresInDays: 1,
    });
    expect(result.status).toBe(201);
    const { config } = await loadConfig({
      configPaths: ['app-config.yaml'],
      cwd: server.dir,
      env: {},
    });
    const deps = {
      database: server.app.database,
      users: server.app.use(catalogServiceRef).users,
      logger: createLogger({ level: 'error' }),
    };
    const identity = await createTokenAuthenticator({ config, ...deps }).authenticate(
      result.body.token,
    );
    // The refs the guest provider gives the guest, not alice's groups in the catalog.
    expect(identity).toMatchObject({
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: ['user:default/alice', 'group:default/team-b'],
      isGuest: true,
      credential: 'personal-token',
      scope: 'read',
    });
    const guestOff = { ...config, auth: { ...config.auth, providers: {} } };
    await expect(
      createTokenAuthenticator({ config: guestOff, ...deps }).authenticate(result.body.token),
    ).rejects.toThrow(
      /created by the guest \(user:default\/alice\), and guest sign-in is no longer configured/,
    );
  });

  it('nobody when auth.personalTokens.enabled is false; existing tokens then answer 401', async () => {
    const server = await start({
      auth: {
        environment: 'development',
        providers: { guest: {} },
        personalTokens: { enabled: false },
      },
    });
    const result = await api(server, anonymous, 'POST', '/api/auth/tokens', {
      name: 'x',
      scope: 'full',
      expiresInDays: 1,
    });
    expect(result.status).toBe(403);
    expect(result.body.error.message).toMatch(
      /disabled on this server \(auth\.personalTokens\.enabled: false\)/,
    );
    const used = await api(
      server,
      bearer(`atp_${'a'.repeat(16)}_${'b'.repeat(43)}`),
      'GET',
      '/api/catalog/entities',
    );
    expect(used.status).toBe(401);
    expect(used.body.error.message).toMatch(/disabled/);
  });

  it('not a program calling with an external-access token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-pat-'));
    dirs.push(dir);
    const server = await startServer(
      dir,
      'sqlite',
      {},
      {
        auth: {
          externalAccess: [
            { type: 'static', options: { token: 'static-token-123', subject: 'ci' } },
          ],
        },
      },
    );
    servers.push(server);
    const program = bearer('static-token-123');
    const result = await api(server, program, 'POST', '/api/auth/tokens', {
      name: 'x',
      scope: 'full',
      expiresInDays: 1,
    });
    expect(result.status).toBe(403);
    expect(result.body.error.message).toMatch(
      /^service:ci is a program \(external access\), not a signed-in user/,
    );
    expect((await api(server, program, 'GET', '/api/auth/tokens')).status).toBe(403);
  });
});
