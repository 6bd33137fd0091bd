import { Ajv, type AnySchema } from 'ajv';

let checker: Ajv | undefined;

/**
 * What is wrong with `schema` as a JSON Schema (draft-07 meta-schema), in the words of
 * `ajv.compile`; undefined when nothing is. For registries that compile their schemas when
 * first used but still refuse a malformed one at start: one ajv for all of them, since
 * every ajv instance compiles the meta-schema again for its first check.
 */
export function schemaProblem(schema: unknown): string | undefined {
  checker ??= new Ajv({ strict: false, validateFormats: false, logger: false });
  if (checker.validateSchema(schema as AnySchema) as boolean) return undefined;
  return `schema is invalid: ${checker.errorsText(checker.errors)}`;
}
