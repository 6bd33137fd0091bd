/**
 * A JSON Schema (draft-07, the dialect Ajv 8 speaks by default) validator that interprets the
 * schema instead of compiling it to JavaScript.
 *
 * Why not Ajv itself: Ajv turns every schema into a function with `new Function`, and the
 * portal's Content-Security-Policy (`script-src 'self'`, no `'unsafe-eval'`) forbids that in
 * the browser. Template parameter schemas arrive at run time, so they cannot be precompiled.
 * Errors come out in Ajv's shape and wording (`instancePath`, `schemaPath`, `keyword`,
 * `params`, `message`, and the `verbose` fields) so that `@rjsf/validator-ajv8` can turn them
 * into form errors exactly as it does for Ajv's own.
 */

export type Schema = boolean | SchemaObject;
export interface SchemaObject {
  [keyword: string]: unknown;
}

export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
  schema?: unknown;
  parentSchema?: SchemaObject;
  data?: unknown;
}

/** A format check: a regular expression, a function, or Ajv's `{type, validate}` object. */
export type FormatDefinition =
  | RegExp
  | ((value: string) => boolean)
  | { type?: 'string' | 'number'; validate: RegExp | ((value: never) => boolean); async?: boolean };

export interface SchemaContext {
  /** Resolves the document part of a `$ref` (`other#/x` → the schema registered as `other`). */
  document(id: string): Schema | undefined;
  formats: Map<string, FormatDefinition>;
  /** Ajv's `multipleOfPrecision`: decimals compared when checking `multipleOf`. */
  multipleOfPrecision?: number;
}

export class SchemaCompileError extends Error {
  override name = 'SchemaCompileError';
}

const regexCache = new Map<string, RegExp>();

function regex(pattern: string, where: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern, 'u');
    } catch (error) {
      throw new SchemaCompileError(
        `schema is invalid: ${where} "${pattern}" is not a valid regular expression (${(error as Error).message})`,
      );
    }
    regexCache.set(pattern, re);
  }
  return re;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON equality: key order does not matter, `1` equals `1.0`. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

const escapePointer = (segment: string | number) =>
  String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

/** A schema path segment as Ajv writes it: a pointer segment, URI-encoded. */
const escapeFragment = (segment: string) => encodeURIComponent(escapePointer(segment));

function resolvePointer(root: Schema, pointer: string, ref: string): Schema {
  if (pointer === '' || pointer === '/') return root;
  let node: unknown = root;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(segment in (node as object))) {
      throw new SchemaCompileError(`can't resolve reference ${ref}`);
    }
    node = (node as Record<string, unknown>)[segment];
  }
  if (typeof node !== 'boolean' && !isObject(node)) {
    throw new SchemaCompileError(`can't resolve reference ${ref}: it does not name a schema`);
  }
  return node as Schema;
}

interface Frame {
  /** The document `#…` refs resolve in. */
  root: Schema;
  context: SchemaContext;
  /** Depth of `$ref` expansion, to stop a schema that refers to itself without consuming data. */
  depth: number;
}

const MAX_REF_DEPTH = 200;

const LIMITS: Record<string, { op: string; ok: (a: number, b: number) => boolean }> = {
  minimum: { op: '>=', ok: (a, b) => a >= b },
  maximum: { op: '<=', ok: (a, b) => a <= b },
  exclusiveMinimum: { op: '>', ok: (a, b) => a > b },
  exclusiveMaximum: { op: '<', ok: (a, b) => a < b },
};

/**
 * Validates `data`, appending every problem to `errors` (Ajv's `allErrors: true`).
 * Returns whether `data` is valid. Throws `SchemaCompileError` for a broken schema.
 */
export function validateSchema(
  schema: Schema,
  data: unknown,
  context: SchemaContext,
  errors: SchemaError[] = [],
): boolean {
  return check(schema, data, '', '#', { root: schema, context, depth: 0 }, errors);
}

function check(
  schema: Schema,
  data: unknown,
  path: string,
  schemaPath: string,
  frame: Frame,
  errors: SchemaError[],
): boolean {
  if (schema === true) return true;
  if (schema === false) {
    errors.push({
      instancePath: path,
      schemaPath: `${schemaPath}/false schema`,
      keyword: 'false schema',
      params: {},
      message: 'boolean schema is false',
      schema: false,
      data,
    });
    return false;
  }
  if (!isObject(schema)) {
    throw new SchemaCompileError(`schema is invalid: ${schemaPath} must be object or boolean`);
  }
  const start = errors.length;
  const fail = (
    keyword: string,
    params: Record<string, unknown>,
    message: string,
    at: string = path,
  ) => {
    errors.push({
      instancePath: at,
      schemaPath: `${schemaPath}/${keyword}`,
      keyword,
      params,
      message,
      schema: schema[keyword],
      parentSchema: schema,
      data: at === path ? data : undefined,
    });
  };
  const sub = (
    s: unknown,
    value: unknown,
    subPath: string,
    subSchemaPath: string,
    into: SchemaError[] = errors,
  ) => check(s as Schema, value, subPath, subSchemaPath, frame, into);

  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    const hash = ref.indexOf('#');
    const documentId = hash === -1 ? ref : ref.slice(0, hash);
    const pointer = hash === -1 ? '' : ref.slice(hash + 1);
    const root = documentId ? frame.context.document(documentId) : frame.root;
    if (root === undefined) throw new SchemaCompileError(`can't resolve reference ${ref}`);
    if (frame.depth > MAX_REF_DEPTH) {
      throw new SchemaCompileError(`reference ${ref} refers to itself without end`);
    }
    // Ajv reports a problem found through a local ref at the referenced schema's path.
    check(
      resolvePointer(root, pointer, ref),
      data,
      path,
      documentId ? `${schemaPath}/$ref` : `#${pointer}`,
      { ...frame, root, depth: frame.depth + 1 },
      errors,
    );
  }

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(data, t))) {
      fail('type', { type: schema.type }, `must be ${types.join(',')}`);
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((v) => jsonEqual(v, data))) {
    fail('enum', { allowedValues: schema.enum }, 'must be equal to one of the allowed values');
  }
  if ('const' in schema && !jsonEqual(schema.const, data)) {
    fail('const', { allowedValue: schema.const }, 'must be equal to constant');
  }

  if (typeof data === 'number') {
    for (const [keyword, { op, ok }] of Object.entries(LIMITS)) {
      const limit = schema[keyword];
      if (typeof limit === 'number' && !ok(data, limit)) {
        fail(keyword, { comparison: op, limit }, `must be ${op} ${limit}`);
      }
    }
    const multipleOf = schema.multipleOf;
    if (typeof multipleOf === 'number' && multipleOf > 0) {
      const division = data / multipleOf;
      const precision = frame.context.multipleOfPrecision;
      const off =
        precision === undefined
          ? division !== Math.floor(division)
          : Math.abs(Math.round(division) - division) > 10 ** -precision;
      if (off) fail('multipleOf', { multipleOf }, `must be multiple of ${multipleOf}`);
    }
  }

  if (typeof data === 'string') {
    const length = [...data].length;
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
      fail(
        'maxLength',
        { limit: schema.maxLength },
        `must NOT have more than ${schema.maxLength} characters`,
      );
    }
    if (typeof schema.minLength === 'number' && length < schema.minLength) {
      fail(
        'minLength',
        { limit: schema.minLength },
        `must NOT have fewer than ${schema.minLength} characters`,
      );
    }
    if (typeof schema.pattern === 'string' && !regex(schema.pattern, 'pattern').test(data)) {
      fail('pattern', { pattern: schema.pattern }, `must match pattern "${schema.pattern}"`);
    }
  }

  if (typeof schema.format === 'string') {
    const format = frame.context.formats.get(schema.format);
    if (format && !passesFormat(format, data)) {
      fail('format', { format: schema.format }, `must match format "${schema.format}"`);
    }
  }

  if (Array.isArray(data)) checkArray(schema, data, path, schemaPath, fail, sub, errors);
  if (isObject(data)) checkObject(schema, data, path, schemaPath, fail, sub);

  if (Array.isArray(schema.allOf)) {
    schema.allOf.forEach((s, i) => {
      sub(s, data, path, `${schemaPath}/allOf/${i}`);
    });
  }
  if (Array.isArray(schema.anyOf)) {
    const branchErrors: SchemaError[] = [];
    const passed = schema.anyOf.some((s, i) =>
      sub(s, data, path, `${schemaPath}/anyOf/${i}`, branchErrors),
    );
    if (!passed) {
      errors.push(...branchErrors);
      fail('anyOf', {}, 'must match a schema in anyOf');
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const branchErrors: SchemaError[] = [];
    const passing: number[] = [];
    schema.oneOf.forEach((s, i) => {
      if (sub(s, data, path, `${schemaPath}/oneOf/${i}`, branchErrors)) passing.push(i);
    });
    if (passing.length === 0) {
      errors.push(...branchErrors);
      fail('oneOf', { passingSchemas: null }, 'must match exactly one schema in oneOf');
    } else if (passing.length > 1) {
      fail(
        'oneOf',
        { passingSchemas: passing.slice(0, 2) },
        'must match exactly one schema in oneOf',
      );
    }
  }
  if (schema.not !== undefined && sub(schema.not, data, path, `${schemaPath}/not`, [])) {
    fail('not', {}, 'must NOT be valid');
  }
  if (schema.if !== undefined && (schema.then !== undefined || schema.else !== undefined)) {
    const clause = sub(schema.if, data, path, `${schemaPath}/if`, []) ? 'then' : 'else';
    const branch = schema[clause];
    if (branch !== undefined && !sub(branch, data, path, `${schemaPath}/${clause}`)) {
      fail('if', { failingKeyword: clause }, `must match "${clause}" schema`);
    }
  }
  return errors.length === start;
}

function passesFormat(format: FormatDefinition, data: unknown): boolean {
  if (format instanceof RegExp) return typeof data !== 'string' || format.test(data);
  if (typeof format === 'function') return typeof data !== 'string' || format(data);
  if (format.async) return true;
  const type = format.type ?? 'string';
  if (typeof data !== type) return true;
  const validate = format.validate;
  return validate instanceof RegExp
    ? validate.test(String(data))
    : (validate as (v: unknown) => boolean)(data);
}

type Fail = (
  keyword: string,
  params: Record<string, unknown>,
  message: string,
  at?: string,
) => void;
type Sub = (
  s: unknown,
  value: unknown,
  subPath: string,
  subSchemaPath: string,
  into?: SchemaError[],
) => boolean;

const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * The first duplicate pair, found in the order Ajv finds it (which decides the message):
 * for items declared scalar, the first repeat scanning from the end; else the last item
 * that equals an earlier one.
 */
function findDuplicate(data: unknown[], items: unknown): { i: number; j: number } | undefined {
  const itemType = isObject(items) ? items.type : undefined;
  const types = Array.isArray(itemType) ? itemType : itemType ? [itemType] : [];
  if (types.length > 0 && types.every((t) => SCALAR_TYPES.has(t as string))) {
    const seen = new Map<unknown, number>();
    for (let i = data.length - 1; i >= 0; i--) {
      const item = data[i];
      const key = typeof item === 'string' ? `s${item}` : item;
      const j = seen.get(key);
      if (j !== undefined) return { i, j };
      seen.set(key, i);
    }
    return undefined;
  }
  for (let i = data.length - 1; i > 0; i--) {
    for (let j = i - 1; j >= 0; j--) {
      if (jsonEqual(data[i], data[j])) return { i, j };
    }
  }
  return undefined;
}

function checkArray(
  schema: SchemaObject,
  data: unknown[],
  path: string,
  schemaPath: string,
  fail: Fail,
  sub: Sub,
  into: SchemaError[],
) {
  if (typeof schema.maxItems === 'number' && data.length > schema.maxItems) {
    fail(
      'maxItems',
      { limit: schema.maxItems },
      `must NOT have more than ${schema.maxItems} items`,
    );
  }
  if (typeof schema.minItems === 'number' && data.length < schema.minItems) {
    fail(
      'minItems',
      { limit: schema.minItems },
      `must NOT have fewer than ${schema.minItems} items`,
    );
  }
  if (schema.uniqueItems === true) {
    const duplicate = findDuplicate(data, schema.items);
    if (duplicate) {
      const { i, j } = duplicate;
      fail(
        'uniqueItems',
        { i, j },
        `must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
      );
    }
  }
  if (Array.isArray(schema.items)) {
    const tuple = schema.items;
    data.slice(0, tuple.length).forEach((item, i) => {
      sub(tuple[i], item, `${path}/${i}`, `${schemaPath}/items/${i}`);
    });
    if (data.length > tuple.length && schema.additionalItems !== undefined) {
      if (schema.additionalItems === false) {
        fail(
          'additionalItems',
          { limit: tuple.length },
          `must NOT have more than ${tuple.length} items`,
        );
      } else {
        for (let i = tuple.length; i < data.length; i++) {
          sub(schema.additionalItems, data[i], `${path}/${i}`, `${schemaPath}/additionalItems`);
        }
      }
    }
  } else if (schema.items !== undefined) {
    data.forEach((item, i) => {
      sub(schema.items, item, `${path}/${i}`, `${schemaPath}/items`);
    });
  }
  if (schema.contains !== undefined) {
    const misses: SchemaError[] = [];
    const found = data.some((item, i) =>
      sub(schema.contains, item, `${path}/${i}`, `${schemaPath}/contains`, misses),
    );
    if (!found) {
      fail('contains', { minContains: 1 }, 'must contain at least 1 valid item(s)');
      into.push(...misses);
    }
  }
}

function checkObject(
  schema: SchemaObject,
  data: Record<string, unknown>,
  path: string,
  schemaPath: string,
  fail: Fail,
  sub: Sub,
) {
  const keys = Object.keys(data).filter((k) => data[k] !== undefined);
  if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) {
    fail(
      'maxProperties',
      { limit: schema.maxProperties },
      `must NOT have more than ${schema.maxProperties} properties`,
    );
  }
  if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties) {
    fail(
      'minProperties',
      { limit: schema.minProperties },
      `must NOT have fewer than ${schema.minProperties} properties`,
    );
  }
  if (Array.isArray(schema.required)) {
    for (const name of schema.required as string[]) {
      if (data[name] === undefined) {
        fail('required', { missingProperty: name }, `must have required property '${name}'`);
      }
    }
  }
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (data[name] !== undefined) {
      sub(
        propertySchema,
        data[name],
        `${path}/${escapePointer(name)}`,
        `${schemaPath}/properties/${escapeFragment(name)}`,
      );
    }
  }
  const patterns = isObject(schema.patternProperties)
    ? Object.entries(schema.patternProperties).map(
        ([pattern, s]) => [pattern, regex(pattern, 'patternProperties'), s] as const,
      )
    : [];
  for (const key of keys) {
    for (const [pattern, re, s] of patterns) {
      if (re.test(key)) {
        sub(
          s,
          data[key],
          `${path}/${escapePointer(key)}`,
          `${schemaPath}/patternProperties/${escapeFragment(pattern)}`,
        );
      }
    }
  }
  if (schema.additionalProperties !== undefined) {
    for (const key of keys) {
      if (key in properties || patterns.some(([, re]) => re.test(key))) continue;
      if (schema.additionalProperties === false) {
        fail(
          'additionalProperties',
          { additionalProperty: key },
          'must NOT have additional properties',
        );
      } else {
        sub(
          schema.additionalProperties,
          data[key],
          `${path}/${escapePointer(key)}`,
          `${schemaPath}/additionalProperties`,
        );
      }
    }
  }
  if (schema.propertyNames !== undefined) {
    for (const key of keys) {
      if (!sub(schema.propertyNames, key, path, `${schemaPath}/propertyNames`)) {
        fail('propertyNames', { propertyName: key }, 'property name must be valid');
      }
    }
  }
  if (isObject(schema.dependencies)) {
    for (const [property, dependency] of Object.entries(schema.dependencies)) {
      if (data[property] === undefined) continue;
      if (Array.isArray(dependency)) {
        const deps = dependency as string[];
        for (const missing of deps.filter((d) => data[d] === undefined)) {
          fail(
            'dependencies',
            { property, missingProperty: missing, depsCount: deps.length, deps: deps.join(', ') },
            `must have ${deps.length === 1 ? 'property' : 'properties'} ${deps.join(', ')} when property ${property} is present`,
          );
        }
      } else {
        sub(dependency, data, path, `${schemaPath}/dependencies/${escapeFragment(property)}`);
      }
    }
  }
}
