import type { Entity, JsonObject, JsonValue } from '../../../../model/entity.ts';
import type { TaskStep, ValidationError } from '../../common/api-types.ts';
import type { ActionRegistry } from '../actions/registry.ts';
import type { TemplateRenderer } from '../templating/renderer.ts';
import { normalizeSteps } from '../templates.ts';
import {
  createSchemaAjv,
  dotted,
  toValidationErrors,
  type ValidateFunction,
} from './json-schema.ts';

/** What validation needs of the templater (the worker-backed TemplateRenderer). */
export type CheckingTemplater = Pick<TemplateRenderer, 'isTruthy' | 'checkTemplates'>;

const ajv = createSchemaAjv();
const compiled = new Map<string, ValidateFunction | Error>();

/** Template schemas change rarely and are validated often: compile each distinct one once. */
function compile(schema: JsonObject): ValidateFunction {
  const key = JSON.stringify(schema);
  let found = compiled.get(key);
  if (!found) {
    try {
      found = ajv.compile(schema);
    } catch (error) {
      found = error as Error;
    }
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, found);
  }
  if (found instanceof Error) throw found;
  return found;
}

const TEMPLATE_TEXT = /\$\{\{|\{%/;

/** The parameter pages of a template: `spec.parameters` is one object or an array of them. */
export function parameterPages(template: Entity): JsonObject[] {
  const parameters = (template.spec as JsonObject | undefined)?.parameters;
  if (Array.isArray(parameters)) return parameters.filter(isObject);
  return isObject(parameters) ? [parameters] : [];
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks form values against each parameter page separately (as Backstage does). A page
 * whose `if: ${{ … }}` renders falsy for these values is hidden in the form and not checked.
 */
export async function validateValues(
  template: Entity,
  values: JsonObject,
  templater: CheckingTemplater,
): Promise<ValidationError[]> {
  const errors: ValidationError[] = [];
  for (const [index, page] of parameterPages(template).entries()) {
    const { if: condition, ...rest } = page;
    let schema: JsonObject = page;
    // A page-level `if` written as a template is a visibility rule, not a JSON-schema `if`.
    if (typeof condition === 'string' || typeof condition === 'boolean') {
      const visible = await templater.isTruthy(
        condition,
        { parameters: values },
        { path: `spec.parameters[${index}].if` },
      );
      if (!visible) continue;
      schema = rest;
    }
    let validate: ValidateFunction;
    try {
      validate = compile(schema);
    } catch (error) {
      errors.push({
        name: 'InvalidSchema',
        message: `spec.parameters[${index}] is not a valid JSON schema: ${(error as Error).message}`,
        field: `spec.parameters[${index}]`,
        page: index,
      });
      continue;
    }
    if (!validate(values)) errors.push(...toValidationErrors(validate.errors, '', { page: index }));
  }
  return errors;
}

/** Checks request secrets against `spec.secrets.schema` (messages `secrets.<name> is required`). */
export function validateSecrets(
  schema: JsonObject | undefined,
  secrets: Record<string, string>,
): ValidationError[] {
  if (!schema) return [];
  let validate: ValidateFunction;
  try {
    validate = compile(schema);
  } catch (error) {
    return [
      {
        name: 'InvalidSchema',
        message: `spec.secrets.schema is not a valid JSON schema: ${(error as Error).message}`,
        field: 'spec.secrets.schema',
      },
    ];
  }
  return validate(secrets) ? [] : toValidationErrors(validate.errors, 'secrets');
}

export function secretsSchemaOf(template: Entity): JsonObject | undefined {
  const secrets = (template.spec as JsonObject | undefined)?.secrets;
  return isObject(secrets) && isObject(secrets.schema) ? secrets.schema : undefined;
}

/** Whether `value` at `path` inside `input` — or a container of it — is template text. */
function templatedAt(input: JsonValue, path: Array<string | number>): boolean {
  let current: JsonValue | undefined = input;
  for (let i = 0; ; i++) {
    if (typeof current === 'string') return TEMPLATE_TEXT.test(current);
    if (i >= path.length || current === null || typeof current !== 'object') return false;
    current = (current as Record<string, JsonValue>)[path[i] as string];
  }
}

/**
 * What can be known about the steps before anything runs: every action exists, every
 * `${{ }}` parses, and each input matches its action's schema in the parts not computed by a
 * template (a missing required field, a literal of the wrong type, an unknown key).
 */
/**
 * What is wrong with a template's steps. `warnings` are what Backstage runs anyway (a `${{ }}`
 * that does not parse is kept as written; a repeated step id runs, the later step's output
 * replacing the earlier's): Atrium says so, in the dry run and the task's log, and runs too.
 */
export async function validateSteps(
  template: Entity,
  registry: ActionRegistry,
  templater: CheckingTemplater,
): Promise<{ errors: ValidationError[]; warnings: ValidationError[] }> {
  const errors: ValidationError[] = [];
  const warnings: ValidationError[] = [];
  const spec = template.spec as JsonObject;
  const raw = Array.isArray(spec.steps) ? spec.steps : [];
  const steps: TaskStep[] = normalizeSteps(raw);
  // Every template text is parsed in one worker call; the results are read in order below.
  const checks: Array<{ value: unknown; path: string }> = [];
  steps.forEach((step, i) => {
    if (!isObject(raw[i])) return;
    for (const key of ['input', 'if', 'each'] as const) {
      if (step[key] !== undefined)
        checks.push({ value: step[key], path: `spec.steps[${i}].${key}` });
    }
  });
  if (spec.output !== undefined) checks.push({ value: spec.output, path: 'spec.output' });
  const problems = new Map(
    (await templater.checkTemplates(checks)).map((found, i) => [checks[i]!.path, found]),
  );
  const ids = new Set<string>();
  steps.forEach((step, i) => {
    const where = `spec.steps[${i}]`;
    const label = `Step ${step.id}${step.name !== step.id ? ` (${step.name})` : ''}`;
    const push = (field: string, message: string, name = 'InputError') =>
      errors.push({ name, message: `${label}: ${field}: ${message}`, field, stepId: step.id });
    const warn = (field: string, message: string, name: string) =>
      warnings.push({ name, message: `${label}: ${field}: ${message}`, field, stepId: step.id });
    if (!isObject(raw[i])) {
      push(where, 'must be an object with an action');
      return;
    }
    if (ids.has(step.id))
      warn(
        `${where}.id`,
        `duplicate step id '${step.id}': both steps run, and \${{ steps['${step.id}'].output }} is the later one's`,
        'DuplicateStepIdWarning',
      );
    ids.add(step.id);
    if (!step.action) {
      push(`${where}.action`, 'is required');
    } else if (!registry.has(step.action)) {
      push(
        `${where}.action`,
        `action '${step.action}' is not registered (GET /api/scaffolder/v2/actions lists the available actions)`,
        'NotFoundError',
      );
    }
    for (const key of ['input', 'if', 'each'] as const) {
      if (step[key] === undefined) continue;
      for (const problem of problems.get(`${where}.${key}`) ?? []) {
        warn(
          problem.path,
          `template syntax error, the text is used as written: ${problem.message}`,
          'TemplateSyntaxError',
        );
      }
    }
    if (step.input !== undefined && !isObject(step.input) && typeof step.input !== 'string') {
      push(`${where}.input`, 'must be an object');
      return;
    }
    if (step.action && registry.has(step.action) && isObject(step.input ?? {})) {
      const input = (step.input ?? {}) as JsonObject;
      for (const problem of registry.problems(step.action, input)) {
        const path = problem.path ?? [];
        // A required field may still come from a templated parent; a templated leaf is only
        // known once rendered.
        const at =
          problem.name === 'required' || problem.name === 'additionalProperties'
            ? path.slice(0, -1)
            : path;
        if (templatedAt(input, at)) continue;
        push(dotted(`${where}.input`, path), problem.message.replace(/^input\S*\s/, ''));
      }
    }
  });
  if (spec.output !== undefined) {
    for (const problem of problems.get('spec.output') ?? []) {
      warnings.push({
        name: 'TemplateSyntaxError',
        message: `${problem.path}: template syntax error, the text is used as written: ${problem.message}`,
        field: problem.path,
      });
    }
  }
  return { errors, warnings };
}
