/**
 * The actions registry: typed operations that plugins offer to programs acting for a person
 * (AI assistants through the MCP server at `/api/mcp`), named and shaped as Backstage's
 * actions registry names them (`get-catalog-entity`, `query-catalog-entities`, ...).
 *
 * A plugin contributes actions with `extend(actionsRegistryExtensionPoint, action)` in its
 * `extensions`. The host declares this point itself, so a plugin may contribute actions in an
 * app assembled without the MCP server (the actions are then simply not offered).
 *
 * An action acts with exactly the caller's rights: the host checks `permission` (and
 * `alsoRequires`) before the handler runs, as it does for a route, and the handler filters and
 * checks per resource through `ctx.decide` / `ctx.require` as a route handler does.
 */
import type { ExtensionPoint, Permission, RouteContext } from './plugin-api.ts';

/** A JSON Schema (draft-07 or 2020-12 keywords that ajv understands) for an object. */
export interface ActionObjectSchema {
  type: 'object';
  properties?: Record<string, unknown>;
  required?: readonly string[];
  additionalProperties?: boolean | Record<string, unknown>;
  description?: string;
  [keyword: string]: unknown;
}

/** MCP's tool annotations (hints for the assistant; never relied on for safety). */
export interface ActionHints {
  /** Reads only; changes nothing anywhere. */
  readOnlyHint: boolean;
  /** May delete or overwrite what exists (only meaningful when not read-only). */
  destructiveHint: boolean;
  /** Calling it twice with the same input has no further effect than calling it once. */
  idempotentHint: boolean;
  /** Reaches systems outside the portal (SCM hosts, URLs); default false. */
  openWorldHint?: boolean;
}

/**
 * What an action's handler gets besides its input: the caller's request context (identity,
 * `require`, `decide`, `audit`, exactly those of a route), and a signal that aborts when the
 * caller goes away.
 */
export interface ActionContext extends RouteContext {
  signal: AbortSignal;
}

/** One action. `TInput` is what `inputSchema` admits (the host validates before calling). */
export interface ActionDefinition<
  TInput = Record<string, unknown>,
  TOutput extends object = Record<string, unknown>,
> {
  /** The tool name: lowercase letters, digits and `-` (`get-catalog-entity`); unique. */
  id: string;
  /** A short human title (`Get a catalog entity`). */
  title: string;
  /** What it does and when to use it, written for the assistant that chooses tools. */
  description: string;
  /** JSON Schema of the input object; unknown properties should be refused. */
  inputSchema: ActionObjectSchema;
  /** JSON Schema of the object the handler returns. */
  outputSchema: ActionObjectSchema;
  /**
   * Checked before the handler runs, as a route's permission is (a CONDITIONAL answer passes:
   * the handler then filters); `null` for an action whose handler checks per resource itself
   * or that reveals only the caller's own data.
   */
  permission: Permission | null;
  /** Further permissions the handler always asks; the action is hidden from callers denied one. */
  alsoRequires?: Permission[];
  hints: ActionHints;
  /**
   * Deletes or runs something that cannot be taken back (unregistering an entity, running a
   * template): offered only where the operator enabled such actions (`mcp.destructiveTools`).
   */
  destructive: boolean;
  /** Runs the action. Throw the host's errors (`InputError`, `NotFoundError`, ...) to fail. */
  handler(input: TInput, ctx: ActionContext): Promise<TOutput>;
}

/** Actions from every plugin; see the module comment. Declared by the host. */
export const actionsRegistryExtensionPoint: ExtensionPoint<ActionDefinition> = {
  id: 'actions.registry',
};

/** Keeps an action's input and output types while handing it to the untyped extension point. */
export function defineAction<TInput, TOutput extends object>(
  action: ActionDefinition<TInput, TOutput>,
): ActionDefinition {
  return action as unknown as ActionDefinition;
}
