import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config/index.ts';
import { AuthenticationError, ServiceUnavailableError } from '../src/core/errors.ts';
import { createLogger } from '../src/core/logger.ts';
import {
  createTokenAuthenticator,
  type TokenAuthenticator,
} from '../src/plugins/auth/server/tokens/index.ts';
import { catalogServiceRef } from '../src/plugins/catalog/server/plugin.ts';
import { type RecordingServer, startRecordingServer } from './helpers/recording-server.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/*
 * `backend.auth.externalAccess` against a real JSON Web Key Set served on loopback, with keys
 * that jose generates: once through the authenticator itself (exact outcomes), once over HTTP
 * through the real app (what a caller sees).
 */

const ISSUER = 'https://idp.example.test';
const STATIC_TOKEN = 'ci-static-token-0123456789';
type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let jwks: RecordingServer;
let server: TestServer;
let tokens: TokenAuthenticator;
let rsa: Key;
let ec: Key;
/** Same key id as `rsa`, a different key: what a forger who read the JWKS would make. */
let forger: Key;
let jwksUp = true;

async function sign(
  key: Key,
  claims: Record<string, unknown>,
  options: { alg?: string; kid?: string; expiresIn?: string | number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
    .setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(key);
}

const good = (extra: Record<string, unknown> = {}) =>
  sign(rsa, { iss: ISSUER, aud: 'atrium', sub: 'deploy-bot', ...extra }, { expiresIn: '5m' });

async function call(
  token: string,
): Promise<{ status: number; body: { error: { name: string; message: string } } }> {
  const response = await fetch(`${server.url}/api/catalog/entities?limit=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  rsa = rsaPair.privateKey;
  ec = ecPair.privateKey;
  forger = (await generateKeyPair('RS256')).privateKey;
  const keys: JWK[] = [
    { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  jwks = await startRecordingServer((_request, response) => {
    if (!jwksUp) return void response.writeHead(503).end('down');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  server = await startTestServer({
    backend: {
      auth: {
        externalAccess: [
          {
            type: 'static',
            options: { token: STATIC_TOKEN, subject: 'ci-pipeline' },
            accessRestrictions: [
              { plugin: 'catalog', permissionAttribute: { action: 'read' } },
              { plugin: 'search', permission: 'search.query' },
            ],
          },
          {
            type: 'jwks',
            options: {
              url: `${jwks.base}/.well-known/jwks.json`,
              issuer: ISSUER,
              audience: ['atrium', 'atrium-staging'],
              algorithm: 'RS256',
              subjectPrefix: 'idp',
            },
            accessRestrictions: [{ plugin: 'catalog' }],
          },
        ],
      },
    },
  });
  const { config } = await loadConfig({
    configPaths: ['app-config.yaml'],
    cwd: server.dir,
    env: {},
  });
  tokens = createTokenAuthenticator({
    config,
    database: server.app.database,
    users: server.app.use(catalogServiceRef).users,
    logger: createLogger({ level: 'error' }),
  });
});

afterAll(async () => {
  await server?.stop();
  await jwks?.close();
});

describe('static tokens', () => {
  it('stand for service:<subject> with the access restrictions of the entry', async () => {
    expect(await tokens.authenticate(STATIC_TOKEN)).toEqual({
      userEntityRef: 'service:ci-pipeline',
      ownershipEntityRefs: [],
      isGuest: false,
      credential: 'external',
      credentialId: 'ci-pipeline',
      accessRestrictions: [
        { plugin: 'catalog', permissionAttribute: { action: ['read'] } },
        { plugin: 'search', permission: ['search.query'] },
      ],
    });
  });

  it('are not recognised when they differ by a character, a prefix or a suffix', async () => {
    for (const token of [
      `${STATIC_TOKEN.slice(0, -1)}X`,
      STATIC_TOKEN.slice(0, -1),
      `${STATIC_TOKEN}0`,
      STATIC_TOKEN.toUpperCase(),
    ]) {
      expect(await tokens.authenticate(token)).toBeNull();
    }
  });

  it('carry their access restrictions to the permission check', async () => {
    // Enforcement is the evaluator's; this shows the identity's shape is the one it reads.
    const register = await fetch(`${server.url}/api/catalog/locations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${STATIC_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'url', target: 'https://example.com/catalog-info.yaml' }),
    });
    expect(register.status).toBe(403);
    expect(((await register.json()) as { error: { message: string } }).error.message).toMatch(
      /access restrictions of this token do not cover it/,
    );
    const tasks = await fetch(`${server.url}/api/scaffolder/v2/tasks`, {
      headers: { authorization: `Bearer ${STATIC_TOKEN}` },
    });
    expect(tasks.status).toBe(403);
  });

  it('work over HTTP, and an unknown one answers 401', async () => {
    expect((await call(STATIC_TOKEN)).status).toBe(200);
    const wrong = await call('not-a-token-of-anyone');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/Unknown bearer token/);
  });
});

describe('JWKS tokens', () => {
  it('stand for service:<subjectPrefix>:<sub> when issuer, audience and signature check out', async () => {
    expect(await tokens.authenticate(await good())).toEqual({
      userEntityRef: 'service:idp:deploy-bot',
      ownershipEntityRefs: [],
      isGuest: false,
      credential: 'external',
      credentialId: 'idp:deploy-bot',
      accessRestrictions: [{ plugin: 'catalog' }],
    });
    // Any of the configured audiences will do.
    const staging = await good({ aud: 'atrium-staging' });
    expect((await tokens.authenticate(staging))?.userEntityRef).toBe('service:idp:deploy-bot');
    expect(jwks.requests.every((r) => r.url === '/.well-known/jwks.json')).toBe(true);
  });

  it('refuse a wrong issuer, a wrong audience and an expired token, saying which', async () => {
    const cases: [Promise<string>, RegExp][] = [
      [
        good({ iss: 'https://evil.example.test' }),
        /issuer 'https:\/\/evil\.example\.test' is not accepted: expected 'https:\/\/idp\.example\.test'/,
      ],
      [
        good({ aud: 'another-app' }),
        /audience 'another-app' is not accepted: expected 'atrium' or 'atrium-staging'/,
      ],
      [
        sign(
          rsa,
          { iss: ISSUER, aud: 'atrium', sub: 'x' },
          { expiresIn: Math.floor(Date.now() / 1000) - 60 },
        ),
        /The token expired at \d{4}-\d\d-\d\dT/,
      ],
      [good({ sub: undefined }), /no 'sub' claim/],
    ];
    for (const [token, message] of cases) {
      const error = await tokens.authenticate(await token).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('backend.auth.externalAccess[1]');
    }
  });

  it('refuse forged signatures, whether or not the key id is one of the set', async () => {
    const sameKid = await sign(
      forger,
      { iss: ISSUER, aud: 'atrium', sub: 'deploy-bot' },
      { expiresIn: '5m' },
    );
    await expect(tokens.authenticate(sameKid)).rejects.toThrow(
      /signature does not verify with the key of http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json: it was forged or altered/,
    );
    const otherKid = await sign(
      forger,
      { iss: ISSUER, aud: 'atrium', sub: 'deploy-bot' },
      { kid: 'made-up', expiresIn: '5m' },
    );
    await expect(tokens.authenticate(otherKid)).rejects.toThrow(
      /claims issuer 'https:\/\/idp\.example\.test' but is signed with a key \(kid 'made-up'\) that the JSON Web Key Set .* does not hold/,
    );
    // A valid token with one character of its payload changed.
    const [header, payload, signature] = (await good()).split('.');
    const altered = Buffer.from(payload!, 'base64url')
      .toString()
      .replace('deploy-bot', 'deploy-boss');
    const tampered = [header, Buffer.from(altered).toString('base64url'), signature].join('.');
    await expect(tokens.authenticate(tampered)).rejects.toThrow(/forged or altered/);
  });

  it('refuse an algorithm the entry does not accept', async () => {
    const token = await sign(
      ec,
      { iss: ISSUER, aud: 'atrium', sub: 'x' },
      { alg: 'ES256', kid: 'ec-1', expiresIn: '5m' },
    );
    await expect(tokens.authenticate(token)).rejects.toThrow(
      /signed with ES256, which is not accepted: expected 'RS256'/,
    );
  });

  it('leave alone JWTs of other issuers signed with other keys, and non-JWTs', async () => {
    const foreign = await sign(
      forger,
      { iss: 'https://elsewhere.test', sub: 'x' },
      { kid: 'other' },
    );
    expect(await tokens.authenticate(foreign)).toBeNull();
    expect(await tokens.authenticate('a.b.c')).toBeNull();
    expect(await tokens.authenticate('eyJhbGciOiJub25lIn0.e30.')).toBeNull();
  });

  it('answer 503, not 401, when the key set cannot be fetched for a token it issued', async () => {
    // A fresh authenticator has no keys cached, as a replica just started.
    const { config } = await loadConfig({
      configPaths: ['app-config.yaml'],
      cwd: server.dir,
      env: {},
    });
    const fresh = createTokenAuthenticator({
      config,
      database: server.app.database,
      users: server.app.use(catalogServiceRef).users,
      logger: createLogger({ level: 'error' }),
    });
    jwksUp = false;
    try {
      const error = await fresh.authenticate(await good()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as Error).message).toMatch(
        /could not be verified: the JSON Web Key Set at http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json \(backend\.auth\.externalAccess\[1\]\) could not be fetched/,
      );
      // A token of another issuer is still not this entry's business.
      const foreign = await sign(forger, { iss: 'https://elsewhere.test', sub: 'x' });
      expect(await fresh.authenticate(foreign)).toBeNull();
    } finally {
      jwksUp = true;
    }
  });

  it('over HTTP: 200 for a good token, 401 with the reason for bad ones', async () => {
    expect((await call(await good())).status).toBe(200);
    const expired = await call(
      await sign(
        rsa,
        { iss: ISSUER, aud: 'atrium', sub: 'x' },
        { expiresIn: Math.floor(Date.now() / 1000) - 5 },
      ),
    );
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatchObject({
      name: 'AuthenticationError',
      message: expect.stringMatching(/^The token expired at /),
    });
    const wrongAudience = await call(await good({ aud: 'nope' }));
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.body.error.message).toMatch(/audience 'nope' is not accepted/);
    const forged = await call(
      await sign(forger, { iss: ISSUER, aud: 'atrium', sub: 'x' }, { expiresIn: '5m' }),
    );
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toMatch(/forged or altered/);
  });
});
