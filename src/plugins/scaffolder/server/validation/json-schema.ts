import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormatsModule from 'ajv-formats';
import { schemaProblem } from '../../../../core/json-schema-check.ts';
import type { ValidationError } from '../../common/api-types.ts';

// ajv-formats is CommonJS; depending on the loader its function is the default export or
// the module itself.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin = (() => {
  const mod = ajvFormatsModule as unknown as { default?: unknown };
  const candidate = typeof mod.default === 'function' ? mod.default : mod;
  const inner = (candidate as { default?: unknown }).default;
  return (typeof candidate === 'function' ? candidate : inner) as FormatsPlugin;
})();

/**
 * An ajv for schemas written by template and action authors: draft-07, every error at once,
 * unknown keywords (`ui:*`, `backstage:*`, `title`) ignored rather than rejected.
 */
export function createSchemaAjv(options: { useDefaults?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    validateFormats: true,
    useDefaults: options.useDefaults ?? false,
  });
  addFormats(ajv);
  return ajv;
}

/** `['a', 0, 'b']` → `a[0].b`; a key that is not an identifier is quoted: `a["x-y"]`. */
export function dotted(root: string, path: Array<string | number>): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function pathOf(error: ErrorObject): Array<string | number> {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string')
    parts.push(params.missingProperty);
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string')
    parts.push(params.additionalProperty);
  return parts;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed here (unknown property)';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * ajv errors as the `{errors}` items of a 400: npm `jsonschema`-like fields (what Backstage
 * returns) plus `field`, the dotted name a person reads. `root` names the object validated
 * (`''` for form values, `secrets`, `input`).
 */
export function toValidationErrors(
  errors: ErrorObject[] | null | undefined,
  root: string,
  extra: Partial<ValidationError> = {},
): ValidationError[] {
  const seen = new Set<string>();
  const out: ValidationError[] = [];
  for (const error of errors ?? []) {
    // `if`/`anyOf` wrappers repeat what their branches already said.
    if (error.keyword === 'if') continue;
    const path = pathOf(error);
    const field = dotted(root, path) || root || '(root)';
    const message = `${field} ${describe(error)}`;
    if (seen.has(message)) continue;
    seen.add(message);
    const property = dotted('instance', path);
    out.push({
      name: error.keyword,
      message,
      property,
      path,
      argument: (error.params as Record<string, unknown>).missingProperty as string | undefined,
      stack: `${property} ${describe(error)}`,
      field,
      ...extra,
    });
  }
  return out;
}

export type { ValidateFunction };

/**
 * A validator of `schema` that ajv compiles at its first call: a registry of a hundred action
 * schemas checks each against the JSON Schema meta-schema at start (what makes most broken
 * schemas fail; `ajv.compile` throws the same), and compiles only the ones that get used,
 * instead of all of them before the server can answer. `.errors` is the last call's.
 */
export function lazyValidator(ajv: Ajv, schema: object): ValidateFunction {
  const problem = schemaProblem(schema);
  if (problem) throw new Error(problem);
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown) => {
    compiled ??= ajv.compile(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  }) as ValidateFunction;
  validate.schema = schema;
  validate.errors = null;
  return validate;
}
