/**
 * A generated catalog for the graph tab's tests, with known shapes:
 *
 * - `hub-service` has 50 neighbours: it provides hub-api-0..3, consumes ext-api-00..11 and
 *   hub-api-0 (its own), depends on dep-0..5, lib-core and db-0..2; 11 clients depend on it
 *   and 11 consume one of its APIs; team-hub owns it and hub-system holds it. dep-k provides
 *   ext-api-0k (edges among the neighbours), and lib-core is also a subcomponent of
 *   hub-service (two relations between one pair). Its default graph has 51 nodes.
 * - Group `team-hub` (3 members) is a child of `org`, which has 40 members of its own.
 * - `mega-service` consumes mega-api-00..13, each consumed by 20 clients, and depends on
 *   mega-db-0..2: with its owner and system, 300 nodes at depth 2.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const pad = (n: number) => String(n).padStart(2, '0');

export const HUB = 'component:default/hub-service';
export const MEGA = 'component:default/mega-service';
export const ORG_MEMBERS = 40;

export function graphCatalog(): object[] {
  const docs: object[] = [];
  const add = (kind: string, name: string, spec: object, title?: string) =>
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: { name, ...(title ? { title } : {}) },
      spec,
    });

  add('Group', 'org', { type: 'organization', children: ['team-hub', 'team-other', 'team-mega'] });
  add('Group', 'team-hub', { type: 'team', parent: 'org', children: [] }, 'Hub Team');
  add('Group', 'team-other', { type: 'team', parent: 'org', children: [] });
  add('Group', 'team-mega', { type: 'team', parent: 'org', children: [] });
  for (let i = 0; i < ORG_MEMBERS; i++) add('User', `org-user-${pad(i)}`, { memberOf: ['org'] });
  for (let i = 0; i < 3; i++) add('User', `hub-dev-${i}`, { memberOf: ['team-hub'] });
  add('Domain', 'commerce', { owner: 'org' });
  add('System', 'hub-system', { owner: 'team-hub', domain: 'commerce' }, 'Hub System');
  add('System', 'other-system', { owner: 'team-other', domain: 'commerce' });
  add('System', 'mega-system', { owner: 'team-mega', domain: 'commerce' });

  const component = (name: string, spec: object, title?: string) =>
    add('Component', name, { type: 'service', lifecycle: 'production', ...spec }, title);
  const api = (name: string, owner: string, system?: string) =>
    add('API', name, {
      type: 'openapi',
      lifecycle: 'production',
      owner,
      ...(system ? { system } : {}),
      definition: 'openapi: 3.0.0',
    });

  component(
    'hub-service',
    {
      owner: 'team-hub',
      system: 'hub-system',
      providesApis: [0, 1, 2, 3].map((i) => `hub-api-${i}`),
      consumesApis: ['hub-api-0', ...Array.from({ length: 12 }, (_, i) => `ext-api-${pad(i)}`)],
      dependsOn: [
        ...Array.from({ length: 6 }, (_, i) => `component:dep-${i}`),
        'component:lib-core',
        ...[0, 1, 2].map((i) => `resource:db-${i}`),
      ],
    },
    'Hub Service',
  );
  for (let i = 0; i < 4; i++) api(`hub-api-${i}`, 'team-hub', 'hub-system');
  for (let i = 0; i < 12; i++) api(`ext-api-${pad(i)}`, 'team-other', 'other-system');
  for (let i = 0; i < 6; i++) {
    component(`dep-${i}`, {
      owner: 'team-other',
      system: 'other-system',
      providesApis: [`ext-api-${pad(i)}`],
    });
  }
  component(
    'lib-core',
    { owner: 'team-hub', subcomponentOf: 'hub-service', type: 'library' },
    'Core Library',
  );
  for (let i = 0; i < 3; i++) {
    add('Resource', `db-${i}`, { type: 'database', owner: 'team-other', system: 'other-system' });
  }
  for (let i = 0; i < 22; i++) {
    component(`client-${pad(i)}`, {
      owner: 'team-other',
      system: 'other-system',
      ...(i % 2 === 0
        ? { dependsOn: ['component:hub-service'] }
        : { consumesApis: [`hub-api-${i % 4}`] }),
    });
  }

  component('mega-service', {
    owner: 'team-mega',
    system: 'mega-system',
    consumesApis: Array.from({ length: 14 }, (_, i) => `mega-api-${pad(i)}`),
    dependsOn: [0, 1, 2].map((i) => `resource:mega-db-${i}`),
  });
  for (let i = 0; i < 3; i++) {
    add('Resource', `mega-db-${i}`, { type: 'database', owner: 'team-mega' });
  }
  for (let a = 0; a < 14; a++) {
    api(`mega-api-${pad(a)}`, 'team-mega');
    for (let c = 0; c < 20; c++) {
      component(`mega-client-${pad(a)}-${pad(c)}`, {
        owner: 'team-other',
        consumesApis: [`mega-api-${pad(a)}`],
      });
    }
  }
  return docs;
}

/** Writes the catalog to `dir/graph-catalog.yaml` and returns its path. */
export function writeGraphCatalog(dir: string): string {
  const file = join(dir, 'graph-catalog.yaml');
  writeFileSync(
    file,
    graphCatalog()
      .map((d) => stringify(d))
      .join('---\n'),
  );
  return file;
}
