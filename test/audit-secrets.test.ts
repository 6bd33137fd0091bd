/**
 * Nothing secret reaches the audit log or the server log: a full run on every engine with
 * secrets in config (an external-access token, OAuth and OpenID client secrets, an integration
 * token) and in requests (bearer tokens, a JWKS-signed token, a session cookie, an OAuth code,
 * a token in a location URL, secrets passed to `ctx.audit` and `env.audit` by a plugin), a
 * successful sign-in through a real OpenID provider (its code, access and ID tokens, the
 * session it opens), a template run whose secret input goes through its steps, and a docs
 * rebuild, logging at debug level; then every row of the audit table and every log line are
 * searched for each secret string.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { definePlugin } from '../src/core/plugin-api.ts';
import { auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { CSRF_COOKIE, CSRF_HEADER } from '../src/plugins/auth/common/types.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import {
  CookieJar,
  freePort,
  loginAtProvider,
  ORG_CATALOG,
  type OidcProviderHandle,
  startOidcProvider,
} from './helpers/auth.ts';
import { type RecordingServer, startRecordingServer } from './helpers/recording-server.ts';
import { serveFiles } from './helpers/serve-files.ts';
import { ENGINES, freshDatabase } from './helpers/server.ts';
import { CATALOG as SCAFFOLDER_CATALOG } from './scaffolder-helpers.ts';

const FIXED = {
  staticToken: 'static-tok-7d1f0c2e9b',
  forgedBearer: 'atrium_pat_forged-4a8c1e77d2',
  cookie: 'cookie-val-93be17ac55',
  clientSecret: 'gh-client-secret-6f02ad1c',
  integrationToken: 'ghp_integration00000000000000000001',
  oauthCode: 'oauth-code-5c7e2b90aa',
  urlToken: 'url-tok-1e6b5d3f70',
  pluginSecret: 'plugin-secret-2a9c44e1b8',
  jobPassword: 'job-password-8d3e0f6a21',
  templateSecret: 'tmpl-secret-0b7e5c93f4',
};
const JWKS_ISSUER = 'https://idp.secrets.test';
/** Every secret of the run, those the run produces (a personal token, a sign-in flow) added. */
const SECRETS: Record<string, string> = { ...FIXED };

const COMPONENT = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: remote-thing }
spec: { type: service, lifecycle: production, owner: team-a }
`;

/** A plugin that hands the audit log secrets, as a careless plugin would. */
const carelessPlugin = definePlugin({
  id: 'careless',
  setup(env) {
    env.route({
      method: 'POST',
      url: '/act',
      permission: { name: 'careless.act', attributes: { action: 'update' } },
      async handler(_request, _reply, ctx) {
        ctx.audit({
          action: 'careless.act',
          resourceRef: `https://ci.example/job?build=7&token=${FIXED.pluginSecret}`,
          outcome: 'success',
          details: {
            keep: 'kept-value',
            token: FIXED.pluginSecret,
            nested: [{ headers: { Authorization: `Bearer ${FIXED.pluginSecret}` } }],
            config: { client_secret: FIXED.pluginSecret, clientId: 'visible-client' },
            url: `https://user:${FIXED.pluginSecret}@git.example/repo.git`,
          },
        });
        return { ok: true };
      },
    });
    env.onStart(() =>
      env.audit.record({
        action: 'careless.job',
        outcome: 'success',
        details: { password: FIXED.jobPassword, step: 'visible-step' },
      }),
    );
  },
});

describe.each(ENGINES)('no secret in the audit log or the server log on %s', (engine) => {
  let app: App;
  let url: string;
  let dir: string;
  let drop: () => Promise<void>;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let oidc: OidcProviderHandle | undefined;
  let jwks: RecordingServer | undefined;
  let taskStatus = '';
  let docsBuild: { status: number; body: string } | undefined;
  const log: string[] = [];
  let auditText = '';
  let auditRows: Array<Record<string, unknown>> = [];
  let patId = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-secrets-'));
    files = await serveFiles({ '/catalog-info.yaml': COMPONENT });
    const database = await freshDatabase(engine, dir);
    drop = database.drop;
    // The OpenID provider must know Atrium's callback URL, so Atrium's port is chosen first.
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    oidc = await startOidcProvider(baseUrl);
    SECRETS.oidcClientSecret = oidc.clientSecret;
    const keys = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = await startRecordingServer((_request, response) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] })),
    );
    SECRETS.jwksToken = await new SignJWT({ iss: JWKS_ISSUER, aud: 'atrium', sub: 'deploy-bot' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    // The people who sign in, and a documented component.
    writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG);
    mkdirSync(join(dir, 'site/docs'), { recursive: true });
    writeFileSync(
      join(dir, 'site/mkdocs.yml'),
      'site_name: Documented\nnav:\n  - Home: index.md\n',
    );
    writeFileSync(join(dir, 'site/docs/index.md'), '# Documented\n\nHow it works.\n');
    writeFileSync(
      join(dir, 'site/catalog-info.yaml'),
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        "metadata: { name: documented, annotations: { backstage.io/techdocs-ref: 'dir:.' } }",
        'spec: { type: service, lifecycle: production, owner: team-alpha }',
      ].join('\n'),
    );
    const configFile = join(dir, 'app-config.yaml');
    writeFileSync(
      configFile,
      stringify({
        backend: {
          listen: { host: '127.0.0.1', port },
          baseUrl,
          database: database.config,
          auth: {
            externalAccess: [
              { type: 'static', options: { token: FIXED.staticToken, subject: 'ci-bot' } },
              {
                type: 'jwks',
                options: {
                  url: `${jwks.base}/.well-known/jwks.json`,
                  issuer: JWKS_ISSUER,
                  audience: 'atrium',
                },
              },
            ],
          },
          reading: { allow: [{ host: files.host }] },
        },
        auth: {
          environment: 'development',
          providers: {
            guest: {},
            github: {
              development: { clientId: 'gh-client-id', clientSecret: FIXED.clientSecret },
            },
            oidc: {
              development: {
                metadataUrl: oidc.metadataUrl,
                clientId: oidc.clientId,
                clientSecret: oidc.clientSecret,
              },
            },
          },
        },
        integrations: { github: [{ host: 'github.com', token: FIXED.integrationToken }] },
        catalog: {
          refresh: { interval: false },
          locationTypes: ['url', 'file'],
          locations: [
            { type: 'file', target: join(dir, 'org.yaml') },
            { type: 'file', target: SCAFFOLDER_CATALOG },
            { type: 'file', target: join(dir, 'site/catalog-info.yaml') },
          ],
        },
        scaffolder: { workspaceDir: join(dir, 'workspaces') },
        techdocs: {
          buildOnStart: false,
          publisher: { type: 'local', local: { publishDirectory: join(dir, 'published') } },
        },
      }),
    );
    const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
    app = await createApp({
      config,
      plugins: [...installedPlugins(), carelessPlugin],
      cwd: dir,
      logger: createLogger({ level: 'debug', json: true, write: (line) => log.push(line) }),
    });
    url = await app.start();

    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, init).then(async (r) => ({ status: r.status, body: await r.text() }));
    const json = { 'content-type': 'application/json' };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    await call('/api/catalog/entities?limit=1', { headers: bearer(FIXED.staticToken) });
    await call('/api/catalog/refresh', {
      method: 'POST',
      headers: { ...json, ...bearer(FIXED.staticToken) },
      body: JSON.stringify({ entityRef: 'component:default/nothing' }),
    });
    await call('/api/catalog/entities?limit=1', { headers: bearer(FIXED.forgedBearer) });
    await call('/api/catalog/locations', {
      method: 'POST',
      headers: { ...json, ...bearer(FIXED.forgedBearer) },
      body: JSON.stringify({ type: 'url', target: 'https://example.invalid/x.yaml' }),
    });
    await call('/api/catalog/entities?limit=1', {
      headers: { cookie: `atrium_session=${FIXED.cookie}` },
    });
    await call('/api/catalog/refresh', {
      method: 'POST',
      headers: { ...json, cookie: `atrium_session=${FIXED.cookie}` },
      body: JSON.stringify({ entityRef: 'component:default/nothing' }),
    });
    // An OAuth callback with a code (wherever sign-in lives; a 404 is fine too).
    await call(`/api/auth/github/handler/frame?code=${FIXED.oauthCode}&state=x`);
    await call(`/api/auth/github/handler/frame?code=${FIXED.oauthCode}&state=x`, {
      method: 'POST',
    });
    // A location whose URL carries a token: ingestion records its entities with the location.
    const registered = await call('/api/catalog/locations', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        type: 'url',
        target: `${files.base}/catalog-info.yaml?token=${FIXED.urlToken}`,
      }),
    });
    expect(registered.status, registered.body).toBe(201);
    // A sign-in started and called back with a code and a state that does not match.
    const start = await fetch(`${url}/api/auth/github/start`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const flowCookie = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
    SECRETS.flowCookie = flowCookie.split('=').slice(1).join('=');
    SECRETS.oauthState =
      new URL(start.headers.get('location') ?? 'http://x').searchParams.get('state') ?? '';
    expect(SECRETS.flowCookie.length).toBeGreaterThan(20);
    expect(SECRETS.oauthState.length).toBeGreaterThan(10);
    const callback = await call(
      `/api/auth/github/handler/frame?code=${FIXED.oauthCode}&state=not-the-state`,
      { headers: { cookie: flowCookie } },
    );
    expect(callback.status).toBeGreaterThanOrEqual(400);
    // A personal token: created (its secret is in this answer only), used, revoked, refused.
    const created = await call('/api/auth/tokens', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'ci', scope: 'full', expiresInDays: 7 }),
    });
    expect(created.status, created.body).toBe(201);
    const pat = JSON.parse(created.body) as { id: string; token: string };
    SECRETS.personalToken = pat.token;
    patId = pat.id;
    await call('/api/catalog/entities?limit=1', { headers: bearer(pat.token) });
    await call('/api/catalog/refresh', {
      method: 'POST',
      headers: { ...json, ...bearer(pat.token) },
      body: JSON.stringify({ entityRef: 'component:default/nothing' }),
    });
    expect((await call(`/api/auth/tokens/${pat.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(
      (await call('/api/catalog/entities?limit=1', { headers: bearer(pat.token) })).status,
    ).toBe(401);
    await call('/api/careless/act', { method: 'POST', headers: json, body: '{}' });
    await call('/api/careless/act', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${FIXED.staticToken}` },
      body: '{}',
    });

    // A successful sign-in through the OpenID provider's login page, then a change made with
    // the session it opened, as the web app makes it (cookie and CSRF header).
    const jar = new CookieJar();
    const oidcCallback = await loginAtProvider(jar, url, 'alice');
    SECRETS.oidcCode = new URL(oidcCallback).searchParams.get('code') ?? '';
    expect(SECRETS.oidcCode.length).toBeGreaterThan(10);
    const signedIn = await jar.fetch(oidcCallback);
    expect(signedIn.status, await signedIn.text()).toBe(302);
    SECRETS.sessionCookie = jar.get(url, 'atrium_session') ?? '';
    SECRETS.csrfToken = jar.get(url, CSRF_COOKIE) ?? '';
    expect(SECRETS.sessionCookie.length).toBeGreaterThan(20);
    expect(SECRETS.csrfToken.length).toBeGreaterThan(10);
    const [issued] = oidc.issued;
    SECRETS.oidcAccessToken = String(issued?.access_token ?? '');
    SECRETS.idToken = String(issued?.id_token ?? '');
    expect(SECRETS.oidcAccessToken.length).toBeGreaterThan(10);
    expect(SECRETS.idToken.split('.')).toHaveLength(3);
    const sessionRefresh = await jar.fetch(`${url}/api/catalog/refresh`, {
      method: 'POST',
      headers: { ...json, [CSRF_HEADER]: SECRETS.csrfToken },
      body: JSON.stringify({ entityRef: 'component:default/alpha-api' }),
    });
    expect(sessionRefresh.status, await sessionRefresh.text()).toBe(200);
    // A token signed by a key of a JSON Web Key Set.
    const jwksRead = await call('/api/catalog/entities?limit=1', {
      headers: bearer(SECRETS.jwksToken),
    });
    expect(jwksRead.status, jwksRead.body).toBe(200);
    await call('/api/catalog/refresh', {
      method: 'POST',
      headers: { ...json, ...bearer(SECRETS.jwksToken) },
      body: JSON.stringify({ entityRef: 'component:default/alpha-api' }),
    });
    // A template run whose secret input goes through a step's log and a written file.
    const run = await call('/api/scaffolder/v2/tasks', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        templateRef: 'template:default/basic',
        values: { name: 'secret-run' },
        secrets: { token: FIXED.templateSecret },
      }),
    });
    expect(run.status, run.body).toBe(201);
    const taskId = (JSON.parse(run.body) as { id: string }).id;
    for (let i = 0; i < 100 && !['completed', 'failed'].includes(taskStatus); i++) {
      await new Promise((done) => setTimeout(done, 100));
      taskStatus = JSON.parse((await call(`/api/scaffolder/v2/tasks/${taskId}`)).body).status;
    }
    // A docs rebuild.
    docsBuild = await call('/api/techdocs/build/default/component/documented', {
      method: 'POST',
    });

    await app.use(auditServiceRef).flush();
    auditRows = (await app.database.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('time')
      .execute()) as Array<Record<string, unknown>>;
    auditText = JSON.stringify(auditRows);
    await app.stop();
  });

  afterAll(async () => {
    await app?.stop();
    await files?.close();
    await oidc?.close();
    await jwks?.close();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('recorded the run, without the secrets', () => {
    const actions = new Set(auditRows.map((r) => r.action));
    expect(taskStatus).toBe('completed');
    expect(docsBuild?.status, docsBuild?.body).toBe(200);
    for (const action of [
      'auth.signin',
      'scaffolder.task.create',
      'techdocs.site.rebuild',
      'catalog.entity.refresh',
      'catalog.location.create',
      'catalog.entity.created',
      'careless.act',
      'careless.job',
    ]) {
      expect(actions, action).toContain(action);
    }
    // Callers are told apart by their credential, never by its secret.
    expect(auditRows).toContainEqual(
      expect.objectContaining({
        action: 'catalog.entity.refresh',
        actor: 'service:ci-bot',
        credential: 'external',
      }),
    );
    expect(auditRows).toContainEqual(
      expect.objectContaining({
        action: 'catalog.entity.refresh',
        actor: 'user:default/guest',
        credential: 'personal-token',
        credential_id: patId,
      }),
    );
    expect(actions).toContain('auth.token.create');
    expect(auditRows).toContainEqual(
      expect.objectContaining({
        action: 'auth.signin',
        actor: 'user:default/alice',
        outcome: 'success',
      }),
    );
    expect(auditRows).toContainEqual(
      expect.objectContaining({
        action: 'catalog.entity.refresh',
        actor: 'user:default/alice',
        credential: 'session',
      }),
    );
    expect(
      auditRows.filter((r) => r.action === 'catalog.entity.refresh' && r.credential === 'external'),
    ).toHaveLength(2);
    // What is not secret is kept.
    expect(auditText).toContain('kept-value');
    expect(auditText).toContain('visible-client');
    expect(auditText).toContain('visible-step');
    expect(auditText).toContain('https://ci.example/job?build=7');
    expect(auditText).toContain(`${files.base}/catalog-info.yaml`);
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(auditText.includes(secret), `${name} in the audit table`).toBe(false);
    }
  });

  it('logged the run at debug level, without the secrets', () => {
    const text = log.join('\n');
    expect(text).toContain('Atrium listening');
    expect(log.length).toBeGreaterThan(3);
    expect(text).toContain(`Read url:${files.base}/catalog-info.yaml`);
    expect(text).toContain(`Read file:${join(dir, 'site/catalog-info.yaml')}`);
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(text.includes(secret), `${name} in the server log`).toBe(false);
    }
  });
});
