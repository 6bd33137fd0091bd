import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { parseDuration } from './duration.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { CONFIG_SCHEMA, type SchemaNode } from './schema.ts';

/**
 * Checks merged config data against `CONFIG_SCHEMA`:
 * 1. `prepare`: coerces strings to numbers/booleans where the schema wants them (as Backstage's
 *    config reader does, so `port: ${PORT}` works), drops unknown keys (one warning each) and
 *    warns about reserved keys;
 * 2. `validateConfigData`: ajv with allErrors; every error becomes a sentence naming the key.
 */

function validateDuration(_schema: unknown, data: unknown): boolean {
  try {
    parseDuration(data);
    return true;
  } catch (err) {
    validateDuration.errors = [
      {
        keyword: 'x-duration',
        message: err instanceof Error ? err.message : String(err),
        params: {},
      },
    ] as Partial<ErrorObject>[];
    return false;
  }
}
validateDuration.errors = [] as Partial<ErrorObject>[];

function validateUrl(_schema: unknown, data: unknown): boolean {
  if (typeof data !== 'string') return true; // `type` reports it
  let ok = false;
  try {
    const u = new URL(data);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
  } catch {
    ok = false;
  }
  if (!ok)
    validateUrl.errors = [
      { keyword: 'x-url', message: 'not an absolute http(s) URL', params: {} },
    ] as Partial<ErrorObject>[];
  return ok;
}
validateUrl.errors = [] as Partial<ErrorObject>[];

export function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    allowUnionTypes: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    // ajv's optimising pass halves the compile time of the config schema (a start pays it)
    // and changes nothing the validators answer.
    code: { optimize: false },
  });
  for (const keyword of ['x-type', 'x-valid', 'x-default-text']) {
    ajv.addKeyword({ keyword, schemaType: 'string' });
  }
  ajv.addKeyword({ keyword: 'x-reserved', schemaType: 'boolean' });
  ajv.addKeyword({
    keyword: 'x-duration',
    schemaType: 'boolean',
    errors: true,
    validate: validateDuration as SchemaValidateFunction,
  });
  ajv.addKeyword({
    keyword: 'x-url',
    schemaType: 'boolean',
    errors: true,
    validate: validateUrl as SchemaValidateFunction,
  });
  return ajv;
}

const ajv = createAjv();
let rootValidator: ValidateFunction | undefined;
/** One validator per top-level section, compiled when a config first has that section. */
const sectionValidators = new Map<string, ValidateFunction>();
const subValidators = new WeakMap<SchemaNode, ValidateFunction>();

function matches(schema: SchemaNode, data: unknown): boolean {
  let v = subValidators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    subValidators.set(schema, v);
  }
  return v(data) as boolean;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema and the parts of it (`allOf`, `if`/`then`/`else`) that apply to `data`. */
function applicable(schema: SchemaNode, data: unknown): SchemaNode[] {
  const out: SchemaNode[] = [schema];
  const allOf = schema.allOf;
  if (Array.isArray(allOf)) {
    for (const sub of allOf) if (isPlainObject(sub)) out.push(...applicable(sub, data));
  }
  if (isPlainObject(schema.if)) {
    const branch = matches(schema.if, data) ? schema.then : schema.else;
    if (isPlainObject(branch)) out.push(...applicable(branch, data));
  }
  return out;
}

function typesOf(schemas: SchemaNode[]): Set<string> {
  const types = new Set<string>();
  for (const s of schemas) {
    if (typeof s.type === 'string') types.add(s.type);
    else if (Array.isArray(s.type)) for (const t of s.type) types.add(String(t));
  }
  return types;
}

function coerce(value: unknown, types: Set<string>): unknown {
  if (types.size === 0) return value;
  const only = (...allowed: string[]) => [...types].every((t) => allowed.includes(t));
  if (typeof value === 'string' && only('integer', 'number')) {
    const t = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  }
  if (typeof value === 'string' && only('boolean')) {
    const t = value.trim();
    if (/^(y|yes|true|1|on)$/i.test(t)) return true;
    if (/^(n|no|false|0|off)$/i.test(t)) return false;
  }
  if (typeof value === 'number' && Number.isFinite(value) && only('string')) return String(value);
  return value;
}

export interface PrepareResult {
  /** Key paths that are not in the schema; removed from the data. */
  unknown: KeyPath[];
  /** Reserved keys set to a non-default value. */
  reserved: KeyPath[];
}

/**
 * Coerces, removes unknown keys and spots reserved keys, in place (returns the possibly
 * replaced root value).
 */
export function prepareConfigData(data: Record<string, unknown>): PrepareResult {
  const result: PrepareResult = { unknown: [], reserved: [] };
  walk(data, [CONFIG_SCHEMA], [], result);
  return result;
}

function walk(
  value: unknown,
  schemas: SchemaNode[],
  path: KeyPath,
  result: PrepareResult,
): unknown {
  const apps = schemas.flatMap((s) => applicable(s, value));
  const coerced = coerce(value, typesOf(apps));
  if (apps.some((s) => s['x-reserved'] === true)) {
    const def = apps.find((s) => 'default' in s)?.default;
    if (JSON.stringify(coerced) !== JSON.stringify(def)) result.reserved.push(path);
  }
  if (Array.isArray(coerced)) {
    const itemSchemas = apps.map((s) => s.items).filter(isPlainObject);
    if (itemSchemas.length > 0) {
      for (let i = 0; i < coerced.length; i++) {
        coerced[i] = walk(coerced[i], itemSchemas, [...path, i], result);
      }
    }
    return coerced;
  }
  if (!isPlainObject(coerced)) return coerced;

  const withProps = apps.filter((s) => isPlainObject(s.properties));
  const additional = apps
    .map((s) => s.additionalProperties)
    .find((a) => a !== undefined && a !== false);
  if (withProps.length === 0 && additional === undefined) return coerced; // opaque
  for (const key of Object.keys(coerced)) {
    const childSchemas = withProps
      .map((s) => (s.properties as Record<string, unknown>)[key])
      .filter(isPlainObject);
    if (childSchemas.length > 0) {
      coerced[key] = walk(coerced[key], childSchemas, [...path, key], result);
    } else if (isPlainObject(additional)) {
      coerced[key] = walk(coerced[key], [additional], [...path, key], result);
    } else if (additional === undefined) {
      collectUnknown(coerced[key], [...path, key], result.unknown);
      delete coerced[key];
    }
  }
  return coerced;
}

/** An unknown key is reported at each leaf of its nested objects (`integrations.github`, …). */
function collectUnknown(value: unknown, path: KeyPath, out: KeyPath[]): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) collectUnknown(v, [...path, k], out);
  } else {
    out.push(path);
  }
}

/** A failed check on one key, before sources are attached. */
export interface RawProblem {
  path: KeyPath;
  message: string;
}

/** Validates prepared data; returns one problem per key path (empty when valid). */
export function validateConfigData(data: unknown): RawProblem[] {
  const problems = new Map<string, RawProblem>();
  for (const err of configErrors(data)) {
    if (err.keyword === 'if' || err.keyword === 'allOf') continue;
    const problem = describeError(err, data);
    const key = formatKeyPath(problem.path);
    if (!problems.has(key)) problems.set(key, problem);
  }
  // A parent's problem (e.g. wrong type of an object) is enough; drop problems below it.
  const all = [...problems.values()];
  return all.filter(
    (p) =>
      !all.some(
        (q) => q !== p && q.path.length < p.path.length && q.path.every((s, i) => s === p.path[i]),
      ),
  );
}

/**
 * ajv's errors for `data` against CONFIG_SCHEMA, as one validator of the whole schema would
 * report them. The root holds nothing but `properties` (no `required`, `allOf` or `if` across
 * sections), so each section present is validated alone, and a start compiles only the
 * sections its config has (a whole-schema compile is a tenth of a second).
 */
function configErrors(data: unknown): ErrorObject[] {
  const sections = CONFIG_SCHEMA.properties as Record<string, SchemaNode>;
  const rootKeys = Object.keys(CONFIG_SCHEMA).filter(
    (k) => !['$schema', 'type', 'description', 'properties'].includes(k),
  );
  if (!isPlainObject(data) || rootKeys.length > 0) {
    rootValidator ??= ajv.compile(CONFIG_SCHEMA);
    return rootValidator(data) ? [] : [...(rootValidator.errors ?? [])];
  }
  const errors: ErrorObject[] = [];
  for (const [key, value] of Object.entries(data)) {
    const schema = sections[key];
    if (!isPlainObject(schema)) continue; // prepareConfigData removed unknown keys
    let validate = sectionValidators.get(key);
    if (!validate) {
      validate = ajv.compile(schema);
      sectionValidators.set(key, validate);
    }
    if (validate(value)) continue;
    const pointer = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    for (const err of validate.errors ?? []) {
      errors.push({
        ...err,
        instancePath: `${pointer}${err.instancePath}`,
        schemaPath: err.schemaPath.replace(/^#/, `#/properties${pointer}`),
      });
    }
  }
  return errors;
}

function describeError(err: ErrorObject, data: unknown): RawProblem {
  const path = pointerToPath(err.instancePath, data);
  const parent = (err.parentSchema ?? schemaAtPointer(err.schemaPath)) as SchemaNode;
  if (err.keyword === 'required') {
    const missing = String((err.params as { missingProperty?: string }).missingProperty);
    const props = isPlainObject(parent.properties) ? parent.properties : {};
    const child = isPlainObject(props[missing]) ? (props[missing] as SchemaNode) : {};
    const full = [...path, missing];
    return {
      path: full,
      message: `${formatKeyPath(full)} is missing; it must be ${validText(child)}`,
    };
  }
  const reason = err.keyword === 'x-duration' && err.message ? `: ${err.message}` : '';
  return {
    path,
    message: `${formatKeyPath(path)} must be ${validText(parent)} (got ${show(err.data)}${reason})`,
  };
}

/** The schema node holding the keyword at `schemaPath` (`#/properties/a/x-duration` -> node `a`). */
function schemaAtPointer(schemaPath: string): SchemaNode {
  const segs = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let node: unknown = CONFIG_SCHEMA;
  for (const seg of segs) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    node = Array.isArray(node) ? node[Number(key)] : isPlainObject(node) ? node[key] : undefined;
  }
  return isPlainObject(node) ? node : {};
}

function pointerToPath(pointer: string, data: unknown): KeyPath {
  if (pointer === '') return [];
  const segs = pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const s of segs) {
    if (Array.isArray(cur)) {
      out.push(Number(s));
      cur = cur[Number(s)];
    } else {
      out.push(s);
      cur = isPlainObject(cur) ? cur[s] : undefined;
    }
  }
  return out;
}

/** "what is valid" for a schema node: its `x-valid`, or text derived from its type. */
export function validText(schema: SchemaNode): string {
  if (typeof schema['x-valid'] === 'string') return schema['x-valid'];
  if (Array.isArray(schema.enum))
    return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const types =
    typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
  if (types.length === 0) return 'a valid value';
  return types.map((t) => typeText(String(t), schema)).join(' or ');
}

function typeText(type: string, schema: SchemaNode): string {
  switch (type) {
    case 'integer':
    case 'number': {
      const noun = type === 'integer' ? 'an integer' : 'a number';
      const { minimum, maximum } = schema;
      if (typeof minimum === 'number' && typeof maximum === 'number')
        return `${noun} between ${minimum} and ${maximum}`;
      if (typeof minimum === 'number') return `${noun} of at least ${minimum}`;
      return noun;
    }
    case 'boolean':
      return 'true or false';
    case 'string':
      if (typeof schema.pattern === 'string') return `a string matching /${schema.pattern}/`;
      return schema.minLength === 1 ? 'a non-empty string' : 'a string';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object (a YAML mapping)';
    default:
      return type;
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The schema node at a dotted key path (`[]` for array items), merging `allOf`/`then`/`else`. */
export function schemaNodesAt(path: readonly string[]): SchemaNode[] {
  let nodes: SchemaNode[] = [CONFIG_SCHEMA];
  for (const seg of path) {
    const expanded = nodes.flatMap(allBranches);
    nodes =
      seg === '[]'
        ? expanded.map((n) => n.items).filter(isPlainObject)
        : expanded
            .map((n) => (isPlainObject(n.properties) ? n.properties[seg] : undefined))
            .filter(isPlainObject);
  }
  return nodes;
}

/** A node plus every `allOf` member and `then`/`else` branch (for documentation). */
export function allBranches(schema: SchemaNode): SchemaNode[] {
  const out: SchemaNode[] = [schema];
  if (Array.isArray(schema.allOf))
    for (const s of schema.allOf) if (isPlainObject(s)) out.push(...allBranches(s));
  if (isPlainObject(schema.then)) out.push(...allBranches(schema.then));
  if (isPlainObject(schema.else)) out.push(...allBranches(schema.else));
  return out;
}

/** The `default` declared for a key path in the schema. */
export function schemaDefault(path: string): unknown {
  const nodes = schemaNodesAt(path.split('.'));
  const withDefault = nodes.find((n) => 'default' in n);
  if (!withDefault) throw new Error(`No default declared in the config schema for ${path}`);
  return structuredClone(withDefault.default);
}
