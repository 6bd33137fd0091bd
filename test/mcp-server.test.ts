/**
 * The MCP server at /api/mcp, driven by the protocol's own client (@modelcontextprotocol/sdk,
 * Streamable HTTP) over real HTTP, on each engine: a YAML policy gives two users different
 * rights and their personal access tokens see different tools and different entities; the
 * catalog is queried, a template dry-run and run and its log read, docs read; callers without
 * a token, with a revoked one or with a browser session are refused; malformed arguments get
 * an error naming the field; destructive tools are hidden unless enabled; every call is in the
 * audit log, secrets masked. The client checks every answer against the tool's output schema.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../src/plugins/auth/common/types.ts';
import { auditServiceRef } from '../src/plugins/audit/server/plugin.ts';
import { authServiceRef } from '../src/plugins/auth/server/plugin.ts';
import { scorecardsServiceRef } from '../src/plugins/scorecards/server/plugin.ts';
import { ORG_CATALOG } from './helpers/auth.ts';
import { ENGINES, type Engine, startTestServer, type TestServer } from './helpers/server.ts';

const STATIC_TOKEN = 'mcp-static-token-0123456789abcdef';
const SECRET = 'sekrit-value-5d1e9a7c';

/** team-alpha (alice) may run templates, register and unregister what it owns; team-beta (bob) reads only what it owns. */
const POLICY = `roles:
  - name: alpha
    members: [group:default/team-alpha]
  - name: beta
    members: [group:default/team-beta]
rules:
  - name: everyone manages their own personal access tokens
    roles: [everyone]
    allow: ['auth.token.*']
  - name: alpha may run templates and register locations
    roles: [alpha]
    allow:
      - scaffolder.task.create
      - scaffolder.task.read
      - scaffolder.template.dry-run
      - scaffolder.action.execute
      - catalog.location.create
  - name: alpha may unregister what it owns
    roles: [alpha]
    allow: [catalog.entity.delete]
    when: { isEntityOwner: true }
  - name: beta reads only what it owns
    roles: [beta]
    deny: [catalog.entity.read]
    when: { not: { isEntityOwner: true } }
`;

const EXTRA_CATALOG = `---
apiVersion: atrium.io/v1alpha1
kind: Scorecard
metadata: { name: basics, title: Basics }
spec:
  owner: team-alpha
  filter: { kind: Component, spec.type: service }
  levels: [Bronze, Silver]
  checks:
    - id: described
      title: Says what it does
      level: Bronze
      rule: { field: metadata.description, exists: true }
      howToFix: Add metadata.description.
    - id: documented
      title: Has docs
      level: Silver
      rule: { field: 'metadata.annotations["backstage.io/techdocs-ref"]', exists: true }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: alpha-docs
  description: Documented by Team Alpha
  annotations: { backstage.io/techdocs-ref: 'dir:./alpha-docs' }
spec: { type: website, lifecycle: production, owner: team-alpha }
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: hello-service
  title: Hello service
  description: Writes a README from a skeleton and says hello
  tags: [mcp]
spec:
  owner: team-alpha
  type: service
  parameters:
    - title: Service
      required: [name]
      properties:
        name: { type: string, pattern: '^[a-z][a-z0-9-]*$', description: The service name }
  secrets:
    schema:
      type: object
      properties:
        token: { type: string }
  steps:
    - id: fetch
      name: Fetch the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values: { name: '\${{ parameters.name }}' }
    - id: hello
      name: Say hello
      action: debug:log
      input: { message: 'Hello \${{ parameters.name }}' }
`;

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  // biome-ignore lint/suspicious/noExplicitAny: tool outputs, checked by the assertions
  structuredContent?: Record<string, any>;
};

function writeFixtures(dir: string): void {
  writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG + EXTRA_CATALOG);
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  mkdirSync(join(dir, 'skeleton'));
  writeFileSync(join(dir, 'skeleton', 'README.md'), '# ${{ values.name }}\n\nSaid hello.\n');
  mkdirSync(join(dir, 'alpha-docs', 'docs'), { recursive: true });
  writeFileSync(
    join(dir, 'alpha-docs', 'mkdocs.yml'),
    'site_name: Alpha docs\nnav:\n  - Home: index.md\n  - Deploying: deploy.md\n',
  );
  writeFileSync(
    join(dir, 'alpha-docs', 'docs', 'index.md'),
    '# Alpha\n\nThe alpha service answers questions.\n\n## Running it\n\nStart it with make run.\n',
  );
  writeFileSync(
    join(dir, 'alpha-docs', 'docs', 'deploy.md'),
    '# Deploying\n\nDeploy with the blue-green pipeline.\n',
  );
}

async function startServer(engine: Engine, dir: string, mcp: Record<string, unknown>) {
  return startTestServer({
    engine,
    dir,
    backend: {
      auth: {
        externalAccess: [{ type: 'static', options: { token: STATIC_TOKEN, subject: 'mcp-ci' } }],
      },
    },
    catalog: { locations: [{ type: 'file', target: join(dir, 'org.yaml') }] },
    extraConfig: {
      auth: { environment: 'production', providers: {} },
      permission: { enabled: true, policyFile: join(dir, 'policy.yaml') },
      mcp,
    },
  });
}

/** A signed-in browser: a session made by the auth plugin itself. */
async function sessionHeaders(server: TestServer, userEntityRef: string) {
  const { sessions } = server.app.use(authServiceRef);
  const session = await sessions.create({
    userEntityRef,
    provider: 'oidc',
    inCatalog: true,
    profile: {},
  });
  return {
    cookie: `${SESSION_COOKIE}=${session.token}; ${CSRF_COOKIE}=${session.csrfToken}`,
    [CSRF_HEADER]: session.csrfToken!,
  };
}

/** A personal access token of the user, made through the tokens API as Settings does. */
async function personalToken(
  server: TestServer,
  userEntityRef: string,
  scope: 'read' | 'full' = 'full',
): Promise<{ id: string; token: string; session: Record<string, string> }> {
  const session = await sessionHeaders(server, userEntityRef);
  const response = await fetch(`${server.url}/api/auth/tokens`, {
    method: 'POST',
    headers: { ...session, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `mcp ${scope} ${Math.random()}`, scope, expiresInDays: 1 }),
  });
  const body = (await response.json()) as { id: string; token: string };
  expect(response.status, JSON.stringify(body)).toBe(201);
  return { ...body, session };
}

async function connect(
  server: TestServer,
  headers: Record<string, string>,
): Promise<Client & { [Symbol.asyncDispose](): Promise<void> }> {
  const client = new Client({ name: 'atrium-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/api/mcp`), {
    requestInit: { headers },
  });
  await client.connect(transport);
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** The answer of a call that must succeed. */
async function ok(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await call(client, name, args);
  expect(result.isError, `${name}: ${result.content[0]?.text}`).toBeFalsy();
  expect(JSON.parse(result.content[0]!.text!)).toEqual(result.structuredContent);
  return result.structuredContent!;
}

/** The message of a call that must fail. */
async function failure(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await call(client, name, args);
  expect(result.isError, `${name} should fail`).toBe(true);
  return result.content[0]!.text!;
}

/** How a request the server refused failed: the HTTP status and the server's message. */
async function refusal(promise: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code?: number }).code, message: (error as Error).message };
  }
  throw new Error('The server did not refuse');
}

const names = (tools: Array<{ name: string }>) => tools.map((t) => t.name).sort();

/** What every signed-in caller may use: the policy's defaults let everyone read. */
const READ_TOOLS = [
  'get-catalog-entity',
  'get-entity-relations',
  'get-scorecard-results',
  'list-templates',
  'query-catalog-entities',
  'read-docs-page',
  'search',
  'validate-entity',
  'who-am-i',
];

describe.each(ENGINES)('MCP server (%s)', (engine) => {
  let dir: string;
  let server: TestServer;
  let alice: Client;
  let bob: Client;
  let aliceToken: { id: string; token: string; session: Record<string, string> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-mcp-'));
    writeFixtures(dir);
    server = await startServer(engine, dir, { destructiveTools: true });
    aliceToken = await personalToken(server, 'user:default/alice');
    alice = await connect(server, bearer(aliceToken.token));
    bob = await connect(server, bearer((await personalToken(server, 'user:default/bob')).token));
  }, 120_000);

  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists exactly the tools each caller may use, each with schemas and hints', async () => {
    const aliceTools = (await alice.listTools()).tools;
    expect(names(aliceTools)).toEqual(
      [
        ...READ_TOOLS,
        'dry-run-template',
        'execute-template',
        'get-scaffolder-task-logs',
        'register-entity',
        'unregister-entity',
      ].sort(),
    );
    expect(names((await bob.listTools()).tools)).toEqual(READ_TOOLS);
    // A read-only token of Alice's: only what reads.
    const readOnly = await personalToken(server, 'user:default/alice', 'read');
    await using reader = await connect(server, bearer(readOnly.token));
    expect(names((await reader.listTools()).tools)).toEqual(
      [...READ_TOOLS, 'get-scaffolder-task-logs'].sort(),
    );
    // A static token (external access) is a caller too, with the default read rights.
    await using ci = await connect(server, bearer(STATIC_TOKEN));
    expect(names((await ci.listTools()).tools)).toEqual(READ_TOOLS);
    expect(await ok(ci, 'who-am-i')).toMatchObject({
      userEntityRef: 'service:mcp-ci',
      credential: 'external',
    });

    for (const tool of aliceTools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      expect(tool.annotations, tool.name).toMatchObject({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
        idempotentHint: expect.any(Boolean),
      });
    }
    const byName = new Map(aliceTools.map((t) => [t.name, t]));
    expect(byName.get('unregister-entity')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get('query-catalog-entities')?.annotations?.readOnlyHint).toBe(true);
  });

  it('tells the caller who it is', async () => {
    const me = await ok(alice, 'who-am-i');
    expect(me).toMatchObject({
      userEntityRef: 'user:default/alice',
      credential: 'personal-token',
      scope: 'full',
      displayName: 'Alice Able',
      email: 'alice@example.com',
    });
    expect([...me.ownershipEntityRefs].sort()).toEqual([
      'group:default/engineering',
      'group:default/team-alpha',
      'user:default/alice',
    ]);
  });

  it('queries the catalog with the caller’s read rights, as the REST API answers', async () => {
    const args = { filter: ['kind=component'], fields: ['kind', 'metadata.name'], limit: 3 };
    const first = await ok(alice, 'query-catalog-entities', args);
    expect(first.totalItems).toBe(5);
    expect(first.items).toHaveLength(3);
    const second = await ok(alice, 'query-catalog-entities', {
      cursor: first.nextCursor,
      limit: 3,
    });
    const all = [...first.items, ...second.items].map((e) => e.metadata.name).sort();
    expect(all).toEqual([
      'alpha-api',
      'alpha-docs',
      'alpha-notebook',
      'beta-billing',
      'platform-handbook',
    ]);

    // Bob's policy hides what his groups (team-beta, engineering above it) do not own:
    // filtered inside the query, so the count is his too.
    const bobs = await ok(bob, 'query-catalog-entities', { ...args, limit: 20 });
    expect(bobs.totalItems).toBe(2);
    expect(bobs.items.map((e: { metadata: { name: string } }) => e.metadata.name).sort()).toEqual([
      'beta-billing',
      'platform-handbook',
    ]);

    // The same query through REST, with the same token: the same answer.
    const rest = await fetch(`${server.url}/api/catalog/entities/by-query`, {
      method: 'POST',
      headers: { ...bearer(aliceToken.token), 'content-type': 'application/json' },
      body: JSON.stringify({ query: { kind: 'component' }, fields: args.fields, limit: 3 }),
    });
    const restPage = (await rest.json()) as { items: unknown[]; totalItems: number };
    expect(restPage.totalItems).toBe(first.totalItems);
    expect(restPage.items).toEqual(first.items);

    const predicate = await ok(alice, 'query-catalog-entities', {
      query: {
        kind: 'component',
        'spec.type': 'service',
        'relations.ownedBy': { $in: ['group:default/team-alpha'] },
      },
      fields: ['metadata.name'],
    });
    expect(predicate.items).toEqual([{ metadata: { name: 'alpha-api' } }]);
    const text = await ok(alice, 'query-catalog-entities', {
      fullTextFilter: { term: 'handbook' },
      fields: ['metadata.name'],
    });
    expect(text.items).toEqual([{ metadata: { name: 'platform-handbook' } }]);
  });

  it('reads one entity and its relations, hiding what the caller may not read', async () => {
    const { entity } = await ok(alice, 'get-catalog-entity', {
      entityRef: 'component:default/alpha-api',
    });
    expect(entity.spec.owner).toBe('team-alpha');
    expect(await failure(bob, 'get-catalog-entity', { entityRef: 'component:alpha-api' })).toBe(
      'No entity component:default/alpha-api found',
    );
    const graph = await ok(alice, 'get-entity-relations', { entityRef: 'group:team-alpha' });
    expect(graph.root).toBe('group:default/team-alpha');
    expect(graph.edges).toContainEqual({
      source: 'component:default/alpha-api',
      type: 'ownedBy',
      target: 'group:default/team-alpha',
    });
    expect(graph.edges).toContainEqual({
      source: 'group:default/team-alpha',
      type: 'childOf',
      target: 'group:default/engineering',
    });
    expect(
      await failure(bob, 'get-entity-relations', { entityRef: 'group:default/team-alpha' }),
    ).toMatch(/^No entity with ref 'group:default\/team-alpha' found/);
  });

  it('searches the catalog and reads docs pages', async () => {
    const found = await ok(alice, 'search', { term: 'alpha', types: ['software-catalog'] });
    expect(found.results.map((r: { entityRef?: string }) => r.entityRef)).toContain(
      'component:default/alpha-api',
    );
    const none = await ok(bob, 'search', { term: 'alpha', types: ['software-catalog'] });
    expect(none.results).toEqual([]);
    expect(await failure(alice, 'search', { term: 'x', types: ['nope'] })).toMatch(
      /^arguments\.types: unknown search type 'nope'/,
    );

    const home = await ok(alice, 'read-docs-page', { entityRef: 'component:default/alpha-docs' });
    expect(home).toMatchObject({ siteName: 'Alpha docs', path: '', title: 'Home' });
    expect(home.text).toContain('The alpha service answers questions.');
    expect(home.sections).toEqual([{ title: 'Running it', anchor: 'running-it' }]);
    expect(home.pages).toEqual([
      { path: '', title: 'Home' },
      { path: 'deploy', title: 'Deploying' },
    ]);
    const page = await ok(alice, 'read-docs-page', {
      entityRef: 'component:alpha-docs',
      path: 'deploy',
    });
    expect(page.text).toContain('blue-green pipeline');
    expect(
      await failure(bob, 'read-docs-page', { entityRef: 'component:default/alpha-docs' }),
    ).toMatch(/^No entity named 'alpha-docs' found/);
  });

  it("reads an entity's scorecard results, as far as the caller may read", async () => {
    await server.app.use(scorecardsServiceRef).idle();
    const { items } = await ok(alice, 'get-scorecard-results', {
      entityRef: 'component:default/alpha-api',
    });
    expect(items).toEqual([
      expect.objectContaining({
        scorecard: {
          ref: 'scorecard:default/basics',
          title: 'Basics',
          levels: ['Bronze', 'Silver'],
        },
        level: 'Bronze',
        checks: [
          expect.objectContaining({ id: 'described', status: 'passed' }),
          expect.objectContaining({
            id: 'documented',
            status: 'failed',
            reason: expect.any(String),
          }),
        ],
      }),
    ]);
    // Bob may read beta-billing, but not the scorecard (team-alpha owns it).
    const bobs = await ok(bob, 'get-scorecard-results', {
      entityRef: 'component:default/beta-billing',
    });
    expect(bobs.items).toEqual([]);
    expect(
      await failure(bob, 'get-scorecard-results', { entityRef: 'component:default/alpha-api' }),
    ).toMatch(/^No entity named 'alpha-api' found/);
  });

  it('validates entities, naming the line and field of each problem', async () => {
    const result = await ok(alice, 'validate-entity', {
      yaml: 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: Not Valid!\nspec: { type: service, lifecycle: production, owner: team-alpha }\n',
    });
    expect(result.valid).toBe(false);
    expect(result.problems[0]).toMatchObject({ level: 'error', path: 'metadata.name', line: 4 });
    const good = await ok(alice, 'validate-entity', {
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'fine' },
        spec: { type: 'service', lifecycle: 'production', owner: 'team-alpha' },
      },
    });
    expect(good).toEqual({ valid: true, entities: ['component:default/fine'], problems: [] });
  });

  it('lists, dry-runs and runs a template, and reads the task log', async () => {
    const { items } = await ok(alice, 'list-templates');
    expect(items).toEqual([
      expect.objectContaining({
        entityRef: 'template:default/hello-service',
        title: 'Hello service',
        tags: ['mcp'],
        parameters: [expect.objectContaining({ required: ['name'] })],
      }),
    ]);
    // Bob may not read the template (team-alpha owns it): he has none.
    expect((await ok(bob, 'list-templates')).items).toEqual([]);

    const dry = await ok(alice, 'dry-run-template', {
      templateRef: 'hello-service',
      values: { name: 'demo' },
    });
    expect(dry.status).toBe('completed');
    expect(dry.files).toEqual([
      { path: 'README.md', executable: false, size: 20, text: '# demo\n\nSaid hello.\n' },
    ]);
    expect(dry.log.map((l: { message: string }) => l.message)).toContainEqual(
      expect.stringContaining('Hello demo'),
    );
    expect(
      await failure(alice, 'dry-run-template', {
        templateRef: 'hello-service',
        values: { name: 'Not A Name' },
      }),
    ).toMatch(/name must match pattern/);

    const run = await ok(alice, 'execute-template', {
      templateRef: 'template:default/hello-service',
      values: { name: 'real' },
      secrets: { token: SECRET },
    });
    expect(run).toMatchObject({ templateRef: 'template:default/hello-service', status: 'open' });
    const log = await ok(alice, 'get-scaffolder-task-logs', {
      taskId: run.taskId,
      waitSeconds: 30,
    });
    expect(log.status).toBe('completed');
    expect(log.createdBy).toBe('user:default/alice');
    expect(log.steps.map((s: { id: string }) => s.id)).toEqual(['fetch', 'hello']);
    expect(log.events.map((e: { message: string }) => e.message)).toContainEqual(
      expect.stringContaining('Hello real'),
    );
    const later = await ok(alice, 'get-scaffolder-task-logs', {
      taskId: run.taskId,
      after: log.lastEventId,
    });
    // After the last event only the completion is repeated, so a reader sees how it ended.
    expect(later.events.map((e: { type: string }) => e.type)).toEqual(['completion']);
    expect(await failure(alice, 'get-scaffolder-task-logs', { taskId: 'no-such-task' })).toBe(
      'Task with id no-such-task does not exist',
    );
  });

  it('registers and unregisters entities with the caller’s rights', async () => {
    const file = join(dir, 'extra.yaml');
    writeFileSync(
      file,
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: extra-thing }\nspec: { type: service, lifecycle: experimental, owner: user:alice }\n',
    );
    const dry = await ok(alice, 'register-entity', { type: 'file', target: file, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, exists: false });
    expect(dry.entities).toContain('component:default/extra-thing');
    const registered = await ok(alice, 'register-entity', { type: 'file', target: file });
    expect(registered.entities).toContain('component:default/extra-thing');
    expect(await failure(alice, 'register-entity', { type: 'file', target: file })).toMatch(
      /already exists/,
    );
    // Bob has no catalog.location.create: denied, and told why.
    expect(await failure(bob, 'register-entity', { type: 'file', target: file })).toMatch(
      /^You need catalog\.location\.create/,
    );

    // Alice may unregister only what she owns.
    expect(
      await failure(alice, 'unregister-entity', { entityRef: 'component:default/beta-billing' }),
    ).toMatch(/^You need catalog\.entity\.delete/);
    const gone = await ok(alice, 'unregister-entity', {
      entityRef: 'component:default/extra-thing',
    });
    expect(gone).toMatchObject({ entityRef: 'component:default/extra-thing', deleted: true });
    expect(
      await failure(alice, 'get-catalog-entity', { entityRef: 'component:default/extra-thing' }),
    ).toMatch(/^No entity/);
  });

  it('answers malformed arguments with an error naming the field, never a crash', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [
        'get-catalog-entity',
        {},
        /^Invalid arguments for tool get-catalog-entity: arguments\.entityRef is required$/,
      ],
      ['query-catalog-entities', { limit: 'ten' }, /arguments\.limit must be integer/],
      ['query-catalog-entities', { limit: 100_000 }, /arguments\.limit must be <= 500/],
      ['query-catalog-entities', { colour: 'red' }, /arguments\.colour is not allowed here/],
      [
        'query-catalog-entities',
        { query: { kind: { $regex: '.*' } } },
        /^arguments\.query\.kind: bad operator \$regex/,
      ],
      [
        'get-entity-relations',
        { entityRef: 'group:team-alpha', direction: 'up' },
        /arguments\.direction must be one of "both", "outgoing"/,
      ],
      [
        'get-catalog-entity',
        { entityRef: 'no-kind' },
        /^arguments\.entityRef: Entity reference "no-kind" had missing or empty kind/,
      ],
      [
        'get-scaffolder-task-logs',
        { taskId: 'x', waitSeconds: -1 },
        /arguments\.waitSeconds must be >= 0/,
      ],
      ['no-such-tool', {}, /^Unknown tool 'no-such-tool'/],
    ];
    for (const [tool, args, message] of cases) {
      expect(await failure(alice, tool, args), `${tool} ${JSON.stringify(args)}`).toMatch(message);
    }
    // The server still answers.
    expect((await ok(alice, 'who-am-i')).userEntityRef).toBe('user:default/alice');
  });

  it('refuses callers without a token, with a revoked one, or with a browser session', async () => {
    expect(await refusal(connect(server, {}))).toMatchObject({
      code: 401,
      message: expect.stringContaining('Sign in to use this API'),
    });
    const revoked = await personalToken(server, 'user:default/alice');
    await using before = await connect(server, bearer(revoked.token));
    expect((await ok(before, 'who-am-i')).userEntityRef).toBe('user:default/alice');
    const revoke = await fetch(`${server.url}/api/auth/tokens/${revoked.id}`, {
      method: 'DELETE',
      headers: revoked.session,
    });
    expect(revoke.status).toBe(204);
    expect(await refusal(before.listTools())).toMatchObject({
      code: 401,
      message: expect.stringMatching(/This personal access token .* was revoked at/),
    });
    expect(await refusal(connect(server, bearer(revoked.token)))).toMatchObject({ code: 401 });
    expect(await refusal(connect(server, revoked.session))).toMatchObject({
      code: 401,
      message: expect.stringMatching(/needs a bearer token.*a session cookie is not accepted/),
    });
  });

  it('records every tool call in the audit log, secrets masked', async () => {
    const audit = server.app.use(auditServiceRef);
    await audit.flush();
    const rows = await server.app.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'mcp.tool.call')
      .orderBy('time')
      .execute();
    const calls = rows.map((r) => ({
      actor: r.actor,
      tool: r.resource_ref,
      outcome: r.outcome,
      details: JSON.parse(r.details ?? '{}'),
    }));
    expect(calls).toContainEqual({
      actor: 'user:default/alice',
      tool: 'get-catalog-entity',
      outcome: 'success',
      details: {
        tool: 'get-catalog-entity',
        arguments: { entityRef: 'component:default/alpha-api' },
        ms: expect.any(Number),
      },
    });
    expect(calls).toContainEqual(
      expect.objectContaining({
        actor: 'user:default/bob',
        tool: 'register-entity',
        outcome: 'denied',
        details: expect.objectContaining({ error: expect.stringMatching(/^You need/) }),
      }),
    );
    expect(calls).toContainEqual(
      expect.objectContaining({
        tool: 'query-catalog-entities',
        outcome: 'failure',
        details: expect.objectContaining({ arguments: { limit: 'ten' } }),
      }),
    );
    const execute = calls.find((c) => c.tool === 'execute-template');
    expect(execute).toMatchObject({
      outcome: 'success',
      details: {
        arguments: { templateRef: 'template:default/hello-service', values: { name: 'real' } },
      },
    });
    const everything = JSON.stringify(
      await server.app.database.db.selectFrom('audit_events').selectAll().execute(),
    );
    expect(everything).not.toContain(SECRET);
    // The changes themselves are in the log as their REST routes record them.
    expect(rows.length).toBeGreaterThan(20);
    const changes = await server.app.database.db
      .selectFrom('audit_events')
      .select(['action', 'resource_ref', 'actor'])
      .where('action', 'in', ['catalog.entity.delete', 'scaffolder.task.create'])
      .execute();
    expect(changes).toContainEqual({
      action: 'catalog.entity.delete',
      resource_ref: 'component:default/extra-thing',
      actor: 'user:default/alice',
    });
  });
});

describe.each(ENGINES)('MCP server with destructive tools off (%s)', (engine) => {
  let dir: string;
  let server: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-mcp-safe-'));
    writeFixtures(dir);
    server = await startServer(engine, dir, {});
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hides and refuses destructive tools unless mcp.destructiveTools is true', async () => {
    const { token } = await personalToken(server, 'user:default/alice');
    await using alice = await connect(server, bearer(token));
    const tools = names((await alice.listTools()).tools);
    expect(tools).toContain('register-entity');
    expect(tools).toContain('dry-run-template');
    expect(tools).not.toContain('execute-template');
    expect(tools).not.toContain('unregister-entity');
    expect(
      await failure(alice, 'execute-template', {
        templateRef: 'hello-service',
        values: { name: 'x' },
      }),
    ).toBe(
      "The tool 'execute-template' is destructive, and destructive tools are off on this server (mcp.destructiveTools: false)",
    );
    expect(
      await failure(alice, 'unregister-entity', { entityRef: 'component:alpha-notebook' }),
    ).toMatch(/destructive tools are off/);
    expect(
      (await ok(alice, 'get-catalog-entity', { entityRef: 'component:alpha-notebook' })).entity
        .metadata.name,
    ).toBe('alpha-notebook');
  });

  it('answers a plain JSON-RPC request without a handshake (stateless), as the README shows', async () => {
    const response = await fetch(`${server.url}/api/mcp`, {
      method: 'POST',
      headers: {
        ...bearer(STATIC_TOKEN),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { id: number; result: { tools: unknown[] } };
    expect(body.id).toBe(1);
    expect(names(body.result.tools as Array<{ name: string }>)).toEqual(READ_TOOLS);
    // A client that cannot read the answer's form is told so.
    const plain = await fetch(`${server.url}/api/mcp`, {
      method: 'POST',
      headers: { ...bearer(STATIC_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(plain.status).toBe(406);
  });

  it('answers 405 to GET, which a stateless server has no stream for', async () => {
    const { token } = await personalToken(server, 'user:default/bob');
    const response = await fetch(`${server.url}/api/mcp`, {
      headers: { ...bearer(token), accept: 'text/event-stream' },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});
