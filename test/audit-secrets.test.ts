/**
 * Nothing secret reaches the audit log or the server log: a full run on every engine with
 * secrets in config (an external-access token, an OAuth client secret, an integration token)
 * and in requests (bearer tokens, a session cookie, an OAuth code, a token in a location URL,
 * secrets passed to `ctx.audit` and `env.audit` by a plugin), logging at debug level; then
 * every row of the audit table and every log line are searched for each secret string.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../src/core/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { createLogger } from '../src/core/logger.ts';
import { definePlugin } from '../src/core/plugin-api.ts';
import { auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { installedPlugins } from '../src/plugins/index.ts';
import { serveFiles } from './helpers/serve-files.ts';
import { ENGINES, freshDatabase } from './helpers/server.ts';

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
};
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
  const log: string[] = [];
  let auditText = '';
  let auditRows: Array<Record<string, unknown>> = [];
  let patId = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-secrets-'));
    files = await serveFiles({ '/catalog-info.yaml': COMPONENT });
    const database = await freshDatabase(engine, dir);
    drop = database.drop;
    const configFile = join(dir, 'app-config.yaml');
    writeFileSync(
      configFile,
      stringify({
        backend: {
          listen: { host: '127.0.0.1', port: 0 },
          database: database.config,
          auth: {
            externalAccess: [
              { type: 'static', options: { token: FIXED.staticToken, subject: 'ci-bot' } },
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
          },
        },
        integrations: { github: [{ host: 'github.com', token: FIXED.integrationToken }] },
        catalog: { refresh: { interval: false }, locationTypes: ['url', 'file'] },
        techdocs: { buildOnStart: false },
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
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('recorded the run, without the secrets', () => {
    const actions = new Set(auditRows.map((r) => r.action));
    for (const action of [
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
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(text.includes(secret), `${name} in the server log`).toBe(false);
    }
  });
});
