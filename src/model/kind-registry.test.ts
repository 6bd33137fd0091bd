import { describe, expect, it } from 'vitest';
import { BUILTIN_KINDS } from './builtin-kinds.ts';
import type { KindDefinition } from './kind-definition.ts';
import { createKindRegistry, KindDefinitionError, KindRegistry } from './kind-registry.ts';
import { validateEntity } from './validate.ts';

const service: KindDefinition = {
  kind: 'Service',
  apiVersions: ['example.com/v1', 'example.com/v2'],
  specSchema: {
    type: 'object',
    required: ['owner', 'tier'],
    properties: {
      owner: { type: 'string', minLength: 1 },
      tier: { type: 'integer', minimum: 1, maximum: 3, description: 'the support tier' },
      contact: { type: 'string', format: 'email' },
    },
    additionalProperties: false,
  },
  specRequired: true,
  refFields: [
    { path: 'spec.owner', defaultKind: 'Group', relation: 'ownedBy', reverse: 'ownerOf' },
  ],
  sortedArrays: [],
};

function errorOf(definitions: KindDefinition[]): KindDefinitionError {
  try {
    createKindRegistry(definitions);
  } catch (error) {
    expect(error).toBeInstanceOf(KindDefinitionError);
    return error as KindDefinitionError;
  }
  throw new Error('expected the registry to refuse the definitions');
}

describe('KindRegistry', () => {
  const registry = createKindRegistry([service]);

  it('looks kinds up case-sensitively by kind and apiVersion', () => {
    expect(registry.get('Component', 'backstage.io/v1alpha1')?.kind).toBe('Component');
    expect(registry.get('Component', 'backstage.io/v1beta1')?.kind).toBe('Component');
    expect(registry.get('Template', 'scaffolder.backstage.io/v1beta3')?.kind).toBe('Template');
    expect(registry.get('Template', 'backstage.io/v1alpha1')).toBeUndefined();
    expect(registry.get('component', 'backstage.io/v1alpha1')).toBeUndefined();
    expect(registry.get('Service', 'example.com/v2')).toBe(service);
    expect(registry.has('Service')).toBe(true);
    expect(registry.has('service')).toBe(false);
    expect(registry.kindIgnoringCase('SERVICE')).toBe('Service');
    expect(registry.apiVersionsOf('Service')).toEqual(['example.com/v1', 'example.com/v2']);
    expect(registry.apiVersionsOf('Nope')).toEqual([]);
  });

  it('lists built-ins first, then custom kinds', () => {
    expect(registry.list().map((d) => d.kind)).toEqual([
      ...BUILTIN_KINDS.map((d) => d.kind),
      'Service',
    ]);
    expect(registry.kinds()).toHaveLength(10);
    expect(createKindRegistry().list()).toHaveLength(9);
    expect(new KindRegistry([service]).kinds()).toEqual(['Service']);
  });

  it('validates custom kinds with their schema, formats included', () => {
    const doc = (spec: unknown, apiVersion = 'example.com/v1') => ({
      apiVersion,
      kind: 'Service',
      metadata: { name: 'svc' },
      spec,
    });
    expect(
      validateEntity(doc({ owner: 'team', tier: 2, contact: 'a@b.io' }), registry).problems,
    ).toEqual([]);
    expect(
      validateEntity(doc({ owner: 'team', tier: 2 }, 'example.com/v2'), registry).problems,
    ).toEqual([]);
    const bad = validateEntity(
      doc({ owner: 'team', tier: 7, contact: 'nope', extra: 1 }),
      registry,
    );
    expect(bad.problems.map((p) => [p.path, p.message])).toEqual([
      [
        'spec.extra',
        '"spec.extra" is not an allowed field; allowed fields are owner, tier, contact',
      ],
      [
        'spec.tier',
        '"spec.tier" must be <= 3 but found the number 7; it should be the support tier',
      ],
      ['spec.contact', '"spec.contact" must match format "email" but found "nope"'],
    ]);
    const missing = validateEntity(doc({ owner: 'team' }), registry);
    expect(missing.problems[0]?.message).toBe(
      '"spec.tier" is required for kind Service; expected an integer (the support tier)',
    );
    expect(validateEntity(doc(undefined), registry).problems[0]?.message).toBe(
      '"spec" is required for kind Service; it must have owner, tier',
    );
    const foreign = validateEntity(doc({ owner: 'team', tier: 1 }, 'example.com/v3'), registry);
    expect(foreign.problems[0]?.message).toContain(
      'kind Service accepts apiVersion "example.com/v1" or "example.com/v2" but found "example.com/v3"',
    );
  });

  it('accepts a kind without spec when the definition says so', () => {
    const loose = createKindRegistry([
      {
        kind: 'Note',
        apiVersions: ['notes/v1'],
        specSchema: { type: 'object' },
        specRequired: false,
        refFields: [],
      },
    ]);
    const doc = { apiVersion: 'notes/v1', kind: 'Note', metadata: { name: 'n' } };
    expect(validateEntity(doc, loose).problems).toEqual([]);
  });

  it('refuses malformed definitions, listing every defect', () => {
    const error = errorOf([
      { ...service, kind: 'my-kind' },
      { ...service, kind: 'Other', apiVersions: [] },
      { ...service, kind: 'Third', apiVersions: ['a/b/c'] },
      { ...service, kind: 'Fourth', specSchema: { type: 'strin' } },
      { ...service, kind: 'Fifth', specSchema: { type: 'object', requird: ['x'] } },
      {
        ...service,
        kind: 'Sixth',
        refFields: [{ path: 'owner', relation: 'ownedBy', reverse: 'owner of' }],
        sortedArrays: ['members'],
      },
      {
        ...service,
        kind: 'Seventh',
        refFields: [{ path: 'spec.', defaultKind: 'not-a-kind', relation: 'r', reverse: 's' }],
      },
    ]);
    expect(error.problems).toHaveLength(10);
    const text = error.message;
    expect(text).toContain('kind "my-kind": kind "my-kind" is not valid');
    expect(text).toContain('kind "Other": apiVersions must be a non-empty list');
    expect(text).toContain('kind "Third": apiVersion "a/b/c" is not valid');
    expect(text).toContain('kind "Fourth": specSchema is not a valid JSON Schema (draft-07)');
    expect(text).toContain(
      'kind "Fifth": specSchema is not a valid JSON Schema (draft-07): strict mode: unknown keyword: "requird"',
    );
    expect(text).toContain(
      'kind "Sixth": refFields[0]: path "owner" must be a dotted path starting with "spec."',
    );
    expect(text).toContain(
      'kind "Sixth": refFields[0]: reverse "owner of" must be a relation type',
    );
    expect(text).toContain(
      'kind "Sixth": sortedArrays entry "members" must be a dotted path starting with "spec."',
    );
    expect(text).toContain('kind "Seventh": refFields[0]: path "spec." must be a dotted path');
    expect(text).toContain(
      'kind "Seventh": refFields[0]: defaultKind "not-a-kind" is not a valid kind name',
    );
  });

  it('refuses a kind and apiVersion defined twice, built-ins included', () => {
    const error = errorOf([
      { ...service, kind: 'Component', apiVersions: ['backstage.io/v1alpha1', 'example.com/v1'] },
    ]);
    expect(error.problems).toEqual([
      'kind "Component": kind "Component" with apiVersion "backstage.io/v1alpha1" is already defined; each kind and apiVersion pair may be defined only once',
    ]);
    expect(() => createKindRegistry([service, service])).toThrow(
      '"Service" with apiVersion "example.com/v1" is already defined',
    );
  });

  it('accepts a built-in kind name under a new apiVersion', () => {
    const registry2 = createKindRegistry([
      { ...service, kind: 'Component', apiVersions: ['example.com/v1'] },
    ]);
    expect(registry2.apiVersionsOf('Component')).toEqual([
      'backstage.io/v1alpha1',
      'backstage.io/v1beta1',
      'example.com/v1',
    ]);
  });

  it('refuses kinds that differ from another only by case', () => {
    const error = errorOf([{ ...service, kind: 'COMPONENT' }]);
    expect(error.problems[0]).toContain('differs only by case from kind "Component"');
  });

  it('refuses definitions that are not objects', () => {
    const error = errorOf([null as unknown as KindDefinition]);
    expect(error.problems).toEqual(['kind definition #10: a kind definition must be an object']);
  });
});
