import { InputError, NotFoundError } from '../../../../core/errors.ts';
import type { JsonObject } from '../../../../model/entity.ts';
import type { ActionInfo, ValidationError } from '../../common/api-types.ts';
import {
  createSchemaAjv,
  lazyValidator,
  toValidationErrors,
  type ValidateFunction,
} from '../validation/json-schema.ts';
import type { ActionContribution, ActionDeps, TemplateAction } from './types.ts';

interface Registered {
  action: TemplateAction;
  validate: ValidateFunction;
}

/**
 * The actions templates can use: built-ins plus what other plugins contribute to
 * `scaffolder.actions`. Factories are called once with the host's services; each input
 * schema is checked here against the meta-schema, so a broken schema or a duplicate id stops
 * the app at start-up rather than failing a task later, and compiled when first used.
 */
export class ActionRegistry {
  private readonly actions = new Map<string, Registered>();

  constructor(contributions: ActionContribution[], deps: ActionDeps) {
    const ajv = createSchemaAjv();
    for (const contribution of contributions) {
      const action = typeof contribution === 'function' ? contribution(deps) : contribution;
      if (!action || typeof action.id !== 'string' || !action.id) {
        throw new Error('A scaffolder action contribution has no id');
      }
      if (this.actions.has(action.id)) {
        throw new Error(`Two scaffolder actions have the id '${action.id}'`);
      }
      let validate: ValidateFunction;
      try {
        validate = lazyValidator(ajv, action.schema?.input ?? { type: 'object' });
      } catch (error) {
        throw new Error(
          `Scaffolder action '${action.id}' has an invalid input schema: ${(error as Error).message}`,
        );
      }
      this.actions.set(action.id, { action, validate });
    }
  }

  has(id: string): boolean {
    return this.actions.has(id);
  }

  get(id: string): TemplateAction {
    const found = this.actions.get(id);
    if (!found) {
      throw new NotFoundError(
        `Template action with ID '${id}' is not registered. See https://backstage.io/docs/features/software-templates/builtin-actions/ on how to add a new action module.`,
      );
    }
    return found.action;
  }

  /** Problems of `input` against the action's schema, each naming its field (`input.url`). */
  problems(id: string, input: unknown): ValidationError[] {
    const found = this.actions.get(id);
    if (!found) return [];
    if (found.validate(input ?? {})) return [];
    return toValidationErrors(found.validate.errors, 'input');
  }

  /**
   * Top-level input keys the action's schema does not declare. Backstage ignores them (its
   * schemas strip unknown keys), so they are accepted too — but named in the task log, since
   * a misspelt input would otherwise vanish without a word.
   */
  unknownInputs(id: string, input: JsonObject): string[] {
    const schema = this.actions.get(id)?.action.schema.input;
    const properties = schema?.properties;
    if (!properties || typeof properties !== 'object' || Array.isArray(properties)) return [];
    if (schema.additionalProperties !== undefined || schema.patternProperties !== undefined)
      return [];
    return Object.keys(input).filter((key) => !(key in properties));
  }

  /** Throws Backstage's `InputError: Invalid input passed to action <id>, …`. */
  check(id: string, input: JsonObject): void {
    const problems = this.problems(id, input);
    if (problems.length) {
      throw new InputError(
        `Invalid input passed to action ${id}, ${problems.map((p) => p.message).join(', ')}`,
      );
    }
  }

  list(): ActionInfo[] {
    return [...this.actions.values()]
      .map(({ action }) => ({
        id: action.id,
        ...(action.description ? { description: action.description } : {}),
        examples: action.examples ?? [],
        schema: {
          input: action.schema.input,
          ...(action.schema.output ? { output: action.schema.output } : {}),
        },
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
