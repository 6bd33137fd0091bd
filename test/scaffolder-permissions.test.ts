import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINES } from './helpers/server.ts';
import { type PolicyServer, startPolicyServer } from './helpers/permission.ts';
import { scaffolderClient } from './scaffolder-helpers.ts';

/**
 * A template's steps run with the permissions of the person who started the task: each step
 * asks scaffolder.action.execute on its action (conditions may name the action id), and
 * catalog:register asks catalog.location.create, as the same call through the API would.
 */

const TEMPLATE = `---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: two-steps }
spec:
  owner: team-alpha
  type: service
  steps:
    - id: log
      name: Say hello
      action: debug:log
      input: { message: hello }
    - id: register
      name: Register
      action: catalog:register
      input: { catalogInfoUrl: 'http://127.0.0.1:9/catalog-info.yaml' }
`;

const RUN_TEMPLATES = `  - name: everyone may run templates
    roles: [everyone]
    allow: [scaffolder.task.create, scaffolder.task.read, scaffolder.template.parameter.read]
`;

const servers: PolicyServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.app.stop();
    rmSync(server.dir, { recursive: true, force: true });
  }
});

async function failedStep(policy: string, engine: (typeof ENGINES)[number]) {
  const server = await startPolicyServer({ engine, policy, catalogYaml: TEMPLATE });
  servers.push(server);
  const client = scaffolderClient(server.url);
  const id = await client.create('template:default/two-steps', {});
  const events = await client.finished(id);
  const completion = events.find((e) => e.type === 'completion')!;
  const logs = events.filter((e) => e.type === 'log').map((e) => String(e.body.message));
  return { completion, logs };
}

describe.each(ENGINES)('template steps under access control (%s)', (engine) => {
  it('stops at a step whose action the creator may not execute, saying why', async () => {
    const { completion, logs } = await failedStep(
      `rules:
${RUN_TEMPLATES}  - name: only logging actions
    roles: [everyone]
    allow: [scaffolder.action.execute]
    when: { rule: HAS_ACTION_ID, resourceType: scaffolder-action, params: { actionId: 'debug:log' } }
`,
      engine,
    );
    expect(completion.body.message).toBe('Run completed with status: failed');
    expect(logs.some((line) => line.includes('hello'))).toBe(true);
    expect((completion.body.error as { message: string }).message).toBe(
      "You need scaffolder.action.execute: the rule 'only logging actions' did not match because this step does not run debug:log",
    );
  });

  it('holds a dry run to the same rules: its steps run as its caller', async () => {
    const server = await startPolicyServer({
      engine,
      policy: `rules:
${RUN_TEMPLATES}  - name: everyone may dry-run
    roles: [everyone]
    allow: [scaffolder.template.dry-run]
  - name: only logging actions
    roles: [everyone]
    allow: [scaffolder.action.execute]
    when: { rule: HAS_ACTION_ID, resourceType: scaffolder-action, params: { actionId: 'debug:log' } }
`,
    });
    servers.push(server);
    const template = parse(TEMPLATE);
    const r = await server.call('POST', `${server.url}/api/scaffolder/v2/dry-run`, {
      template,
      values: {},
      directoryContents: [],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('failed');
    expect(r.body.error.message).toBe(
      "You need scaffolder.action.execute: the rule 'only logging actions' did not match because this step does not run debug:log",
    );
  });

  it('lets catalog:register register only for a creator who may create locations', async () => {
    const { completion } = await failedStep(
      `rules:
${RUN_TEMPLATES}  - name: every action
    roles: [everyone]
    allow: [scaffolder.action.execute]
`,
      engine,
    );
    expect(completion.body.message).toBe('Run completed with status: failed');
    expect((completion.body.error as { message: string }).message).toMatch(
      /^You need catalog.location.create: no rule gives it to you/,
    );
  });
});
