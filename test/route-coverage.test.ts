import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostRegistryRef, type RouteInfo } from '../src/core/host-services.ts';
import { CSRF_COOKIE, CSRF_HEADER } from '../src/plugins/auth/common/types.ts';
import {
  CookieJar,
  freePort,
  ORG_CATALOG,
  type OidcProviderHandle,
  signInOverHttp,
  startOidcProvider,
} from './helpers/auth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * Every registered API route of every plugin, called as a stranger and as a signed-in caller
 * whom the policy gives nothing: nothing answers but the sign-in routes, and no change goes
 * through. A route added later is covered without touching this file.
 */

const TOKEN = 'coverage-static-token-0123456789';

/**
 * Mutating routes that a signed-in caller may use without any permission, and why. Anything
 * not listed here must answer 403 to a caller without rights.
 */
const OPEN_TO_SIGNED_IN: Record<string, string> = {
  'POST /api/auth/signout': 'signing out needs no permission',
  'POST /api/permission/authorize': 'answers only what the caller itself may do',
};

/**
 * Routes anyone may call without credentials, and why. A route marked public that is not
 * listed here fails the test: opening a route to strangers is a decision to write down.
 */
const PUBLIC: Record<string, string> = {
  'GET /api/auth/providers': 'the sign-in page lists the ways to sign in',
  'GET /api/auth/session': 'the sign-in page asks whether a session exists',
  'GET /api/auth/:provider/start': 'signing in starts here',
  'GET /api/auth/:provider/handler/frame': "the sign-in provider's redirect comes back here",
  'POST /api/auth/signout': 'signing out needs no session that still verifies',
  'POST /api/events/http/github': 'webhooks: the signature is the credential',
  'POST /api/events/http/gitlab': 'webhooks: the token is the credential',
  'GET /healthcheck': "load balancers' health probe (Backstage's legacy backend)",
  'GET /.backstage/health/v1/liveness': 'liveness probe; tells only that the process answers',
  'GET /.backstage/health/v1/readiness': 'readiness probe; tells only whether start-up is over',
};

const PARAMS: Record<string, string> = {
  kind: 'component',
  namespace: 'default',
  name: 'coverage',
  uid: '00000000-0000-0000-0000-000000000000',
  id: 'coverage',
  taskId: 'coverage',
  provider: 'guest',
};

function pathOf(route: RouteInfo): string {
  return route.url
    .replace(/:([A-Za-z]+)/g, (_m, key: string) => PARAMS[key] ?? 'x')
    .replace(/\*$/, 'index.html');
}

let server: TestServer;
let routes: RouteInfo[];
let oidc: OidcProviderHandle;
let dir: string;
/** Alice, signed in through the OpenID provider: her session cookie and CSRF token. */
const jar = new CookieJar();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atrium-coverage-'));
  writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG);
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  oidc = await startOidcProvider(baseUrl);
  server = await startTestServer({
    catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
    backend: {
      listen: { host: '127.0.0.1', port },
      baseUrl,
      auth: {
        externalAccess: [{ type: 'static', options: { token: TOKEN, subject: 'coverage' } }],
      },
    },
    extraConfig: {
      // Outside development and without the guest provider, guest access is off.
      auth: {
        environment: 'production',
        providers: {
          oidc: {
            production: {
              metadataUrl: oidc.metadataUrl,
              clientId: oidc.clientId,
              clientSecret: oidc.clientSecret,
            },
          },
        },
      },
      permission: { enabled: true },
    },
  });
  routes = server.app.use(hostRegistryRef).routes();
  const signedIn = await signInOverHttp(jar, server.url, 'alice');
  expect(signedIn.status, await signedIn.text()).toBe(302);
  expect(jar.get(server.url, CSRF_COOKIE)).toBeTruthy();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await oidc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(route: RouteInfo, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${pathOf(route)}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...headers },
    body: route.method === 'GET' ? undefined : '{}',
    redirect: 'manual',
  });
  return { status: response.status, body: await response.text() };
}

describe('every API route declares and enforces its permission', () => {
  it('finds the routes of every plugin', () => {
    const plugins = new Set(routes.map((r) => r.plugin));
    for (const plugin of ['catalog', 'scaffolder', 'techdocs', 'search', 'auth', 'audit']) {
      expect(plugins, `routes of ${plugin}`).toContain(plugin);
    }
    expect(routes.length).toBeGreaterThan(40);
  });

  it('refuses an anonymous caller with 401 on every route but the sign-in ones', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => !r.public)) {
      const { status, body } = await call(route);
      if (status !== 401)
        wrong.push(`${route.method} ${route.url} answered ${status}: ${body.slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a signed-in caller without the permission with 403 on every mutating route', async () => {
    const wrong: string[] = [];
    const mutating = routes.filter(
      (r) => r.changes && !r.public && !(`${r.method} ${r.url}` in OPEN_TO_SIGNED_IN),
    );
    expect(mutating.length).toBeGreaterThan(10);
    for (const route of mutating) {
      const { status, body } = await call(route, { authorization: `Bearer ${TOKEN}` });
      if (status !== 403)
        wrong.push(`${route.method} ${route.url} answered ${status}: ${body.slice(0, 120)}`);
      else expect(JSON.parse(body).error.reason.message, route.url).toBeTruthy();
    }
    expect(wrong).toEqual([]);
  });

  it('opens to strangers only the routes listed as public, and the health probes answer them', async () => {
    const open = routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual(Object.keys(PUBLIC).sort());
    for (const route of routes.filter((r) => r.plugin === 'host')) {
      const { status, body } = await call(route);
      expect(status, route.url).toBe(200);
      expect(JSON.parse(body), route.url).toEqual({ status: 'ok' });
    }
  });

  it('refuses a signed-in session user without the permission with 403 on every mutating route', async () => {
    // As the web app sends a change: the session cookie, and the CSRF token echoed in a header,
    // so that what refuses is the policy and not the CSRF check.
    const session = {
      cookie: jar.header(server.url),
      [CSRF_HEADER]: jar.get(server.url, CSRF_COOKIE)!,
    };
    const me = await fetch(`${server.url}/api/catalog/entities?limit=1`, { headers: session });
    expect(me.status, 'a read of the signed-in session').toBe(200);
    const wrong: string[] = [];
    const mutating = routes.filter(
      (r) => r.changes && !r.public && !(`${r.method} ${r.url}` in OPEN_TO_SIGNED_IN),
    );
    expect(mutating.length).toBeGreaterThan(10);
    for (const route of mutating) {
      const { status, body } = await call(route, session);
      if (status !== 403 || !JSON.parse(body).error.permission)
        wrong.push(`${route.method} ${route.url} answered ${status}: ${body.slice(0, 120)}`);
      else expect(JSON.parse(body).error.reason.message, route.url).toBeTruthy();
    }
    expect(wrong).toEqual([]);
    // Still signed in: no route above ended the session.
    const after = await fetch(`${server.url}/api/catalog/entities?limit=1`, { headers: session });
    expect(after.status).toBe(200);
  });

  it('lists only routes that exist, with a permission or an explicit null', () => {
    for (const route of routes) {
      expect(route.permission === null || typeof route.permission.name === 'string').toBe(true);
    }
    for (const key of Object.keys(OPEN_TO_SIGNED_IN)) {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(key);
    }
  });
});
