/**
 * Access-control tests: a real Atrium with the organisation catalog (users, groups with a parent
 * group, what each team owns), a policy file of the test's own, and the guest signed in as a
 * chosen user, so decisions are the real evaluator's on the real catalog.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { createApp } from '../../src/core/app.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger, type Logger } from '../../src/core/logger.ts';
import type { PluginDefinition } from '../../src/core/plugin-api.ts';
import { installedPlugins } from '../../src/plugins/index.ts';
import { ORG_CATALOG } from './auth.ts';
import { type Engine, freshDatabase, type TestServer } from './server.ts';

export { ALICE_OWNS, ORG_CATALOG } from './auth.ts';

/** Team members may unregister and refresh what they own; platform admins may do everything. */
export const POLICY_YAML = `roles:
  - name: platform-admins
    description: Run the portal
    members: [user:default/carol]
  - name: alpha-team
    members: [group:default/team-alpha]
rules:
  - name: team members may unregister what they own
    roles: [everyone]
    allow: [catalog.entity.delete, catalog.entity.refresh]
    when: { isEntityOwner: true }
  - name: platform admins may do everything
    roles: [platform-admins]
    allow: '*'
`;

export interface PolicyServer extends TestServer {
  policyFile: string;
  /** `${url}/api/permission` */
  api: string;
  /** fetch JSON against the server; returns status and parsed body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function startPolicyServer(options: {
  engine?: Engine;
  /** The policy file's text; absent: no policy file. */
  policy?: string;
  /** Who the guest is (default alice). */
  guest?: string;
  /** Other `permission` keys (rbac files, admins). */
  permission?: Record<string, unknown>;
  /** Extra files to write into the test folder first (name → text). */
  files?: Record<string, string>;
  /** More catalog documents, appended to the organisation's. */
  catalogYaml?: string;
  /** Plugins installed after the built-in ones. */
  extraPlugins?: PluginDefinition[];
  webRoot?: string;
  dir?: string;
  /** The server's logger (a test that reads the log passes one that keeps its lines). */
  logger?: Logger;
}): Promise<PolicyServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'atrium-permission-'));
  writeFileSync(join(dir, 'org.yaml'), ORG_CATALOG + (options.catalogYaml ?? ''));
  for (const [name, text] of Object.entries(options.files ?? {})) {
    writeFileSync(join(dir, name), text);
  }
  const policyFile = join(dir, 'policy.yaml');
  if (options.policy !== undefined) writeFileSync(policyFile, options.policy);
  const database = await freshDatabase(options.engine ?? 'sqlite', dir);
  const configFile = join(dir, 'app-config.yaml');
  writeFileSync(
    configFile,
    stringify({
      backend: { listen: { host: '127.0.0.1', port: 0 }, database: database.config },
      catalog: {
        refresh: { interval: false },
        locations: [{ type: 'file', target: join(dir, 'org.yaml') }],
      },
      techdocs: { buildOnStart: false },
      auth: { providers: { guest: { userEntityRef: options.guest ?? 'user:default/alice' } } },
      permission: {
        enabled: true,
        ...(options.policy !== undefined ? { policyFile } : {}),
        ...options.permission,
      },
    }),
  );
  const { config } = await loadConfig({ configPaths: [configFile], cwd: dir, env: {} });
  const app = await createApp({
    config,
    plugins: [...installedPlugins(), ...(options.extraPlugins ?? [])],
    cwd: dir,
    webRoot: options.webRoot,
    logger:
      options.logger ?? createLogger({ level: (process.env.LOG_LEVEL as 'debug') ?? 'error' }),
  });
  const url = await app.start();
  const api = `${url}/api/permission`;
  return {
    app,
    url,
    dir,
    policyFile,
    api,
    async call(method, path, body) {
      const response = await fetch(path.startsWith('http') ? path : `${api}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      await app.stop();
      await database.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Retries `check` until it passes or `ms` elapse (policy changes are polled about every second). */
export async function eventually(check: () => Promise<void>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 200));
    }
  }
}

/** The caller's decision on one permission (and resource), through POST /authorize. */
export async function decide(
  server: PolicyServer,
  permission: string,
  resourceRef?: string,
): Promise<{ result: string; reason?: { message: string; rule?: string; source?: string } }> {
  const { status, body } = await server.call('POST', '/authorize', {
    items: [{ permission, ...(resourceRef ? { resourceRef } : {}) }],
  });
  expect(status).toBe(200);
  return body.items[0];
}
