import { afterEach, describe, expect, it } from 'vitest';
import { apiPathOf } from '../src/plugins/scaffolder/server/actions/http/backstage-request.ts';
import {
  ALICE_OWNS,
  eventually,
  type PolicyServer,
  startPolicyServer,
} from './helpers/permission.ts';

interface AuditRow {
  action: string;
  actor: string;
  outcome: string;
}
import { ENGINES } from './helpers/server.ts';
import { scaffolderClient } from './scaffolder-helpers.ts';

/**
 * `http:backstage:request` calls the portal's own API as the person who started the task: the
 * same read filter, the same denials and the same audit trail as if they had called it.
 */

const TEMPLATE = `---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: call-the-portal }
spec:
  owner: team-alpha
  type: service
  parameters:
    - properties:
        uid: { type: string }
  steps:
    - id: mine
      name: List components
      action: http:backstage:request
      input:
        method: GET
        path: /catalog/entities
        params: { filter: kind=component, fields: metadata.name }
    - id: unregister
      name: Unregister another team's component
      action: http:backstage:request
      input:
        method: DELETE
        path: /api/catalog/entities/by-uid/\${{ parameters.uid }}
        headers: { authorization: Bearer stolen }
        continueOnBadResponse: true
    - id: validate
      name: Post JSON
      action: http:backstage:request
      input:
        method: POST
        path: /catalog/validate-entity
        body:
          location: url:https://example.com/catalog-info.yaml
          entity:
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata: { name: checked }
            spec: { type: service, lifecycle: production, owner: team-alpha }
  output:
    names: \${{ steps.mine.output.body }}
    code: \${{ steps.unregister.output.code }}
    denied: \${{ steps.unregister.output.body }}
    validated: \${{ steps.validate.output.code }}
`;

const POLICY = `rules:
  - name: everyone may run templates
    roles: [everyone]
    allow: [scaffolder.task.create, scaffolder.task.read, scaffolder.template.parameter.read, scaffolder.action.execute, catalog.location.read, audit.event.read]
  - name: people read what they own
    roles: [everyone]
    allow: [catalog.entity.read]
    when: { isEntityOwner: true }
  - name: templates are readable
    roles: [everyone]
    allow: [catalog.entity.read]
    when: { isEntityKind: [template] }
`;

const servers: PolicyServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

describe('apiPathOf', () => {
  it("maps Roadie's plugin-first path and an /api path to the same API path", () => {
    expect(apiPathOf('/catalog/entities?limit=1')).toBe('/api/catalog/entities?limit=1');
    expect(apiPathOf('catalog/entities')).toBe('/api/catalog/entities');
    expect(apiPathOf('/api/catalog/entities')).toBe('/api/catalog/entities');
  });

  it.each([
    'https://example.com/api/catalog',
    '//example.com/x',
    '/catalog/../../etc/passwd',
    '/catalog/%2e%2e/x',
    '/',
  ])('refuses %s', (path) => {
    expect(() => apiPathOf(path)).toThrow(/input\.path/);
  });
});

describe.each(ENGINES)('http:backstage:request (%s)', (engine) => {
  it("acts as the task's creator: their read filter, their denials, never a token from input", async () => {
    const server = await startPolicyServer({ engine, policy: POLICY, catalogYaml: TEMPLATE });
    servers.push(server);
    // An admin's view (the database) gives the uid of a component Alice does not own.
    const beta = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/beta-billing`,
    );
    expect(beta.status).toBe(404);
    const owned = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/alpha-api`,
    );
    const alphaUid = ((await owned.json()) as { metadata: { uid: string } }).metadata.uid;
    expect(alphaUid).toBeTruthy();
    const client = scaffolderClient(server.url);
    const id = await client.create('template:default/call-the-portal', { uid: alphaUid });
    const events = await client.finished(id);
    const completion = events.find((e) => e.type === 'completion')!;
    const logs = events.filter((e) => e.type === 'log').map((e) => String(e.body.message));
    expect(completion.body.message, logs.join('\n')).toBe('Run completed with status: completed');
    const output = completion.body.output as Record<string, unknown> | undefined;
    expect(output).toBeDefined();
    const names = (output!.names as { metadata: { name: string } }[]).map((e) => e.metadata.name);
    expect(names.sort()).toEqual([...ALICE_OWNS].sort());
    // Alice may not delete (no rule gives catalog.entity.delete): the answer is the API's 403,
    // and the bearer token written into the step's input was not used to get round it.
    expect(output!.code).toBe('403');
    expect(JSON.stringify(output!.denied)).toMatch(/catalog\.entity\.delete/);
    expect(logs.some((l) => /Header authorization is not sent/.test(l))).toBe(true);
    expect(logs.some((l) => l.includes('Sending DELETE /api/catalog/entities/by-uid/'))).toBe(true);
    expect(output!.validated).toBe('200');
    const still = await fetch(
      `${server.url}/api/catalog/entities/by-name/component/default/alpha-api`,
    );
    expect(still.status).toBe(200);

    // The denial is audited under Alice's name, as her own call would be (the recorder
    // writes in batches, so it may take a moment).
    await eventually(async () => {
      const audit = await fetch(`${server.url}/api/audit/events?limit=200`);
      expect(audit.status).toBe(200);
      const events = ((await audit.json()) as { items: AuditRow[] }).items;
      const deletion = events.find((e) => e.action.includes('delete') || e.outcome === 'denied');
      expect(
        deletion,
        JSON.stringify(events.map((e) => [e.action, e.actor, e.outcome])),
      ).toMatchObject({
        actor: 'user:default/alice',
        outcome: 'denied',
      });
    });
  });

  it('fails the step on a 4xx unless continueOnBadResponse, naming the status', async () => {
    const failing = TEMPLATE.replace('        continueOnBadResponse: true\n', '');
    const server = await startPolicyServer({ engine, policy: POLICY, catalogYaml: failing });
    servers.push(server);
    const client = scaffolderClient(server.url);
    const id = await client.create('template:default/call-the-portal', { uid: 'nope' });
    const events = await client.finished(id);
    const completion = events.find((e) => e.type === 'completion')!;
    expect(completion.body.message).toBe('Run completed with status: failed');
    expect((completion.body.error as { message: string }).message).toMatch(
      /^DELETE \/api\/catalog\/entities\/by-uid\/nope answered 403/,
    );
  });
});
