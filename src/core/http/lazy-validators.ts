import AjvCompilerModule from '@fastify/ajv-compiler';
import type { AnySchema } from 'ajv';
import type { FastifyServerOptions } from 'fastify';
import { schemaProblem } from '../json-schema-check.ts';

interface RouteSchema {
  schema: AnySchema;
  method: string;
  url: string;
  httpPart?: string;
}
type Validator = ((data: unknown, context?: unknown) => unknown) & {
  errors?: unknown;
  schemaEnv?: unknown;
};
type CompileRoute = (route: RouteSchema) => Validator;
type BuildValidator = (externalSchemas: unknown, options: unknown) => CompileRoute;

/**
 * Fastify's own validator compiler (@fastify/ajv-compiler, same ajv options and formats), but
 * each route's schema is compiled when the route is first called instead of while the server
 * gets ready: compiling a few hundred route schemas was a tenth of an empty portal's start.
 * Each schema is still checked against the JSON Schema meta-schema at start, so a malformed
 * one stops the start naming its route, as before.
 *
 * Fastify treats a compiler given this way as custom, which means it no longer lowercases the
 * property names of `headers` schemas; this does it (top-level `properties` and `required`).
 */
export function lazyRouteValidators(): NonNullable<FastifyServerOptions['schemaController']> {
  // The package fastify uses by default (the same copy: package.json asks for the version
  // fastify does).
  const build = (AjvCompilerModule as unknown as () => BuildValidator)();
  const buildValidator: BuildValidator = (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      const schema = route.httpPart === 'headers' ? lowerCaseHeaders(route.schema) : route.schema;
      if (typeof schema === 'object') {
        const problem = schemaProblem(schema);
        if (problem) throw new Error(problem);
      }
      let compiled: Validator | undefined;
      const validate: Validator = (data, context) => {
        compiled ??= compile({ ...route, schema });
        const result = compiled(data, context);
        validate.errors = compiled.errors;
        return result;
      };
      // Fastify hands the parent object (so that ajv may coerce a root value) only to a
      // validator that has a schemaEnv; every ajv validator has one.
      validate.schemaEnv = true;
      return validate;
    };
  };
  return { compilersFactory: { buildValidator } } as NonNullable<
    FastifyServerOptions['schemaController']
  >;
}

/** As fastify does for a `headers` schema: its property names and `required` in lower case. */
function lowerCaseHeaders(schema: AnySchema): AnySchema {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const copy: Record<string, unknown> = { ...schema };
  const properties = copy.properties as Record<string, unknown> | undefined;
  if (properties && typeof properties === 'object') {
    copy.properties = Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key.toLowerCase(), value]),
    );
  }
  if (Array.isArray(copy.required)) {
    copy.required = copy.required.map((key) => String(key).toLowerCase());
  }
  return copy;
}
