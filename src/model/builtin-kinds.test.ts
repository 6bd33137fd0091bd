import { describe, expect, it } from 'vitest';
import { COMPAT_REF_FIELDS } from './backstage-oracle.testkit.ts';
import { BUILTIN_KINDS, RELATION_TYPES } from './builtin-kinds.ts';

/** COMPAT.md §3.2: field → [relation on holder, reverse on target]. */
const RELATION_PAIRS: Record<string, [string, string]> = {
  owner: ['ownedBy', 'ownerOf'],
  subcomponentOf: ['partOf', 'hasPart'],
  providesApis: ['providesApi', 'apiProvidedBy'],
  consumesApis: ['consumesApi', 'apiConsumedBy'],
  dependsOn: ['dependsOn', 'dependencyOf'],
  dependencyOf: ['dependencyOf', 'dependsOn'],
  system: ['partOf', 'hasPart'],
  domain: ['partOf', 'hasPart'],
  subdomainOf: ['partOf', 'hasPart'],
  memberOf: ['memberOf', 'hasMember'],
  parent: ['childOf', 'parentOf'],
  children: ['parentOf', 'childOf'],
  members: ['hasMember', 'memberOf'],
};

describe('BUILTIN_KINDS', () => {
  it('has the nine kinds with their apiVersions', () => {
    expect(BUILTIN_KINDS.map((d) => [d.kind, d.apiVersions])).toEqual([
      ['Component', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['API', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['Resource', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['System', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['Domain', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['Group', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['User', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['Location', ['backstage.io/v1alpha1', 'backstage.io/v1beta1']],
      ['Template', ['scaffolder.backstage.io/v1beta3']],
    ]);
    expect(BUILTIN_KINDS.every((d) => d.specRequired)).toBe(true);
  });

  it('has exactly the ref fields of COMPAT.md §3.2', () => {
    for (const def of BUILTIN_KINDS) {
      const expected = (COMPAT_REF_FIELDS[def.kind] ?? []).map(([field, defaultKind]) => {
        const [relation, reverse] = RELATION_PAIRS[field] ?? [];
        return defaultKind === undefined
          ? { path: `spec.${field}`, relation, reverse }
          : { path: `spec.${field}`, defaultKind, relation, reverse };
      });
      expect(def.refFields, def.kind).toEqual(expected);
    }
  });

  it('sorts the arrays Backstage’s preprocessor sorts', () => {
    expect(Object.fromEntries(BUILTIN_KINDS.map((d) => [d.kind, d.sortedArrays ?? []]))).toEqual({
      Component: ['spec.providesApis', 'spec.consumesApis', 'spec.dependsOn', 'spec.dependencyOf'],
      API: [],
      Resource: ['spec.dependsOn', 'spec.dependencyOf'],
      System: [],
      Domain: [],
      Group: ['spec.children', 'spec.members'],
      User: ['spec.memberOf'],
      Location: [],
      Template: [],
    });
  });

  it('requires the spec fields of COMPAT.md §2 and allows others', () => {
    expect(Object.fromEntries(BUILTIN_KINDS.map((d) => [d.kind, d.specSchema.required]))).toEqual({
      Component: ['type', 'lifecycle', 'owner'],
      API: ['type', 'lifecycle', 'owner', 'definition'],
      Resource: ['type', 'owner'],
      System: ['owner'],
      Domain: ['owner'],
      Group: ['type', 'children'],
      User: ['memberOf'],
      Location: [],
      Template: ['type', 'steps'],
    });
    for (const def of BUILTIN_KINDS) expect(def.specSchema.additionalProperties).toBeUndefined();
  });

  it('is frozen', () => {
    expect(() => {
      (BUILTIN_KINDS[0] as { kind: string }).kind = 'X';
    }).toThrow();
    expect(() =>
      BUILTIN_KINDS[0]?.refFields.push({ path: 'spec.x', relation: 'a', reverse: 'b' }),
    ).toThrow();
  });

  it('exports the fourteen relation types', () => {
    expect([...RELATION_TYPES].sort()).toEqual([
      'apiConsumedBy',
      'apiProvidedBy',
      'childOf',
      'consumesApi',
      'dependencyOf',
      'dependsOn',
      'hasMember',
      'hasPart',
      'memberOf',
      'ownedBy',
      'ownerOf',
      'parentOf',
      'partOf',
      'providesApi',
    ]);
  });
});
