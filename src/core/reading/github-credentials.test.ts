import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GithubStandin, startGithubStandin } from '../../../test/helpers/github-standin.ts';
import type { ReadingPolicy } from './allow-list.ts';
import { GithubCredentials } from './github-credentials.ts';
import type { GithubAppCredentials } from './integrations.ts';
import { ScmHttpClient } from './scm-http.ts';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // GitHub hands out PKCS#1 keys (BEGIN RSA PRIVATE KEY).
  return { pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

const APP = 1001;
const OTHER_APP = 2002;

describe('GithubCredentials against the stand-in', () => {
  const main = keyPair();
  const other = keyPair();
  let gh: GithubStandin;

  beforeAll(async () => {
    gh = await startGithubStandin({
      org: 'acme',
      apps: [
        {
          appId: APP,
          publicKey: main.publicKey,
          installations: ['acme', 'beta', { login: 'octocat', type: 'User' }],
        },
        { appId: OTHER_APP, publicKey: other.publicKey, installations: ['gamma'] },
      ],
    });
    gh.addRepo({ name: 'api', files: { 'catalog-info.yaml': 'kind: Component\n' } });
  });
  afterAll(() => gh?.close());
  beforeEach(() => {
    gh.resetCounters();
    Object.assign(gh.apps.counts, { lookup: 0, list: 0, accessTokens: 0, refused: 0 });
    gh.apps.tokenLifetimeMs = 3_600_000;
  });

  const policy =
    (apps: GithubAppCredentials[], token?: string): (() => ReadingPolicy) =>
    () => ({
      allow: [],
      integrations: {
        github: [{ host: gh.host, apiBaseUrl: gh.apiBaseUrl, apps, ...(token ? { token } : {}) }],
      },
    });
  const credentials = (
    apps: GithubAppCredentials[] = [{ appId: APP, privateKey: main.pem }],
    extra: { token?: string; now?: () => number } = {},
  ) => new GithubCredentials({ policy: policy(apps, extra.token), now: extra.now });

  it('asks for an installation token with a JWT the app’s public key verifies, and keeps it', async () => {
    const creds = credentials();
    const first = await creds.tokenFor(gh.host, 'acme');
    expect(first).toMatchObject({
      source: 'app',
      appId: APP,
      token: expect.stringMatching(/^ghs_/),
    });
    expect(first!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    expect(gh.apps.counts).toMatchObject({ lookup: 1, accessTokens: 1, refused: 0 });
    // The token reads the installation's repositories through the REST API.
    const client = new ScmHttpClient({ policy: policy([]) });
    const read = await client.request(
      `${gh.apiBaseUrl}/repos/acme/api/contents/catalog-info.yaml`,
      {
        headers: { authorization: `Bearer ${first!.token}`, accept: 'application/vnd.github.raw' },
      },
    );
    expect(read.status).toBe(200);
    expect(read.text).toBe('kind: Component\n');

    // Held: no request at all for the next ones, concurrent ones included.
    const again = await Promise.all([1, 2, 3].map(() => creds.tokenFor(gh.host, 'ACME')));
    expect(again.map((t) => t!.token)).toEqual([first!.token, first!.token, first!.token]);
    expect(gh.apps.counts).toMatchObject({ lookup: 1, accessTokens: 1 });
  });

  it('asks once for concurrent first requests', async () => {
    const creds = credentials();
    const tokens = await Promise.all([1, 2, 3, 4].map(() => creds.tokenFor(gh.host, 'beta')));
    expect(new Set(tokens.map((t) => t!.token)).size).toBe(1);
    expect(gh.apps.counts).toMatchObject({ lookup: 1, accessTokens: 1 });
  });

  it('holds a token until 5 minutes before it expires, then asks for a new one', async () => {
    let now = Date.now();
    const creds = credentials(undefined, { now: () => now });
    const first = await creds.tokenFor(gh.host, 'acme');
    now += 54 * 60_000;
    expect((await creds.tokenFor(gh.host, 'acme'))!.token).toBe(first!.token);
    expect(gh.apps.counts.accessTokens).toBe(1);

    // Real time: a token living 5 minutes and 1.5 seconds is held for 1.5 seconds.
    gh.apps.tokenLifetimeMs = 5 * 60_000 + 1500;
    const short = credentials();
    const a = await short.tokenFor(gh.host, 'acme');
    expect((await short.tokenFor(gh.host, 'acme'))!.token).toBe(a!.token);
    expect(gh.apps.counts).toMatchObject({ lookup: 2, accessTokens: 2 });
    await new Promise((r) => setTimeout(r, 1600));
    const renewed = await short.tokenFor(gh.host, 'acme');
    expect(renewed!.token).not.toBe(a!.token);
    // The installation is not looked up again.
    expect(gh.apps.counts).toMatchObject({ lookup: 2, accessTokens: 3 });
  });

  it('does not keep a token that lives less than 5 minutes', async () => {
    gh.apps.tokenLifetimeMs = 4 * 60_000;
    const creds = credentials();
    const a = await creds.tokenFor(gh.host, 'acme');
    const b = await creds.tokenFor(gh.host, 'acme');
    expect(a!.token).not.toBe(b!.token);
    expect(gh.apps.counts.accessTokens).toBe(2);
  });

  it('retries a request once with a new token when the held one was refused (expired early)', async () => {
    const creds = credentials();
    const client = new ScmHttpClient({ policy: policy([]) });
    const url = `${gh.apiBaseUrl}/repos/acme/api`;
    const target = { host: gh.host, owner: 'acme' };
    expect((await creds.request(client, url, {}, target)).status).toBe(200);
    gh.apps.expireTokens();
    const response = await creds.request(client, url, {}, target);
    expect(response.status).toBe(200);
    expect(
      gh.requests.filter((r) => r.path === '/api/v3/repos/acme/api').map((r) => r.status),
    ).toEqual([200, 401, 200]);
    expect(gh.apps.counts.accessTokens).toBe(2);
  });

  it('finds a user’s installation after the organisation lookup answers 404', async () => {
    const token = await credentials().tokenFor(gh.host, 'octocat');
    expect(token?.source).toBe('app');
    expect(gh.apps.counts.lookup).toBe(2);
    expect(gh.scm.requests.map((r) => r.path)).toEqual([
      '/api/v3/orgs/octocat/installation',
      '/api/v3/users/octocat/installation',
      expect.stringMatching(/^\/api\/v3\/app\/installations\/\d+\/access_tokens$/),
    ]);
  });

  it('names the app when GitHub refuses its JWT (a wrong private key)', async () => {
    const creds = credentials([{ appId: APP, privateKey: other.pem }]);
    await expect(creds.tokenFor(gh.host, 'acme')).rejects.toThrow(
      /GitHub App 1001 on 127\.0\.0\.1:\d+: GitHub refused the app's JSON web token \(HTTP 401: A JSON web token could not be decoded\); check appId 1001 and its privateKey/,
    );
    expect(gh.apps.counts.refused).toBe(1);
  });

  it('gives no token for an owner outside allowedInstallationOwners, and says why', async () => {
    const creds = credentials([
      { appId: APP, privateKey: main.pem, allowedInstallationOwners: ['Acme'] },
    ]);
    expect((await creds.tokenFor(gh.host, 'acme'))?.source).toBe('app');
    await expect(creds.tokenFor(gh.host, 'beta')).rejects.toThrow(
      /No credentials for beta on 127\.0\.0\.1:\d+: beta is not in allowedInstallationOwners of GitHub App 1001 \(Acme\)/,
    );
    // Nothing was asked for beta.
    expect(gh.scm.requests.some((r) => r.path.includes('/beta/'))).toBe(false);
    // With a static token too, that token serves the others (as in Backstage).
    const withToken = credentials(
      [{ appId: APP, privateKey: main.pem, allowedInstallationOwners: ['acme'] }],
      { token: 'static-token' },
    );
    expect(await withToken.tokenFor(gh.host, 'beta')).toEqual({
      token: 'static-token',
      source: 'token',
    });
  });

  it('says when no app is installed for an owner, and picks among several apps', async () => {
    const apps = [
      { appId: APP, privateKey: main.pem },
      { appId: OTHER_APP, privateKey: other.pem },
    ];
    const creds = credentials(apps);
    expect(await creds.tokenFor(gh.host, 'gamma')).toMatchObject({ appId: OTHER_APP });
    await expect(creds.tokenFor(gh.host, 'nobody')).rejects.toThrow(
      /No credentials for nobody on .*: GitHub App 1001 is not installed for nobody; GitHub App 2002 is not installed for nobody/,
    );
    // A chosen app is the only one asked.
    await expect(creds.tokenFor(gh.host, 'gamma', { appId: APP })).rejects.toThrow(
      /GitHub App 1001 is not installed for gamma/,
    );
    await expect(creds.tokenFor(gh.host, 'acme', { appId: 9 })).rejects.toThrow(
      /GitHub App 9 is not configured for .*: add it to integrations\.github\[\]\.apps .*\(configured: 1001, 2002\)/,
    );
  });

  it('without an owner uses the only installation, or names the choice', async () => {
    const creds = credentials();
    await expect(creds.tokenFor(gh.host)).rejects.toThrow(
      /GitHub App 1001 on .* is installed for acme, beta, octocat: name the organisation/,
    );
    expect((await creds.installations(gh.host)).map((i) => [i.account, i.accountType])).toEqual([
      ['acme', 'Organization'],
      ['beta', 'Organization'],
      ['octocat', 'User'],
    ]);
    const only = credentials([{ appId: OTHER_APP, privateKey: other.pem }]);
    expect(await only.tokenFor(gh.host)).toMatchObject({ source: 'app', appId: OTHER_APP });
    const allowed = credentials([
      { appId: APP, privateKey: main.pem, allowedInstallationOwners: ['beta'] },
    ]);
    expect((await allowed.installations(gh.host)).map((i) => i.account)).toEqual(['beta']);
    expect(await allowed.tokenFor(gh.host)).toMatchObject({ source: 'app' });
  });

  it('answers the static token without apps, and nothing for an unknown host', async () => {
    const creds = credentials([], { token: 'static-token' });
    expect(await creds.tokenFor(gh.host, 'acme')).toEqual({
      token: 'static-token',
      source: 'token',
    });
    expect(await creds.tokenFor('github.example.com', 'acme')).toBeUndefined();
    expect(gh.scm.requests).toHaveLength(0);
  });
});
