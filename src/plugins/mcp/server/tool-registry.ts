import {
  type ActionContext,
  type ActionDefinition,
  InputError,
  NotAllowedError,
  NotFoundError,
  type Permission,
  type RouteContext,
} from '../../../core/plugin-api.ts';
import {
  createSchemaAjv,
  lazyValidator,
  toValidationErrors,
  type ValidateFunction,
} from '../../scaffolder/server/validation/json-schema.ts';

/** MCP tool names are short and safe in every client; Backstage's action names fit. */
const TOOL_NAME = /^[a-z][a-z0-9-]{0,63}$/;

interface Tool {
  action: ActionDefinition;
  validate: ValidateFunction;
}

const permissionsOf = (action: ActionDefinition): Permission[] => [
  ...(action.permission ? [action.permission] : []),
  ...(action.alsoRequires ?? []),
];

/**
 * The actions of every plugin, checked once at start (a malformed one stops the start with its
 * name), and the two questions the MCP server asks of them: which may this caller use, and
 * run this one for this caller.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(
    actions: readonly ActionDefinition[],
    private readonly options: { destructiveTools: () => boolean },
  ) {
    // Defaults in a schema are applied to the input, as route schemas apply theirs.
    const ajv = createSchemaAjv({ useDefaults: true });
    for (const action of actions) {
      const what = `Action '${action.id}'`;
      if (typeof action.id !== 'string' || !TOOL_NAME.test(action.id)) {
        throw new Error(
          `Action id '${action.id}' is invalid: use lowercase letters, digits and '-' (at most 64)`,
        );
      }
      if (this.tools.has(action.id))
        throw new Error(`Two plugins contribute action '${action.id}'`);
      if (!action.title?.trim() || !action.description?.trim()) {
        throw new Error(`${what} needs a title and a description`);
      }
      for (const key of ['inputSchema', 'outputSchema'] as const) {
        if (action[key]?.type !== 'object') {
          throw new Error(`${what}: ${key} must be a JSON Schema of type 'object'`);
        }
      }
      if (action.destructive && (!action.hints.destructiveHint || action.hints.readOnlyHint)) {
        throw new Error(`${what} is destructive: its hints must say destructive and not read-only`);
      }
      let validate: ValidateFunction;
      try {
        validate = lazyValidator(ajv, action.inputSchema);
        lazyValidator(ajv, action.outputSchema);
      } catch (error) {
        throw new Error(`${what} has an invalid schema: ${(error as Error).message}`);
      }
      this.tools.set(action.id, { action, validate });
    }
  }

  /** Every action, offered or not (for documentation and tests). */
  all(): ActionDefinition[] {
    return [...this.tools.values()].map((t) => t.action);
  }

  /**
   * The actions this caller may use: destructive ones only where enabled, and only those none
   * of whose permissions the policy denies (a conditional answer lets the handler filter).
   */
  async offered(ctx: RouteContext): Promise<ActionDefinition[]> {
    const out: ActionDefinition[] = [];
    for (const { action } of this.tools.values()) {
      if (action.destructive && !this.options.destructiveTools()) continue;
      const decisions = await Promise.all(permissionsOf(action).map((p) => ctx.decide(p)));
      if (decisions.every((d) => d.result !== 'DENY')) out.push(action);
    }
    return out;
  }

  /**
   * Runs one action for the caller: refused when unknown or switched off, then the permission
   * check (before validation, as for routes: a caller without the right learns nothing from
   * validation errors), then the input against its schema, then the handler.
   */
  async call(name: string, args: unknown, ctx: ActionContext): Promise<Record<string, unknown>> {
    const tool = this.tools.get(name);
    if (!tool) {
      throw new NotFoundError(`Unknown tool '${name}': tools/list names the tools you may use`);
    }
    const { action } = tool;
    if (action.destructive && !this.options.destructiveTools()) {
      throw new NotAllowedError(
        `The tool '${name}' is destructive, and destructive tools are off on this server (mcp.destructiveTools: false)`,
      );
    }
    for (const permission of permissionsOf(action)) await ctx.require(permission);
    const input = args ?? {};
    if (!tool.validate(input)) {
      const problems = toValidationErrors(tool.validate.errors, 'arguments');
      throw new InputError(
        `Invalid arguments for tool ${name}: ${problems.map((p) => p.message).join('; ')}`,
      );
    }
    const output = await action.handler(input as Record<string, unknown>, ctx);
    return output as Record<string, unknown>;
  }
}
