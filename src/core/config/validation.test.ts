import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';
import { cleanUpTempDirs, dirWith } from './temp-dirs.testkit.ts';

cleanUpTempDirs();

/** Loads `yaml` as app-config.yaml and returns the ConfigError (fails the test if none). */
async function errorFor(yaml: string, extra: Record<string, string> = {}): Promise<ConfigError> {
  const cwd = await dirWith({ 'app-config.yaml': yaml, ...extra });
  const result = await loadConfig({ cwd, env: {} }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(ConfigError);
  return result as ConfigError;
}

describe('wrong values on known keys', () => {
  it('port "abc"', async () => {
    const err = await errorFor('backend:\n  listen:\n    port: abc\n');
    expect(err.message).toBe(
      'Invalid config: backend.listen.port must be an integer between 0 and 65535 (got "abc") in app-config.yaml',
    );
    expect(err.problems).toEqual([
      {
        key: 'backend.listen.port',
        message:
          'backend.listen.port must be an integer between 0 and 65535 (got "abc") in app-config.yaml',
        sources: ['app-config.yaml'],
      },
    ]);
  });

  it('port out of range or fractional', async () => {
    expect((await errorFor('backend: { listen: { port: 70000 } }\n')).message).toContain(
      'backend.listen.port must be an integer between 0 and 65535 (got 70000)',
    );
    expect((await errorFor('backend: { listen: { port: 80.5 } }\n')).message).toContain(
      '(got 80.5)',
    );
    expect((await errorFor("backend: { listen: 'localhost' }\n")).message).toContain(
      "backend.listen must be an object {host, port} or a string 'host:port' or ':port' (got \"localhost\")",
    );
  });

  it('orphanStrategy "sometimes"', async () => {
    const err = await errorFor('catalog:\n  orphanStrategy: sometimes\n');
    expect(err.message).toBe(
      'Invalid config: catalog.orphanStrategy must be one of "keep", "delete" (got "sometimes") in app-config.yaml',
    );
  });

  it('catalog.removalGuard: a share above 1 or a negative count', async () => {
    expect((await errorFor('catalog:\n  removalGuard:\n    maxShare: 1.5\n')).message).toBe(
      'Invalid config: catalog.removalGuard.maxShare must be a number between 0 and 1 (got 1.5) in app-config.yaml',
    );
    expect((await errorFor('catalog:\n  removalGuard:\n    minCount: -1\n')).message).toContain(
      'catalog.removalGuard.minCount must be a non-negative integer (got -1)',
    );
  });

  it('scaffolder.limits: renderTimeout cannot be disabled, taskRenderTime can', async () => {
    expect((await errorFor('scaffolder:\n  limits:\n    renderTimeout: false\n')).message).toBe(
      'Invalid config: scaffolder.limits.renderTimeout must be a duration: a number of seconds, an ISO-8601 duration (PT5S), a string like 500ms, 5s or 1m, or an object like {seconds: 5} (got false) in app-config.yaml',
    );
    expect((await errorFor('scaffolder:\n  limits:\n    workerMemoryMb: 8\n')).message).toContain(
      'scaffolder.limits.workerMemoryMb must be an integer between 32 and 16384 (MB)',
    );
    const cwd = await dirWith({
      'app-config.yaml':
        'scaffolder:\n  limits:\n    renderTimeout: 1500ms\n    taskRenderTime: false\n',
    });
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.scaffolder.limits).toMatchObject({
      renderTimeoutMs: 1500,
      taskRenderTimeMs: null,
    });
  });

  it('database client "mysql"', async () => {
    const err = await errorFor(
      'backend:\n  database:\n    client: mysql\n    connection: { host: db }\n',
    );
    expect(err.problems.map((p) => p.message)).toEqual([
      'backend.database.client must be one of "better-sqlite3", "sqlite3", "pg" (got "mysql") in app-config.yaml',
    ]);
  });

  it('names every file that contributed to a merged object', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'backend:\n  database:\n    connection: { host: db }\n',
      'app-config.local.yaml': 'backend:\n  database:\n    client: pg\n',
    });
    // Valid: pg with an object connection merged from two files.
    const ok = await loadConfig({ cwd, env: {} });
    expect(ok.config.backend.database).toEqual({ client: 'pg', connection: { host: 'db' } });

    const cwd2 = await dirWith({
      'app-config.yaml': 'catalog:\n  refresh: { interval: 10m }\n',
      'app-config.local.yaml': 'catalog:\n  refresh: { interval: forever }\n',
    });
    await expect(loadConfig({ cwd: cwd2, env: {} })).rejects.toThrow(
      /catalog\.refresh\.interval must be a duration.*in app-config\.local\.yaml$/,
    );
  });

  it('several problems are all reported, each with its key', async () => {
    const err = await errorFor(`
app: { title: '' , baseUrl: 'not a url' }
catalog:
  readonly: maybe
  locations:
    - { type: git, target: x }
    - { target: y }
  locationTypes: [url, ftp]
  rules:
    - allow: [Component, { 'spec.type': service }]
      locations: [{ type: url, exact: a, pattern: b }]
backend:
  reading:
    allow: [{ host: 'exa mple.com' }]
`);
    expect(err.problems.map((p) => p.key).sort()).toEqual(
      [
        'app.title',
        'app.baseUrl',
        'catalog.readonly',
        'catalog.locations[0].type',
        'catalog.locations[1].type',
        'catalog.locationTypes[1]',
        'catalog.rules[0].allow[1].kind',
        'catalog.rules[0].locations[0]',
        'backend.reading.allow[0].host',
      ].sort(),
    );
    expect(err.message).toMatch(/^Invalid config \(9 problems\):\n {2}- /);
    const byKey = Object.fromEntries(err.problems.map((p) => [p.key, p.message]));
    expect(byKey['app.title']).toBe(
      'app.title must be a non-empty string (got "") in app-config.yaml',
    );
    expect(byKey['app.baseUrl']).toContain('must be an absolute http(s) URL');
    expect(byKey['catalog.readonly']).toBe(
      'catalog.readonly must be true or false (got "maybe") in app-config.yaml',
    );
    expect(byKey['catalog.locations[1].type']).toBe(
      'catalog.locations[1].type is missing; it must be one of "file", "url" in app-config.yaml',
    );
    expect(byKey['catalog.rules[0].locations[0]']).toContain(
      'exact and pattern exclude each other',
    );
    expect(byKey['backend.reading.allow[0].host']).toContain('a host name, optionally with a port');
  });

  it('accepts reading hosts with ports and wildcards', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        "backend:\n  reading:\n    allow: [{ host: 'example.com:8080' }, { host: '*.example.org', paths: [/docs/] }]\n",
    });
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.backend.reading.allow).toEqual([
      { host: 'example.com:8080' },
      { host: '*.example.org', paths: ['/docs/'] },
    ]);
  });

  it('accepts Backstage-style string booleans and numbers as Backstage does', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        "catalog: { readonly: 'on' }\nbackend: { listen: { port: ' 7010 ' } }\napp: { title: 2024 }\n",
    });
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.catalog.readonly).toBe(true);
    expect(config.backend.listen.port).toBe(7010);
    expect(config.app.title).toBe('2024');
  });

  it('requires a connection for pg, and a valid pg port', async () => {
    expect((await errorFor('backend: { database: { client: pg } }\n')).message).toContain(
      'backend.database.connection is missing; it must be a PostgreSQL connection string',
    );
    expect(
      (await errorFor('backend: { database: { client: pg, connection: { port: 0 } } }\n')).message,
    ).toContain('backend.database.connection.port must be an integer between 1 and 65535 (got 0)');
  });

  it('checks custom kinds: names, apiVersions, relation fields, schema validity, duplicates', async () => {
    const err = await errorFor(`
catalog:
  kinds:
    - { apiVersion: 'example.com/v1', kind: 'bad kind' }
    - { apiVersion: ['example.com/v1', '1.0/x/y'], kind: Good }
    - apiVersion: example.com/v1
      kind: Rel
      relations: [{ field: owner, relation: ownedBy, reverse: ownerOf }]
`);
    expect(err.problems.map((p) => p.key)).toEqual([
      'catalog.kinds[0].kind',
      'catalog.kinds[1].apiVersion[1]',
      'catalog.kinds[2].relations[0].field',
    ]);
    expect(err.problems[2]!.message).toBe(
      'catalog.kinds[2].relations[0].field must be a dotted path inside spec, such as spec.owner (got "owner") in app-config.yaml',
    );

    const schemaErr = await errorFor(`
catalog:
  kinds:
    - { apiVersion: example.com/v1, kind: Thing, schema: { type: objekt } }
    - { apiVersion: example.com/v2, kind: Thing }
`);
    expect(schemaErr.problems.map((p) => p.key)).toEqual([
      'catalog.kinds[0].schema',
      'catalog.kinds[1].kind',
    ]);
    expect(schemaErr.problems[0]!.message).toMatch(
      /^catalog\.kinds\[0\]\.schema must be a valid JSON Schema \(draft-07\): .*in app-config\.yaml$/,
    );
    expect(schemaErr.problems[1]!.message).toContain(
      "'Thing' is already declared by catalog.kinds[0]",
    );
  });
});

describe('unknown keys', () => {
  it('warn once per leaf key with the file, and are dropped', async () => {
    const cwd = await dirWith({
      'app-config.yaml': `
app:
  title: T
  support: { url: x }
integrations:
  github: [{ host: github.com }]
  gitlab: [{ host: gitlab.com }]
backend:
  cors: { origin: x }
  auth: { dangerouslyDisableDefaultAuthPolicy: true }
  database:
    client: better-sqlite3
    connection: { filename: a.db }
    prefix: x_
catalog:
  stitchingStrategy: {}
`,
      'app-config.local.yaml': 'lighthouse:\n  baseUrl: http://x\n',
    });
    const { config, warnings } = await loadConfig({
      cwd,
      env: { APP_CONFIG_search_maxPageLimit: '50' },
    });
    expect(warnings).toEqual([
      "Unknown config key 'app.support.url' (ignored) in app-config.yaml",
      "Unknown config key 'backend.cors.origin' (ignored) in app-config.yaml",
      "Unknown config key 'backend.auth.dangerouslyDisableDefaultAuthPolicy' (ignored) in app-config.yaml",
      "Unknown config key 'backend.database.prefix' (ignored) in app-config.yaml",
      "Unknown config key 'catalog.stitchingStrategy' (ignored) in app-config.yaml",
      "Unknown config key 'lighthouse.baseUrl' (ignored) in app-config.local.yaml",
    ]);
    expect(config.app).toEqual({ title: 'T', baseUrl: 'http://localhost:7007' });
    expect(Object.keys(config)).toEqual([
      'app',
      'backend',
      'catalog',
      'auth',
      'permission',
      'integrations',
      'scaffolder',
      'techdocs',
      'search',
      'mcp',
      'audit',
      'events',
      'scorecards',
      'plugins',
    ]);
    expect(config.integrations.github).toEqual([
      { host: 'github.com', apiBaseUrl: 'https://api.github.com' },
    ]);
    expect(config.integrations.gitlab).toEqual([
      { host: 'gitlab.com', apiBaseUrl: 'https://gitlab.com/api/v4' },
    ]);
    expect(config.search.maxPageLimit).toBe(50);
  });

  it('inside list items and pg connection objects', async () => {
    const cwd = await dirWith({
      'app-config.yaml': `
backend:
  database:
    client: pg
    connection: { host: h, connectionTimeoutMillis: 5 }
catalog:
  locations:
    - { type: file, target: a.yaml, presence: optional }
`,
    });
    const { config, warnings } = await loadConfig({ cwd, env: {} });
    expect(warnings).toEqual([
      "Unknown config key 'backend.database.connection.connectionTimeoutMillis' (ignored) in app-config.yaml",
      "Unknown config key 'catalog.locations[0].presence' (ignored) in app-config.yaml",
    ]);
    expect(config.backend.database).toEqual({ client: 'pg', connection: { host: 'h' } });
    expect(config.catalog.locations[0]).toEqual({ type: 'file', target: 'a.yaml', baseDir: cwd });
  });

  it('reserved keys warn only when set to something other than their default', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'permission: { enabled: false }\nauth: { providers: {} }\n',
    });
    expect((await loadConfig({ cwd, env: {} })).warnings).toEqual([]);
    // permission.enabled is in use now: enabling it is no longer a warning.
    const cwd2 = await dirWith({ 'app-config.yaml': 'permission: { enabled: true }\n' });
    expect((await loadConfig({ cwd: cwd2, env: {} })).warnings).toEqual([]);
  });
});
