import { basename } from 'node:path';
import type { KnownNames } from '../../../core/permissions/conditions.ts';
import {
  EVERYONE_ROLE,
  formatSource,
  type Policy,
  type PolicyProblem,
  type PolicyRole,
  type PolicyRule,
} from '../../../core/permissions/policy-model.ts';
import type { PermissionCriteria } from '../../../core/plugin-api.ts';
import type { PolicyFile } from './policy-file.ts';
import type { StoredRole } from './role-store.ts';

export const DATABASE_SOURCE = 'database';
export const CONFIG_SOURCE = 'app-config';
/** Groups named in `permission.rbac.admin.users` and `.superUsers`, as read-only roles. */

const isError = (p: PolicyProblem) => p.severity !== 'warning';

export interface MergeInput {
  files: readonly Pick<PolicyFile, 'file' | 'policy' | 'problems'>[];
  storedRoles: readonly StoredRole[];
  /** `permission.rbac.admin.users` and `.superUsers`: user and group refs. */
  admins: string[];
  superUsers: string[];
  known: KnownNames;
}

/**
 * One policy from what each source has in force. A file never read successfully contributes a
 * deny of everything instead (fail closed); a database role that a file also declares is
 * ignored, with a warning, because files win.
 */
export function mergePolicy(input: MergeInput): {
  policy: Policy;
  databaseProblems: PolicyProblem[];
} {
  const roles: PolicyRole[] = [];
  const rules: PolicyRule[] = [];
  const fileRoles = new Map<string, string>();
  for (const file of input.files) {
    if (file.policy) {
      for (const role of file.policy.roles) {
        roles.push(role);
        if (!fileRoles.has(role.name)) fileRoles.set(role.name, formatSource(role.source));
      }
      rules.push(...file.policy.rules);
    } else {
      // Fail closed: a file never read may have been meant to deny what the defaults allow.
      const first = file.problems.find(isError);
      rules.push({
        name: `${basename(file.file)} could not be read at start, so everything is denied until it is fixed`,
        effect: 'deny',
        roles: [EVERYONE_ROLE],
        permissions: ['*'],
        source: { file: file.file, ...(first?.line ? { line: first.line } : {}) },
      });
    }
  }
  const problems: PolicyProblem[] = [];
  const { known } = input;
  for (const stored of input.storedRoles) {
    const declared = fileRoles.get(stored.name);
    if (declared) {
      problems.push({
        file: DATABASE_SOURCE,
        field: `roles.${stored.name}`,
        message: `Role '${stored.name}' is also declared in ${declared}; the file's role is in force and this one is ignored (delete it here)`,
        severity: 'warning',
      });
      continue;
    }
    roles.push({
      name: stored.name,
      ...(stored.description ? { description: stored.description } : {}),
      members: stored.members,
      source: { file: DATABASE_SOURCE },
    });
    stored.rules.forEach((rule, i) => {
      for (const pattern of rule.permissions) {
        if (pattern === '*' || pattern.endsWith('.*')) continue;
        if (!known.permissions.has(pattern) && !known.resourceTypes.has(pattern)) {
          problems.push({
            file: DATABASE_SOURCE,
            field: `roles.${stored.name}.rules[${i}].permissions`,
            message: `No installed plugin declares '${pattern}' any more; the rule grants nothing for it`,
            severity: 'warning',
          });
        }
      }
      rules.push({
        name: rule.name,
        effect: rule.effect,
        roles: [stored.name],
        permissions: rule.permissions,
        ...(rule.actions ? { actions: rule.actions } : {}),
        ...(rule.conditions ? { conditions: rule.conditions as PermissionCriteria } : {}),
        source: { file: DATABASE_SOURCE },
      });
    });
  }
  const lower = (list: string[]) => [...new Set(list.map((u) => u.toLowerCase()))];
  const policy: Policy = {
    roles,
    rules,
    admins: lower([
      // Groups are matched through the caller's ownership refs, sub-groups' members included.
      ...input.admins,
      ...input.files.flatMap((f) => f.policy?.admins ?? []),
    ]),
    superUsers: lower([
      ...input.superUsers,
      ...input.files.flatMap((f) => f.policy?.superUsers ?? []),
    ]),
  };
  return { policy, databaseProblems: problems };
}
