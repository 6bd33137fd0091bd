import { describe, expect, it } from 'vitest';
import type { Entity } from './entity.ts';
import { createKindRegistry } from './kind-registry.ts';
import { type DerivedRelation, deriveRelations, sortRelations } from './relations.ts';
import { validateEntity } from './validate.ts';

const registry = createKindRegistry();

function valid(doc: unknown): Entity {
  const { entity, problems } = validateEntity(doc, registry);
  expect(problems).toEqual([]);
  return entity as Entity;
}

const rel = (source: string, type: string, target: string): DerivedRelation => ({
  source,
  type,
  target,
});

describe('deriveRelations', () => {
  it('relates a Component in a non-default namespace, defaulting refs to its namespace', () => {
    const entity = valid({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'Web-Site', namespace: 'shop' },
      spec: {
        type: 'website',
        lifecycle: 'production',
        owner: 'Team-A',
        system: 'default/storefront',
        subcomponentOf: 'portal',
        providesApis: ['cart-api', 'api:other/Search-API'],
        consumesApis: ['user:x/odd-but-allowed'],
        dependsOn: ['resource:db', 'Component:default/Auth'],
        dependencyOf: ['component:frontend'],
      },
    });
    const self = 'component:shop/web-site';
    // Forward and reverse relation per ref, in field order; providesApis etc. are sorted by
    // validation, so 'api:other/Search-API' comes before 'cart-api'.
    expect(deriveRelations(entity, registry)).toEqual([
      rel(self, 'ownedBy', 'group:shop/team-a'),
      rel('group:shop/team-a', 'ownerOf', self),
      rel(self, 'partOf', 'component:shop/portal'),
      rel('component:shop/portal', 'hasPart', self),
      rel(self, 'providesApi', 'api:other/search-api'),
      rel('api:other/search-api', 'apiProvidedBy', self),
      rel(self, 'providesApi', 'api:shop/cart-api'),
      rel('api:shop/cart-api', 'apiProvidedBy', self),
      rel(self, 'consumesApi', 'user:x/odd-but-allowed'),
      rel('user:x/odd-but-allowed', 'apiConsumedBy', self),
      rel(self, 'dependsOn', 'component:default/auth'),
      rel('component:default/auth', 'dependencyOf', self),
      rel(self, 'dependsOn', 'resource:shop/db'),
      rel('resource:shop/db', 'dependencyOf', self),
      rel(self, 'dependencyOf', 'component:shop/frontend'),
      rel('component:shop/frontend', 'dependsOn', self),
      rel(self, 'partOf', 'system:default/storefront'),
      rel('system:default/storefront', 'hasPart', self),
    ]);
  });

  it('de-duplicates refs that differ only in spelling', () => {
    const entity = valid({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'parent' },
      spec: { type: 'team', children: ['child', 'group:child', 'Group:default/CHILD'] },
    });
    expect(deriveRelations(entity, registry)).toEqual([
      rel('group:default/parent', 'parentOf', 'group:default/child'),
      rel('group:default/child', 'childOf', 'group:default/parent'),
    ]);
  });

  it('gives a Group’s children and the child’s parent the same pair', () => {
    const parent = valid({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'org', namespace: 'acme' },
      spec: { type: 'org', children: ['team-a'], members: ['Jane'] },
    });
    const child = valid({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'team-a', namespace: 'acme' },
      spec: { type: 'team', parent: 'org', children: [] },
    });
    const fromParent = deriveRelations(parent, registry);
    const fromChild = deriveRelations(child, registry);
    expect(fromParent).toEqual([
      rel('group:acme/org', 'parentOf', 'group:acme/team-a'),
      rel('group:acme/team-a', 'childOf', 'group:acme/org'),
      rel('group:acme/org', 'hasMember', 'user:acme/jane'),
      rel('user:acme/jane', 'memberOf', 'group:acme/org'),
    ]);
    expect(fromChild).toEqual([
      rel('group:acme/team-a', 'childOf', 'group:acme/org'),
      rel('group:acme/org', 'parentOf', 'group:acme/team-a'),
    ]);
    const key = (r: DerivedRelation) => `${r.source} ${r.type} ${r.target}`;
    const union = new Set([...fromParent, ...fromChild].map(key));
    expect(union.size).toBe(4);
  });

  it('relates a User to its groups', () => {
    const user = valid({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'guest', namespace: 'development' },
      spec: { memberOf: ['group:default/team-a', 'devs'] },
    });
    expect(deriveRelations(user, registry)).toEqual([
      rel('user:development/guest', 'memberOf', 'group:development/devs'),
      rel('group:development/devs', 'hasMember', 'user:development/guest'),
      rel('user:development/guest', 'memberOf', 'group:default/team-a'),
      rel('group:default/team-a', 'hasMember', 'user:development/guest'),
    ]);
  });

  it.each<[string, Record<string, unknown>, DerivedRelation[]]>([
    [
      'API',
      { type: 'openapi', lifecycle: 'p', owner: 'user:jdoe', system: 's', definition: 'x' },
      [
        rel('api:default/x', 'ownedBy', 'user:default/jdoe'),
        rel('user:default/jdoe', 'ownerOf', 'api:default/x'),
        rel('api:default/x', 'partOf', 'system:default/s'),
        rel('system:default/s', 'hasPart', 'api:default/x'),
      ],
    ],
    [
      'Resource',
      {
        type: 'db',
        owner: 'o',
        dependsOn: ['resource:r'],
        dependencyOf: ['component:c'],
        system: 's',
      },
      [
        rel('resource:default/x', 'ownedBy', 'group:default/o'),
        rel('group:default/o', 'ownerOf', 'resource:default/x'),
        rel('resource:default/x', 'dependsOn', 'resource:default/r'),
        rel('resource:default/r', 'dependencyOf', 'resource:default/x'),
        rel('resource:default/x', 'dependencyOf', 'component:default/c'),
        rel('component:default/c', 'dependsOn', 'resource:default/x'),
        rel('resource:default/x', 'partOf', 'system:default/s'),
        rel('system:default/s', 'hasPart', 'resource:default/x'),
      ],
    ],
    [
      'System',
      { owner: 'o', domain: 'd' },
      [
        rel('system:default/x', 'ownedBy', 'group:default/o'),
        rel('group:default/o', 'ownerOf', 'system:default/x'),
        rel('system:default/x', 'partOf', 'domain:default/d'),
        rel('domain:default/d', 'hasPart', 'system:default/x'),
      ],
    ],
    [
      'Domain',
      { owner: 'o', subdomainOf: 'd' },
      [
        rel('domain:default/x', 'ownedBy', 'group:default/o'),
        rel('group:default/o', 'ownerOf', 'domain:default/x'),
        rel('domain:default/x', 'partOf', 'domain:default/d'),
        rel('domain:default/d', 'hasPart', 'domain:default/x'),
      ],
    ],
    ['Location', { targets: ['./a.yaml'] }, []],
  ])('relates a %s', (kind, spec, expected) => {
    const entity = valid({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: { name: 'x' },
      spec,
    });
    expect(deriveRelations(entity, registry)).toEqual(expected);
  });

  it('relates a Template to its owner', () => {
    const entity = valid({
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 't' },
      spec: { type: 'service', owner: 'user:guest', steps: [] },
    });
    expect(deriveRelations(entity, registry)).toEqual([
      rel('template:default/t', 'ownedBy', 'user:default/guest'),
      rel('user:default/guest', 'ownerOf', 'template:default/t'),
    ]);
  });

  it('derives nothing for a kind the registry does not know', () => {
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'AiResource',
      metadata: { name: 'x' },
      spec: { owner: 'o' },
    } as Entity;
    expect(deriveRelations(entity, registry)).toEqual([]);
  });

  it('uses custom kinds’ ref fields, nested paths included', () => {
    const custom = createKindRegistry([
      {
        kind: 'Service',
        apiVersions: ['example.com/v1'],
        specSchema: { type: 'object' },
        specRequired: false,
        refFields: [
          {
            path: 'spec.runtime.cluster',
            defaultKind: 'Resource',
            relation: 'runsOn',
            reverse: 'runs',
          },
        ],
      },
    ]);
    const entity = {
      apiVersion: 'example.com/v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'prod' },
      spec: { runtime: { cluster: 'k8s-1' } },
    } as Entity;
    expect(deriveRelations(entity, custom)).toEqual([
      rel('service:prod/svc', 'runsOn', 'resource:prod/k8s-1'),
      rel('resource:prod/k8s-1', 'runs', 'service:prod/svc'),
    ]);
  });
});

describe('sortRelations', () => {
  it('sorts by type then targetRef and removes duplicates', () => {
    expect(
      sortRelations([
        { type: 'partOf', targetRef: 'system:default/b' },
        { type: 'ownedBy', targetRef: 'group:default/z' },
        { type: 'partOf', targetRef: 'component:default/a' },
        { type: 'ownedBy', targetRef: 'group:default/z' },
        { type: 'dependsOn', targetRef: 'resource:default/db' },
        { type: 'dependencyOf', targetRef: 'component:default/x' },
      ]),
    ).toEqual([
      { type: 'dependencyOf', targetRef: 'component:default/x' },
      { type: 'dependsOn', targetRef: 'resource:default/db' },
      { type: 'ownedBy', targetRef: 'group:default/z' },
      { type: 'partOf', targetRef: 'component:default/a' },
      { type: 'partOf', targetRef: 'system:default/b' },
    ]);
  });

  it('keeps only type and targetRef and leaves its input alone', () => {
    const input = [
      { type: 'b', targetRef: 'x', target: { kind: 'k', namespace: 'n', name: 'x' } },
      { type: 'a', targetRef: 'y' },
    ];
    expect(sortRelations(input)).toEqual([
      { type: 'a', targetRef: 'y' },
      { type: 'b', targetRef: 'x' },
    ]);
    expect(input[0]?.type).toBe('b');
  });
});
