/**
 * GitHub Apps (`integrations.github[].apps`) end to end: discovery, org data and catalog file
 * reads configured with apps only (no token), against the GitHub stand-in, which verifies each
 * app JWT with the app's public key and accepts only the installation tokens it issued, for
 * their own account, until they expire. Both engines, through a real server.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../src/plugins/catalog/common/providers.ts';
import { componentYaml, type GithubStandin, startGithubStandin } from './helpers/github-standin.ts';
import { addGithubOrgData, type GithubOrgStandin } from './helpers/github-standin-org.ts';
import { type Engine, ENGINES, startTestServer, type TestServer } from './helpers/server.ts';

function keyPair(): { pem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

/** Installed on acme, beta and gamma; the config allows acme and beta only. */
const MAIN_APP = 1001;
/** Installed on acme only; discovers every installation (no organization). */
const SECOND_APP = 3003;
/** On the second host, configured with a key that is not the app's. */
const BROKEN_APP = 2002;

describe.each(ENGINES)('GitHub Apps through a real server (%s)', (engine: Engine) => {
  const main = keyPair();
  const second = keyPair();
  const broken = keyPair();
  const wrong = keyPair();
  let gh: GithubStandin;
  let gh2: GithubStandin;
  let org: GithubOrgStandin;
  let server: TestServer;
  const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/catalog${path}`, init);

  async function status(id: string): Promise<ProviderStatus> {
    const { items } = (await (await api('/providers')).json()) as { items: ProviderStatus[] };
    const found = items.find((p) => p.id === id);
    if (!found) throw new Error(`No provider ${id} in ${items.map((p) => p.id).join(', ')}`);
    return found;
  }
  async function refresh(id: string): Promise<ProviderStatus> {
    const response = await api(`/providers/${encodeURIComponent(id)}/refresh?wait=true`, {
      method: 'POST',
    });
    if (response.status !== 200)
      throw new Error(`${id}: ${response.status} ${await response.text()}`);
    return status(id);
  }
  async function entity(ref: string) {
    const response = await api(`/entities/by-name/${ref}`);
    return response.status === 200
      ? ((await response.json()) as {
          spec: Record<string, unknown>;
          metadata: { annotations: Record<string, string> };
        })
      : undefined;
  }
  const bearer = (authorization: string | undefined) => authorization?.replace(/^Bearer /, '');
  /** The REST and GraphQL requests of discovery, without the app's own (installation, tokens). */
  const apiRequests = () => gh.requests.filter((r) => !/\/installations?\b/.test(r.path));

  beforeAll(async () => {
    gh = await startGithubStandin({
      org: 'acme',
      apps: [
        { appId: MAIN_APP, publicKey: main.publicKey, installations: ['acme', 'beta', 'gamma'] },
        { appId: SECOND_APP, publicKey: second.publicKey, installations: ['acme'] },
      ],
    });
    for (const name of ['svc-1', 'svc-2', 'svc-3', 'lib-1', 'extra', 'extra-2']) {
      gh.addRepo({ name, files: { 'catalog-info.yaml': componentYaml(name) } });
    }
    org = addGithubOrgData(gh);
    for (const [login, person] of [
      ['acme', 'alice'],
      ['beta', 'bob'],
      ['gamma', 'gina'],
    ] as const) {
      org.addOrg(login);
      org.addMember(login, { login: person, name: person.toUpperCase() });
      org.addTeam(login, { slug: `${login}-team`, name: `${login} team`, members: [person] });
    }
    gh2 = await startGithubStandin({
      org: 'acme',
      apps: [{ appId: BROKEN_APP, publicKey: broken.publicKey, installations: ['acme'] }],
    });
    // Scans only when a test asks.
    const manual = { frequency: false, initialDelay: { hours: 1 } };
    server = await startTestServer({
      engine,
      catalog: {
        providers: {
          github: {
            acme: {
              organization: 'acme',
              host: gh.host,
              filters: { repository: 'svc-.*' },
              schedule: manual,
            },
            everywhere: {
              app: SECOND_APP,
              host: gh.host,
              filters: { repository: 'lib-.*' },
              schedule: manual,
            },
            gamma: { organization: 'gamma', app: MAIN_APP, host: gh.host, schedule: manual },
            broken: { organization: 'acme', host: gh2.host, schedule: manual },
          },
          githubOrg: { id: 'apps', githubUrl: gh.base, schedule: manual },
        },
      },
      extraConfig: {
        integrations: {
          github: [
            {
              host: gh.host,
              apiBaseUrl: gh.apiBaseUrl,
              apps: [
                {
                  appId: MAIN_APP,
                  privateKey: main.pem,
                  clientId: 'Iv1.main',
                  clientSecret: 'main-client-secret',
                  allowedInstallationOwners: ['acme', 'beta'],
                },
                // One line with `\n` escapes, as environment variables carry keys.
                { appId: String(SECOND_APP), privateKey: second.pem.replace(/\n/g, '\\n') },
              ],
            },
            {
              host: gh2.host,
              apiBaseUrl: gh2.apiBaseUrl,
              apps: [{ appId: BROKEN_APP, privateKey: wrong.pem }],
            },
          ],
        },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await gh?.close();
    await gh2?.close();
  });

  it('discovers an organisation’s repositories with installation tokens only', async () => {
    const acme = await refresh('github:acme');
    expect(acme.lastScan).toMatchObject({ complete: true, locations: 3 });
    expect(acme.errors).toEqual([]);
    expect((await entity('component/default/svc-2'))?.metadata.annotations).toMatchObject({
      'backstage.io/managed-by-location': `url:${gh.base}/acme/svc-2/blob/main/catalog-info.yaml`,
    });
    // Every listing request carried a token the stand-in issued for acme.
    const issued = new Map(gh.apps.issued.map((t) => [t.token, t.account]));
    const graphql = gh.requests.filter((r) => r.resource === 'graphql');
    expect(graphql.length).toBeGreaterThan(0);
    for (const request of graphql) expect(issued.get(bearer(request.authorization)!)).toBe('acme');
  });

  it('discovers every installation of an app when organization is left out', async () => {
    const everywhere = await refresh('github:everywhere');
    expect(everywhere.lastScan).toMatchObject({ complete: true, locations: 1 });
    expect(everywhere.title).toMatch(/installations of GitHub App 3003/);
    expect(await entity('component/default/lib-1')).toBeDefined();
  });

  it('reads a registered blob URL through the contents API with the owner’s installation token', async () => {
    const register = (repo: string) =>
      api('/locations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'url',
          target: `${gh.base}/acme/${repo}/blob/main/catalog-info.yaml`,
        }),
      });
    const reads = (repo: string) =>
      gh.requests.filter((r) => r.path.startsWith(`/api/v3/repos/acme/${repo}/contents/`));
    expect((await register('extra')).status).toBe(201);
    expect(await entity('component/default/extra')).toBeDefined();
    expect(reads('extra').map((r) => r.status)).toEqual([200]);
    expect(gh.apps.issued.some((t) => t.token === bearer(reads('extra')[0]!.authorization))).toBe(
      true,
    );
    // A token refused before its time: the read asks for a new one and tries once more.
    const issued = gh.apps.issued.length;
    gh.apps.expireTokens();
    expect((await register('extra-2')).status).toBe(201);
    expect(await entity('component/default/extra-2')).toBeDefined();
    expect(reads('extra-2').map((r) => r.status)).toEqual([401, 200]);
    expect(gh.apps.issued).toHaveLength(issued + 1);
  });

  it('renews the installation token after it expires, and replaces one refused early', async () => {
    await refresh('github:acme');
    // Refused before its time (revoked, a clock off): one 401, a new token, the scan completes.
    const before = gh.apps.counts.accessTokens;
    gh.apps.tokenLifetimeMs = 5 * 60_000 + 1500;
    gh.apps.expireTokens();
    gh.resetCounters();
    const replaced = await refresh('github:acme');
    expect(replaced.lastScan).toMatchObject({ complete: true, locations: 3 });
    expect(apiRequests().map((r) => r.status)).toEqual([401, 200]);
    expect(gh.apps.counts.accessTokens).toBe(before + 1);
    const shortLived = gh.apps.issued.at(-1)!;

    // Held while more than 5 minutes are left …
    gh.resetCounters();
    await refresh('github:acme');
    expect(gh.apps.counts.accessTokens).toBe(before + 1);
    expect(bearer(apiRequests()[0]!.authorization)).toBe(shortLived.token);
    // … and renewed, without a refusal, once fewer are.
    await new Promise((r) => setTimeout(r, 1600));
    gh.resetCounters();
    const renewed = await refresh('github:acme');
    expect(renewed.lastScan).toMatchObject({ complete: true });
    expect(gh.apps.counts.accessTokens).toBe(before + 2);
    expect(apiRequests().map((r) => r.status)).toEqual([200]);
    expect(bearer(apiRequests()[0]!.authorization)).toBe(gh.apps.issued.at(-1)!.token);
    expect(gh.apps.issued.at(-1)!.token).not.toBe(shortLived.token);
    gh.apps.tokenLifetimeMs = 3_600_000;
  });

  it('reads the organisations the apps are installed on, except those not allowed', async () => {
    const lookupsBefore = gh.apps.counts.lookup;
    const apps = await refresh('githubOrg:apps');
    expect(apps.errors).toEqual([]);
    expect(apps.lastScan).toMatchObject({ complete: true, locations: 2 });
    // Two organisations: each one's groups in its own namespace.
    expect(await entity('group/acme/acme-team')).toBeDefined();
    expect(await entity('group/beta/beta-team')).toBeDefined();
    expect(await entity('user/default/bob')).toBeDefined();
    expect(await entity('group/gamma/gamma-team')).toBeUndefined();
    expect(await entity('user/default/gina')).toBeUndefined();
    // The installation list told where the apps are: no lookups, and nothing asked of gamma.
    expect(gh.apps.counts.lookup).toBe(lookupsBefore);
    const orgQueries = org.orgQueries().map((r) => r.graphql?.variables.org);
    expect(orgQueries).not.toContain('gamma');
  });

  it('gives an owner outside allowedInstallationOwners no token: an error on the status', async () => {
    const gamma = await refresh('github:gamma');
    expect(gamma.lastScan).toMatchObject({ complete: false, locations: 0 });
    expect(gamma.errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /No credentials for gamma on 127\.0\.0\.1:\d+: gamma is not in allowedInstallationOwners of GitHub App 1001 \(acme, beta\)/,
      ),
    );
    expect(gh.scm.requests.some((r) => r.path.includes('/gamma/'))).toBe(false);
  });

  it('reports a wrong private key on the provider’s status, naming the app, and keeps serving', async () => {
    const broke = await refresh('github:broken');
    expect(broke.lastScan).toMatchObject({ complete: false, locations: 0 });
    expect(broke.errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /GitHub App 2002 on 127\.0\.0\.1:\d+: GitHub refused the app's JSON web token \(HTTP 401: A JSON web token could not be decoded\); check appId 2002 and its privateKey/,
      ),
    );
    expect(gh2.apps.counts.refused).toBeGreaterThan(0);
    expect(gh2.apps.issued).toHaveLength(0);
    // The others are untouched.
    expect((await refresh('github:acme')).lastScan).toMatchObject({ complete: true });
  });

  it('never shows an app secret in the status or the config it answers', async () => {
    const everything = JSON.stringify(await (await api('/providers')).json());
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain('main-client-secret');
  });
});
