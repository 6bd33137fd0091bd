/**
 * Sign-in with a real OpenID provider (oidc-provider on loopback, its development login and
 * consent pages): start → login → callback → session, the checks that refuse forged or
 * replayed callbacks, sessions that expire, are renewed and are signed out, and the
 * cross-site request check of cookie-authenticated changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { FLOW_COOKIE, signFlow, verifyFlow } from '../src/plugins/auth/server/flow.ts';
import { authServiceRef } from '../src/plugins/auth/server/plugin.ts';
import {
  ALICE_OWNS,
  type AuthTestServer,
  CookieJar,
  freePort,
  loginAtProvider,
  signInOverHttp,
  startOidcAtrium,
} from './helpers/auth.ts';
import { ENGINES, startTestServer } from './helpers/server.ts';

const VALID_ENTITY = {
  entity: {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checked' },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-alpha' },
  },
  location: 'url:https://example.com/catalog-info.yaml',
};

type AuditRow = Record<string, string | null>;

/** The first audit row of an action that `matches`, once the recorder has written it. */
async function auditRow(
  server: AuthTestServer,
  action: string,
  matches: (row: AuditRow) => boolean = () => true,
): Promise<AuditRow> {
  for (let i = 0; i < 100; i++) {
    const rows = (await server.app.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', action)
      .orderBy('time')
      .execute()) as AuditRow[];
    const row = rows.find(matches);
    if (row) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no matching '${action}' audit event was recorded`);
}

describe.each(ENGINES)('sign-in with OpenID Connect (%s)', (engine) => {
  let server: AuthTestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-oidc-'));
    server = await startOidcAtrium({ engine, dir });
  });
  afterAll(async () => {
    await server?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the provider and answers 401 to visitors who are not signed in', async () => {
    const providers = await (await fetch(`${server.url}/api/auth/providers`)).json();
    expect(providers).toEqual({
      providers: [
        {
          id: 'oidc',
          title: `OpenID Connect (${new URL(server.oidc.issuer).host})`,
          startUrl: '/api/auth/oidc/start',
        },
      ],
      guest: false,
    });
    const session = await fetch(`${server.url}/api/auth/session`);
    expect(session.status).toBe(401);
    expect(await session.json()).toMatchObject({
      signedIn: false,
      error: { name: 'AuthenticationError', message: 'Not signed in: choose a sign-in provider' },
      providers: [{ id: 'oidc' }],
    });
    const api = await fetch(`${server.url}/api/catalog/entities`);
    expect(api.status).toBe(401);
  });

  it('starts with state, nonce and PKCE (S256) in an HttpOnly flow cookie', async () => {
    const response = await fetch(`${server.url}/api/auth/oidc/start?redirect=/catalog`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(server.oidc.issuer);
    const params = location.searchParams;
    expect(params.get('client_id')).toBe(server.oidc.clientId);
    expect(params.get('redirect_uri')).toBe(`${server.url}/api/auth/oidc/handler/frame`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('scope')).toBe('openid profile email');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(params.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(params.get('nonce')).toMatch(/^[\w-]{20,}$/);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${FLOW_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/api\/auth/);
    expect(cookie).not.toMatch(/Secure/); // the app is served over http here
    // The cookie carries this attempt's values, signed by the server.
    const flow = await verifyFlow(
      server.app.use(authServiceRef).keys,
      decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!),
    );
    expect(flow).toMatchObject({
      provider: 'oidc',
      state: params.get('state'),
      returnTo: '/catalog',
    });
    expect(flow.nonce).toBe(params.get('nonce'));
  });

  it('signs Alice in through the login page: session cookie, identity with her groups', async () => {
    const jar = new CookieJar();
    const callback = await loginAtProvider(jar, server.url, 'alice');
    const response = await jar.fetch(callback);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${server.url}/`);
    const cookies = response.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Path=\//);
    const csrf = cookies.find((c) => c.startsWith(`${CSRF_COOKIE}=`))!;
    expect(csrf).not.toMatch(/HttpOnly/);
    // The flow cookie is spent.
    expect(cookies.find((c) => c.startsWith(`${FLOW_COOKIE}=`))).toMatch(/Max-Age=0/);

    const me = await (await jar.fetch(`${server.url}/api/auth/session`)).json();
    expect(me).toMatchObject({
      signedIn: true,
      provider: 'oidc',
      identity: { userEntityRef: 'user:default/alice', isGuest: false, credential: 'session' },
      profile: { displayName: 'Alice Able', email: 'alice@example.com' },
    });
    expect([...me.identity.ownershipEntityRefs].sort()).toEqual([
      'group:default/engineering',
      'group:default/team-alpha',
      'user:default/alice',
    ]);
    expect(Date.parse(me.expiresAt) - Date.now()).toBeGreaterThan(11 * 3600_000);

    // The session works on the API, and "owned by me" finds what her groups own.
    const filter = me.identity.ownershipEntityRefs
      .map((r: string) => `relations.ownedBy=${r}`)
      .join(',');
    const owned = await (
      await jar.fetch(
        `${server.url}/api/catalog/entities/by-query?filter=${encodeURIComponent(filter)}&orderField=metadata.name,asc`,
      )
    ).json();
    expect(owned.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(
      ALICE_OWNS,
    );

    const event = await auditRow(server, 'auth.signin', (r) => r.outcome === 'success');
    expect(event).toMatchObject({
      actor: 'user:default/alice',
      credential: 'session',
      outcome: 'success',
      resource_ref: 'user:default/alice',
    });
    expect(JSON.parse(event.details!)).toEqual({
      provider: 'oidc',
      resolver: 'emailMatchingUserEntityProfileEmail',
      inCatalog: true,
    });
  });

  it('goes back to the page sign-in started from, never to another site', async () => {
    for (const [asked, expected] of [
      ['/catalog/default/component/alpha-api', '/catalog/default/component/alpha-api'],
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
    ]) {
      const jar = new CookieJar();
      const callback = await loginAtProvider(
        jar,
        server.url,
        'bob',
        `/api/auth/oidc/start?redirect=${encodeURIComponent(asked!)}`,
      );
      const response = await jar.fetch(callback);
      expect(response.headers.get('location')).toBe(`${server.url}${expected}`);
    }
  });

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const jar = new CookieJar();
    const callback = new URL(await loginAtProvider(jar, server.url, 'alice'));
    callback.searchParams.set('state', 'forged-state-value');
    const response = await jar.fetch(callback.href, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain('state does not match the one this browser&#39;s sign-in started with');
    expect(html).not.toContain('forged-state-value');
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(
      false,
    );
    const failure = await auditRow(
      server,
      'auth.signin',
      (r) => r.outcome === 'failure' && Boolean(r.details?.includes('state does not match')),
    );
    expect(failure).toMatchObject({ actor: 'user:default/anonymous', credential: 'none' });
    expect(JSON.parse(failure.details!).provider).toBe('oidc');
    expect(failure.details).not.toContain(callback.searchParams.get('code'));
  });

  it('refuses an ID token whose nonce is not the one this browser started with', async () => {
    const jar = new CookieJar();
    const callback = await loginAtProvider(jar, server.url, 'alice');
    // The same attempt, but the browser's signed cookie names another nonce: what a response
    // injected from another sign-in looks like.
    const keys = server.app.use(authServiceRef).keys;
    const flow = await verifyFlow(keys, decodeURIComponent(jar.get(server.url, FLOW_COOKIE)!));
    jar.set(
      server.url,
      FLOW_COOKIE,
      encodeURIComponent(await signFlow(keys, { ...flow, nonce: 'another-nonce-value' })),
    );
    const response = await jar.fetch(callback);
    expect(response.status).toBe(401);
    expect((await response.json()).error.message).toBe(
      "Sign-in refused: the ID token's nonce does not match the one this browser's sign-in started with (a replayed or injected response)",
    );
    expect(jar.get(server.url, SESSION_COOKIE)).toBeUndefined();
  });

  it('refuses a callback without the flow cookie, and a replayed one', async () => {
    const jar = new CookieJar();
    const callback = await loginAtProvider(jar, server.url, 'alice');
    const stranger = await fetch(callback, { redirect: 'manual' });
    expect(stranger.status).toBe(401);
    expect((await stranger.json()).error.message).toMatch(
      /No sign-in was started in this browser, or it expired/,
    );
    expect((await jar.fetch(callback)).status).toBe(302);
    const replayed = await jar.fetch(callback);
    expect(replayed.status).toBe(401);
  });

  it('refuses people the catalog does not know and addresses the provider has not verified', async () => {
    const mallory = await signInOverHttp(new CookieJar(), server.url, 'mallory');
    expect(mallory.status).toBe(401);
    expect((await mallory.json()).error.message).toBe(
      "Sign-in refused: mallory@evil.example is not a user of this portal (emailMatchingUserEntityProfileEmail: no User entity has spec.profile.email 'mallory@evil.example')",
    );
    const imposter = await signInOverHttp(new CookieJar(), server.url, 'imposter');
    expect(imposter.status).toBe(401);
    expect((await imposter.json()).error.message).toMatch(
      /emailMatchingUserEntityProfileEmail: the provider gave no verified email address/,
    );
  });

  it('protects changes made with the session cookie against cross-site requests', async () => {
    const jar = new CookieJar();
    expect((await signInOverHttp(jar, server.url, 'alice')).status).toBe(302);
    const csrf = decodeURIComponent(jar.get(server.url, CSRF_COOKIE)!);
    const post = (headers: Record<string, string>) =>
      jar.fetch(`${server.url}/api/catalog/validate-entity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(VALID_ENTITY),
      });

    const without = await post({});
    expect(without.status).toBe(403);
    expect((await without.json()).error.message).toMatch(
      /must carry the header x-atrium-csrf with the value of the atrium_csrf cookie/,
    );
    const wrong = await post({ [CSRF_HEADER]: 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.message).toMatch(/does not match this session/);
    const crossSite = await post({ [CSRF_HEADER]: csrf, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.message).toBe(
      `Cross-site request refused: this POST comes from a page at https://evil.example, not from this portal (${server.url})`,
    );
    expect((await post({ [CSRF_HEADER]: csrf })).status).toBe(200);
    expect((await post({ [CSRF_HEADER]: csrf, origin: server.url })).status).toBe(200);
    // Reading needs no header.
    expect((await jar.fetch(`${server.url}/api/catalog/entities?limit=1`)).status).toBe(200);
    // A token planted for another session (a sibling subdomain can set cookies) fails too.
    const other = new CookieJar();
    await signInOverHttp(other, server.url, 'bob');
    const planted = decodeURIComponent(other.get(server.url, CSRF_COOKIE)!);
    jar.set(server.url, CSRF_COOKIE, encodeURIComponent(planted));
    expect((await post({ [CSRF_HEADER]: planted })).status).toBe(403);
  });

  it('takes a bearer token before the cookie, and bearer requests need no CSRF header', async () => {
    const jar = new CookieJar();
    await signInOverHttp(jar, server.url, 'alice');
    const response = await jar.fetch(`${server.url}/api/catalog/validate-entity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-real-token' },
      body: JSON.stringify(VALID_ENTITY),
    });
    expect(response.status).toBe(401);
    expect((await response.json()).error.message).toMatch(/Unknown bearer token/);
    // Another scheme (a proxy's basic auth) is not Atrium's business.
    const basic = await jar.fetch(`${server.url}/api/catalog/entities?limit=1`, {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(basic.status).toBe(200);
  });

  it('signs out: the session is revoked, its cookie refused with a clear message', async () => {
    const jar = new CookieJar();
    await signInOverHttp(jar, server.url, 'bob');
    const cookie = jar.get(server.url, SESSION_COOKIE)!;
    const csrf = decodeURIComponent(jar.get(server.url, CSRF_COOKIE)!);
    const refused = await jar.fetch(`${server.url}/api/auth/signout`, { method: 'POST' });
    expect(refused.status).toBe(403);
    const out = await jar.fetch(`${server.url}/api/auth/signout`, {
      method: 'POST',
      headers: { [CSRF_HEADER]: csrf },
    });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({ signedOut: true });
    expect(jar.get(server.url, SESSION_COOKIE)).toBeUndefined();
    expect(jar.get(server.url, CSRF_COOKIE)).toBeUndefined();
    const reused = await fetch(`${server.url}/api/catalog/entities?limit=1`, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie}` },
    });
    expect(reused.status).toBe(401);
    expect((await reused.json()).error.message).toMatch(
      /^This session was signed out at \d{4}-\d\d-\d\dT[\d:.]+Z; sign in again$/,
    );
    const event = await auditRow(server, 'auth.signout');
    expect(event).toMatchObject({
      actor: 'user:default/bob',
      outcome: 'success',
      resource_ref: 'user:default/bob',
    });
  });

  it('never writes a secret to the audit log', async () => {
    const rows = await server.app.database.db.selectFrom('audit_events').selectAll().execute();
    const text = JSON.stringify(rows);
    expect(text).not.toContain(server.oidc.clientSecret);
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT (session, flow or ID token)
    expect(text).not.toMatch(/"code"/);
  });
});

describe('sessions renewed by any request', () => {
  let server: AuthTestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-renew-'));
    server = await startOidcAtrium({ dir, auth: { session: { duration: '6s' } } });
  });
  afterAll(async () => {
    await server?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renews the cookie on an ordinary API request in the second half of its life, once', async () => {
    const jar = new CookieJar();
    await signInOverHttp(jar, server.url, 'alice');
    const first = jar.get(server.url, SESSION_COOKIE)!;
    const { refreshAfter } = await (await jar.fetch(`${server.url}/api/auth/session`)).json();
    const early = await jar.fetch(`${server.url}/api/catalog/entities?limit=1`);
    expect(early.headers.getSetCookie()).toEqual([]);
    await new Promise((r) =>
      setTimeout(r, Math.max(0, Date.parse(refreshAfter) - Date.now() + 300)),
    );
    const due = await jar.fetch(`${server.url}/api/catalog/entities?limit=1`);
    expect(due.status).toBe(200);
    const set = due.headers.getSetCookie();
    expect(set.filter((c) => c.startsWith(`${SESSION_COOKIE}=`))).toHaveLength(1);
    expect(jar.get(server.url, SESSION_COOKIE)).not.toBe(first);
    // The session probe renews too, but only once per request.
    const probe = await fetch(`${server.url}/api/auth/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${first}` },
    });
    expect(
      probe.headers.getSetCookie().filter((c) => c.startsWith(`${SESSION_COOKIE}=`)),
    ).toHaveLength(1);
  });
});

describe('sessions that expire and are renewed', () => {
  let server: AuthTestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-expiry-'));
    server = await startOidcAtrium({ dir, auth: { session: { duration: '4s' } } });
  });
  afterAll(async () => {
    await server?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renews the cookie in the second half of its life; an expired one gets a clear 401', async () => {
    const jar = new CookieJar();
    await signInOverHttp(jar, server.url, 'alice');
    const first = jar.get(server.url, SESSION_COOKIE)!;
    const early = await jar.fetch(`${server.url}/api/auth/session`);
    expect(early.headers.getSetCookie()).toEqual([]);
    const { expiresAt, refreshAfter } = await early.json();
    await new Promise((r) =>
      setTimeout(r, Math.max(0, Date.parse(refreshAfter) - Date.now() + 300)),
    );
    const renewed = await jar.fetch(`${server.url}/api/auth/session`);
    expect(renewed.status).toBe(200);
    const set = renewed.headers.getSetCookie();
    const cookie = set.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie).toMatch(/Max-Age=[34];/);
    // The CSRF cookie lives as long, with the same token (requests in flight carry it).
    const csrf = jar.get(server.url, CSRF_COOKIE);
    expect(set.find((c) => c.startsWith(`${CSRF_COOKIE}=`))).toMatch(
      new RegExp(`^${CSRF_COOKIE}=${csrf}; Max-Age=[34];`),
    );
    expect(Date.parse((await renewed.json()).expiresAt)).toBeGreaterThan(Date.parse(expiresAt));
    const second = jar.get(server.url, SESSION_COOKIE)!;
    expect(second).not.toBe(first);

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now() + 1100)));
    const expired = await fetch(`${server.url}/api/catalog/entities?limit=1`, {
      headers: { cookie: `${SESSION_COOKIE}=${first}` },
    });
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.message).toBe(
      `Your session expired at ${new Date(Math.floor(Date.parse(expiresAt) / 1000) * 1000).toISOString()}; sign in again`,
    );
    // The session probe says the same, clears the cookies, and offers the providers again.
    const probe = await fetch(`${server.url}/api/auth/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${first}` },
    });
    expect(probe.status).toBe(401);
    const body = await probe.json();
    expect(body).toMatchObject({ signedIn: false, providers: [{ id: 'oidc' }] });
    expect(body.notice).toMatch(/^Your session expired at/);
    expect(probe.headers.getSetCookie().join()).toMatch(/atrium_session=; Max-Age=0/);
    // The renewed cookie still works.
    expect((await jar.fetch(`${server.url}/api/catalog/entities?limit=1`)).status).toBe(200);
  });
});

describe('an OpenID provider that cannot be reached', () => {
  it('answers 503 naming the metadata URL, not 500', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-auth-down-'));
    const port = await freePort();
    const metadataUrl = `http://127.0.0.1:${port}/.well-known/openid-configuration`;
    const server = await startTestServer({
      dir,
      extraConfig: {
        auth: {
          providers: {
            oidc: { development: { metadataUrl, clientId: 'x', clientSecret: 'never-shown' } },
          },
        },
      },
    });
    try {
      const response = await fetch(`${server.url}/api/auth/oidc/start`, { redirect: 'manual' });
      expect(response.status).toBe(503);
      const { error } = await response.json();
      expect(error.message).toMatch(
        new RegExp(
          `^The OpenID provider's metadata could not be read from ${metadataUrl.replace(/[.?]/g, '\\$&')}: `,
        ),
      );
      expect(error.message).not.toContain('never-shown');
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
