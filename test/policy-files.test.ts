import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KnownNames, knownNames } from '../src/core/permissions/conditions.ts';
import { formatProblem } from '../src/core/permissions/policy-model.ts';
import { parsePolicyYaml } from '../src/core/permissions/policy-yaml.ts';
import { hostRegistryRef } from '../src/core/host-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * The shipped policy examples against what a real Atrium declares: every permission and
 * resource type they name must be one that the installed plugins register.
 */
describe('policy examples against the permissions the plugins register', () => {
  let server: TestServer;
  let known: KnownNames;

  beforeAll(async () => {
    server = await startTestServer({});
    const registry = server.app.use(hostRegistryRef);
    known = knownNames(registry.permissions(), registry.resourceTypes().values());
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('examples/policy.yaml loads without a problem', () => {
    const file = new URL('../examples/policy.yaml', import.meta.url);
    const { policy, problems } = parsePolicyYaml(readFileSync(file, 'utf8'), file.pathname, known);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(policy.rules.length).toBeGreaterThan(3);
  });
});
