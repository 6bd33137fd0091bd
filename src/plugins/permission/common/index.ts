/**
 * Types shared by the permission plugin's API (`/api/permission`) and its administration page.
 * Conditions are written as in Backstage and RHDH: `{ rule, resourceType, params }` combined
 * with `allOf`, `anyOf` and `not` (the server also accepts Atrium's camelCase shorthands).
 */

export const POLICY_READ_PERMISSION = 'permission.policy.read';
export const POLICY_UPDATE_PERMISSION = 'permission.policy.update';

/** Largest batch `POST /api/permission/authorize` answers. */
export const MAX_AUTHORIZE_ITEMS = 100;

export type Effect = 'allow' | 'deny';
export type DecisionResult = 'ALLOW' | 'DENY' | 'CONDITIONAL';

export interface Reason {
  message: string;
  rule?: string;
  source?: string;
}

/** A rule of a role kept in the database: a policy rule without `roles` (it is the role's own). */
export interface RoleRuleInput {
  name: string;
  effect: Effect;
  /** Permission names, prefix globs (`catalog.*`), `*`, or resource types (`catalog-entity`). */
  permissions: string[];
  /** `create`, `read`, `update`, `delete`, `use`. */
  actions?: string[];
  conditions?: unknown;
}

/** The body of `PUT /api/permission/roles/:name`. */
export interface RoleInput {
  description?: string;
  /** `user:default/jane`, `group:default/team-a` (the namespace may be left out). */
  members: string[];
  rules: RoleRuleInput[];
}

export interface RoleView {
  name: string;
  description?: string;
  members: string[];
  /** `file:line`, or `database`. */
  source: string;
  file: string;
  line?: number;
  /** Only roles kept in the database are edited here; file roles change in their file. */
  editable: boolean;
  updatedAt?: string;
  updatedBy?: string;
  /** Rules of a database role, as stored (what the editor starts from). */
  rules?: RoleRuleInput[];
}

export interface RuleView {
  name: string;
  effect: Effect;
  roles: string[];
  permissions: string[];
  actions?: string[];
  conditions?: unknown;
  source: string;
}

/** One cell of the matrix: what a role's own rules say about one permission. */
export type MatrixCell = 'allow' | 'deny' | 'conditional' | null;

export interface PermissionView {
  name: string;
  action?: string;
  resourceType?: string;
}

export interface ProblemView {
  file: string;
  line?: number;
  field?: string;
  message: string;
  severity?: 'warning';
}

export type SourceKind = 'atrium-yaml' | 'rhdh-csv' | 'rhdh-conditional' | 'config' | 'database';

export interface SourceView {
  kind: SourceKind;
  /**
   * The file, relative to the server's working directory when below it (else as configured);
   * `database` or `app-config` for the others.
   */
  file: string;
  /** Whether changes to the file are picked up while running. */
  reload: boolean;
  /**
   * `ok`: the last read is in force. `stale`: the last read failed and the version read at
   * `loadedAt` stays in force. `failed`: never read; nothing from it is in force, and
   * everything is denied until it is fixed (fail closed).
   */
  status: 'ok' | 'stale' | 'failed';
  /** When the version in force was read. */
  loadedAt?: string;
  /** When the source was last read, successfully or not. */
  checkedAt?: string;
  roles: number;
  rules: number;
  problems: ProblemView[];
}

export interface PolicyView {
  /** `permission.enabled`: when false every signed-in caller may do everything. */
  enabled: boolean;
  roles: RoleView[];
  rules: RuleView[];
  permissions: PermissionView[];
  resourceTypes: Array<{
    type: string;
    rules: Array<{ name: string; description: string; params: string[] }>;
  }>;
  /** Rows are role names (`everyone` included when a rule names it), columns permission names. */
  matrix: { roles: string[]; permissions: string[]; cells: MatrixCell[][] };
  sources: SourceView[];
  admins: string[];
  superUsers: string[];
}

export interface ExplainRequest {
  /** `user:default/jane` or `jane`. */
  user: string;
  permission: string;
  resourceRef?: string;
}

export interface ExplainResponse {
  user: { ref: string; inCatalog: boolean | null; ownershipRefs: string[] };
  permission: PermissionView;
  resourceRef?: string;
  decision: { result: DecisionResult; reason?: Reason; conditions?: unknown };
  /** The roles the user has, with where each is declared. */
  roles: Array<{ name: string; source: string }>;
  /** The rule that decided, when one did, as declared. */
  rule?: RuleView;
}

export interface AuthorizeItem {
  /** Echoed back (Backstage's permission client sends one). */
  id?: string;
  /** A permission name, or Backstage's `{ type, name, attributes, resourceType }`. */
  permission: string | { name: string };
  resourceRef?: string;
}

export interface AuthorizeResult {
  id?: string;
  permission: string;
  resourceRef?: string;
  result: DecisionResult;
  reason?: Reason;
  conditions?: unknown;
  resourceType?: string;
}
