import type { PortalRequest, PortalResponse } from '../../../../core/host-services.ts';
import type { Permission, ResourceTarget } from '../../../../core/plugin-api.ts';
import type { Entity, JsonObject, JsonValue } from '../../../../model/entity.ts';
import type { AtriumConfig } from '../../../../core/config/index.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { TemplateRenderer } from '../templating/renderer.ts';

/**
 * The contract between the task runner and an action. Built-in actions and actions that
 * other plugins contribute (through `scaffolderActionsExtensionPoint`) implement the same
 * interface; the runner validates `input` against `schema.input` before `handler` runs.
 */
export interface TemplateAction<I extends JsonObject = JsonObject> {
  /** e.g. `fetch:template`; what `spec.steps[].action` names. */
  id: string;
  description?: string;
  /** Shown by `GET /v2/actions`: `example` is a YAML snippet of a step. */
  examples?: { description: string; example: string }[];
  schema: {
    /** JSON Schema (draft-07) of the step input. */
    input: JsonObject;
    /** JSON Schema of the outputs; dry runs synthesize outputs of skipped actions from it. */
    output?: JsonObject;
  };
  /** Whether the action runs during a dry run (it must then have no side effect outside the workspace). */
  supportsDryRun?: boolean;
  handler(ctx: ActionContext<I>): Promise<void>;
}

/** A logger whose lines land in the task's log (secrets masked by the runner). */
export interface TaskLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface TemplateInfo {
  /** e.g. `template:default/node-service`. */
  entityRef: string;
  /**
   * Where the template was read from, the base for relative `url`s: `file:/abs/dir/template.yaml`
   * or `https://host/path/template.yaml`. Undefined when the template came inline (dry run of
   * a pasted template); relative urls then resolve against the dry-run `directoryContents`.
   */
  baseUrl?: string;
  entity?: { metadata: JsonObject };
}

export interface ActionContext<I extends JsonObject = JsonObject> {
  input: I;
  /** Absolute path of the task's workspace; every write must stay inside it. */
  workspacePath: string;
  logger: TaskLogger;
  output(name: string, value: JsonValue): void;
  /** A scratch directory removed with the task's workspace. */
  createTemporaryDirectory(): Promise<string>;
  templateInfo?: TemplateInfo;
  user?: { entity?: Entity; ref: string };
  /** Request secrets; never log them (the runner masks known values anyway). */
  secrets: Record<string, string>;
  isDryRun: boolean;
  /** Aborted when the task is cancelled. */
  signal: AbortSignal;
  /**
   * Renders `${{ }}` templates in worker threads under the task's `scaffolder.limits.*`
   * budget (what `fetch:template` uses for skeletons). Set by the task runner; absent in
   * hand-built contexts (tests), where an action falls back to a renderer of its own.
   */
  renderer?: TemplateRenderer;
  task: { id: string };
  step: { id: string; name: string };
  /** Set while a step runs once per item of its `each`. */
  each?: { key: string; value: JsonValue };
  /**
   * Checks a permission as the person who created the task (their current roles), and
   * throws `NotAllowedError` with the reason when the policy denies it: an action that
   * changes something elsewhere in the portal (registering a location) asks before acting.
   * Absent in hand-built contexts (tests) and dry runs of actions that change nothing.
   */
  authorize?(permission: Permission, resource?: string | ResourceTarget): Promise<void>;
  /**
   * Calls this portal's own API as the person who created the task, in process: their current
   * roles decide, the audit log names them, and no credential is minted that a step could leak.
   * Absent in hand-built contexts (tests) and dry runs.
   */
  portalRequest?(request: PortalRequest): Promise<PortalResponse>;
}

/** What an action factory receives: the host's services, available once the app is set up. */
export interface ActionDeps {
  config: AtriumConfig;
  catalog: CatalogApi;
}

/**
 * What a plugin contributes to `scaffolder.actions`: an action, or a factory called at setup
 * with the host's services (for actions that talk to the catalog or read config).
 */
export type ActionContribution = TemplateAction | ((deps: ActionDeps) => TemplateAction);
