/**
 * `auth.*` as Backstage writes it: guest access by environment, the active environment's
 * section of each provider (complete, or a clear error naming the key and file), resolvers,
 * and session durations.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/core/config/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function load(auth: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-auth-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'app-config.yaml'), stringify({ auth }));
  return loadConfig({ cwd: dir, env: {} });
}

const OIDC = {
  metadataUrl: 'https://id.example.com/.well-known/openid-configuration',
  clientId: 'portal',
  clientSecret: 'shh-secret',
};

describe('auth config', () => {
  it('turns the guest on in development when nothing else is configured', async () => {
    const { config, warnings } = await load(undefined);
    expect(warnings).toEqual([]);
    expect(config.auth.environment).toBe('development');
    expect(config.auth.providers).toEqual({
      guest: { userEntityRef: 'user:default/guest', configured: false },
    });
  });

  it('has no guest in production unless configured, and refuses a configured one there', async () => {
    expect((await load({ environment: 'production' })).config.auth.providers).toEqual({});
    await expect(load({ environment: 'production', providers: { guest: {} } })).rejects.toThrow(
      "Invalid config: auth.providers.guest is set but auth.environment is 'production': guest access lets anyone who reaches the server in without signing in, so it is refused outside development. Remove it, or set auth.providers.guest.dangerouslyAllowOutsideDevelopment: true in app-config.yaml",
    );
    const allowed = await load({
      environment: 'production',
      providers: {
        guest: {
          dangerouslyAllowOutsideDevelopment: true,
          userEntityRef: 'visitor',
          ownershipEntityRefs: ['group:default/visitors'],
        },
      },
    });
    expect(allowed.config.auth.providers.guest).toEqual({
      userEntityRef: 'user:default/visitor',
      ownershipEntityRefs: ['group:default/visitors'],
      configured: true,
    });
  });

  it('turns the default guest off when a provider is configured for the environment', async () => {
    const { config } = await load({ providers: { oidc: { development: OIDC } } });
    expect(config.auth.providers.guest).toBeUndefined();
    expect(config.auth.providers.oidc).toEqual({
      ...OIDC,
      additionalScopes: [],
      scopes: ['openid', 'profile', 'email'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      resolvers: [
        {
          resolver: 'emailMatchingUserEntityProfileEmail',
          dangerouslyAllowSignInWithoutUserInCatalog: false,
        },
      ],
    });
  });

  it('reads only the section of auth.environment, and says when it is missing', async () => {
    const { config, warnings } = await load({
      environment: 'production',
      providers: { github: { development: { clientId: 'x', clientSecret: 'y' } } },
    });
    expect(config.auth.providers.github).toBeUndefined();
    expect(warnings).toEqual([
      "auth.providers.github has no 'production' section (auth.environment is 'production'; it has development); the provider is off in app-config.yaml",
    ]);
  });

  it('names the missing key of the active section and the file', async () => {
    await expect(
      load({
        providers: { oidc: { development: { metadataUrl: OIDC.metadataUrl, clientId: 'x' } } },
      }),
    ).rejects.toThrow(
      'Invalid config: auth.providers.oidc.development.clientSecret is missing; it is required to sign in with this provider in app-config.yaml',
    );
    await expect(
      load({
        providers: {
          gitlab: {
            development: { clientId: 'x', clientSecret: 'y', audience: 'gitlab.example.com' },
          },
        },
      }),
    ).rejects.toThrow(
      'auth.providers.gitlab.development.audience must be an absolute http(s) URL (got "gitlab.example.com")',
    );
  });

  it('reads resolvers, scopes, hosts and durations as Backstage writes them', async () => {
    const { config } = await load({
      providers: {
        github: {
          development: {
            clientId: 'x',
            clientSecret: 'y',
            enterpriseInstanceUrl: 'https://ghe.example.com/',
            additionalScopes: 'read:org, repo',
            sessionDuration: { hours: 2 },
            signIn: {
              resolvers: [
                { resolver: 'usernameMatchingUserEntityName' },
                {
                  resolver: 'emailLocalPartMatchingUserEntityName',
                  allowedDomains: ['Example.COM', '@example.org'],
                  dangerouslyAllowSignInWithoutUserInCatalog: true,
                },
              ],
            },
          },
        },
      },
      session: { duration: '1h', maxDuration: 'P1D', keyRotation: { hours: 6 }, secret: 'x' },
    });
    expect(config.auth.providers.github).toEqual({
      clientId: 'x',
      clientSecret: 'y',
      enterpriseInstanceUrl: 'https://ghe.example.com',
      additionalScopes: ['read:org', 'repo'],
      sessionDurationMs: 2 * 3600_000,
      resolvers: [
        {
          resolver: 'usernameMatchingUserEntityName',
          dangerouslyAllowSignInWithoutUserInCatalog: false,
        },
        {
          resolver: 'emailLocalPartMatchingUserEntityName',
          allowedDomains: ['example.com', 'example.org'],
          dangerouslyAllowSignInWithoutUserInCatalog: true,
        },
      ],
    });
    expect(config.auth.session).toEqual({
      durationMs: 3600_000,
      maxDurationMs: 24 * 3600_000,
      keyRotationMs: 6 * 3600_000,
    });
  });

  it('refuses resolvers Atrium does not have, and sessions that never expire', async () => {
    await expect(
      load({
        providers: {
          oidc: {
            development: {
              ...OIDC,
              signIn: { resolvers: [{ resolver: 'emailMatchingUserEntityAnnotation' }] },
            },
          },
        },
      }),
    ).rejects.toThrow(
      'auth.providers.oidc.development.signIn.resolvers[0].resolver must be one of "emailMatchingUserEntityProfileEmail", "emailLocalPartMatchingUserEntityName", "usernameMatchingUserEntityName" (got "emailMatchingUserEntityAnnotation")',
    );
    await expect(load({ session: { duration: false } })).rejects.toThrow(
      'auth.session.duration must be a duration',
    );
  });

  it('warns about providers Atrium does not implement', async () => {
    const { warnings, config } = await load({
      providers: { microsoft: { development: { clientId: 'x' } }, guest: {} },
    });
    expect(warnings).toEqual([
      'auth.providers.microsoft is a sign-in provider Atrium does not implement (it has guest, oidc, github, gitlab); ignored in app-config.yaml',
    ]);
    expect(config.auth.providers).toEqual({
      guest: { userEntityRef: 'user:default/guest', configured: true },
    });
  });
});
