import {
  parseEntityRef as bsParseEntityRef,
  parseLocationRef as bsParseLocationRef,
  stringifyEntityRef as bsStringifyEntityRef,
  stringifyLocationRef as bsStringifyLocationRef,
} from '@backstage/catalog-model';
import { describe, expect, it } from 'vitest';
import {
  getCompoundEntityRef,
  isScriptUrl,
  parseEntityRef,
  parseLocationRef,
  stringifyEntityRef,
  stringifyLocationRef,
} from './ref.ts';

/** The outcome of a call: its value, or the error class and message it threw. */
function outcome<T>(fn: () => T): { value: T } | { error: string } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

describe('parseEntityRef', () => {
  // COMPAT.md §3.1 table, defaults kind Group and namespace ns1.
  const context = { defaultKind: 'Group', defaultNamespace: 'ns1' };
  it.each([
    ['foo', { kind: 'Group', namespace: 'ns1', name: 'foo' }],
    ['default/foo', { kind: 'Group', namespace: 'default', name: 'foo' }],
    ['component:foo', { kind: 'component', namespace: 'ns1', name: 'foo' }],
    ['Component:Default/Foo', { kind: 'Component', namespace: 'Default', name: 'Foo' }],
    ['a/b:c', { kind: 'Group', namespace: 'a', name: 'b:c' }],
    ['k:ns/na/me', { kind: 'k', namespace: 'ns', name: 'na/me' }],
    ['a:b:c', { kind: 'a', namespace: 'ns1', name: 'b:c' }],
  ])('parses %j as in the COMPAT table', (ref, expected) => {
    expect(parseEntityRef(ref, context)).toEqual(expected);
  });

  it.each([':foo', 'foo/', '/a', 'k:/a', 'k:', 'k:ns/', ':', '/'])('rejects %j', (ref) => {
    expect(() => parseEntityRef(ref, context)).toThrow(
      `Entity reference "${ref}" was not on the form [<kind>:][<namespace>/]<name>`,
    );
    expect(() => parseEntityRef(ref, context)).toThrow(TypeError);
  });

  it('rejects a missing kind without a default kind, with Backstage’s message', () => {
    expect(() => parseEntityRef('foo')).toThrow(
      'Entity reference "foo" had missing or empty kind (e.g. did not start with "component:" or similar)',
    );
    expect(() => parseEntityRef({ name: 'foo' })).toThrow(
      'Entity reference {"name":"foo"} had missing or empty kind',
    );
  });

  it('defaults the namespace to "default"', () => {
    expect(parseEntityRef('component:foo')).toEqual({
      kind: 'component',
      namespace: 'default',
      name: 'foo',
    });
    expect(parseEntityRef({ kind: 'X', name: 'y' })).toEqual({
      kind: 'X',
      namespace: 'default',
      name: 'y',
    });
  });

  it('rejects an empty ref', () => {
    expect(() => parseEntityRef('')).toThrow('Entity reference must not be empty');
  });

  // Backstage as the oracle: same value or same error (class and message) for each input.
  const inputs = [
    'a',
    'a:b',
    'a/b',
    'a:b/c',
    'a/b/c',
    'a:b:c',
    'a/b:c',
    'a:b/c:d',
    'a:b/c/d',
    ':a',
    'a:',
    '/a',
    'a/',
    'a:/b',
    'a:b/',
    ':/',
    '::',
    '//',
    'a::b',
    'a//b',
    'Kind:NS/Name',
    ' a',
    'a b:c d/e f',
    '',
  ];
  const contexts = [
    undefined,
    { defaultKind: 'Group' },
    { defaultNamespace: 'other' },
    { defaultKind: 'API', defaultNamespace: 'x' },
    { defaultKind: '', defaultNamespace: '' },
  ];
  for (const ctx of contexts) {
    it(`agrees with Backstage for ${JSON.stringify(ctx)}`, () => {
      for (const input of inputs) {
        expect(
          outcome(() => parseEntityRef(input, ctx)),
          input,
        ).toEqual(outcome(() => bsParseEntityRef(input, ctx)));
      }
      const objects = [
        { name: 'n' },
        { kind: 'k', name: 'n' },
        { kind: 'k', namespace: 'ns', name: 'n' },
        { kind: '', namespace: 'ns', name: 'n' },
        { kind: 'k', namespace: '', name: 'n' },
        { kind: 'k', name: '' },
      ];
      for (const object of objects) {
        expect(
          outcome(() => parseEntityRef(object, ctx)),
          JSON.stringify(object),
        ).toEqual(outcome(() => bsParseEntityRef(object, ctx)));
      }
    });
  }
});

describe('stringifyEntityRef', () => {
  it('lowercases every part', () => {
    expect(stringifyEntityRef({ kind: 'Component', namespace: 'Default', name: 'Foo' })).toBe(
      'component:default/foo',
    );
  });

  it('takes an entity and defaults its namespace', () => {
    const entity = { apiVersion: 'v1', kind: 'Group', metadata: { name: 'Team-A' } };
    expect(stringifyEntityRef(entity)).toBe('group:default/team-a');
    expect(stringifyEntityRef({ ...entity, metadata: { name: 'X', namespace: 'NS' } })).toBe(
      'group:ns/x',
    );
    expect(getCompoundEntityRef(entity)).toEqual({
      kind: 'Group',
      namespace: 'default',
      name: 'Team-A',
    });
  });

  it('agrees with Backstage', () => {
    const cases = [
      { kind: 'A', namespace: 'B', name: 'C' },
      { kind: 'API', name: 'x.Y_z' },
      { kind: 'k', namespace: 'n', name: 'na/me:x' },
    ];
    for (const c of cases) expect(stringifyEntityRef(c)).toBe(bsStringifyEntityRef(c));
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'Foo', namespace: 'Bar' },
    };
    expect(stringifyEntityRef(entity)).toBe(bsStringifyEntityRef(entity));
  });
});

describe('location refs', () => {
  it('splits at the first colon and trims both parts', () => {
    expect(parseLocationRef('url:https://github.com/o/r/blob/main/catalog-info.yaml')).toEqual({
      type: 'url',
      target: 'https://github.com/o/r/blob/main/catalog-info.yaml',
    });
    expect(parseLocationRef(' file : /a:b/c.yaml ')).toEqual({
      type: 'file',
      target: '/a:b/c.yaml',
    });
  });

  it('rejects http(s) types and suggests the url: prefix', () => {
    expect(() => parseLocationRef('https://example.com/x.yaml')).toThrow(
      "Invalid location ref 'https://example.com/x.yaml', please prefix it with 'url:', e.g. 'url:https://example.com/x.yaml'",
    );
    expect(() => parseLocationRef('http://example.com/x.yaml')).toThrow("prefix it with 'url:'");
  });

  it('rejects javascript: targets, also disguised', () => {
    expect(() => parseLocationRef('url:javascript:alert(1)')).toThrow(
      'target is a javascript: URL',
    );
    expect(() => parseLocationRef('url:\u0001 JaVa\tScript:alert(1)')).toThrow('javascript:');
    expect(() => stringifyLocationRef({ type: 'url', target: 'javascript:x' })).toThrow(
      'javascript:',
    );
    expect(isScriptUrl('https://x/javascript:')).toBe(false);
    expect(isScriptUrl(' javascript:x')).toBe(true);
  });

  it.each(['', 'url', 'url:', ':x', ' : ', 'file: '])('rejects %j', (ref) => {
    expect(() => parseLocationRef(ref)).toThrow("expected '<type>:<target>'");
  });

  it('stringifies', () => {
    expect(stringifyLocationRef({ type: 'file', target: '/x.yaml' })).toBe('file:/x.yaml');
    expect(() => stringifyLocationRef({ type: '', target: 'x' })).toThrow('empty type');
    expect(() => stringifyLocationRef({ type: 'url', target: '' })).toThrow('empty target');
  });

  it('agrees with Backstage', () => {
    const inputs = [
      'url:https://a/b',
      'file:./x',
      'x:y:z',
      ' dir : . ',
      'http:x',
      'https:x',
      'HTTP:x',
      'url:javascript:x',
      'url:\tjavascript:x',
      'url:java\nscript:x',
      'url:',
      ':x',
      'nocolon',
      '',
    ];
    for (const input of inputs) {
      expect(
        outcome(() => parseLocationRef(input)),
        input,
      ).toEqual(outcome(() => bsParseLocationRef(input)));
    }
    const refs = [
      { type: 'url', target: 'https://x' },
      { type: '', target: 'x' },
      { type: 'x', target: '' },
      { type: 'url', target: 'javascript:1' },
    ];
    for (const ref of refs) {
      expect(outcome(() => stringifyLocationRef(ref))).toEqual(
        outcome(() => bsStringifyLocationRef(ref)),
      );
    }
  });
});
