import {
  ACTIONS,
  checkPermissionPattern,
  type KnownNames,
  knownPlugins,
  normalizeRef,
  pluginOf,
  suggest,
  withActions,
} from './conditions.ts';
import type { Policy, PolicyProblem, PolicyRole, PolicyRule } from './policy-model.ts';

/**
 * Red Hat Developer Hub's `permission.rbac.policies-csv-file`, read unchanged:
 *
 *   p, <role>, <permission name or resource type>, <create|read|update|delete|use>, <allow|deny>
 *   g, <user or group ref>, <role>
 *
 * one per line, `#` comments and blank lines skipped, fields trimmed and optionally quoted
 * ("" is a quote inside quotes), as RHDH parses them line by line. A `p` line becomes one
 * rule whose `actions` is the line's action, so a named permission matches only with its own
 * action (`use` for permissions without one), exactly when RHDH's enforcer would match it.
 * Members of `g` lines are lowercased, as RHDH does; role names are kept as written.
 *
 * RHDH lines that name permissions of plugins this Atrium does not have grant nothing here;
 * they are warnings, not errors, so that a file copied from RHDH loads.
 */

export interface ParsedRhdh {
  policy: Policy;
  problems: PolicyProblem[];
}

/** RHDH's RBAC plugin's own permissions, mapped to Atrium's policy administration. */
const RBAC_PERMISSIONS: Record<string, Partial<Record<string, string>>> = {
  'policy-entity': {
    read: 'permission.policy.read',
    create: 'permission.policy.update',
    update: 'permission.policy.update',
    delete: 'permission.policy.update',
  },
  'policy.entity.read': { read: 'permission.policy.read' },
  'policy.entity.create': { create: 'permission.policy.update' },
  'policy.entity.update': { update: 'permission.policy.update' },
  'policy.entity.delete': { delete: 'permission.policy.update' },
};

/**
 * Names of Backstage's and RHDH's own permissions and resource types. An RHDH file may name
 * them whether or not this Atrium declares them; other unknown names of a plugin Atrium has
 * are taken for typos.
 */
const RHDH_NAMES = new Set([
  'catalog-entity',
  'catalog.entity.read',
  'catalog.entity.create',
  'catalog.entity.delete',
  'catalog.entity.refresh',
  'catalog.location.read',
  'catalog.location.create',
  'catalog.location.delete',
  'scaffolder-template',
  'scaffolder-action',
  'scaffolder-task',
  'scaffolder.template.parameter.read',
  'scaffolder.template.step.read',
  'scaffolder.template.management',
  'scaffolder.action.execute',
  'scaffolder.task.create',
  'scaffolder.task.read',
  'scaffolder.task.cancel',
  'policy-entity',
  'policy.entity.read',
  'policy.entity.create',
  'policy.entity.update',
  'policy.entity.delete',
]);

/**
 * Whether a name no installed plugin declares is a mistake (an error) rather than a
 * permission of a plugin this Atrium lacks (a warning: the line grants nothing here).
 */
export function looksLikeTypo(name: string, known: KnownNames): boolean {
  return !RHDH_NAMES.has(name) && knownPlugins(known).has(pluginOf(name));
}

/** Says that an RHDH line or policy names something no plugin of this Atrium declares. */
export function notHere(name: string, what: 'line' | 'policy'): string {
  return `No plugin of this Atrium declares '${name}'; this ${what} grants nothing here`;
}

/** `role:<namespace>/<name>` in full, as RHDH requires it; undefined otherwise. */
export function rhdhRoleRef(text: string): string | undefined {
  const match = /^role:([^:/\s]+)\/([^:/\s]+)$/.exec(text);
  if (!match) return undefined;
  const [, namespace, name] = match;
  // RHDH's own checks: names [a-zA-Z0-9] in runs joined by [-_.]; namespaces lowercase.
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(namespace!) || namespace!.length > 63) return undefined;
  if (!/^[a-zA-Z0-9]+(?:[-_.][a-zA-Z0-9]+)*$/.test(name!) || name!.length > 63) return undefined;
  return text;
}

/** A user or group ref in the full form RHDH requires, lowercased. */
function rhdhMemberRef(text: string): string | undefined {
  const lower = text.toLowerCase();
  if (!/^(user|group):[^:/\s]+\/[^:/\s]+$/.test(lower)) return undefined;
  return normalizeRef(lower, ['user', 'group']);
}

/** Splits one CSV line (RFC 4180 quoting, fields trimmed), or says why it cannot. */
export function splitCsvLine(line: string): { fields: string[] } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length)
          return { error: `field ${fields.length + 1} opens a quote that is never closed` };
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') {
        return { error: `field ${fields.length + 1} has text after its closing quote` };
      }
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end === -1 ? line.length : end).trim();
      if (field.includes('"')) {
        return {
          error: `field ${fields.length + 1} has a quote inside it; quote the whole field and write "" for a quote`,
        };
      }
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return { fields };
    i++; // the comma
  }
}

export function parseRhdhCsv(text: string, file: string, known: KnownNames): ParsedRhdh {
  const problems: PolicyProblem[] = [];
  const roles = new Map<string, PolicyRole>();
  const rules: PolicyRule[] = [];
  const seenPolicies = new Map<string, { line: number; effect: string }>();
  const seenMembers = new Map<string, number>();

  const roleNamed = (name: string, line: number): PolicyRole => {
    let role = roles.get(name);
    if (!role) {
      role = { name, members: [], source: { file, line } };
      roles.set(name, role);
    }
    return role;
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const error = (field: string | undefined, message: string) =>
      problems.push({ file, line, ...(field ? { field } : {}), message });
    const warning = (field: string | undefined, message: string) =>
      problems.push({ file, line, ...(field ? { field } : {}), message, severity: 'warning' });

    const split = splitCsvLine(trimmed);
    if ('error' in split) {
      error(undefined, `Cannot read this CSV line: ${split.error}`);
      return;
    }
    const fields = split.fields;
    const kind = fields[0];
    if (kind === 'p') {
      if (fields.length !== 5) {
        error(
          undefined,
          `A p line has 5 fields (p, <role>, <permission or resource type>, <action>, <allow|deny>); this one has ${fields.length}`,
        );
        return;
      }
      const [, subject, permission, action, effect] = fields as [
        string,
        string,
        string,
        string,
        string,
      ];
      let ok = true;
      let roleName = rhdhRoleRef(subject);
      let member: string | undefined;
      if (!roleName) {
        // RHDH's enforcer also matches a user (or group) named directly as the subject.
        member = rhdhMemberRef(subject);
        if (member) roleName = member;
        else {
          error(
            'role',
            `'${subject}' is not a role ref in full (role:default/team-a)${subject.startsWith('role:') ? '' : ', user ref or group ref'}`,
          );
          ok = false;
        }
      }
      if (!(ACTIONS as readonly string[]).includes(action)) {
        error('action', `Unknown action '${action}' (actions: ${ACTIONS.join(', ')})`);
        ok = false;
      }
      if (effect !== 'allow' && effect !== 'deny') {
        error('effect', `The effect is 'allow' or 'deny', not '${effect}'`);
        ok = false;
      }
      if (!permission) {
        error('permission', 'The permission field is empty');
        ok = false;
      }
      if (!ok) return;

      const key = `${roleName}\u0000${permission}\u0000${action}`;
      const seen = seenPolicies.get(key);
      if (seen) {
        if (seen.effect === effect) warning(undefined, `Repeats line ${seen.line}`);
        else
          error(
            'effect',
            `Line ${seen.line} says ${seen.effect} for the same role, permission and action`,
          );
        return;
      }
      seenPolicies.set(key, { line, effect });

      const rule = ruleTarget(permission, action, known, error, warning);
      if (!rule) return;
      const role = roleNamed(roleName!, line);
      if (member && !role.members.includes(member)) role.members.push(member);
      rules.push({
        name: `p, ${subject}, ${permission}, ${action}, ${effect}`,
        effect: effect as 'allow' | 'deny',
        roles: [roleName!],
        ...rule,
        source: { file, line },
      });
      return;
    }
    if (kind === 'g') {
      if (fields.length !== 3) {
        error(
          undefined,
          `A g line has 3 fields (g, <user or group ref>, <role>); this one has ${fields.length}`,
        );
        return;
      }
      const [, memberText, roleText] = fields as [string, string, string];
      const member = rhdhMemberRef(memberText);
      const roleName = rhdhRoleRef(roleText);
      let ok = true;
      if (!member) {
        error(
          'member',
          memberText.toLowerCase().startsWith('role:')
            ? `Roles cannot be members of roles (RHDH has no role inheritance)`
            : `'${memberText}' is not a user or group ref in full (user:default/jane, group:default/team-a)`,
        );
        ok = false;
      }
      if (!roleName) {
        error(
          'role',
          /^(user|group):/i.test(roleText)
            ? `Group membership comes from the catalog; a g line assigns a role (role:default/team-a)`
            : `'${roleText}' is not a role ref in full (role:default/team-a)`,
        );
        ok = false;
      }
      if (!ok) return;
      const key = `${member}\u0000${roleName}`;
      const seen = seenMembers.get(key);
      if (seen !== undefined) {
        warning(undefined, `Repeats line ${seen}`);
        return;
      }
      seenMembers.set(key, line);
      const role = roleNamed(roleName!, line);
      if (!role.members.includes(member!)) role.members.push(member!);
      return;
    }
    error(
      undefined,
      `A line starts with p (a permission policy) or g (a role membership), not '${kind}'`,
    );
  });

  return {
    policy: { roles: [...roles.values()], rules, superUsers: [], admins: [] },
    problems,
  };
}

type Report = (field: string | undefined, message: string) => void;

/** What a p line's permission and action cover, in the model's terms. */
function ruleTarget(
  name: string,
  action: string,
  known: KnownNames,
  error: Report,
  warning: Report,
): Pick<PolicyRule, 'permissions' | 'actions'> | undefined {
  const rbac = RBAC_PERMISSIONS[name];
  if (rbac) {
    const target = rbac[action];
    if (!target) {
      warning(
        'action',
        `RHDH never checks ${name} with the action ${action}; this line grants nothing`,
      );
      return undefined;
    }
    if (known.permissions.has(target)) return { permissions: [target] };
  }
  // RHDH compares permission names exactly: a `*` there is a name no permission has.
  const checked = name.includes('*') ? { error: 'glob' } : checkPermissionPattern(name, known);
  if (checked.error) {
    if (name.includes('*') || looksLikeTypo(name, known)) {
      const hint = suggest(name, [...known.permissions, ...known.resourceTypes]);
      error(
        'permission',
        `Unknown permission or resource type '${name}'${hint ? `; did you mean '${hint}'?` : ''} (RHDH files name one permission or resource type per line, without globs)`,
      );
    } else {
      warning('permission', notHere(name, 'line'));
    }
    return undefined;
  }
  const covered = 'covered' in checked && checked.covered;
  if (covered && known.actionOf && withActions(covered, [action], known).length === 0) {
    const own = known.permissions.has(name) ? (known.actionOf.get(name) ?? 'use') : undefined;
    warning(
      'action',
      own
        ? `${name} is checked with the action ${own}, not ${action}; this line never matches`
        : `No permission of ${name} has the action ${action}; this line never matches`,
    );
  }
  return { permissions: [name], actions: [action] };
}
