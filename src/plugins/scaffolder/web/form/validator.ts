/**
 * The form validator: `@rjsf/validator-ajv8` with {@link InterpretingAjv} in place of Ajv.
 *
 * rjsf's Ajv 8 validator does everything the form needs (error messages with field titles,
 * `$ref`s into the root schema, `oneOf`/`dependencies` option matching); only Ajv's code
 * generation cannot run under the portal's CSP. Its documented `AjvClass` option swaps in
 * this class, which offers the part of Ajv's API the validator calls and interprets schemas
 * with `validateSchema` from ./json-schema.ts.
 */
import type { ValidatorType } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import type Ajv from 'ajv';
import {
  type FormatDefinition,
  type Schema,
  type SchemaError,
  SchemaCompileError,
  validateSchema,
} from './json-schema.ts';

export interface InterpretedValidateFunction {
  (data: unknown): boolean;
  schema: Schema;
  errors: SchemaError[] | null;
}

interface AjvOptions {
  multipleOfPrecision?: number;
}

/** The subset of Ajv 8's instance API that `@rjsf/validator-ajv8` and `ajv-formats` use. */
export class InterpretingAjv {
  readonly opts: AjvOptions & { code: Record<string, unknown> };
  private readonly byId = new Map<string, InterpretedValidateFunction>();
  private readonly byObject = new WeakMap<object, InterpretedValidateFunction>();
  private readonly formats = new Map<string, FormatDefinition>();

  constructor(opts: AjvOptions = {}) {
    this.opts = { ...opts, code: {} };
  }

  addFormat(name: string, format: FormatDefinition | string): this {
    this.formats.set(name, typeof format === 'string' ? new RegExp(format, 'u') : format);
    return this;
  }

  /** Custom keywords (rjsf's marker, ajv-formats' limits) are accepted and not checked. */
  addKeyword(): this {
    return this;
  }

  addMetaSchema(): this {
    return this;
  }

  addSchema(schema: Schema | Schema[], key?: string): this {
    for (const s of Array.isArray(schema) ? schema : [schema]) {
      const id = key ?? (typeof s === 'object' && typeof s.$id === 'string' ? s.$id : undefined);
      const fn = this.compile(s);
      if (id !== undefined) this.byId.set(id.replace(/#$/, ''), fn);
    }
    return this;
  }

  getSchema(key: string): InterpretedValidateFunction | undefined {
    return this.byId.get(key.replace(/#$/, ''));
  }

  removeSchema(key?: string | object): this {
    if (key === undefined) this.byId.clear();
    else if (typeof key === 'string') this.byId.delete(key.replace(/#$/, ''));
    else this.byObject.delete(key);
    return this;
  }

  compile(schema: Schema): InterpretedValidateFunction {
    if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null)) {
      throw new SchemaCompileError('schema must be object or boolean');
    }
    const cached = typeof schema === 'object' ? this.byObject.get(schema) : undefined;
    if (cached) return cached;
    const context = {
      document: (id: string) => this.getSchema(id)?.schema,
      formats: this.formats,
      multipleOfPrecision: this.opts.multipleOfPrecision,
    };
    const fn = ((data: unknown) => {
      const errors: SchemaError[] = [];
      const valid = validateSchema(schema, data, context, errors);
      fn.errors = valid ? null : errors;
      return valid;
    }) as InterpretedValidateFunction;
    fn.schema = schema;
    fn.errors = null;
    if (typeof schema === 'object') this.byObject.set(schema, fn);
    return fn;
  }
}

/** A new rjsf validator that works under a CSP without `'unsafe-eval'`. */
export function createFormValidator(): ValidatorType {
  return customizeValidator({
    AjvClass: InterpretingAjv as unknown as typeof Ajv,
    // Ajv's format keywords (formatMaximum, …) need code generation; the formats do not.
    ajvFormatOptions: { keywords: false },
  });
}
