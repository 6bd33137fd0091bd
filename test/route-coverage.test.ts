import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostRegistryRef, type RouteInfo } from '../src/core/host-services.ts';
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

beforeAll(async () => {
  server = await startTestServer({
    catalog: { locations: [] },
    backend: {
      auth: {
        externalAccess: [{ type: 'static', options: { token: TOKEN, subject: 'coverage' } }],
      },
    },
    extraConfig: {
      // Outside development and without providers, guest access is off.
      auth: { environment: 'production', providers: {} },
      permission: { enabled: true },
    },
  });
  routes = server.app.use(hostRegistryRef).routes();
}, 120_000);

afterAll(() => server?.stop());

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

  it('lists only routes that exist, with a permission or an explicit null', () => {
    for (const route of routes) {
      expect(route.permission === null || typeof route.permission.name === 'string').toBe(true);
    }
    for (const key of Object.keys(OPEN_TO_SIGNED_IN)) {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(key);
    }
  });
});
