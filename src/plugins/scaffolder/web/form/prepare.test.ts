import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../../model/entity.ts';
import { pagesOfTemplate, preparePage, secretNamesOf, splitSecrets } from './prepare.ts';

describe('preparePage', () => {
  it("moves ui: keys into a uiSchema shaped like rjsf's, through nesting and conditionals", () => {
    const page = {
      title: 'About',
      schema: {
        title: 'About',
        description: 'Shown by the stepper',
        required: ['name'],
        'ui:order': ['owner', '*'],
        properties: {
          name: { type: 'string', 'ui:autofocus': true, 'ui:help': 'lower case' },
          owner: {
            type: 'string',
            'ui:field': 'OwnerPicker',
            'ui:options': { catalogFilter: { kind: 'Group' }, enableMarkdownInDescription: true },
          },
          repo: {
            type: 'object',
            properties: { host: { type: 'string', 'ui:widget': 'select' } },
          },
          tags: { type: 'array', items: { type: 'string', 'ui:placeholder': 'tag' } },
          mode: { type: 'string', enum: ['a', 'b'] },
        },
        dependencies: {
          mode: {
            oneOf: [
              {
                properties: {
                  mode: { const: 'a' },
                  extra: { type: 'string', 'ui:widget': 'textarea' },
                },
              },
            ],
          },
        },
      },
    } as { title: string; schema: JsonObject };
    const prepared = preparePage(page);
    expect(prepared.title).toBe('About');
    expect(prepared.description).toBe('Shown by the stepper');
    expect(prepared.uiSchema).toEqual({
      'ui:order': ['owner', '*'],
      name: { 'ui:autofocus': true, 'ui:help': 'lower case' },
      owner: { 'ui:field': 'OwnerPicker', 'ui:options': { catalogFilter: { kind: 'Group' } } },
      repo: { host: { 'ui:widget': 'select' } },
      tags: { items: { 'ui:placeholder': 'tag' } },
      mode: {},
      extra: { 'ui:widget': 'textarea' },
    });
    expect(JSON.stringify(prepared.schema)).not.toContain('ui:');
    expect(prepared.schema.title).toBeUndefined();
    expect(prepared.schema.type).toBe('object');
    expect(prepared.fields).toEqual(['name', 'owner', 'repo', 'tags', 'mode', 'extra']);
    // the input is not changed
    expect((page.schema.properties as JsonObject).name).toHaveProperty('ui:autofocus');
  });

  it('takes a template `if` as the page condition, keeping JSON Schema if/then', () => {
    const conditional = preparePage({
      schema: {
        if: '${{ parameters.cloud === "AWS" }}',
        properties: { region: { type: 'string' } },
      },
    });
    expect(conditional.condition).toBe('${{ parameters.cloud === "AWS" }}');
    expect(conditional.schema.if).toBeUndefined();
    expect(conditional.title).toBe('Please enter the following information');
    const schemaIf = preparePage({
      schema: {
        if: { properties: { a: { const: 1 } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
        then: { required: ['b'] },
      },
    });
    expect(schemaIf.condition).toBeUndefined();
    expect(schemaIf.schema.if).toEqual({ properties: { a: { const: 1 } } });
  });

  it('finds secret fields: password widgets, Secret fields, and spec.secrets names', () => {
    const prepared = preparePage(
      {
        schema: {
          properties: {
            token: { type: 'string', 'ui:widget': 'password' },
            key: { type: 'string', 'ui:field': 'Secret' },
            pat: { type: 'string' },
            name: { type: 'string' },
          },
        },
      },
      ['pat'],
    );
    expect(prepared.secretFields).toEqual(['token', 'key', 'pat']);
    // Backstage's Secret field is rendered as a password input
    expect(prepared.uiSchema.key).toEqual({ 'ui:widget': 'password' });
  });
});

describe('template helpers', () => {
  it('reads the pages of spec.parameters as a list or a single object', () => {
    const one = { spec: { parameters: { title: 'Only', properties: {} } } };
    expect(pagesOfTemplate(one).map((p) => p.title)).toEqual(['Only']);
    const two = { spec: { parameters: [{ title: 'A' }, { title: 'B' }, 'junk'] } };
    expect(pagesOfTemplate(two as never).map((p) => p.title)).toEqual(['A', 'B']);
    expect(pagesOfTemplate({})).toEqual([]);
  });

  it('reads the names in spec.secrets.schema', () => {
    expect(
      secretNamesOf({
        spec: { secrets: { schema: { required: ['a'], properties: { b: { type: 'string' } } } } },
      }).sort(),
    ).toEqual(['a', 'b']);
    expect(secretNamesOf(undefined)).toEqual([]);
  });

  it('sends secrets only in `secrets`, masked to the same length in `values`', () => {
    const { values, secrets } = splitSecrets({ name: 'x', token: 'hunter2', other: 1 }, [
      'token',
      'absent',
    ]);
    expect(secrets).toEqual({ token: 'hunter2' });
    expect(values).toEqual({ name: 'x', token: '*******', other: 1 });
  });
});
