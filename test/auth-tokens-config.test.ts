import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/core/config/index.ts';
import { cleanUpTempDirs, dirWith } from '../src/core/config/temp-dirs.testkit.ts';

/*
 * `backend.auth.externalAccess` and `auth.personalTokens` as config: read from Backstage's
 * keys, refused at load with the key (never the secret) in the message.
 */

cleanUpTempDirs();

async function load(yaml: string) {
  const cwd = await dirWith({ 'app-config.yaml': yaml });
  return loadConfig({ cwd, env: {} });
}

async function problems(yaml: string): Promise<{ key: string; message: string }[]> {
  const error = await load(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${error}`);
  return error.problems.map(({ key, message }) => ({ key, message }));
}

describe('backend.auth.externalAccess', () => {
  it('reads static and jwks entries written for Backstage', async () => {
    const { config, warnings } = await load(`
backend:
  auth:
    externalAccess:
      - type: static
        options: { token: ci-secret-123, subject: ci-pipeline }
        accessRestrictions:
          - plugin: catalog
            permission: catalog.entity.read, catalog.location.read
            permissionAttribute: { action: read }
          - { plugin: scaffolder }
      - type: jwks
        options:
          url: https://idp.example.com/.well-known/jwks.json
          issuer: [https://idp.example.com]
          audience: atrium
          algorithm: RS256 ES256
          subjectPrefix: idp
`);
    expect(warnings).toEqual([]);
    expect(config.backend.auth.externalAccess).toEqual([
      {
        type: 'static',
        index: 0,
        token: 'ci-secret-123',
        subject: 'ci-pipeline',
        accessRestrictions: [
          {
            plugin: 'catalog',
            permission: ['catalog.entity.read', 'catalog.location.read'],
            permissionAttribute: { action: ['read'] },
          },
          { plugin: 'scaffolder' },
        ],
      },
      {
        type: 'jwks',
        index: 1,
        url: 'https://idp.example.com/.well-known/jwks.json',
        issuers: ['https://idp.example.com'],
        audiences: ['atrium'],
        algorithms: ['RS256', 'ES256'],
        subjectPrefix: 'idp',
      },
    ]);
  });

  it('defaults to no entries, and leaves keys it does not implement as unknown', async () => {
    const { config, warnings } = await load(`
backend:
  auth:
    dangerouslyDisableDefaultAuthPolicy: true
    keys: [{ secret: abc }]
`);
    expect(config.backend.auth).toEqual({ externalAccess: [] });
    expect(warnings).toEqual([
      "Unknown config key 'backend.auth.dangerouslyDisableDefaultAuthPolicy' (ignored) in app-config.yaml",
      "Unknown config key 'backend.auth.keys' (ignored) in app-config.yaml",
    ]);
  });

  it('refuses short, spaced, duplicate and atp_ static tokens without repeating them', async () => {
    const found = await problems(`
backend:
  auth:
    externalAccess:
      - { type: static, options: { token: short7x, subject: a } }
      - { type: static, options: { token: "has space inside", subject: b } }
      - { type: static, options: { token: same-token-1, subject: c } }
      - { type: static, options: { token: same-token-1, subject: d } }
      - { type: static, options: { token: atp_looks_like_ours, subject: e } }
`);
    expect(found.map((p) => p.key)).toEqual([
      'backend.auth.externalAccess[0].options.token',
      'backend.auth.externalAccess[1].options.token',
      'backend.auth.externalAccess[3].options.token',
      'backend.auth.externalAccess[4].options.token',
    ]);
    expect(found[0]!.message).toBe(
      'backend.auth.externalAccess[0].options.token must be at least 8 characters long (got 7) in app-config.yaml',
    );
    expect(found[1]!.message).toContain('must not contain whitespace');
    expect(found[2]!.message).toContain('is the same token as backend.auth.externalAccess[2]');
    expect(found[3]!.message).toContain("must not start with 'atp_'");
    const text = found.map((p) => p.message).join('\n');
    for (const secret of ['short7x', 'has space', 'same-token-1', 'atp_looks']) {
      expect(text).not.toContain(secret);
    }
  });

  it('names missing options, a wrong type and a subject with whitespace', async () => {
    const found = await problems(`
backend:
  auth:
    externalAccess:
      - { type: static, options: { token: long-enough-token } }
      - { type: jwks, options: { issuer: x } }
      - { type: legacy, options: { secret: abc, subject: s } }
      - { type: static, options: { token: long-enough-token-2, subject: "two words" } }
`);
    expect(found).toEqual([
      {
        key: 'backend.auth.externalAccess[0].options.subject',
        message: expect.stringMatching(
          /^backend\.auth\.externalAccess\[0\]\.options\.subject is missing; it must be a non-empty string without whitespace/,
        ),
      },
      {
        key: 'backend.auth.externalAccess[1].options.url',
        message: expect.stringMatching(
          /options\.url is missing; it must be an absolute http\(s\) URL/,
        ),
      },
      {
        key: 'backend.auth.externalAccess[2].type',
        message: expect.stringContaining(
          "must be 'static' or 'jwks' (Backstage's 'legacy' shared-secret tokens are not supported) (got \"legacy\")",
        ),
      },
      {
        key: 'backend.auth.externalAccess[3].options.subject',
        message: expect.stringContaining('must be a non-empty string without whitespace'),
      },
    ]);
  });

  it('refuses unknown keys, repeated plugins and unknown actions in accessRestrictions', async () => {
    const found = await problems(`
backend:
  auth:
    externalAccess:
      - type: static
        options: { token: long-enough-token, subject: ci }
        accessRestrictions:
          - { plugin: catalog, permissions: [catalog.entity.delete] }
          - { plugin: catalog, permissionAttribute: { action: [read, destroy], kind: x } }
`);
    expect(found.map((p) => p.key)).toEqual([
      'backend.auth.externalAccess[0].accessRestrictions[0].permissions',
      'backend.auth.externalAccess[0].accessRestrictions[1].plugin',
      'backend.auth.externalAccess[0].accessRestrictions[1].permissionAttribute.kind',
      'backend.auth.externalAccess[0].accessRestrictions[1].permissionAttribute.action',
    ]);
    expect(found[0]!.message).toContain(
      "is not a known key: expected 'plugin', 'permission' or 'permissionAttribute'",
    );
    expect(found[1]!.message).toContain("declares plugin 'catalog' a second time");
    expect(found[3]!.message).toContain(
      "has 'destroy', which is not one of 'create', 'read', 'update', 'delete'",
    );
  });

  it('checks jwks algorithms and URLs, and warns when no audience is set', async () => {
    expect(
      await problems(
        'backend:\n  auth:\n    externalAccess: [{ type: jwks, options: { url: not-a-url } }]\n',
      ),
    ).toEqual([
      {
        key: 'backend.auth.externalAccess[0].options.url',
        message: expect.stringContaining(
          'must be an absolute http(s) URL of a JSON Web Key Set (got "not-a-url"',
        ),
      },
    ]);
    const found = await problems(`
backend:
  auth:
    externalAccess:
      - { type: jwks, options: { url: "https://idp.example.com/jwks", audience: a, algorithm: HS256 } }
`);
    expect(found).toEqual([
      {
        key: 'backend.auth.externalAccess[0].options.algorithm',
        message: expect.stringContaining("has 'HS256', which is not one of 'RS256'"),
      },
    ]);

    const { warnings } = await load(`
backend:
  auth:
    externalAccess:
      - { type: jwks, options: { url: "https://idp.example.com/jwks", issuer: https://idp.example.com } }
`);
    expect(warnings).toEqual([
      'backend.auth.externalAccess[0] (jwks) sets no options.audience: any token that https://idp.example.com/jwks signs, for any application, is accepted in app-config.yaml',
    ]);
  });
});

describe('auth.personalTokens', () => {
  it('defaults to enabled with a 365-day maximum, and reads durations', async () => {
    expect((await load('')).config.auth.personalTokens).toEqual({
      enabled: true,
      maxDurationMs: 365 * 24 * 3600 * 1000,
    });
    const { config } = await load(
      'auth:\n  personalTokens: { enabled: false, maxDuration: { days: 30 } }\n',
    );
    expect(config.auth.personalTokens).toEqual({
      enabled: false,
      maxDurationMs: 30 * 24 * 3600 * 1000,
    });
  });

  it('refuses a maximum that is not a duration, or false', async () => {
    expect(await problems('auth:\n  personalTokens: { maxDuration: false }\n')).toEqual([
      {
        key: 'auth.personalTokens.maxDuration',
        message: expect.stringContaining('auth.personalTokens.maxDuration must be a duration'),
      },
    ]);
    expect((await problems('auth:\n  personalTokens: { maxDuration: soon }\n'))[0]!.key).toBe(
      'auth.personalTokens.maxDuration',
    );
  });
});
