/**
 * GitHub and GitLab sign-in. This machine cannot reach github.com or gitlab.com, so local
 * stand-ins answer their OAuth and API endpoints (config points `enterpriseInstanceUrl` and
 * `audience` at them); the code path is the real one, and the test asserts every request it
 * makes: endpoints, parameters, PKCE, credentials.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { githubApiBase } from '../src/plugins/auth/server/providers/github.ts';
import { CookieJar, freePort, ORG_CATALOG } from './helpers/auth.ts';
import { listenOnLoopback } from './helpers/serve-files.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

type Route = (seen: Seen) => { status?: number; json: unknown };

/** An HTTP stand-in answering JSON by `METHOD /path`, recording every request with its body. */
async function standIn(routes: Record<string, Route>) {
  const seen: Seen[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const entry = {
        method: request.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
      };
      seen.push(entry);
      const route = routes[`${entry.method} ${entry.path}`];
      const answer = route ? route(entry) : { status: 404, json: { message: 'Not Found' } };
      response
        .writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer.json));
    });
  });
  return { ...(await listenOnLoopback(server)), seen };
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** The browser's part: start at Atrium, "approve" at the provider, come back with a code. */
async function signIn(server: TestServer, provider: string, code: string) {
  const jar = new CookieJar();
  const started = await jar.fetch(`${server.url}/api/auth/${provider}/start`);
  expect(started.status).toBe(302);
  const authorize = new URL(started.headers.get('location')!);
  const callback = new URL(`${server.url}/api/auth/${provider}/handler/frame`);
  callback.searchParams.set('code', code);
  callback.searchParams.set('state', authorize.searchParams.get('state')!);
  const response = await jar.fetch(callback.href);
  return { jar, authorize, response };
}

describe('GitHub and GitLab sign-in against stand-ins of their endpoints', () => {
  let dir: string;
  let server: TestServer;
  let github: Awaited<ReturnType<typeof standIn>>;
  let gitlab: Awaited<ReturnType<typeof standIn>>;
  let githubLogin = 'alice';
  let githubEmails: unknown = [];
  let githubToken: { status?: number; json: unknown } = {
    json: {
      access_token: 'gho_standin_token',
      token_type: 'bearer',
      scope: 'read:user,user:email',
    },
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-auth-oauth-'));
    github = await standIn({
      'POST /login/oauth/access_token': () => githubToken,
      'GET /api/v3/user': () => ({
        json: {
          login: githubLogin,
          id: 4242,
          name: 'Alice on GitHub',
          avatar_url: 'https://avatars.example/a.png',
          email: null,
        },
      }),
      'GET /api/v3/user/emails': () => ({ json: githubEmails }),
    });
    gitlab = await standIn({
      'POST /oauth/token': () => ({
        json: { access_token: 'glpat_standin_token', token_type: 'Bearer', expires_in: 7200 },
      }),
      'GET /api/v4/user': () => ({
        json: {
          id: 77,
          username: 'robert',
          name: 'Bob on GitLab',
          email: 'BOB@example.com',
          avatar_url: 'https://gitlab.example/b.png',
          confirmed_at: '2024-01-01T00:00:00Z',
        },
      }),
    });
    writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG);
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    server = await startTestServer({
      dir,
      backend: { listen: { host: '127.0.0.1', port }, baseUrl },
      catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
      extraConfig: {
        auth: {
          providers: {
            github: {
              development: {
                clientId: 'gh-client',
                clientSecret: 'gh-secret-never-logged',
                enterpriseInstanceUrl: github.base,
                additionalScopes: ['read:org'],
                signIn: {
                  resolvers: [
                    { resolver: 'emailMatchingUserEntityProfileEmail' },
                    { resolver: 'usernameMatchingUserEntityName' },
                  ],
                },
              },
            },
            gitlab: {
              development: {
                clientId: 'gl-client',
                clientSecret: 'gl-secret-never-logged',
                audience: gitlab.base,
              },
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await github?.close();
    await gitlab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends people to GitHub with the client id, callback, scopes, state and PKCE', async () => {
    const response = await fetch(`${server.url}/api/auth/github/start`, { redirect: 'manual' });
    const url = new URL(response.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(`${github.base}/login/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'gh-client',
      redirect_uri: `${server.url}/api/auth/github/handler/frame`,
      scope: 'read:user user:email read:org',
      state: expect.stringMatching(/^[\w-]{20,}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
      allow_signup: 'false',
    });
    expect(githubApiBase('https://github.com')).toBe('https://api.github.com');
    expect(githubApiBase('https://ghe.example.com')).toBe('https://ghe.example.com/api/v3');
  });

  it('trades the code for a token, reads the user and emails, and signs in by login', async () => {
    github.seen.length = 0;
    githubEmails = [
      { email: 'alice-unverified@example.com', primary: true, verified: false },
      { email: 'nobody@example.org', primary: false, verified: true },
    ];
    const { jar, authorize, response } = await signIn(server, 'github', 'the-github-code');
    expect(response.status).toBe(302);
    expect(jar.get(server.url, SESSION_COOKIE)).toBeDefined();

    const [token, user, emails, ...more] = github.seen;
    expect(more).toEqual([]);
    expect(token).toMatchObject({ method: 'POST', path: '/login/oauth/access_token' });
    expect(token!.headers.accept).toBe('application/json');
    const form = Object.fromEntries(new URLSearchParams(token!.body));
    expect(form).toEqual({
      client_id: 'gh-client',
      client_secret: 'gh-secret-never-logged',
      code: 'the-github-code',
      redirect_uri: `${server.url}/api/auth/github/handler/frame`,
      code_verifier: expect.any(String),
    });
    // The verifier sent with the code is the one whose challenge went to /authorize.
    expect(s256(form.code_verifier!)).toBe(authorize.searchParams.get('code_challenge'));
    for (const call of [user!, emails!]) {
      expect(call.method).toBe('GET');
      expect(call.headers.authorization).toBe('Bearer gho_standin_token');
      expect(call.headers.accept).toBe('application/vnd.github+json');
    }
    expect([user!.path, emails!.path]).toEqual(['/api/v3/user', '/api/v3/user/emails']);

    // No verified email matched a user, so the login did.
    const me = await (await jar.fetch(`${server.url}/api/auth/session`)).json();
    expect(me).toMatchObject({
      provider: 'github',
      identity: { userEntityRef: 'user:default/alice' },
      profile: {
        displayName: 'Alice on GitHub',
        email: 'nobody@example.org',
        picture: 'https://avatars.example/a.png',
      },
    });
  });

  it('prefers the verified primary email when a resolver uses it', async () => {
    githubLogin = 'someone-else';
    githubEmails = [
      { email: 'other@example.com', primary: false, verified: true },
      { email: 'Bob@example.com', primary: true, verified: true },
    ];
    const { jar, response } = await signIn(server, 'github', 'code-2');
    expect(response.status).toBe(302);
    const me = await (await jar.fetch(`${server.url}/api/auth/session`)).json();
    expect(me.identity.userEntityRef).toBe('user:default/bob');
    githubLogin = 'alice';
  });

  it("says why when GitHub refuses the code, and never echoes the client's secret", async () => {
    githubToken = {
      json: {
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
      },
    };
    const { response } = await signIn(server, 'github', 'stale-code');
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text).error.message).toBe(
      'GitHub refused the sign-in code: bad_verification_code: The code passed is incorrect or expired.',
    );
    expect(text).not.toContain('gh-secret-never-logged');
    githubToken = { status: 500, json: { message: 'boom' } };
    const failed = await signIn(server, 'github', 'any');
    expect(failed.response.status).toBe(503);
    expect((await failed.response.json()).error.message).toBe(
      'GitHub token endpoint answered 500: boom',
    );
    githubToken = {
      json: { access_token: 'gho_standin_token', token_type: 'bearer' },
    };
  });

  it('signs in with GitLab: PKCE, the token request, /api/v4/user, email resolver', async () => {
    gitlab.seen.length = 0;
    const { jar, authorize, response } = await signIn(server, 'gitlab', 'the-gitlab-code');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${gitlab.base}/oauth/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      client_id: 'gl-client',
      redirect_uri: `${server.url}/api/auth/gitlab/handler/frame`,
      response_type: 'code',
      scope: 'read_user',
      state: expect.any(String),
      code_challenge: expect.any(String),
      code_challenge_method: 'S256',
    });
    expect(response.status).toBe(302);
    const [token, user, ...more] = gitlab.seen;
    expect(more).toEqual([]);
    expect(token).toMatchObject({ method: 'POST', path: '/oauth/token' });
    const form = Object.fromEntries(new URLSearchParams(token!.body));
    expect(form).toEqual({
      grant_type: 'authorization_code',
      client_id: 'gl-client',
      client_secret: 'gl-secret-never-logged',
      code: 'the-gitlab-code',
      redirect_uri: `${server.url}/api/auth/gitlab/handler/frame`,
      code_verifier: expect.any(String),
    });
    expect(s256(form.code_verifier!)).toBe(authorize.searchParams.get('code_challenge'));
    expect(user).toMatchObject({ method: 'GET', path: '/api/v4/user' });
    expect(user!.headers.authorization).toBe('Bearer glpat_standin_token');
    // Bob's catalog email is Bob@Example.com: matched without regard to case.
    const me = await (await jar.fetch(`${server.url}/api/auth/session`)).json();
    expect(me).toMatchObject({
      provider: 'gitlab',
      identity: { userEntityRef: 'user:default/bob' },
      profile: { displayName: 'Bob on GitLab', email: 'bob@example.com' },
    });
  });

  it('lists both providers; an unknown one is a 404 that names the configured ones', async () => {
    const list = await (await fetch(`${server.url}/api/auth/providers`)).json();
    expect(list.providers.map((p: { id: string; title: string }) => [p.id, p.title])).toEqual([
      ['github', `GitHub (${new URL(github.base).host})`],
      ['gitlab', `GitLab (${new URL(gitlab.base).host})`],
    ]);
    const unknown = await fetch(`${server.url}/api/auth/okta/start`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toBe(
      "No sign-in provider 'okta' is configured for auth.environment 'development' (configured: github, gitlab)",
    );
  });
});

describe('cookies of a portal served over https', () => {
  it('are Secure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-auth-https-'));
    const server = await startTestServer({
      dir,
      extraConfig: {
        app: { baseUrl: 'https://portal.example.com' },
        auth: {
          providers: {
            gitlab: { development: { clientId: 'x', clientSecret: 'y' } },
          },
        },
      },
    });
    try {
      const response = await fetch(`${server.url}/api/auth/gitlab/start`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get('location')!).origin).toBe('https://gitlab.com');
      const [flow] = response.headers.getSetCookie();
      expect(flow).toMatch(/; HttpOnly; Secure$/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
