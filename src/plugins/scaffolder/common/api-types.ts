/**
 * The scaffolder REST API (`/api/scaffolder`, COMPAT.md §6.4) as TypeScript types, shared by
 * the server routes and the web pages. Field names are Backstage's; Atrium additions are
 * marked.
 */
import type { Entity, EntityLink, JsonObject, JsonValue } from '../../../model/entity.ts';

/** Task status. Backstage ends a cancelled task `failed`; Atrium ends it `cancelled`. */
export type TaskStatus = 'open' | 'processing' | 'completed' | 'failed' | 'cancelled';

/** Status of one step as log events report it. */
export type StepStatus = 'open' | 'processing' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** A step of the task spec: ids and names are always filled (`step-<n>`, the action id). */
export interface TaskStep {
  id: string;
  name: string;
  action: string;
  input?: JsonObject;
  if?: string | boolean;
  each?: JsonValue;
  'backstage:permissions'?: { tags?: string[] };
}

export interface TemplateInfoSpec {
  /** e.g. `template:default/node-service`; `template:default/dry-run` in a dry run. */
  entityRef: string;
  /** URL of the template file (`file:` or `https:`), base of relative `url` inputs. */
  baseUrl?: string;
  entity?: { metadata: JsonObject };
}

/** What the runner executes: the template's steps and output with the submitted values. */
export interface TaskSpec {
  apiVersion: string;
  steps: TaskStep[];
  output: JsonObject;
  /** The submitted form values. */
  parameters: JsonObject;
  user: { entity?: Entity; ref?: string };
  templateInfo: TemplateInfoSpec;
  EXPERIMENTAL_recovery?: JsonObject;
}

export interface SerializedTask {
  id: string;
  spec: TaskSpec;
  status: TaskStatus;
  /** ISO timestamp. */
  createdAt: string;
  lastHeartbeatAt?: string;
  /** User ref of the creator, e.g. `user:default/guest`. */
  createdBy?: string;
  /** Atrium: the task this one retries (POST /v2/tasks/:id/retry). */
  retryOf?: string;
}

export interface TaskList {
  tasks: SerializedTask[];
  totalTasks: number;
}

export type TaskEventType = 'log' | 'completion' | 'cancelled' | 'recovered';

/** Body of a `log` event. Step lifecycle lines carry `stepId` and `status`. */
export interface LogEventBody {
  message: string;
  stepId?: string;
  status?: StepStatus;
}

export interface OutputLink {
  title?: string;
  icon?: string;
  url?: string;
  entityRef?: string;
}

export interface OutputText {
  title?: string;
  icon?: string;
  /** Markdown. */
  content?: string;
}

/** The rendered `spec.output` of a template. */
export interface TaskOutput {
  links?: OutputLink[];
  text?: OutputText[];
  [key: string]: JsonValue | OutputLink[] | OutputText[] | undefined;
}

/** Body of the final `completion` event. */
export interface CompletionEventBody {
  /** `Run completed with status: completed|failed|cancelled`. */
  message: string;
  output?: TaskOutput;
  error?: { name: string; message: string };
}

export interface CancelledEventBody {
  message: string;
  stepId?: string;
  status: 'cancelled';
}

export type TaskEvent =
  | TaskEventBase<'log', LogEventBody>
  | TaskEventBase<'completion', CompletionEventBody>
  | TaskEventBase<'cancelled', CancelledEventBody>
  | TaskEventBase<'recovered', { message: string }>;

export interface TaskEventBase<T extends TaskEventType, B> {
  /** Integer, increasing in the order events happened. */
  id: number;
  taskId: string;
  type: T;
  body: B;
  /** ISO timestamp. */
  createdAt: string;
  isTaskRecoverable?: boolean;
}

/** POST /v2/tasks */
export interface CreateTaskRequest {
  /** `template:default/x`, `default/x` or `x` (kind defaults to template). */
  templateRef: string;
  values: JsonObject;
  secrets?: Record<string, string>;
}

export interface CreateTaskResponse {
  id: string;
}

/** POST /v2/tasks/:id/retry */
export interface RetryTaskRequest {
  secrets?: Record<string, string>;
}

/**
 * One problem in a 400 `{errors}` answer of POST /v2/tasks, retry and dry-run. Shaped like
 * the npm `jsonschema` errors Backstage returns (`property`, `message`, `name`, `argument`,
 * `stack`, `path`), plus Atrium's `field`/`stepId`/`page` to say where the problem is.
 */
export interface ValidationError {
  /** The JSON-schema keyword (`required`, `pattern`, …) or an error class (`InputError`). */
  name: string;
  /** Human-readable; starts with the field it is about. */
  message: string;
  /** jsonschema style: `instance.name`, `instance` for the whole object. */
  property?: string;
  path?: Array<string | number>;
  argument?: JsonValue;
  stack?: string;
  /** Atrium: dotted field name, e.g. `name`, `secrets.token`, `steps[1].input.url`. */
  field?: string;
  /** Atrium: index of the parameter page (0-based) the field belongs to. */
  page?: number;
  /** Atrium: the step a problem in `spec.steps` is about. */
  stepId?: string;
}

export interface ValidationErrorsResponse {
  errors: ValidationError[];
}

/** Atrium: GET /v2/templates — the templates in the catalog, for the template list. */
export interface TemplateSummary {
  /** `template:<namespace>/<name>` */
  entityRef: string;
  namespace: string;
  name: string;
  title: string;
  description?: string;
  tags: string[];
  /** The owner ref as written in `spec.owner` (full form, e.g. `group:default/team-a`). */
  owner?: string;
  /** `spec.type`, e.g. `service`. */
  type: string;
  links: EntityLink[];
}

export interface TemplateListResponse {
  items: TemplateSummary[];
}

/** GET /v2/templates/:namespace/:kind/:name/parameter-schema */
export interface ParameterSchemaResponse {
  title: string;
  description?: string;
  presentation?: JsonObject;
  'ui:options'?: JsonObject;
  steps: Array<{ title: string; description?: string; schema: JsonObject }>;
  formDecorators?: Array<{ id: string; input?: JsonObject }>;
}

/** One element of GET /v2/actions. */
export interface ActionInfo {
  id: string;
  description?: string;
  examples?: Array<{ description: string; example: string }>;
  schema: { input?: JsonObject; output?: JsonObject };
}

/** POST /v2/dry-run */
export interface DryRunRequest {
  /** The whole Template entity. */
  template: JsonObject;
  values: JsonObject;
  secrets?: Record<string, string>;
  /** The template's folder (skeleton files); `path` relative, content base64. */
  directoryContents: Array<{ path: string; base64Content: string }>;
}

export interface DryRunResponse {
  log: Array<{ body: LogEventBody }>;
  /** The workspace after the run. */
  directoryContents: Array<{ path: string; executable: boolean; base64Content: string }>;
  output: TaskOutput;
  steps: TaskStep[];
  /** Atrium: how the run ended (a failed step is in the log too). */
  status?: 'completed' | 'failed' | 'cancelled';
  /** Atrium: the error that ended a failed run. */
  error?: { name: string; message: string };
  /**
   * Atrium: what Backstage runs anyway and Atrium flags (a `${{ }}` that does not parse, a
   * repeated step id), also at the start of the log.
   */
  warnings?: ValidationError[];
}

/** GET /v2/templating-extensions */
export interface TemplatingExtensions {
  filters: Record<
    string,
    {
      description?: string;
      examples?: Array<{ description?: string; example: string; notes?: string }>;
      schema?: JsonObject;
    }
  >;
  globals: {
    functions: Record<
      string,
      {
        description?: string;
        examples?: Array<{ description?: string; example: string }>;
        schema?: JsonObject;
      }
    >;
    values: Record<string, { description?: string; value: JsonValue }>;
  };
}

/** The scaffolder's permissions (Backstage's names). */
export const SCAFFOLDER_PERMISSION_NAMES = {
  taskCreate: 'scaffolder.task.create',
  taskRead: 'scaffolder.task.read',
  taskCancel: 'scaffolder.task.cancel',
  actionRead: 'scaffolder.action.read',
  templateParameterRead: 'scaffolder.template.parameter.read',
  dryRun: 'scaffolder.template.dry-run',
} as const;
