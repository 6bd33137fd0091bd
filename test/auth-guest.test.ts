/**
 * Guest access: on by default in development (so `npm start` needs no sign-in), configured
 * with Backstage's keys, computed from the catalog, and off in production.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORG_CATALOG } from './helpers/auth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

async function serve(dir: string, auth: Record<string, unknown> | undefined) {
  return startTestServer({
    dir,
    catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
    extraConfig: auth ? { auth } : {},
  });
}

const session = async (server: TestServer) => {
  const response = await fetch(`${server.url}/api/auth/session`);
  return { status: response.status, body: await response.json() };
};

describe('guest access', () => {
  let dir: string;
  const servers: TestServer[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-guest-'));
    writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG);
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every visitor as the guest when nothing is configured (development)', async () => {
    const server = await serve(dir, undefined);
    servers.push(server);
    expect(await session(server)).toEqual({
      status: 200,
      body: {
        signedIn: true,
        providers: [],
        guest: true,
        identity: {
          userEntityRef: 'user:default/guest',
          ownershipEntityRefs: ['user:default/guest'],
          isGuest: true,
          credential: 'guest',
        },
        profile: { displayName: 'Guest' },
      },
    });
    expect((await fetch(`${server.url}/api/catalog/entities?limit=1`)).status).toBe(200);
  });

  it("takes the configured guest's groups from the catalog, or the configured refs", async () => {
    const fromCatalog = await serve(dir, { providers: { guest: { userEntityRef: 'alice' } } });
    servers.push(fromCatalog);
    const { body } = await session(fromCatalog);
    expect(body.identity.userEntityRef).toBe('user:default/alice');
    expect(body.identity.isGuest).toBe(true);
    expect([...body.identity.ownershipEntityRefs].sort()).toEqual([
      'group:default/engineering',
      'group:default/team-alpha',
      'user:default/alice',
    ]);
    const configured = await serve(dir, {
      providers: {
        guest: {
          userEntityRef: 'user:default/visitor',
          ownershipEntityRefs: ['group:default/team-beta'],
        },
      },
    });
    servers.push(configured);
    expect((await session(configured)).body.identity.ownershipEntityRefs).toEqual([
      'user:default/visitor',
      'group:default/team-beta',
    ]);
  });

  it('is off in production without providers: 401 everywhere but the public routes', async () => {
    const server = await serve(dir, { environment: 'production' });
    servers.push(server);
    const { status, body } = await session(server);
    expect(status).toBe(401);
    expect(body).toMatchObject({ signedIn: false, providers: [], guest: false });
    const api = await fetch(`${server.url}/api/catalog/entities?limit=1`);
    expect(api.status).toBe(401);
    expect((await api.json()).error.message).toMatch(/^Sign in to use this API/);
    expect((await fetch(`${server.url}/api/auth/providers`)).status).toBe(200);
  });

  it('is allowed in production only when dangerouslyAllowOutsideDevelopment says so', async () => {
    await expect(
      serve(dir, { environment: 'production', providers: { guest: {} } }),
    ).rejects.toThrow(/auth\.providers\.guest is set but auth\.environment is 'production'/);
    const server = await serve(dir, {
      environment: 'production',
      providers: { guest: { dangerouslyAllowOutsideDevelopment: true } },
    });
    servers.push(server);
    expect((await session(server)).body.identity.isGuest).toBe(true);
  });
});
