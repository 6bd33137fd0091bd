/**
 * The interpreting validator against the real thing: every case runs through Ajv 8 (allowed
 * to generate code here in Node) and through InterpretingAjv, and through rjsf's validator
 * built on each; validity, errors and error schemas must agree.
 */
import type { RJSFSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import { describe, expect, it } from 'vitest';
import { createFormValidator, InterpretingAjv } from './validator.ts';

const person: RJSFSchema = {
  type: 'object',
  required: ['name', 'owner'],
  properties: {
    name: {
      title: 'Name',
      type: 'string',
      pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
      maxLength: 10,
      minLength: 2,
    },
    owner: { title: 'Owner', type: 'string' },
    port: { type: 'integer', minimum: 1024, maximum: 65535 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, multipleOf: 0.01 },
    lifecycle: { type: 'string', enum: ['experimental', 'production'] },
    kind: { const: 'service' },
    email: { type: 'string', format: 'email' },
    site: { type: 'string', format: 'uri' },
    tags: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z0-9-]+$' },
      uniqueItems: true,
      minItems: 1,
      maxItems: 3,
    },
  },
};

const CASES: Array<{
  name: string;
  schema: RJSFSchema;
  data: unknown[];
  /** Ajv names an error found through a chain of refs by the first ref's target. */
  ignoreSchemaPath?: boolean;
}> = [
  {
    name: 'strings, numbers, enums, formats, arrays',
    schema: person,
    data: [
      { name: 'ok-name', owner: 'team-a' },
      {},
      { name: 'Bad Name', owner: 'x' },
      { name: 'x', owner: 'x' },
      { name: 'far-too-long-name', owner: 'x' },
      { name: 'ok', owner: 1 },
      { name: 'ok', owner: 'x', port: 80 },
      { name: 'ok', owner: 'x', port: 70000 },
      { name: 'ok', owner: 'x', port: 8080.5 },
      { name: 'ok', owner: 'x', ratio: 0 },
      { name: 'ok', owner: 'x', ratio: 0.123 },
      { name: 'ok', owner: 'x', ratio: 0.3 },
      { name: 'ok', owner: 'x', lifecycle: 'retired' },
      { name: 'ok', owner: 'x', kind: 'website' },
      { name: 'ok', owner: 'x', email: 'not-an-email' },
      { name: 'ok', owner: 'x', email: 'a@example.com', site: 'https://example.com/x' },
      { name: 'ok', owner: 'x', site: 'no scheme' },
      { name: 'ok', owner: 'x', tags: [] },
      { name: 'ok', owner: 'x', tags: ['a', 'b', 'a'] },
      { name: 'ok', owner: 'x', tags: ['a', 'B!', 'c', 'd'] },
      'not an object',
      null,
    ],
  },
  {
    name: 'unicode lengths',
    schema: { type: 'string', maxLength: 3, minLength: 2 },
    data: ['😀😀', '😀😀😀😀', 'a', 'abc'],
  },
  {
    name: 'dependencies, additionalProperties, patternProperties, propertyNames',
    schema: {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'number' } },
      patternProperties: { '^x-': { type: 'boolean' } },
      additionalProperties: false,
      propertyNames: { maxLength: 5 },
      dependencies: { a: ['b', 'c'], b: { required: ['c'] } },
      minProperties: 1,
      maxProperties: 3,
    },
    data: [
      { a: 'x', b: 'y', c: 1 },
      { a: 'x' },
      { b: 'y' },
      { 'x-ok': true },
      { 'x-bad': 'no' },
      { other: 1 },
      { 'x-very-long': true },
      {},
      { a: 'x', b: 'y', c: 1, 'x-a': true },
    ],
  },
  {
    name: 'anyOf, oneOf, allOf, not, if/then/else',
    schema: {
      type: 'object',
      properties: {
        value: {
          anyOf: [
            { type: 'string', minLength: 3 },
            { type: 'number', minimum: 10 },
          ],
        },
        choice: {
          oneOf: [
            { type: 'integer', multipleOf: 2 },
            { type: 'integer', multipleOf: 3 },
          ],
        },
        both: { allOf: [{ type: 'string' }, { minLength: 2 }] },
        never: { not: { type: 'string' } },
        mode: { type: 'string' },
        detail: { type: 'string' },
      },
      if: { properties: { mode: { const: 'advanced' } }, required: ['mode'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
      then: { required: ['detail'] },
      else: { properties: { detail: { maxLength: 2 } } },
    },
    data: [
      { value: 'abcd', choice: 4, both: 'ab', never: 1 },
      { value: 'a' },
      { value: 5 },
      { value: true },
      { choice: 6 },
      { choice: 5 },
      { both: 'a' },
      { both: 1 },
      { never: 'x' },
      { mode: 'advanced' },
      { mode: 'advanced', detail: 'long detail' },
      { mode: 'simple', detail: 'long detail' },
    ],
  },
  {
    name: 'tuples, contains, refs',
    ignoreSchemaPath: true,
    schema: {
      definitions: {
        small: { type: 'integer', maximum: 5 },
        node: { $ref: '#/definitions/small' },
      },
      type: 'object',
      properties: {
        pair: {
          type: 'array',
          items: [{ type: 'string' }, { type: 'number' }],
          additionalItems: false,
        },
        rest: {
          type: 'array',
          items: [{ type: 'string' }],
          additionalItems: { type: 'number' },
        },
        has: { type: 'array', contains: { const: 'x' } },
        refd: { $ref: '#/definitions/node' },
        list: { type: 'array', items: { $ref: '#/definitions/small' } },
      },
    },
    data: [
      { pair: ['a', 1], rest: ['a', 1, 2], has: ['y', 'x'], refd: 3, list: [1, 2] },
      { pair: ['a', 1, 2] },
      { pair: [1, 'a'] },
      { rest: ['a', 'b'] },
      { has: ['y'] },
      { refd: 7 },
      { list: [1, 9, 10] },
    ],
  },
  {
    name: 'boolean schemas and type lists',
    schema: {
      type: 'object',
      properties: { yes: true, no: false, either: { type: ['string', 'null'] } },
    },
    data: [{ yes: 1 }, { no: 1 }, { either: null }, { either: 1 }],
  },
];

function realAjv() {
  // rjsf's own Ajv instance, exactly as the form would use it where eval is allowed
  return (customizeValidator() as unknown as { ajv: import('ajv').default }).ajv;
}

const shape = (errors: Array<Record<string, unknown>> | null | undefined, schemaPath = true) =>
  (errors ?? [])
    .map(
      (e) =>
        `${e.instancePath} ${schemaPath ? e.schemaPath : ''} ${e.keyword} ${e.message} ${JSON.stringify(e.params)}`,
    )
    .sort();

describe('InterpretingAjv agrees with Ajv 8', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const ajv = realAjv().compile(c.schema);
      const mine = new InterpretingAjv({ multipleOfPrecision: 8 });
      const formats = (realAjv() as unknown as { formats: Record<string, unknown> }).formats;
      for (const [name, format] of Object.entries(formats)) mine.addFormat(name, format as RegExp);
      const interpreted = mine.compile(c.schema);
      for (const data of c.data) {
        const expected = ajv(data);
        const actual = interpreted(data);
        expect({ data, valid: actual }).toEqual({ data, valid: expected });
        const withPath = !c.ignoreSchemaPath;
        expect({ data, errors: shape(interpreted.errors as never, withPath) }).toEqual({
          data,
          errors: shape(ajv.errors as never, withPath),
        });
      }
    });
  }
});

describe('createFormValidator', () => {
  const ajvValidator = customizeValidator();
  const validator = createFormValidator();

  it('gives rjsf the same errors and error schema as the Ajv validator', () => {
    for (const c of CASES) {
      for (const data of c.data) {
        const expected = ajvValidator.validateFormData(data, c.schema);
        const actual = validator.validateFormData(data, c.schema);
        expect(actual.errorSchema).toEqual(expected.errorSchema);
        expect(actual.errors.map((e) => e.stack).sort()).toEqual(
          expected.errors.map((e) => e.stack).sort(),
        );
      }
    }
  });

  it('names the field by its title in a required error', () => {
    const { errors } = validator.validateFormData({}, person);
    expect(errors.map((e) => e.stack)).toEqual([
      "must have required property 'Name'",
      "must have required property 'Owner'",
    ]);
  });

  it('answers isValid with references into the root schema', () => {
    const root: RJSFSchema = {
      definitions: { port: { type: 'integer', minimum: 1024 } },
      type: 'object',
      properties: { port: { $ref: '#/definitions/port' } },
    };
    expect(validator.isValid({ $ref: '#/definitions/port' }, 8080, root)).toBe(true);
    expect(validator.isValid({ $ref: '#/definitions/port' }, 80, root)).toBe(false);
    expect(ajvValidator.isValid({ $ref: '#/definitions/port' }, 80, root)).toBe(false);
  });

  it('reports a broken pattern as a schema error instead of throwing', () => {
    const result = validator.validateFormData('x', { type: 'string', pattern: '([' });
    expect(result.errors.map((e) => e.stack).join('\n')).toMatch(/not a valid regular expression/);
  });

  it('runs without eval', () => {
    const original = globalThis.Function;
    // A CSP without 'unsafe-eval' makes `new Function` throw; so does this stand-in.
    const blocked = function refuseEval() {
      throw new EvalError('Refused to evaluate a string as JavaScript');
    } as unknown as FunctionConstructor;
    globalThis.Function = blocked;
    try {
      const fresh = createFormValidator();
      expect(fresh.validateFormData({ name: 'Bad Name' }, person).errors.length).toBe(2);
      // the stand-in has teeth: Ajv itself cannot compile under it
      const stacks = customizeValidator()
        .validateFormData({ name: 'Bad Name' }, person)
        .errors.map((e) => e.stack);
      expect(stacks.join('\n')).toMatch(/Refused to evaluate/);
    } finally {
      globalThis.Function = original;
    }
  });
});
