import { describe, expect, it } from 'vitest';
import { backstageVerdict } from './backstage-oracle.testkit.ts';
import type { Entity } from './entity.ts';
import { createKindRegistry } from './kind-registry.ts';
import { parsePath } from './path.ts';
import { REJECTED_ANNOTATION_URL, validateEntity } from './validate.ts';

const registry = createKindRegistry();

type Doc = Record<string, unknown>;

function component(metadata: Doc = {}, spec: Doc = {}, root: Doc = {}): Doc {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'svc', ...metadata },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a', ...spec },
    ...root,
  };
}

function entityOf(kind: string, spec: unknown, extra: Doc = {}): Doc {
  const doc: Doc = { apiVersion: 'backstage.io/v1alpha1', kind, metadata: { name: 'x' }, ...extra };
  if (spec !== undefined) doc.spec = spec;
  return doc;
}

const long = (n: number, c = 'a') => c.repeat(n);

/**
 * [label, document, expected verdict, path of an expected problem]. Each row is checked
 * against both the expected verdict and Backstage's own validators.
 */
const cases: Array<[string, unknown, boolean, string?]> = [
  // metadata.name
  ['name a_b.c-d', component({ name: 'a_b.c-d' }), true],
  ['name A_b.c-D', component({ name: 'A_b.c-D' }), true],
  ['name a..b', component({ name: 'a..b' }), true],
  ['name single char', component({ name: 'a' }), true],
  ['name 63 chars', component({ name: long(63) }), true],
  ['name 64 chars', component({ name: long(64) }), false, 'metadata.name'],
  ['name -ab', component({ name: '-ab' }), false, 'metadata.name'],
  ['name a_', component({ name: 'a_' }), false, 'metadata.name'],
  ['name abc-', component({ name: 'abc-' }), false, 'metadata.name'],
  ['name .abc', component({ name: '.abc' }), false, 'metadata.name'],
  ['name a b', component({ name: 'a b' }), false, 'metadata.name'],
  ['name a/b', component({ name: 'a/b' }), false, 'metadata.name'],
  ['name with umlaut', component({ name: 'bär' }), false, 'metadata.name'],
  ['name empty', component({ name: '' }), false, 'metadata.name'],
  ['name number', component({ name: 42 }), false, 'metadata.name'],
  ['name null', component({ name: null }), false, 'metadata.name'],
  // metadata.namespace
  ['namespace default', component({ namespace: 'default' }), true],
  ['namespace a--b', component({ namespace: 'a--b' }), true],
  ['namespace 63 chars', component({ namespace: long(63) }), true],
  ['namespace 64 chars', component({ namespace: long(64) }), false, 'metadata.namespace'],
  ['namespace Default', component({ namespace: 'Default' }), false, 'metadata.namespace'],
  ['namespace empty', component({ namespace: '' }), false, 'metadata.namespace'],
  ['namespace a_b', component({ namespace: 'a_b' }), false, 'metadata.namespace'],
  ['namespace a.b', component({ namespace: 'a.b' }), false, 'metadata.namespace'],
  ['namespace a-', component({ namespace: 'a-' }), false, 'metadata.namespace'],
  ['namespace null', component({ namespace: null }), false, 'metadata.namespace'],
  // tags
  [
    'tags c++ c# lang:java a:b x-y',
    component({ tags: ['c++', 'c#', 'lang:java', 'a:b', 'x-y'] }),
    true,
  ],
  ['tags empty list', component({ tags: [] }), true],
  ['tag Java', component({ tags: ['ok', 'Java'] }), false, 'metadata.tags[1]'],
  ['tag a--b', component({ tags: ['a--b'] }), false, 'metadata.tags[0]'],
  ['tag a_b', component({ tags: ['a_b'] }), false, 'metadata.tags[0]'],
  ['tag empty', component({ tags: [''] }), false, 'metadata.tags[0]'],
  ['tag 64 chars', component({ tags: [long(64)] }), false, 'metadata.tags[0]'],
  ['tag 63 chars', component({ tags: [long(63)] }), true],
  ['tag number', component({ tags: [1] }), false, 'metadata.tags[0]'],
  ['tags not a list', component({ tags: 'java' }), false, 'metadata.tags'],
  // labels
  ['label example.com/foo', component({ labels: { 'example.com/foo': 'bar' } }), true],
  ['label a.b.c/d', component({ labels: { 'a.b.c/d': 'A_b' } }), true],
  ['label empty value', component({ labels: { foo: '' } }), true],
  [
    'label Example.com/foo',
    component({ labels: { 'Example.com/foo': 'x' } }),
    false,
    'metadata.labels["Example.com/foo"]',
  ],
  ['label a/b/c', component({ labels: { 'a/b/c': 'x' } }), false, 'metadata.labels["a/b/c"]'],
  ['label /foo', component({ labels: { '/foo': 'x' } }), false, 'metadata.labels["/foo"]'],
  [
    'label example.com/',
    component({ labels: { 'example.com/': 'x' } }),
    false,
    'metadata.labels["example.com/"]',
  ],
  ['label key 64', component({ labels: { [long(64)]: 'x' } }), false],
  [
    'label prefix 253',
    component({ labels: { [`${long(63)}.${long(63)}.${long(63)}.${long(61)}/x`]: 'x' } }),
    true,
  ],
  [
    'label prefix 254',
    component({ labels: { [`${long(63)}.${long(63)}.${long(63)}.${long(62)}/x`]: 'x' } }),
    false,
  ],
  ['label value a b', component({ labels: { foo: 'a b' } }), false, 'metadata.labels.foo'],
  ['label value 64', component({ labels: { foo: long(64) } }), false, 'metadata.labels.foo'],
  ['label value number', component({ labels: { foo: 1 } }), false, 'metadata.labels.foo'],
  ['labels a list', component({ labels: ['a'] }), false, 'metadata.labels'],
  // annotations
  [
    'annotation backstage.io/techdocs-ref',
    component({ annotations: { 'backstage.io/techdocs-ref': 'dir:.' } }),
    true,
  ],
  [
    'annotation free text value',
    component({ annotations: { note: 'any text, with: spaces / and CAPS' } }),
    true,
  ],
  ['annotation empty value', component({ annotations: { note: '' } }), true],
  ['annotation long value', component({ annotations: { note: long(5000) } }), true],
  [
    'annotation value number',
    component({ annotations: { note: 1 } }),
    false,
    'metadata.annotations.note',
  ],
  [
    'annotation value null',
    component({ annotations: { note: null } }),
    false,
    'metadata.annotations.note',
  ],
  ['annotation key a/b/c', component({ annotations: { 'a/b/c': 'x' } }), false],
  ['annotation key Backstage.io/x', component({ annotations: { 'Backstage.io/x': 'x' } }), false],
  ['annotation key with space', component({ annotations: { 'my note': 'x' } }), false],
  // title, description, uid, etag, extra metadata
  ['title', component({ title: 'My Service' }), true],
  ['title blank', component({ title: ' ' }), true],
  ['title empty', component({ title: '' }), false, 'metadata.title'],
  ['title number', component({ title: 1 }), false, 'metadata.title'],
  ['description empty', component({ description: '' }), true],
  ['description null', component({ description: null }), false, 'metadata.description'],
  ['uid and etag', component({ uid: 'u', etag: 'e' }), true],
  ['uid empty', component({ uid: '' }), false, 'metadata.uid'],
  ['etag number', component({ etag: 1 }), false, 'metadata.etag'],
  ['unknown metadata keys', component({ custom: { nested: [1, 'x'] }, owner: 'x' }), true],
  // links
  ['link mailto', component({ links: [{ url: 'mailto:x@y.z' }] }), true],
  [
    'link full',
    component({ links: [{ url: 'https://x', title: 'T', icon: 'dashboard', type: 'ops' }] }),
    true,
  ],
  ['link blank type', component({ links: [{ url: 'https://x', type: ' ' }] }), true],
  [
    'link relative url',
    component({ links: [{ url: '/relative' }] }),
    false,
    'metadata.links[0].url',
  ],
  ['link without url', component({ links: [{ title: 'x' }] }), false, 'metadata.links[0].url'],
  [
    'link empty title',
    component({ links: [{ url: 'https://x', title: '' }] }),
    false,
    'metadata.links[0].title',
  ],
  [
    'link blank title',
    component({ links: [{ url: 'https://x', title: ' ' }] }),
    false,
    'metadata.links[0].title',
  ],
  [
    'link blank icon',
    component({ links: [{ url: 'https://x', icon: '  ' }] }),
    false,
    'metadata.links[0].icon',
  ],
  [
    'link empty type',
    component({ links: [{ url: 'https://x', type: '' }] }),
    false,
    'metadata.links[0].type',
  ],
  ['link as string', component({ links: ['https://x'] }), false, 'metadata.links[0]'],
  ['links an object', component({ links: { url: 'https://x' } }), false, 'metadata.links'],
  // envelope
  ['apiVersion v1beta1', component({}, {}, { apiVersion: 'backstage.io/v1beta1' }), true],
  ['apiVersion missing', component({}, {}, { apiVersion: undefined }), false, 'apiVersion'],
  ['apiVersion 1.0', component({}, {}, { apiVersion: '1.0' }), false, 'apiVersion'],
  ['apiVersion a/b/c', component({}, {}, { apiVersion: 'a/b/c' }), false, 'apiVersion'],
  ['apiVersion number', component({}, {}, { apiVersion: 1 }), false, 'apiVersion'],
  ['apiVersion foreign', component({}, {}, { apiVersion: 'example.com/v1' }), false, 'apiVersion'],
  ['kind missing', component({}, {}, { kind: undefined }), false, 'kind'],
  ['kind lowercase', component({}, {}, { kind: 'component' }), false, 'kind'],
  ['kind with dash', component({}, {}, { kind: 'My-Kind' }), false, 'kind'],
  ['kind unknown', component({}, {}, { kind: 'Service' }), false, 'kind'],
  ['metadata missing', component({}, {}, { metadata: undefined }), false, 'metadata'],
  ['metadata null', component({}, {}, { metadata: null }), false, 'metadata'],
  [
    'metadata without name',
    component({}, {}, { metadata: { namespace: 'x' } }),
    false,
    'metadata.name',
  ],
  ['relations in input', component({}, {}, { relations: [] }), false, 'relations'],
  ['status in input', component({}, {}, { status: {} }), false, 'status'],
  ['foreign root key', component({}, {}, { extra: 1 }), false, 'extra'],
  ['spec null', component({}, {}, { spec: null }), false, 'spec'],
  ['spec a list', component({}, {}, { spec: [] }), false, 'spec'],
  ['spec missing', component({}, {}, { spec: undefined }), false, 'spec'],
  ['not an object', 'apiVersion: x', false, ''],
  ['a list', [component()], false, ''],
  ['null', null, false, ''],
  // Component spec
  [
    'component with every field',
    component(
      {},
      {
        system: 's',
        subcomponentOf: 'c',
        providesApis: ['a'],
        consumesApis: ['b'],
        dependsOn: ['component:d', 'resource:db'],
        dependencyOf: ['component:e'],
      },
    ),
    true,
  ],
  ['component extra spec keys', component({}, { anything: { goes: [1] } }), true],
  ['component owner missing', component({}, { owner: undefined }), false, 'spec.owner'],
  ['component owner empty', component({}, { owner: '' }), false, 'spec.owner'],
  ['component owner number', component({}, { owner: 3 }), false, 'spec.owner'],
  ['component type missing', component({}, { type: undefined }), false, 'spec.type'],
  ['component lifecycle list', component({}, { lifecycle: ['x'] }), false, 'spec.lifecycle'],
  ['component system empty', component({}, { system: '' }), false, 'spec.system'],
  [
    'component providesApis string',
    component({}, { providesApis: 'a' }),
    false,
    'spec.providesApis',
  ],
  [
    'component providesApis empty item',
    component({}, { providesApis: ['a', ''] }),
    false,
    'spec.providesApis[1]',
  ],
  [
    'component dependsOn without kind',
    component({}, { dependsOn: ['foo'] }),
    false,
    'spec.dependsOn[0]',
  ],
  [
    'component dependencyOf without kind',
    component({}, { dependencyOf: ['component:a', 'foo'] }),
    false,
    'spec.dependencyOf[1]',
  ],
  ['component owner with empty part', component({}, { owner: 'group:' }), false, 'spec.owner'],
  ['component owner :x', component({}, { owner: ':x' }), false, 'spec.owner'],
  ['component owner any kind', component({}, { owner: 'component:x' }), true],
  [
    'component refs across namespaces',
    component({}, { owner: 'other/team', system: 'system:ns/s' }),
    true,
  ],
  // other kinds
  [
    'api',
    entityOf('API', { type: 'openapi', lifecycle: 'p', owner: 'o', definition: 'openapi: 3.0.0' }),
    true,
  ],
  [
    'api without definition',
    entityOf('API', { type: 'openapi', lifecycle: 'p', owner: 'o' }),
    false,
    'spec.definition',
  ],
  [
    'api definition object',
    entityOf('API', { type: 'openapi', lifecycle: 'p', owner: 'o', definition: { $text: './x' } }),
    false,
    'spec.definition',
  ],
  [
    'resource',
    entityOf('Resource', {
      type: 'database',
      owner: 'o',
      dependsOn: ['component:x'],
      dependencyOf: ['resource:y'],
    }),
    true,
  ],
  [
    'resource dependsOn bare',
    entityOf('Resource', { type: 'database', owner: 'o', dependsOn: ['x'] }),
    false,
    'spec.dependsOn[0]',
  ],
  ['resource without type', entityOf('Resource', { owner: 'o' }), false, 'spec.type'],
  ['system', entityOf('System', { owner: 'o', domain: 'd', type: 'product' }), true],
  ['system without owner', entityOf('System', { domain: 'd' }), false, 'spec.owner'],
  ['domain', entityOf('Domain', { owner: 'o', subdomainOf: 'd' }), true],
  ['domain type empty', entityOf('Domain', { owner: 'o', type: '' }), false, 'spec.type'],
  [
    'group',
    entityOf('Group', {
      type: 'team',
      children: [],
      parent: 'p',
      members: ['u'],
      profile: { displayName: 'G', email: 'g@x', picture: 'https://x' },
    }),
    true,
  ],
  ['group without children', entityOf('Group', { type: 'team' }), false, 'spec.children'],
  [
    'group profile email empty',
    entityOf('Group', { type: 'team', children: [], profile: { email: '' } }),
    false,
    'spec.profile.email',
  ],
  [
    'group profile a string',
    entityOf('Group', { type: 'team', children: [], profile: 'x' }),
    false,
    'spec.profile',
  ],
  ['user', entityOf('User', { memberOf: ['g'], profile: { displayName: 'U' } }), true],
  ['user empty memberOf', entityOf('User', { memberOf: [] }), true],
  ['user without memberOf', entityOf('User', { profile: {} }), false, 'spec.memberOf'],
  ['user without spec', entityOf('User', undefined), false, 'spec'],
  ['location empty spec', entityOf('Location', {}), true],
  [
    'location full',
    entityOf('Location', {
      type: 'url',
      target: 'https://x',
      targets: ['./a.yaml'],
      presence: 'optional',
    }),
    true,
  ],
  ['location presence maybe', entityOf('Location', { presence: 'maybe' }), false, 'spec.presence'],
  ['location without spec', entityOf('Location', undefined), false, 'spec'],
  ['location targets string', entityOf('Location', { targets: './a.yaml' }), false, 'spec.targets'],
];

describe('validateEntity agrees with Backstage', () => {
  it.each(cases)('%s', async (_label, doc, expected, path) => {
    const result = validateEntity(doc, registry);
    const backstage = await backstageVerdict(doc);
    expect(backstage.ok, `Backstage: ${backstage.error}`).toBe(expected);
    expect(result.problems.length === 0, JSON.stringify(result.problems, null, 2)).toBe(expected);
    expect(result.entity !== undefined).toBe(expected);
    if (path !== undefined) expect(result.problems.map((p) => p.path)).toContain(path);
    for (const problem of result.problems) {
      expect(problem.level).toBe('error');
      expect(problem.name).toBe('InputError');
      expect(typeof problem.path).toBe('string');
      expect(problem.message.length).toBeGreaterThan(10);
    }
  });
});

describe('Template (scaffolder.backstage.io/v1beta3)', () => {
  const template = (spec: Doc, apiVersion = 'scaffolder.backstage.io/v1beta3'): Doc => ({
    apiVersion,
    kind: 'Template',
    metadata: { name: 'tpl', title: 'Template' },
    spec: {
      type: 'service',
      steps: [{ id: 'fetch', action: 'fetch:template', input: { url: './x' } }],
      ...spec,
    },
  });
  it.each<[string, Doc, boolean, string?]>([
    ['minimal', template({}), true],
    [
      'parameters object',
      template({ parameters: { required: ['name'], properties: { name: { type: 'string' } } } }),
      true,
    ],
    [
      'parameters list',
      template({
        parameters: [{ title: 'a' }, { title: 'b', 'backstage:permissions': { tags: ['x'] } }],
      }),
      true,
    ],
    ['parameters string', template({ parameters: 'x' }), false, 'spec.parameters'],
    ['parameters list of strings', template({ parameters: ['x'] }), false, 'spec.parameters'],
    [
      'full',
      template({
        owner: 'user:guest',
        lifecycle: 'experimental',
        secrets: { schema: { type: 'object' } },
        presentation: { buttonLabels: { createButtonText: 'Go' } },
        EXPERIMENTAL_recovery: { EXPERIMENTAL_strategy: 'startOver' },
        formDecorators: [{ id: 'x', input: {} }],
        output: {
          links: [
            { title: 'Repo', url: 'https://x', if: '${{ true }}' },
            { entityRef: 'component:x' },
          ],
          text: [{ title: 'T', content: '**hi**' }],
          remoteUrl: '${{ steps.publish.output.remoteUrl }}',
        },
      }),
      true,
    ],
    ['without steps', template({ steps: undefined }), false, 'spec.steps'],
    ['step without action', template({ steps: [{ id: 'a' }] }), false, 'spec.steps[0].action'],
    ['step if boolean', template({ steps: [{ action: 'debug:log', if: false }] }), true],
    [
      'step if number',
      template({ steps: [{ action: 'debug:log', if: 1 }] }),
      false,
      'spec.steps[0].if',
    ],
    ['without type', template({ type: undefined }), false, 'spec.type'],
    ['output non-string value', template({ output: { foo: ['x'] } }), false, 'spec.output.foo'],
    [
      'output link empty url',
      template({ output: { links: [{ url: '' }] } }),
      false,
      'spec.output.links[0].url',
    ],
    ['owner empty', template({ owner: '' }), false, 'spec.owner'],
    ['old apiVersion', template({}, 'backstage.io/v1beta2'), false, 'apiVersion'],
  ])('%s', (_label, doc, expected, path) => {
    const result = validateEntity(doc, registry);
    expect(result.problems.length === 0, JSON.stringify(result.problems, null, 2)).toBe(expected);
    if (path !== undefined) expect(result.problems.map((p) => p.path)).toContain(path);
  });
});

describe('problems', () => {
  it('reports every problem in a document, with paths and actionable messages', () => {
    const result = validateEntity(
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: '-ab', namespace: 'Default', tags: ['ok', 'Java', 'c++'] },
        spec: { type: 'service', owner: 3, dependsOn: ['component:x', 'foo'] },
        relations: [],
      },
      registry,
    );
    expect(result.entity).toBeUndefined();
    expect(result.problems.map((p) => p.path)).toEqual([
      'relations',
      'metadata.name',
      'metadata.namespace',
      'metadata.tags[1]',
      'spec.lifecycle',
      'spec.owner',
      'spec.dependsOn[1]',
    ]);
    const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p.message]));
    expect(byPath.relations).toMatch(/^Unknown field relations/);
    expect(byPath['metadata.name']).toContain(
      '"metadata.name" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total but found "-ab"',
    );
    expect(byPath['metadata.name']).toContain('start with a letter or digit');
    expect(byPath['metadata.namespace']).toContain('lowercase, e.g. "default"');
    expect(byPath['metadata.tags[1]']).toContain('"java"');
    expect(byPath['spec.lifecycle']).toContain('"spec.lifecycle" is required for kind Component');
    expect(byPath['spec.owner']).toContain('must be a non-empty string but found the number 3');
    expect(byPath['spec.dependsOn[1]']).toContain('had missing or empty kind');
    expect(byPath['spec.dependsOn[1]']).toContain('"component:foo" or "resource:foo"');
  });

  it('refuses computed and foreign root fields with Backstage’s wording', () => {
    const result = validateEntity(
      component({}, {}, { relations: [], status: { items: [] }, specs: {} }),
      registry,
    );
    expect(result.problems.map((p) => [p.path, p.message.split(';')[0]])).toEqual([
      ['relations', 'Unknown field relations'],
      ['status', 'Unknown field status'],
      [
        'specs',
        'Malformed envelope, <root> must NOT have additional properties: found "specs", but the only allowed root fields are apiVersion, kind, metadata and spec (did you mean to put it under metadata or spec?)',
      ],
    ]);
  });

  it('names the valid kinds and apiVersions for a foreign kind or apiVersion', () => {
    const wrongCase = validateEntity(component({}, {}, { kind: 'component' }), registry);
    expect(wrongCase.problems).toHaveLength(1);
    expect(wrongCase.problems[0]?.path).toBe('kind');
    expect(wrongCase.problems[0]?.message).toContain(
      'No processor recognized the entity component:default/svc as valid, possibly caused by a foreign kind or apiVersion',
    );
    expect(wrongCase.problems[0]?.message).toContain('did you mean "Component"?');
    expect(wrongCase.problems[0]?.message).toContain(
      'known kinds are Component, API, Resource, System, Domain, Group, User, Location (apiVersion "backstage.io/v1alpha1" or "backstage.io/v1beta1"); Template (apiVersion "scaffolder.backstage.io/v1beta3")',
    );
    const wrongVersion = validateEntity(
      component({}, {}, { apiVersion: 'backstage.io/v1' }),
      registry,
    );
    expect(wrongVersion.problems[0]?.path).toBe('apiVersion');
    expect(wrongVersion.problems[0]?.message).toContain(
      'kind Component accepts apiVersion "backstage.io/v1alpha1" or "backstage.io/v1beta1" but found "backstage.io/v1"',
    );
  });

  it('quotes odd keys in paths so that they parse back', () => {
    const result = validateEntity(
      component({ labels: { 'Bad.io/x': 'v' }, annotations: { 'a b': 'x' } }),
      registry,
    );
    const paths = result.problems.map((p) => p.path);
    expect(paths).toEqual(['metadata.labels["Bad.io/x"]', 'metadata.annotations["a b"]']);
    expect(parsePath(paths[0] ?? '')).toEqual(['metadata', 'labels', 'Bad.io/x']);
    expect(result.problems[0]?.message).toContain('e.g. "bad.io/x"');
  });

  it('refuses values that are not JSON data, once per path', () => {
    const result = validateEntity(
      component({ annotations: { created: new Date('2020-01-01') } }, { count: Number.NaN }),
      registry,
    );
    expect(result.problems.map((p) => p.path)).toEqual([
      'metadata.annotations.created',
      'spec.count',
    ]);
    expect(result.problems[0]?.message).toMatch(
      /^"metadata.annotations.created" is a date, not plain JSON data; quote/,
    );
    expect(result.problems[1]?.message).toMatch(
      /^"spec.count" is NaN, which JSON cannot represent/,
    );
  });
});

describe('keys that differ only by case (COMPAT.md §1.5)', () => {
  it.each<[string, unknown, boolean, string?]>([
    ['spec.Foo and spec.foo', component({}, { Foo: 1, foo: 2 }), false, 'spec.foo'],
    [
      'label App and app',
      component({ labels: { App: 'x', app: 'y' } }),
      false,
      'metadata.labels.app',
    ],
    [
      'keys across list items',
      component({}, { items: [{ a: 1 }, { A: 2 }] }),
      false,
      'spec.items[1].A',
    ],
    ['string item and key in one list', component({}, { a: ['B', { b: 1 }] }), false],
    ['dotted key and nested keys', component({}, { 'a.B': 1, a: { b: 2 } }), false],
    ['case variants with different leaves', component({}, { Foo: { x: 1 }, foo: { y: 1 } }), true],
    ['case variants without leaves', component({}, { Foo: {}, foo: 1 }), true],
    [
      'list items differing by case',
      entityOf('Location', { targets: ['./A.yaml', './a.yaml'] }),
      true,
    ],
    ['metadata.Name beside metadata.name', component({ Name: 'x' }), true],
    ['same word, different places', component({ labels: { owner: 'x' } }, { Owner2: 'x' }), true],
  ])('%s', (_label, doc, expected, path) => {
    const result = validateEntity(doc, registry);
    expect(result.problems.length === 0, JSON.stringify(result.problems)).toBe(expected);
    if (!expected) {
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]?.message).toContain('duplicate keys that vary only in casing');
    }
    if (path !== undefined) expect(result.problems[0]?.path).toBe(path);
  });
});

describe('normalized entity', () => {
  it('is a deep copy with the namespace defaulted first in metadata', () => {
    const input = component({ tags: ['a'] }, { anything: { nested: [1] } });
    const { entity } = validateEntity(input, registry);
    expect(entity).toBeDefined();
    expect(Object.keys(entity?.metadata ?? {})).toEqual(['namespace', 'name', 'tags']);
    expect(entity?.metadata.namespace).toBe('default');
    (entity?.spec?.anything as { nested: number[] } | undefined)?.nested.push(2);
    expect(entity?.spec?.anything).toEqual({ nested: [1, 2] });
    expect(input).toEqual(component({ tags: ['a'] }, { anything: { nested: [1] } }));
  });

  it('keeps a given namespace', () => {
    const { entity } = validateEntity(component({ namespace: 'ns-1' }), registry);
    expect(entity?.metadata.namespace).toBe('ns-1');
  });

  it('sorts the arrays Backstage sorts, and only those', () => {
    const { entity } = validateEntity(
      component(
        {},
        {
          providesApis: ['b', 'a', 'C'],
          consumesApis: ['z', 'y'],
          dependsOn: ['resource:b', 'component:a'],
          dependencyOf: ['resource:y', 'component:x'],
          other: ['b', 'a'],
        },
      ),
      registry,
    );
    expect(entity?.spec).toMatchObject({
      providesApis: ['C', 'a', 'b'],
      consumesApis: ['y', 'z'],
      dependsOn: ['component:a', 'resource:b'],
      dependencyOf: ['component:x', 'resource:y'],
      other: ['b', 'a'],
    });
    const group = validateEntity(
      entityOf('Group', { type: 'team', children: ['c', 'b'], members: ['y', 'x'] }),
      registry,
    ).entity;
    expect(group?.spec).toEqual({ type: 'team', children: ['b', 'c'], members: ['x', 'y'] });
    const user = validateEntity(entityOf('User', { memberOf: ['b', 'a'] }), registry).entity;
    expect(user?.spec?.memberOf).toEqual(['a', 'b']);
    const location = validateEntity(entityOf('Location', { targets: ['b', 'a'] }), registry).entity;
    expect(location?.spec?.targets).toEqual(['b', 'a']);
  });

  it('replaces javascript: view-url and edit-url annotations', () => {
    const { entity, problems } = validateEntity(
      component({
        annotations: {
          'backstage.io/view-url': 'javascript:alert(1)',
          'backstage.io/edit-url': ' JavaScript:alert(1)',
          'backstage.io/source-location': 'url:https://x/',
          'example.com/link': 'javascript:kept',
        },
      }),
      registry,
    );
    expect(problems).toEqual([]);
    expect(entity?.metadata.annotations).toEqual({
      'backstage.io/view-url': REJECTED_ANNOTATION_URL,
      'backstage.io/edit-url': REJECTED_ANNOTATION_URL,
      'backstage.io/source-location': 'url:https://x/',
      'example.com/link': 'javascript:kept',
    });
    const safe = validateEntity(
      component({ annotations: { 'backstage.io/view-url': 'https://x/javascript:' } }),
      registry,
    ).entity as Entity;
    expect(safe.metadata.annotations?.['backstage.io/view-url']).toBe('https://x/javascript:');
  });

  it('keeps a __proto__ key as data', () => {
    const raw = JSON.parse(
      '{"apiVersion":"backstage.io/v1alpha1","kind":"Location","metadata":{"name":"x"},"spec":{"__proto__":{"polluted":true}}}',
    );
    const { entity } = validateEntity(raw, registry);
    expect(Object.keys(entity?.spec ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((entity?.spec as Record<string, unknown> | undefined)?.polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(entity?.spec ?? {}, '__proto__')?.value).toEqual({
      polluted: true,
    });
  });
});

describe('entity refs in spec fields agree with Backstage’s parser', () => {
  // Ref strings made of the characters that matter to the parser.
  const alphabet = ['a', 'B', ':', '/'];
  const refs: string[] = [];
  const grow = (prefix: string, depth: number) => {
    if (prefix) refs.push(prefix);
    if (depth === 0) return;
    for (const c of alphabet) grow(prefix + c, depth - 1);
  };
  grow('', 4);

  it(`for ${refs.length} strings in owner (default kind) and dependsOn (no default kind)`, async () => {
    for (const ref of refs) {
      for (const spec of [{ owner: ref }, { dependsOn: [ref] }]) {
        const doc = component({}, spec);
        const ours = validateEntity(doc, registry).problems.length === 0;
        const theirs = (await backstageVerdict(doc)).ok;
        expect(ours, `${JSON.stringify(spec)}`).toBe(theirs);
      }
    }
  });
});
