/**
 * Sign-in for tests: a real OpenID provider (oidc-provider, with its development login and
 * consent pages) on a loopback port, an organisation catalog of users, groups and what they
 * own, and a small cookie-keeping HTTP client that walks the authorization code flow the way
 * a browser does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { startTestServer, type Engine, type TestServer } from './server.ts';

/** A port free a moment ago, for servers that must know their own URL before listening. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** The people of the test organisation, as the OpenID provider knows them. */
export interface OidcAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

export const ACCOUNTS: Record<string, OidcAccount> = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Able' },
  bob: { email: 'bob@example.com', email_verified: true, name: 'Bob Baker' },
  // Not in the catalog.
  mallory: { email: 'mallory@evil.example', email_verified: true, name: 'Mallory' },
  // Claims an address it has not verified: must not become Alice.
  imposter: { email: 'alice@example.com', email_verified: false, name: 'Not Alice' },
};

export interface OidcProviderHandle {
  issuer: string;
  metadataUrl: string;
  clientId: string;
  clientSecret: string;
  /** The token endpoint's answers (access and ID tokens), for tests that look for leaks. */
  issued: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * oidc-provider on 127.0.0.1 with one confidential client whose callback is
 * `<atriumBaseUrl>/api/auth/oidc/handler/frame`. Its development login page accepts any login
 * (the account id) and password; claims come from {@link ACCOUNTS}.
 */
export async function startOidcProvider(
  atriumBaseUrl: string,
  accounts: Record<string, OidcAccount> = ACCOUNTS,
): Promise<OidcProviderHandle> {
  const http: Server = createServer();
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clientId = 'atrium-test';
  const clientSecret = 'a-client-secret-that-must-never-be-logged';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${atriumBaseUrl}/api/auth/oidc/handler/frame`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, ...(accounts[sub] ?? {}) }),
    }),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
    // Set so the provider does not print a notice for each default it falls back to.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
    },
  });
  const issued: Array<Record<string, unknown>> = [];
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object') {
      issued.push({ ...(ctx.body as Record<string, unknown>) });
    }
  });
  http.on('request', provider.callback());
  return {
    issuer,
    metadataUrl: `${issuer}/.well-known/openid-configuration`,
    clientId,
    clientSecret,
    issued,
    close: () =>
      new Promise<void>((done) => {
        http.closeAllConnections();
        http.close(() => done());
      }),
  };
}

/** Cookies by host name, as a browser keeps them (ports do not separate cookies). */
export class CookieJar {
  private readonly hosts = new Map<string, Map<string, string>>();

  header(url: string): string {
    const jar = this.hosts.get(new URL(url).hostname);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  get(url: string, name: string): string | undefined {
    return this.hosts.get(new URL(url).hostname)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const host = new URL(url).hostname;
    const jar = this.hosts.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.hosts.set(host, jar);
  }

  delete(url: string, name: string): void {
    this.hosts.get(new URL(url).hostname)?.delete(name);
  }

  store(url: string, response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.delete(url, name);
      else this.set(url, name, value);
    }
  }

  /** fetch with this jar's cookies, keeping what the response sets; never follows redirects. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookies = this.header(url);
    if (cookies) headers.set('cookie', cookies);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response);
    return response;
  }
}

/** The `action` of the one form on an oidc-provider interaction page. */
function formAction(html: string, base: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!match) throw new Error(`No form on the provider's page:\n${html.slice(0, 500)}`);
  return new URL(match[1]!.replace(/&amp;/g, '&'), base).href;
}

/**
 * Goes from Atrium's start URL through the provider's login (and consent) pages to the
 * provider's redirect back to Atrium, and returns that callback URL without requesting it, so
 * a test can tamper with it or send it.
 */
export async function loginAtProvider(
  jar: CookieJar,
  atriumUrl: string,
  login: string,
  start = '/api/auth/oidc/start',
): Promise<string> {
  const started = await jar.fetch(`${atriumUrl}${start}`);
  if (started.status !== 302) {
    throw new Error(`start answered ${started.status}: ${await started.text()}`);
  }
  let url = started.headers.get('location')!;
  for (let step = 0; step < 12; step++) {
    if (url.startsWith(atriumUrl)) return url;
    const response = await jar.fetch(url);
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url).href;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${html}`);
    const action = formAction(html, url);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const body = new URLSearchParams(
      prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt: prompt ?? '' },
    );
    const submitted = await jar.fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    if (submitted.status < 300 || submitted.status >= 400) {
      throw new Error(`${action} answered ${submitted.status}: ${await submitted.text()}`);
    }
    url = new URL(submitted.headers.get('location')!, action).href;
  }
  throw new Error('The provider did not send the browser back to Atrium');
}

/** Signs in over HTTP as `login`; the jar then holds Atrium's session and CSRF cookies. */
export async function signInOverHttp(
  jar: CookieJar,
  atriumUrl: string,
  login: string,
): Promise<Response> {
  const callback = await loginAtProvider(jar, atriumUrl, login);
  return jar.fetch(callback);
}

/** Users, groups (with a parent group) and what they own. */
export const ORG_CATALOG = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: engineering }
spec: { type: department, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-alpha, title: Team Alpha }
spec: { type: team, parent: engineering, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-beta, title: Team Beta }
spec: { type: team, parent: engineering, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec:
  profile: { displayName: Alice Able, email: alice@example.com }
  memberOf: [team-alpha]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec:
  profile: { displayName: Bob Baker, email: Bob@Example.com }
  memberOf: [team-beta]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: alpha-api, description: Owned by Team Alpha }
spec: { type: service, lifecycle: production, owner: team-alpha }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: alpha-notebook }
spec: { type: library, lifecycle: experimental, owner: user:alice }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: platform-handbook }
spec: { type: documentation, lifecycle: production, owner: engineering }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: beta-billing }
spec: { type: service, lifecycle: production, owner: team-beta }
`;

/** What Alice owns, directly, through her team and through its parent group. */
export const ALICE_OWNS = ['alpha-api', 'alpha-notebook', 'platform-handbook'];

export interface AuthTestServer extends TestServer {
  oidc: OidcProviderHandle;
  stopAll(): Promise<void>;
}

/**
 * Atrium with the organisation catalog and the OIDC provider configured (guest off), on a
 * port chosen before start so that its base URL, the provider's registered callback and the
 * web app's origin all agree.
 */
export async function startOidcAtrium(options: {
  engine?: Engine;
  dir: string;
  webRoot?: string;
  /** Extra keys of the oidc provider's `development` section. */
  oidc?: Record<string, unknown>;
  /** Other `auth` keys (`session`, more providers). */
  auth?: Record<string, unknown>;
  extraConfig?: Record<string, unknown>;
  /** Catalog locations besides the organisation's. */
  locations?: Array<{ type: string; target: string }>;
}): Promise<AuthTestServer> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const oidc = await startOidcProvider(baseUrl);
  const catalogFile = join(options.dir, 'org.yaml');
  writeFileSync(catalogFile, ORG_CATALOG);
  try {
    const server = await startTestServer({
      engine: options.engine,
      backend: { listen: { host: '127.0.0.1', port }, baseUrl },
      webRoot: options.webRoot,
      catalog: {
        locations: [{ type: 'file', target: catalogFile }, ...(options.locations ?? [])],
      },
      extraConfig: {
        ...options.extraConfig,
        auth: {
          ...options.auth,
          providers: {
            oidc: {
              development: {
                metadataUrl: oidc.metadataUrl,
                clientId: oidc.clientId,
                clientSecret: oidc.clientSecret,
                ...options.oidc,
              },
            },
            ...(options.auth?.providers as object | undefined),
          },
        },
      },
    });
    return {
      ...server,
      oidc,
      async stopAll() {
        await server.stop();
        await oidc.close();
      },
    };
  } catch (error) {
    await oidc.close();
    throw error;
  }
}
