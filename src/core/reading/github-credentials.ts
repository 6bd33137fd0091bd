/**
 * The one place that answers "which token do requests to this GitHub host, for this owner,
 * send": the integration's static `token`, or, when `integrations.github[].apps` are
 * configured, an installation token of the app installed for the owner (as Backstage's
 * GithubCredentialsProvider does). An installation token is asked for with a JWT signed by the
 * app's private key and kept until 5 minutes before it expires; which installation serves an
 * owner is asked once. Every request goes through {@link ScmHttpClient}, so the reading allow
 * list applies. Tokens and keys are never put into a message or a log line.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Logger } from '../logger.ts';
import type { ReadingPolicy } from './allow-list.ts';
import type { GithubAppCredentials, ScmIntegrationHost } from './integrations.ts';
import { ScmHttpClient, type ScmRequestInit, type ScmResponse } from './scm-http.ts';

export interface GithubToken {
  token: string;
  source: 'token' | 'app';
  /** When an installation token expires. */
  expiresAt?: Date;
  /** The app and installation an installation token belongs to. */
  appId?: number;
  installationId?: number;
}

export interface GithubInstallation {
  id: number;
  appId: number;
  /** The organisation or user login the app is installed for. */
  account: string;
  /** `Organization` or `User`. */
  accountType: string;
}

/** Who a request is made for: the host, the repository's owner if known, an app if chosen. */
export interface GithubAuthTarget {
  host: string;
  owner?: string;
  /** Use this app of the host's integration (a provider's `app`), and no other credential. */
  appId?: number;
}

export interface GithubCredentialsOptions {
  policy: () => ReadingPolicy;
  logger?: Logger;
  /** For tests: the clock. */
  now?: () => number;
}

/** An installation token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** GitHub accepts app JWTs of at most 10 minutes; `iat` is back-dated for clock drift. */
const JWT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 9 * 60;
/** "Not installed for this owner" is asked again after this long (an app may be installed since). */
const NOT_INSTALLED_TTL_MS = 5 * 60_000;
const API_HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
};

interface CachedToken {
  token: string;
  expiresMs: number;
}

function apiBaseOf(entry: ScmIntegrationHost): string {
  if (entry.apiBaseUrl) return entry.apiBaseUrl.replace(/\/+$/, '');
  return entry.host.toLowerCase() === 'github.com'
    ? 'https://api.github.com'
    : `https://${entry.host}/api/v3`;
}

function messageOf(response: ScmResponse): string {
  try {
    const message = response.json<{ message?: unknown }>().message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // Not JSON: the start of the text says enough.
  }
  return response.text.slice(0, 200);
}

/** The next page of a GitHub list answer (`Link: <…>; rel="next"`). */
function nextLink(response: ScmResponse): string | undefined {
  const link = response.headers.get('link') ?? '';
  return /<([^>]+)>\s*;\s*rel="next"/.exec(link)?.[1];
}

export class GithubCredentials {
  private readonly client: ScmHttpClient;
  private readonly now: () => number;
  private readonly keys = new Map<string, KeyObject>();
  private readonly jwts = new Map<string, { jwt: string; expiresMs: number }>();
  /** By `<api base> <app id> <owner>`: the installation, or null with when that was learnt. */
  private readonly installationsByOwner = new Map<
    string,
    GithubInstallation | { missing: number }
  >();
  /** By `<api base> <installation id>`. */
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly options: GithubCredentialsOptions) {
    this.now = options.now ?? Date.now;
    this.client = new ScmHttpClient({
      policy: options.policy,
      maxWaitMs: 30_000,
      logger: options.logger,
    });
  }

  /** The `integrations.github` entry of `host`, if configured. */
  integration(host: string): ScmIntegrationHost | undefined {
    const wanted = host.toLowerCase();
    return this.options
      .policy()
      .integrations?.github?.find((entry) => entry.host.toLowerCase() === wanted);
  }

  /** The apps of `host` (only `appId` when given; an unknown id is an error naming the choice). */
  apps(host: string, appId?: number): GithubAppCredentials[] {
    const apps = this.integration(host)?.apps ?? [];
    if (appId === undefined) return apps;
    const app = apps.find((a) => a.appId === appId);
    if (!app) {
      throw new Error(
        `GitHub App ${appId} is not configured for ${host}: add it to integrations.github[].apps of the ${host} entry${apps.length ? ` (configured: ${apps.map((a) => a.appId).join(', ')})` : ''}`,
      );
    }
    return [app];
  }

  /**
   * The token for requests to `host` on behalf of `owner`: an installation token of the first app
   * installed for the owner (and allowed to serve it), else the static token; undefined when the
   * host has neither. Without an owner: the only installation of the host's apps, else the static
   * token, else an error naming the installations to choose from.
   */
  async tokenFor(
    host: string,
    owner?: string,
    options: { appId?: number; signal?: AbortSignal } = {},
  ): Promise<GithubToken | undefined> {
    const entry = this.integration(host);
    if (!entry) return undefined;
    const apps = this.apps(host, options.appId);
    const fallback: GithubToken | undefined =
      entry.token && options.appId === undefined
        ? { token: entry.token, source: 'token' }
        : undefined;
    if (!apps.length) return fallback;

    if (owner === undefined) {
      const all: Array<{ app: GithubAppCredentials; installation: GithubInstallation }> = [];
      for (const app of apps) {
        for (const installation of await this.listInstallations(entry, app, options.signal)) {
          all.push({ app, installation });
        }
      }
      if (all.length === 1) {
        return this.installationToken(entry, all[0]!.app, all[0]!.installation, options.signal);
      }
      if (fallback) return fallback;
      throw new Error(
        all.length
          ? `GitHub App${apps.length > 1 ? 's' : ''} ${apps.map((a) => a.appId).join(', ')} on ${host} ${apps.length > 1 ? 'are' : 'is'} installed for ${all.map((i) => i.installation.account).join(', ')}: name the organisation to read (organization, orgs) or restrict the app with allowedInstallationOwners`
          : `GitHub App${apps.length > 1 ? 's' : ''} ${apps.map((a) => a.appId).join(', ')} on ${host} ${apps.length > 1 ? 'have' : 'has'} no installation${apps.some((a) => a.allowedInstallationOwners) ? ' among allowedInstallationOwners' : ''}`,
      );
    }

    const reasons: string[] = [];
    // As Backstage: an app that fails (a refused JWT) does not stop the others from answering,
    // but it wins over the static token: a broken app should be seen, not hidden.
    let failure: Error | undefined;
    for (const app of apps) {
      if (!this.allows(app, owner)) {
        reasons.push(
          `${owner} is not in allowedInstallationOwners of GitHub App ${app.appId} (${app.allowedInstallationOwners!.join(', ')})`,
        );
        continue;
      }
      try {
        const installation = await this.installationFor(entry, app, owner, options.signal);
        if (installation) {
          return await this.installationToken(entry, app, installation, options.signal);
        }
        reasons.push(`GitHub App ${app.appId} is not installed for ${owner}`);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const problem = error instanceof Error ? error : new Error(String(error));
        failure ??= problem;
        reasons.push(problem.message);
      }
    }
    if (failure && apps.length === 1) throw failure;
    if (!failure && fallback) return fallback;
    throw new Error(`No credentials for ${owner} on ${host}: ${reasons.join('; ')}`);
  }

  /**
   * The installations of the host's apps (only `appId` when given) that allowedInstallationOwners
   * lets through; [] when the host has no apps.
   */
  async installations(
    host: string,
    options: { appId?: number; signal?: AbortSignal } = {},
  ): Promise<GithubInstallation[]> {
    const entry = this.integration(host);
    if (!entry) return [];
    const out: GithubInstallation[] = [];
    for (const app of this.apps(host, options.appId)) {
      out.push(...(await this.listInstallations(entry, app, options.signal)));
    }
    return out;
  }

  /** Forgets a token the host refused (an installation token revoked or expired early). */
  invalidate(token: string): void {
    for (const [key, cached] of this.tokens) {
      if (cached.token === token) this.tokens.delete(key);
    }
  }

  /**
   * Sends a request with the target's token (none when the host has no credentials). A 401 to an
   * installation token is retried once with a fresh token.
   */
  async request(
    client: ScmHttpClient,
    url: string,
    init: ScmRequestInit,
    target: GithubAuthTarget,
  ): Promise<ScmResponse> {
    for (let attempt = 0; ; attempt++) {
      const credential = await this.tokenFor(target.host, target.owner, {
        appId: target.appId,
        signal: init.signal,
      });
      const headers = {
        ...init.headers,
        ...(credential ? { authorization: `Bearer ${credential.token}` } : {}),
      };
      const response = await client.request(url, { ...init, headers });
      if (response.status === 401 && credential?.source === 'app' && attempt === 0) {
        this.invalidate(credential.token);
        continue;
      }
      return response;
    }
  }

  private allows(app: GithubAppCredentials, owner: string): boolean {
    const allowed = app.allowedInstallationOwners;
    return !allowed || allowed.some((o) => o.toLowerCase() === owner.toLowerCase());
  }

  /** One request at a time per key; the others wait for its answer. */
  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.pending.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = work().finally(() => this.pending.delete(key));
    this.pending.set(key, started);
    return started;
  }

  private where(entry: ScmIntegrationHost, app: GithubAppCredentials): string {
    return `GitHub App ${app.appId} on ${entry.host}`;
  }

  private async jwt(entry: ScmIntegrationHost, app: GithubAppCredentials): Promise<string> {
    const cacheKey = `${apiBaseOf(entry)} ${app.appId}`;
    const cached = this.jwts.get(cacheKey);
    if (cached && cached.expiresMs - 60_000 > this.now()) return cached.jwt;
    let key = this.keys.get(app.privateKey);
    if (!key) {
      try {
        key = createPrivateKey(app.privateKey);
      } catch {
        throw new Error(
          `${this.where(entry, app)}: its privateKey is not a private key in PEM form (integrations.github[].apps)`,
        );
      }
      this.keys.set(app.privateKey, key);
    }
    const now = Math.floor(this.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(String(app.appId))
      .setIssuedAt(now - JWT_BACKDATE_S)
      .setExpirationTime(now + JWT_LIFETIME_S)
      .sign(key);
    this.jwts.set(cacheKey, { jwt, expiresMs: (now + JWT_LIFETIME_S) * 1000 });
    return jwt;
  }

  /** A request authenticated as the app itself; a refused JWT is an error naming the app. */
  private async appRequest(
    entry: ScmIntegrationHost,
    app: GithubAppCredentials,
    url: string,
    method: 'GET' | 'POST',
    signal?: AbortSignal,
  ): Promise<ScmResponse> {
    const response = await this.client.request(url, {
      method,
      headers: { ...API_HEADERS, authorization: `Bearer ${await this.jwt(entry, app)}` },
      cache: false,
      signal,
    });
    if (response.status === 401) {
      // A JWT refused now will be refused again: sign a new one next time (the clock may be off).
      this.jwts.delete(`${apiBaseOf(entry)} ${app.appId}`);
      throw new Error(
        `${this.where(entry, app)}: GitHub refused the app's JSON web token (HTTP 401: ${messageOf(response)}); check appId ${app.appId} and its privateKey under integrations.github[].apps`,
      );
    }
    return response;
  }

  private installationOf(app: GithubAppCredentials, raw: Record<string, unknown>) {
    const account = (raw.account ?? {}) as { login?: unknown; type?: unknown };
    return {
      id: Number(raw.id),
      appId: app.appId,
      account: String(account.login ?? ''),
      accountType: String(account.type ?? raw.target_type ?? ''),
    };
  }

  /** The installation serving `owner` (organisation, else user), or undefined when none. */
  private installationFor(
    entry: ScmIntegrationHost,
    app: GithubAppCredentials,
    owner: string,
    signal?: AbortSignal,
  ): Promise<GithubInstallation | undefined> {
    const base = apiBaseOf(entry);
    const key = `${base} ${app.appId} ${owner.toLowerCase()}`;
    const known = this.installationsByOwner.get(key);
    if (known && 'id' in known) return Promise.resolve(known);
    if (known && this.now() - known.missing < NOT_INSTALLED_TTL_MS) {
      return Promise.resolve(undefined);
    }
    return this.once(`installation ${key}`, async () => {
      for (const kind of ['orgs', 'users']) {
        const response = await this.appRequest(
          entry,
          app,
          `${base}/${kind}/${encodeURIComponent(owner)}/installation`,
          'GET',
          signal,
        );
        if (response.status === 404) continue;
        if (response.status !== 200) {
          throw new Error(
            `${this.where(entry, app)}: looking up its installation for ${owner} answered HTTP ${response.status}: ${messageOf(response)}`,
          );
        }
        const installation = this.installationOf(app, response.json());
        this.installationsByOwner.set(key, installation);
        return installation;
      }
      this.installationsByOwner.set(key, { missing: this.now() });
      return undefined;
    });
  }

  /** Every installation of the app, those allowedInstallationOwners excludes left out. */
  private async listInstallations(
    entry: ScmIntegrationHost,
    app: GithubAppCredentials,
    signal?: AbortSignal,
  ): Promise<GithubInstallation[]> {
    const base = apiBaseOf(entry);
    const out: GithubInstallation[] = [];
    let url: string | undefined = `${base}/app/installations?per_page=100`;
    while (url) {
      const response = await this.appRequest(entry, app, url, 'GET', signal);
      if (response.status !== 200) {
        throw new Error(
          `${this.where(entry, app)}: listing its installations answered HTTP ${response.status}: ${messageOf(response)}`,
        );
      }
      for (const raw of response.json<Record<string, unknown>[]>()) {
        const installation = this.installationOf(app, raw);
        this.installationsByOwner.set(
          `${base} ${app.appId} ${installation.account.toLowerCase()}`,
          installation,
        );
        if (this.allows(app, installation.account)) out.push(installation);
      }
      const next = nextLink(response);
      url = next && next !== url ? next : undefined;
    }
    return out;
  }

  /** The installation's token: the one held until 5 minutes before it expires, else a new one. */
  private installationToken(
    entry: ScmIntegrationHost,
    app: GithubAppCredentials,
    installation: GithubInstallation,
    signal?: AbortSignal,
  ): Promise<GithubToken> {
    const base = apiBaseOf(entry);
    const key = `${base} ${installation.id}`;
    const describe = (cached: CachedToken): GithubToken => ({
      token: cached.token,
      source: 'app',
      expiresAt: new Date(cached.expiresMs),
      appId: app.appId,
      installationId: installation.id,
    });
    const cached = this.tokens.get(key);
    if (cached && cached.expiresMs - RENEW_BEFORE_MS > this.now()) {
      return Promise.resolve(describe(cached));
    }
    return this.once(`token ${key}`, async () => {
      const response = await this.appRequest(
        entry,
        app,
        `${base}/app/installations/${installation.id}/access_tokens`,
        'POST',
        signal,
      );
      if (response.status === 404) {
        // Uninstalled since it was looked up: ask again next time.
        for (const [k, v] of this.installationsByOwner) {
          if ('id' in v && v.id === installation.id) this.installationsByOwner.delete(k);
        }
      }
      if (response.status !== 201 && response.status !== 200) {
        throw new Error(
          `${this.where(entry, app)}: asking for a token of its installation for ${installation.account} answered HTTP ${response.status}: ${messageOf(response)}`,
        );
      }
      const body = response.json<{ token?: unknown; expires_at?: unknown }>();
      const expiresMs = Date.parse(String(body.expires_at));
      if (typeof body.token !== 'string' || !body.token || Number.isNaN(expiresMs)) {
        throw new Error(
          `${this.where(entry, app)}: the installation token answer for ${installation.account} has no token or expires_at`,
        );
      }
      const fresh = { token: body.token, expiresMs };
      this.tokens.set(key, fresh);
      this.options.logger?.debug('GitHub App installation token issued', {
        appId: app.appId,
        installation: installation.id,
        account: installation.account,
        expiresAt: new Date(expiresMs).toISOString(),
      });
      return describe(fresh);
    });
  }
}

/** One set of credentials (and caches) per loaded configuration: providers and reads share it. */
const shared = new WeakMap<object, GithubCredentials>();

/** The credentials of the configuration behind `policy` (its `integrations`), shared. */
export function githubCredentials(policy: () => ReadingPolicy, logger?: Logger): GithubCredentials {
  const integrations = policy().integrations;
  if (!integrations) return new GithubCredentials({ policy, logger });
  let credentials = shared.get(integrations);
  if (!credentials) {
    credentials = new GithubCredentials({ policy, logger });
    shared.set(integrations, credentials);
  }
  return credentials;
}
