import { randomBytes, type KeyObject } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import type {
  RecordedRequest,
  RouteResult,
} from '../../src/plugins/scaffolder/server/actions/publish/fake-scm.testkit.ts';

/*
 * GitHub Apps for the GitHub stand-in (github-standin.ts): the endpoints an app uses with a JWT
 * signed by its private key (`GET /orgs/:org/installation`, `GET /users/:user/installation`,
 * `GET /app/installations`, `POST /app/installations/:id/access_tokens`), each JWT verified with
 * the app's public key as GitHub does (RS256, `iss` = app id, at most 10 minutes long), and the
 * installation tokens they issue, which the REST and GraphQL routes then accept for the
 * installation's account only, until they expire (401 "Bad credentials" after).
 */

export interface StandinAppSpec {
  appId: number;
  /** JWTs are verified with this key. */
  publicKey: KeyObject;
  /** Accounts it is installed for: organisation logins, or `{login, type: 'User'}`. */
  installations: Array<string | { login: string; type: 'Organization' | 'User' }>;
}

export interface StandinInstallation {
  id: number;
  appId: number;
  account: string;
  type: 'Organization' | 'User';
}

export interface StandinIssuedToken {
  token: string;
  installationId: number;
  account: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface StandinApps {
  installations: StandinInstallation[];
  /** Installation tokens issued, oldest first. */
  issued: StandinIssuedToken[];
  /** How long an issued token lives. Default one hour, as on GitHub. */
  tokenLifetimeMs: number;
  add(spec: StandinAppSpec): StandinInstallation[];
  /** Every token issued so far expires now: using one answers 401 Bad credentials. */
  expireTokens(): void;
  /** Requests to the app endpoints, by kind. */
  counts: { lookup: number; list: number; accessTokens: number; refused: number };
}

type Answer = RouteResult & { status: number };

const json = (status: number, body: unknown): Answer => ({ status, body, headers: {} });

export function createStandinApps(base: string) {
  const apps = new Map<number, StandinAppSpec>();
  const tokens = new Map<string, StandinIssuedToken>();
  let nextId = 40_000;
  const state: StandinApps = {
    installations: [],
    issued: [],
    tokenLifetimeMs: 3_600_000,
    counts: { lookup: 0, list: 0, accessTokens: 0, refused: 0 },
    add(spec) {
      apps.set(spec.appId, spec);
      const added = spec.installations.map((i) => ({
        id: nextId++,
        appId: spec.appId,
        account: typeof i === 'string' ? i : i.login,
        type: typeof i === 'string' ? ('Organization' as const) : i.type,
      }));
      state.installations.push(...added);
      return added;
    },
    expireTokens() {
      for (const token of tokens.values()) token.expiresAt = Math.min(token.expiresAt, Date.now());
    },
  };

  const installationJson = (i: StandinInstallation) => ({
    id: i.id,
    app_id: i.appId,
    account: { login: i.account, type: i.type },
    target_type: i.type,
    repository_selection: 'all',
    access_tokens_url: `${base}/api/v3/app/installations/${i.id}/access_tokens`,
  });

  /** The app a JWT proves to be, or the 401 GitHub answers. */
  const verify = async (authorization: string | undefined): Promise<StandinAppSpec | Answer> => {
    const refuse = (message: string) => {
      state.counts.refused++;
      return json(401, { message, documentation_url: 'https://docs.github.com/rest' });
    };
    const jwt = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!jwt) return refuse('A JSON web token could not be decoded');
    let app: StandinAppSpec | undefined;
    try {
      app = apps.get(Number(decodeJwt(jwt).iss));
    } catch {
      return refuse('A JSON web token could not be decoded');
    }
    if (!app) return refuse("'Issuer' claim ('iss') must be an Integer");
    try {
      const { payload } = await jwtVerify(jwt, app.publicKey, { algorithms: ['RS256'] });
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number')
        return refuse("'Expiration time' claim ('exp') must be a numeric value");
      if (payload.exp - Date.now() / 1000 > 600)
        return refuse(
          "'Expiration time' claim ('exp') is too far in the future: at most 10 minutes",
        );
    } catch {
      return refuse('A JSON web token could not be decoded');
    }
    return app;
  };

  /** Answers the app endpoints; undefined for any other request. */
  const route = async (request: RecordedRequest, url: URL): Promise<Answer | undefined> => {
    const path = url.pathname;
    const lookup = /^\/api\/v3\/(orgs|users)\/([^/]+)\/installation$/.exec(path);
    const tokenRoute = /^\/api\/v3\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    const list = path === '/api/v3/app/installations';
    if (request.method === 'GET' && lookup) state.counts.lookup++;
    else if (request.method === 'GET' && list) state.counts.list++;
    else if (request.method === 'POST' && tokenRoute) state.counts.accessTokens++;
    else return undefined;
    const app = await verify(request.authorization);
    if (!('appId' in app)) return app;
    const mine = state.installations.filter((i) => i.appId === app.appId);
    if (lookup) {
      const wanted = lookup[1] === 'orgs' ? 'Organization' : 'User';
      const found = mine.find(
        (i) => i.type === wanted && i.account.toLowerCase() === lookup[2]!.toLowerCase(),
      );
      return found ? json(200, installationJson(found)) : json(404, { message: 'Not Found' });
    }
    if (list) {
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
      const last = Math.ceil(mine.length / perPage);
      const answer = json(
        200,
        mine.slice((page - 1) * perPage, page * perPage).map(installationJson),
      );
      if (page < last) {
        answer.headers = {
          link: `<${base}/api/v3/app/installations?per_page=${perPage}&page=${page + 1}>; rel="next"`,
        };
      }
      return answer;
    }
    const installation = mine.find((i) => i.id === Number(tokenRoute![1]));
    if (!installation) return json(404, { message: 'Not Found' });
    const issued: StandinIssuedToken = {
      token: `ghs_${randomBytes(18).toString('hex')}`,
      installationId: installation.id,
      account: installation.account,
      expiresAt: Date.now() + state.tokenLifetimeMs,
    };
    tokens.set(issued.token, issued);
    state.issued.push(issued);
    return json(201, {
      token: issued.token,
      expires_at: new Date(issued.expiresAt).toISOString(),
      permissions: { contents: 'read', metadata: 'read', members: 'read' },
      repository_selection: 'all',
    });
  };

  /**
   * Whether `authorization` carries an installation token the stand-in issued: `valid` (and its
   * account) while it lives, `expired` after; `unknown` when it is no installation token.
   */
  const token = (
    authorization: string | undefined,
  ): { state: 'valid'; account: string } | { state: 'expired' | 'unknown' } => {
    const value = /^(?:Bearer|token) (.+)$/.exec(authorization ?? '')?.[1];
    const issued = value ? tokens.get(value) : undefined;
    if (!issued) return { state: 'unknown' };
    return issued.expiresAt > Date.now()
      ? { state: 'valid', account: issued.account }
      : { state: 'expired' };
  };

  /**
   * The owner a request is about, when it names one: `/repos/:owner/…` and `/orgs/:owner/…`, or
   * the GraphQL variables `org` / `owner`.
   */
  const ownerOf = (url: URL, graphql?: { variables?: Record<string, unknown> }) => {
    if (graphql) {
      const named = graphql.variables?.org ?? graphql.variables?.owner;
      return typeof named === 'string' ? named : undefined;
    }
    return /^\/api\/v3\/(?:repos|orgs)\/([^/]+)/.exec(url.pathname)?.[1];
  };

  return { state, route, token, ownerOf, hasApps: () => apps.size > 0 };
}
