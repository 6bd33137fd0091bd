import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';
import { cleanUpTempDirs, dirWith } from './temp-dirs.testkit.ts';

cleanUpTempDirs();

describe('loadConfig: files and defaults', () => {
  it('fills every default and warns when app-config.yaml is missing', async () => {
    const cwd = await dirWith({});
    const { config, warnings, files } = await loadConfig({ cwd, env: {} });
    expect(files).toEqual([]);
    expect(warnings).toEqual([`No app-config.yaml in ${cwd}; using default settings`]);
    expect(config).toEqual({
      app: { baseUrl: 'http://localhost:7007', title: 'Atrium' },
      backend: {
        baseUrl: 'http://localhost:7007',
        allowedHosts: ['localhost:7007'],
        listen: { host: '127.0.0.1', port: 7007 },
        database: {
          client: 'better-sqlite3',
          filename: './data/atrium.sqlite',
          baseDir: cwd,
          readWorkers: 2,
        },
        reading: { allow: [] },
        limits: { nestingDepth: 200, yamlAliases: 1000, expandedBytes: 32 * 1024 * 1024 },
        auth: { externalAccess: [] },
      },
      catalog: {
        locations: [],
        rules: undefined,
        refresh: { intervalMs: 120_000 },
        orphanStrategy: 'keep',
        readonly: false,
        kinds: [],
        locationTypes: ['url', 'file'],
        locationRoots: [],
        limits: { globFiles: 10_000, globBytes: 256 * 1024 * 1024 },
        history: {
          retentionDays: 90,
          maxEvents: 1_000_000,
          maxStreamsPerCaller: 10,
          maxStreams: 1000,
        },
        removalGuard: { maxShare: 0.1, minCount: 10 },
        providers: { github: [], githubOrg: [], gitlab: [] },
      },
      auth: {
        environment: 'development',
        // Nothing configured in development: every visitor is the guest.
        providers: { guest: { userEntityRef: 'user:default/guest', configured: false } },
        session: {
          durationMs: 12 * 3600 * 1000,
          maxDurationMs: 7 * 24 * 3600 * 1000,
          keyRotationMs: 24 * 3600 * 1000,
        },
        personalTokens: { enabled: true, maxDurationMs: 365 * 24 * 3600 * 1000 },
      },
      permission: {
        enabled: false,
        rbac: { policyFileReload: false, admin: { users: [], superUsers: [] } },
      },
      integrations: {
        github: [],
        gitlab: [],
        bitbucketCloud: [],
        bitbucketServer: [],
        azure: [],
        gerrit: [],
      },
      scaffolder: {
        defaultAuthor: { name: 'Scaffolder', email: 'scaffolder@atrium.local' },
        defaultCommitMessage: 'Initial commit',
        workspaceDir: join(tmpdir(), 'atrium-scaffolder'),
        localRepositoryRoots: [join(cwd, 'data', 'repos')],
        concurrency: 4,
        limits: {
          renderTimeoutMs: 5000,
          taskRenderTimeMs: 60_000,
          renderOutputBytes: 10 * 1024 * 1024,
          workerMemoryMb: 256,
          renderWorkers: 2,
        },
        defaultEnvironment: { parameters: {}, secrets: {} },
      },
      techdocs: {
        builder: 'local',
        buildOnStart: true,
        searchScanSeconds: 60,
        publisher: { type: 'local', local: { publishDirectory: join(cwd, 'data', 'techdocs') } },
      },
      search: { maxTermLength: 100, maxPageLimit: 100, countLimit: 10000 },
      mcp: { enabled: true, destructiveTools: false },
      audit: { retentionMs: 365 * 24 * 3600 * 1000 },
      events: { modules: { github: {}, gitlab: {} } },
      scorecards: { historyDays: 365, repoFacts: { scheduleMs: 24 * 3600 * 1000 } },
      plugins: [],
    });
  });

  it('resolves catalog.locationRoots against the config file and reads the limits', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        'catalog: { locationRoots: [./repos, /srv/catalog], limits: { globFiles: 5 } }\nbackend: { limits: { nestingDepth: 50 } }\n',
    });
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.catalog.locationRoots).toEqual([join(cwd, 'repos'), '/srv/catalog']);
    expect(config.catalog.limits).toEqual({ globFiles: 5, globBytes: 256 * 1024 * 1024 });
    expect(config.backend.limits.nestingDepth).toBe(50);
    const bad = await dirWith({ 'app-config.yaml': 'backend: { limits: { nestingDepth: 1 } }\n' });
    await expect(loadConfig({ cwd: bad, env: {} })).rejects.toThrow(
      /backend\.limits\.nestingDepth/,
    );
  });

  it('resolves policy files against their config file and reads RHDH admins as refs', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'app: { title: T }\n',
      'deploy/app-config.production.yaml': `
permission:
  enabled: true
  policyFile: ./policy.yaml
  rbac:
    policies-csv-file: rbac/policy.csv
    conditionalPoliciesFile: /etc/rbac/conditional.yaml
    policyFileReload: true
    admin:
      users: [{ name: User:Jane }, { name: group:ops/Admins }]
      superUsers: [{ name: user:default/root }]
`,
    });
    const { config, warnings } = await loadConfig({
      cwd,
      configPaths: ['app-config.yaml', 'deploy/app-config.production.yaml'],
      env: {},
    });
    expect(warnings).toEqual([]);
    expect(config.permission).toEqual({
      enabled: true,
      policyFile: join(cwd, 'deploy/policy.yaml'),
      rbac: {
        'policies-csv-file': join(cwd, 'deploy/rbac/policy.csv'),
        conditionalPoliciesFile: '/etc/rbac/conditional.yaml',
        policyFileReload: true,
        admin: {
          users: ['user:default/jane', 'group:ops/admins'],
          superUsers: ['user:default/root'],
        },
      },
    });
    const bad = await dirWith({
      'app-config.yaml': 'permission: { rbac: { admin: { users: [{ name: jane }] } } }\n',
    });
    await expect(loadConfig({ cwd: bad, env: {} })).rejects.toThrow(
      /permission\.rbac\.admin\.users\[0\]\.name/,
    );
  });

  it('treats an empty app-config.yaml as no settings, without warnings', async () => {
    const cwd = await dirWith({ 'app-config.yaml': '# nothing yet\n' });
    const { config, warnings, files } = await loadConfig({ cwd, env: {} });
    expect(warnings).toEqual([]);
    expect(files).toEqual([join(cwd, 'app-config.yaml')]);
    expect(config.app.title).toBe('Atrium');
  });

  it('overlays app-config.local.yaml: objects deep-merged, arrays replaced, later wins', async () => {
    const cwd = await dirWith({
      'app-config.yaml': `
app: { title: Base }
backend:
  listen: { port: 8000, host: 0.0.0.0 }
catalog:
  locations:
    - { type: file, target: a.yaml }
    - { type: file, target: b.yaml }
  locationTypes: [url, file]
`,
      'app-config.local.yaml': `
backend:
  listen: { port: 9000 }
catalog:
  locations:
    - { type: url, target: 'https://example.com/c.yaml' }
  locationTypes: [url]
`,
    });
    const { config, files, warnings } = await loadConfig({ cwd, env: {} });
    expect(warnings).toEqual([]);
    expect(files).toEqual([join(cwd, 'app-config.yaml'), join(cwd, 'app-config.local.yaml')]);
    expect(config.app.title).toBe('Base');
    expect(config.backend.listen).toEqual({ port: 9000, host: '0.0.0.0' });
    expect(config.catalog.locations.map((l) => l.target)).toEqual(['https://example.com/c.yaml']);
    expect(config.catalog.locationTypes).toEqual(['url']);
  });

  it('loads app-config.local.yaml alone (with the missing-file warning)', async () => {
    const cwd = await dirWith({ 'app-config.local.yaml': 'app: { title: Local }\n' });
    const { config, warnings, files } = await loadConfig({ cwd, env: {} });
    expect(config.app.title).toBe('Local');
    expect(files).toEqual([join(cwd, 'app-config.local.yaml')]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^No app-config\.yaml in /);
  });

  it('uses --config files in order instead of the defaults', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'app: { title: Default }\n',
      'app-config.local.yaml': 'app: { title: Local }\n',
      'conf/one.yaml': 'app: { title: One }\nbackend: { listen: { port: 1111 } }\n',
      'conf/two.yaml': 'app: { title: Two }\n',
    });
    const { config, files } = await loadConfig({
      cwd,
      env: {},
      configPaths: ['conf/one.yaml', 'conf/two.yaml'],
    });
    expect(files).toEqual([join(cwd, 'conf/one.yaml'), join(cwd, 'conf/two.yaml')]);
    expect(config.app.title).toBe('Two');
    expect(config.backend.listen.port).toBe(1111);

    const reversed = await loadConfig({
      cwd,
      env: {},
      configPaths: ['conf/two.yaml', 'conf/one.yaml'],
    });
    expect(reversed.config.app.title).toBe('One');
  });

  it('refuses a missing --config file, naming it', async () => {
    const cwd = await dirWith({ 'app-config.yaml': 'app: { title: Default }\n' });
    await expect(loadConfig({ cwd, env: {}, configPaths: ['nope.yaml'] })).rejects.toThrow(
      'Invalid config: config file nope.yaml (given with --config) does not exist',
    );
  });

  it('reports YAML syntax errors with file and line', async () => {
    const cwd = await dirWith({ 'app-config.yaml': 'app:\n  title: [unclosed\n' });
    await expect(loadConfig({ cwd, env: {} })).rejects.toThrow(
      /app-config\.yaml is not valid YAML at line \d+/,
    );
  });

  it('refuses a file whose top level is not a mapping', async () => {
    const cwd = await dirWith({ 'app-config.yaml': '- a\n- b\n' });
    await expect(loadConfig({ cwd, env: {} })).rejects.toThrow(
      'app-config.yaml must contain a YAML mapping of config keys at the top level (got a list)',
    );
  });

  it('lets a later null unset a key or a whole section (as Backstage), so defaults apply', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        'app: { title: Base, baseUrl: "http://a.example" }\ncatalog: { orphanStrategy: delete }\n',
      'app-config.local.yaml': 'app: { title: null }\ncatalog: # everything below commented out\n',
    });
    const { config, warnings } = await loadConfig({ cwd, env: {} });
    expect(warnings).toEqual([]);
    expect(config.app).toEqual({ title: 'Atrium', baseUrl: 'http://a.example' });
    expect(config.catalog.orphanStrategy).toBe('keep');
  });
});

describe('loadConfig: derived values', () => {
  it('derives backend.baseUrl from the port and app.baseUrl from backend.baseUrl', async () => {
    const cwd = await dirWith({ 'app-config.yaml': 'backend: { listen: { port: 8080 } }\n' });
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.backend.baseUrl).toBe('http://localhost:8080');
    expect(config.app.baseUrl).toBe('http://localhost:8080');
  });

  it('keeps http://localhost:7007 for port 0 and strips trailing slashes', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        'backend: { listen: { port: 0 } }\napp: { baseUrl: "http://portal.example.com/atrium/" }\n',
    });
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.backend.listen.port).toBe(0);
    expect(config.backend.baseUrl).toBe('http://localhost:7007');
    expect(config.app.baseUrl).toBe('http://portal.example.com/atrium');
  });

  it('derives backend.allowedHosts from the base URLs unless set, and checks its entries', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        'app: { baseUrl: "https://Portal.example.com/" }\nbackend: { baseUrl: "http://api.example.com:8080" }\n',
    });
    expect((await loadConfig({ cwd, env: {} })).config.backend.allowedHosts).toEqual([
      'portal.example.com',
      'api.example.com:8080',
    ]);
    const set = await dirWith({
      'app-config.yaml': 'backend: { allowedHosts: ["*", "*.example.com", "[::1]:7007"] }\n',
    });
    expect((await loadConfig({ cwd: set, env: {} })).config.backend.allowedHosts).toEqual([
      '*',
      '*.example.com',
      '[::1]:7007',
    ]);
    const bad = await dirWith({
      'app-config.yaml': 'backend: { allowedHosts: ["https://portal.example.com"] }\n',
    });
    await expect(loadConfig({ cwd: bad, env: {} })).rejects.toThrow(/backend\.allowedHosts\[0\]/);
  });

  it("accepts Backstage's string form of backend.listen", async () => {
    const cwd = await dirWith({ 'app-config.yaml': "backend: { listen: '0.0.0.0:7100' }\n" });
    expect((await loadConfig({ cwd, env: {} })).config.backend.listen).toEqual({
      host: '0.0.0.0',
      port: 7100,
    });
    const cwd2 = await dirWith({ 'app-config.yaml': "backend: { listen: ':7200' }\n" });
    expect((await loadConfig({ cwd: cwd2, env: {} })).config.backend.listen).toEqual({
      host: '127.0.0.1',
      port: 7200,
    });
  });

  it('normalizes database settings', async () => {
    const load = async (yaml: string) => {
      const cwd = await dirWith({ 'app-config.yaml': yaml, 'conf/x.yaml': yaml });
      return { cwd, ...(await loadConfig({ cwd, env: {} })) };
    };
    expect(
      (await load("backend: { database: { client: better-sqlite3, connection: ':memory:' } }\n"))
        .config.backend.database,
    ).toMatchObject({
      client: 'better-sqlite3',
      filename: ':memory:',
    });
    expect(
      (await load('backend: { database: { client: sqlite3, connection: { directory: ./db/ } } }\n'))
        .config.backend.database,
    ).toMatchObject({
      client: 'better-sqlite3',
      filename: './db/atrium.sqlite',
    });
    expect(
      (await load('backend: { database: { client: pg, connection: "postgres://u:p@h:5432/d" } }\n'))
        .config.backend.database,
    ).toEqual({
      client: 'pg',
      connection: 'postgres://u:p@h:5432/d',
    });
    expect(
      (
        await load(
          'backend: { database: { client: pg, connection: { host: h, port: "5433", user: u, password: p, ssl: require } } }\n',
        )
      ).config.backend.database,
    ).toEqual({
      client: 'pg',
      connection: { host: 'h', port: 5433, user: 'u', password: 'p', ssl: true },
    });
    const both = await load(
      'backend: { database: { connection: { filename: a.db, directory: d } } }\n',
    );
    expect(both.config.backend.database).toMatchObject({ filename: 'a.db' });
    expect(both.warnings).toEqual([
      'backend.database.connection.directory is ignored because filename is also set in app-config.yaml',
    ]);
  });

  it('records the config file directory as baseDir of the database and of each location', async () => {
    const cwd = await dirWith({
      'deploy/prod.yaml': `
backend:
  database:
    connection: { filename: ../state/atrium.sqlite }
catalog:
  locations:
    - { type: file, target: ../catalog/all.yaml }
    - { type: url, target: 'https://example.com/x.yaml' }
`,
      'deploy/more/extra.yaml': `
catalog:
  rules:
    - allow: [Component]
`,
    });
    const { config } = await loadConfig({
      cwd,
      env: {},
      configPaths: ['deploy/prod.yaml', 'deploy/more/extra.yaml'],
    });
    expect(config.catalog.locations).toEqual([
      { type: 'file', target: '../catalog/all.yaml', baseDir: join(cwd, 'deploy') },
      { type: 'url', target: 'https://example.com/x.yaml', baseDir: join(cwd, 'deploy') },
    ]);
    expect(config.backend.database).toEqual({
      client: 'better-sqlite3',
      filename: '../state/atrium.sqlite',
      baseDir: join(cwd, 'deploy'),
      readWorkers: 2,
    });
    expect(config.catalog.rules).toEqual([
      { allow: ['Component'], baseDir: join(cwd, 'deploy/more') },
    ]);
  });

  it('takes baseDir from the file that last set the locations list, and cwd for env-set lists', async () => {
    const cwd = await dirWith({
      'a/app.yaml': 'catalog: { locations: [ { type: file, target: one.yaml } ] }\n',
      'b/override.yaml': 'catalog: { locations: [ { type: file, target: two.yaml } ] }\n',
    });
    const { config } = await loadConfig({
      cwd,
      env: {},
      configPaths: ['a/app.yaml', 'b/override.yaml'],
    });
    expect(config.catalog.locations).toEqual([
      { type: 'file', target: 'two.yaml', baseDir: join(cwd, 'b') },
    ]);

    const fromEnv = await loadConfig({
      cwd,
      configPaths: ['a/app.yaml'],
      env: { APP_CONFIG_catalog_locations: '[{"type":"file","target":"three.yaml"}]' },
    });
    expect(fromEnv.config.catalog.locations).toEqual([
      { type: 'file', target: 'three.yaml', baseDir: cwd },
    ]);
  });
});

describe('loadConfig: APP_CONFIG_ environment variables', () => {
  it('sets nested keys, JSON-parsing values when possible, over every file', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        'app: { title: File }\nbackend: { listen: { port: 7000, host: 0.0.0.0 } }\n',
    });
    const { config } = await loadConfig({
      cwd,
      env: {
        APP_CONFIG_app_title: 'From env',
        APP_CONFIG_backend_listen_port: '9999',
        APP_CONFIG_catalog_readonly: 'true',
        APP_CONFIG_catalog_locationTypes: '["url"]',
        APP_CONFIG_app_baseUrl: '', // empty: skipped
        UNRELATED: 'x',
      },
    });
    expect(config.app.title).toBe('From env');
    expect(config.backend.listen).toEqual({ port: 9999, host: '0.0.0.0' });
    expect(config.catalog.readonly).toBe(true);
    expect(config.catalog.locationTypes).toEqual(['url']);
    expect(config.app.baseUrl).toBe('http://localhost:9999');
  });

  it('keeps a JSON-quoted string as a string', async () => {
    const cwd = await dirWith({});
    const { config } = await loadConfig({ cwd, env: { APP_CONFIG_app_title: '"42"' } });
    expect(config.app.title).toBe('42');
  });

  it('names the variable when its value is wrong', async () => {
    const cwd = await dirWith({ 'app-config.yaml': 'backend: { listen: { port: 7000 } }\n' });
    await expect(
      loadConfig({ cwd, env: { APP_CONFIG_backend_listen_port: 'abc' } }),
    ).rejects.toThrow(
      'Invalid config: backend.listen.port must be an integer between 0 and 65535 (got "abc") in environment variable APP_CONFIG_backend_listen_port',
    );
  });

  it('refuses null values, malformed names and clashing variables', async () => {
    const cwd = await dirWith({});
    await expect(loadConfig({ cwd, env: { APP_CONFIG_app_title: 'null' } })).rejects.toThrow(
      'may not be null',
    );
    await expect(loadConfig({ cwd, env: { APP_CONFIG_app__title: 'x' } })).rejects.toThrow(
      'is not a valid config key',
    );
    await expect(
      loadConfig({
        cwd,
        env: { APP_CONFIG_backend: '{"listen":{}}', APP_CONFIG_backend_listen_port: '1' },
      }),
    ).rejects.toThrow(
      'environment variables APP_CONFIG_backend and APP_CONFIG_backend_listen_port both set',
    );
  });

  it('reads process.env when no env is given', async () => {
    const cwd = await dirWith({});
    process.env.APP_CONFIG_app_title = 'Process env title';
    try {
      expect((await loadConfig({ cwd })).config.app.title).toBe('Process env title');
    } finally {
      delete process.env.APP_CONFIG_app_title;
    }
  });
});

/** The app-config.yaml that `npx @backstage/create-app` (0.9.x, default-app) generates, rendered. */
const CREATE_APP_CONFIG = `app:
  title: Scaffolded Backstage App
  baseUrl: http://localhost:3000

organization:
  name: My Company

backend:
  # auth:
  #   keys:
  #     - secret: \${BACKEND_SECRET}
  baseUrl: http://localhost:7007
  listen:
    port: 7007
    # host: 127.0.0.1
  csp:
    connect-src: ["'self'", 'http:', 'https:']
  cors:
    origin: http://localhost:3000
    methods: [GET, HEAD, PATCH, POST, PUT, DELETE]
    credentials: true
  database:
    client: better-sqlite3
    connection: ':memory:'

integrations:
  github:
    - host: github.com
      token: \${GITHUB_TOKEN}

proxy:
  ### Example for how to add a proxy endpoint for the frontend.
  # endpoints:
  #   '/test':
  #     target: 'https://example.com'

techdocs:
  builder: 'local' # Alternatives - 'external'
  generator:
    runIn: 'docker' # Alternatives - 'local'
  publisher:
    type: 'local' # Alternatives - 'googleGcs' or 'awsS3'.

auth:
  providers:
    guest: {}

scaffolder:
  # see https://backstage.io/docs/features/software-templates/configuration

catalog:
  import:
    entityFilename: catalog-info.yaml
    pullRequestBranchName: backstage-integration
  rules:
    - allow: [Component, System, API, Resource, Location]
  locations:
    # Local example data, file locations are relative to the backend process, typically \`packages/backend\`
    - type: file
      target: ../../examples/entities.yaml

    - type: file
      target: ../../examples/template/template.yaml
      rules:
        - allow: [Template]

    - type: file
      target: ../../examples/org.yaml
      rules:
        - allow: [User, Group]

kubernetes:
  # see https://backstage.io/docs/features/kubernetes/configuration

permission:
  # setting this to \`false\` will disable permissions
  enabled: true
`;

describe('loadConfig: configs written for Backstage', () => {
  it('loads the create-app default config with one warning per ignored key', async () => {
    const cwd = await dirWith({ 'packages/backend/app-config.yaml': CREATE_APP_CONFIG });
    const backendDir = join(cwd, 'packages/backend');
    const { config, warnings } = await loadConfig({ cwd: backendDir, env: {} });
    expect(config.app).toEqual({
      title: 'Scaffolded Backstage App',
      baseUrl: 'http://localhost:3000',
    });
    expect(config.backend.listen).toEqual({ host: '127.0.0.1', port: 7007 });
    expect(config.backend.database).toEqual({
      client: 'better-sqlite3',
      filename: ':memory:',
      baseDir: backendDir,
      readWorkers: 2,
    });
    expect(config.catalog.rules).toEqual([
      { allow: ['Component', 'System', 'API', 'Resource', 'Location'], baseDir: backendDir },
    ]);
    expect(config.catalog.locations).toEqual([
      { type: 'file', target: '../../examples/entities.yaml', baseDir: backendDir },
      {
        type: 'file',
        target: '../../examples/template/template.yaml',
        rules: [{ allow: ['Template'] }],
        baseDir: backendDir,
      },
      {
        type: 'file',
        target: '../../examples/org.yaml',
        rules: [{ allow: ['User', 'Group'] }],
        baseDir: backendDir,
      },
    ]);
    expect(config.permission.enabled).toBe(true);
    expect(config.auth.providers).toEqual({
      guest: { userEntityRef: 'user:default/guest', configured: true },
    });
    const unknown = (key: string) => `Unknown config key '${key}' (ignored) in app-config.yaml`;
    expect(warnings).toEqual([
      unknown('organization.name'),
      unknown('backend.csp.connect-src'),
      unknown('backend.cors.origin'),
      unknown('backend.cors.methods'),
      unknown('backend.cors.credentials'),
      unknown('techdocs.generator.runIn'),
      unknown('catalog.import.entityFilename'),
      unknown('catalog.import.pullRequestBranchName'),
    ]);
  });
});
