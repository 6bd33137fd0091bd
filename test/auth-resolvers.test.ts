/**
 * Backstage's sign-in resolvers against a real catalog: which User entity a person becomes,
 * in which order resolvers are tried, `allowedDomains`, the dangerous fallback, and the
 * messages when nobody matches.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignInResolverConfig } from '../src/core/config/types.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import type { UserDirectory } from '../src/plugins/catalog/server/user-directory.ts';
import {
  type ProviderProfile,
  resolveSignIn,
  SignInRefused,
} from '../src/plugins/auth/server/resolvers.ts';
import { ORG_CATALOG } from './helpers/auth.ts';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

const TWINS = `---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: twin-one }
spec: { profile: { email: twins@example.com }, memberOf: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: twin-two }
spec: { profile: { email: twins@example.com }, memberOf: [] }
`;

const r = (
  resolver: SignInResolverConfig['resolver'],
  extra: Partial<SignInResolverConfig> = {},
): SignInResolverConfig => ({
  resolver,
  dangerouslyAllowSignInWithoutUserInCatalog: false,
  ...extra,
});

const profile = (p: Partial<ProviderProfile>): ProviderProfile => ({ subject: 's-1', ...p });

describe.each(ENGINES)('sign-in resolvers (%s)', (engine) => {
  let dir: string;
  let server: TestServer;
  let users: UserDirectory;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-resolvers-'));
    writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG + TWINS);
    server = await startTestServer({
      engine,
      dir,
      catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
    });
    users = server.app.use(catalogServiceRef).users;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emailMatchingUserEntityProfileEmail finds the user whose profile has the email', async () => {
    expect(
      await resolveSignIn(
        profile({ email: 'bob@example.com' }),
        [r('emailMatchingUserEntityProfileEmail')],
        users,
      ),
    ).toEqual({
      userEntityRef: 'user:default/bob',
      inCatalog: true,
      resolver: 'emailMatchingUserEntityProfileEmail',
    });
  });

  it('refuses an email two users share rather than guess', async () => {
    await expect(
      resolveSignIn(
        profile({ email: 'twins@example.com' }),
        [r('emailMatchingUserEntityProfileEmail')],
        users,
      ),
    ).rejects.toThrow(
      "Sign-in refused: twins@example.com is not a user of this portal (emailMatchingUserEntityProfileEmail: several users have spec.profile.email 'twins@example.com' (user:default/twin-one, user:default/twin-two))",
    );
  });

  it('emailLocalPartMatchingUserEntityName with allowedDomains', async () => {
    const resolvers = [
      r('emailLocalPartMatchingUserEntityName', { allowedDomains: ['example.com'] }),
    ];
    expect(
      (await resolveSignIn(profile({ email: 'alice@example.com' }), resolvers, users))
        .userEntityRef,
    ).toBe('user:default/alice');
    await expect(
      resolveSignIn(profile({ email: 'alice@evil.example' }), resolvers, users),
    ).rejects.toThrow(
      "Sign-in refused: alice@evil.example is not a user of this portal (emailLocalPartMatchingUserEntityName: the email domain 'evil.example' is not in allowedDomains (example.com))",
    );
  });

  it('usernameMatchingUserEntityName, tried in order after others miss', async () => {
    const resolved = await resolveSignIn(
      profile({ email: 'unknown@example.com', username: 'alice' }),
      [r('emailMatchingUserEntityProfileEmail'), r('usernameMatchingUserEntityName')],
      users,
    );
    expect(resolved).toEqual({
      userEntityRef: 'user:default/alice',
      inCatalog: true,
      resolver: 'usernameMatchingUserEntityName',
    });
    await expect(
      resolveSignIn(
        profile({ username: 'Not A Name!' }),
        [r('usernameMatchingUserEntityName')],
        users,
      ),
    ).rejects.toThrow(/the user name 'Not A Name!' is not a valid entity name/);
    await expect(
      resolveSignIn(profile({}), [r('usernameMatchingUserEntityName')], users),
    ).rejects.toThrow('usernameMatchingUserEntityName: the provider gave no user name');
  });

  it('lets people not in the catalog in only with dangerouslyAllowSignInWithoutUserInCatalog', async () => {
    const p = profile({ email: 'newcomer@example.com', username: 'newcomer' });
    await expect(
      resolveSignIn(p, [r('emailLocalPartMatchingUserEntityName')], users),
    ).rejects.toBeInstanceOf(SignInRefused);
    expect(
      await resolveSignIn(
        p,
        [
          r('emailLocalPartMatchingUserEntityName', {
            dangerouslyAllowSignInWithoutUserInCatalog: true,
          }),
        ],
        users,
      ),
    ).toEqual({
      userEntityRef: 'user:default/newcomer',
      inCatalog: false,
      resolver: 'emailLocalPartMatchingUserEntityName',
    });
    // A catalog user further down the list still wins over the fallback.
    expect(
      (
        await resolveSignIn(
          profile({ email: 'x@example.com', username: 'bob' }),
          [
            r('emailLocalPartMatchingUserEntityName', {
              dangerouslyAllowSignInWithoutUserInCatalog: true,
            }),
            r('usernameMatchingUserEntityName'),
          ],
          users,
        )
      ).userEntityRef,
    ).toBe('user:default/bob');
    // A denied domain is never a fallback.
    await expect(
      resolveSignIn(
        profile({ email: 'newcomer@evil.example' }),
        [
          r('emailLocalPartMatchingUserEntityName', {
            allowedDomains: ['example.com'],
            dangerouslyAllowSignInWithoutUserInCatalog: true,
          }),
        ],
        users,
      ),
    ).rejects.toBeInstanceOf(SignInRefused);
  });
});
