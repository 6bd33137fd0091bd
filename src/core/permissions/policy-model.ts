import { isAbsolute, relative, sep } from 'node:path';
import type { PermissionCriteria } from '../plugin-api.ts';

/**
 * Access control as data: what the YAML policy file, Red Hat Developer Hub's CSV and
 * conditional-policy files, and roles edited in the web app (stored in the database) all
 * become. One evaluator (./evaluator.ts) reads only this.
 */

/** Where a role or rule was declared, shown on the administration page and in denials. */
export interface PolicySource {
  /** Absolute path of the file, or `database` for roles edited in the web app. */
  file: string;
  /** 1-based line, when the declaration came from a file. */
  line?: number;
}

/**
 * A policy file as the server shows it to people (denials, the administration page, the audit
 * log): below the server's working directory relative (`examples/policy.yaml`), so the
 * server's own layout does not leak; elsewhere as the configuration names it.
 */
export function displayFile(file: string): string {
  const cwd = process.cwd();
  return isAbsolute(file) && file.startsWith(`${cwd}${sep}`) ? relative(cwd, file) : file;
}

/** `file:line` as a denial shows it to any user, the file as `displayFile` shows it. */
export function formatSource(source: PolicySource): string {
  const file = displayFile(source.file);
  return source.line ? `${file}:${source.line}` : file;
}

/** The role every signed-in caller (the guest included) has without being listed. */
export const EVERYONE_ROLE = 'everyone';

export interface PolicyRole {
  /** As written: `platform-admins`, or RHDH's `role:default/team-a`. */
  name: string;
  description?: string;
  /**
   * `user:<ns>/<name>` and `group:<ns>/<name>` refs, lowercase. A group's members include the
   * members of its sub-groups (the caller's ownership refs carry every ancestor group).
   */
  members: string[];
  source: PolicySource;
}

export interface PolicyRule {
  /** A name a person reads in a denial ("team members may unregister what they own"). */
  name: string;
  effect: 'allow' | 'deny';
  /** Role names the rule applies to; `everyone` for all signed-in callers. */
  roles: string[];
  /**
   * Which permissions: exact names (`catalog.entity.delete`), a prefix glob (`catalog.*`),
   * `*`, or a resource type (`catalog-entity`, as RHDH writes them).
   */
  permissions: string[];
  /** Narrows to permissions with one of these actions (RHDH: `create|read|update|delete|use`). */
  actions?: string[];
  /** The rule applies only to resources meeting these; permissions must then have a resource type. */
  conditions?: PermissionCriteria;
  source: PolicySource;
}

export interface Policy {
  roles: PolicyRole[];
  rules: PolicyRule[];
  /** May do everything (RHDH `permission.rbac.admin.superUsers`). */
  superUsers: string[];
  /** May read and change the policy (RHDH `permission.rbac.admin.users`). */
  admins: string[];
}

/** A mistake in a policy source, with where it is. */
export interface PolicyProblem {
  file: string;
  line?: number;
  /** Dotted path of the field, e.g. `rules[2].when.isEntityOwner`. */
  field?: string;
  message: string;
  /**
   * Absent means an error: the source must not replace the last good policy. A warning is
   * kept by the policy as read, e.g. an RHDH line naming a plugin this Atrium does not have,
   * which grants nothing here but must not stop a copied RHDH file from loading.
   */
  severity?: 'warning';
}

/**
 * A problem as people see it (the administration page, the audit log): its file, and the paths
 * below the working directory its message names (a read error), as `displayFile` shows them.
 * The server's log keeps the whole paths.
 */
export function displayProblem<T extends PolicyProblem>(problem: T): T {
  const root = `${process.cwd()}${sep}`;
  return {
    ...problem,
    file: displayFile(problem.file),
    message: problem.message.split(root).join(''),
  };
}

export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line ? `${problem.file}:${problem.line}` : problem.file;
  return `${where}${problem.field ? ` (${problem.field})` : ''}: ${problem.message}`;
}

export const EMPTY_POLICY: Policy = { roles: [], rules: [], superUsers: [], admins: [] };
