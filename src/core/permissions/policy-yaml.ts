import type { PermissionCriteria } from '../plugin-api.ts';
import {
  ACTIONS,
  type ConditionContext,
  checkPermissionPattern,
  criteriaResourceTypes,
  type KnownNames,
  normalizeRef,
  parseWhen,
  suggest,
  withActions,
} from './conditions.ts';
import {
  EVERYONE_ROLE,
  type Policy,
  type PolicyProblem,
  type PolicyRole,
  type PolicyRule,
} from './policy-model.ts';
import { type FieldPath, fieldName, readYamlDocuments } from './yaml-positions.ts';

/**
 * Atrium's policy file (`permission.policyFile`): roles with members, and rules that allow or
 * deny permissions to roles, optionally only `when` the resource meets conditions. The
 * README's "Access control" section documents the format.
 *
 * `policy` holds every role and rule that could be read; any problem without
 * `severity: 'warning'` means the file as a whole must not replace the last good policy.
 */

export interface ParsedPolicy {
  policy: Policy;
  problems: PolicyProblem[];
}

const TOP_KEYS = ['roles', 'rules'];
const ROLE_KEYS = ['name', 'description', 'members'];
const RULE_KEYS = ['name', 'roles', 'allow', 'deny', 'actions', 'when'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A string or a list of them, as written; undefined if it is neither. */
function stringList(value: unknown): unknown[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value : undefined;
}

export function parsePolicyYaml(text: string, file: string, known: KnownNames): ParsedPolicy {
  const policy: Policy = { roles: [], rules: [], superUsers: [], admins: [] };
  const read = readYamlDocuments(text, file);
  const problems = read.problems;
  if (problems.length > 0) return { policy, problems };
  const [doc, extra] = read.documents;
  if (extra) {
    problems.push({
      file,
      line: extra.line,
      message: 'A policy file holds one YAML document; remove the second `---`',
    });
    return { policy, problems };
  }
  if (!doc || doc.value === null || doc.value === undefined) return { policy, problems };

  const problem = (path: FieldPath, message: string) =>
    problems.push({ file, line: doc.lineOf(path), field: fieldName(path), message });
  const unknownKeys = (value: Record<string, unknown>, allowed: string[], path: FieldPath) => {
    let ok = true;
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const hint = suggest(key, allowed);
      problem(
        [...path, key],
        `Unknown key '${key}'${hint ? `; did you mean '${hint}'?` : ''} (expected ${allowed.join(', ')})`,
      );
      ok = false;
    }
    return ok;
  };

  const top = doc.value;
  if (!isObject(top)) {
    problems.push({
      file,
      line: doc.line,
      message: 'A policy file is a map with `roles` and `rules` (see the README, "Access control")',
    });
    return { policy, problems };
  }
  unknownKeys(top, TOP_KEYS, []);
  const listAt = (key: string): unknown[] => {
    const value = top[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    problem([key], `'${key}' is a list`);
    return [];
  };

  // Roles first: rules are checked against every declared role, wherever it is declared.
  const roleLines = new Map<string, number>();
  listAt('roles').forEach((item, i) => {
    const path: FieldPath = ['roles', i];
    const before = problems.length;
    const role = readRole(item, path, file, doc.lineOf, problem, unknownKeys);
    if (!role) return;
    const first = roleLines.get(role.name);
    if (first !== undefined) {
      problem([...path, 'name'], `Role '${role.name}' is declared twice (first at line ${first})`);
      return;
    }
    // A role with a mistake is still declared: rules naming it get no second, misleading error.
    roleLines.set(role.name, role.source.line!);
    if (problems.length === before) policy.roles.push(role);
  });

  const ruleLines = new Map<string, number>();
  const ctx: ConditionContext = { file, lineOf: doc.lineOf, problems, known };
  listAt('rules').forEach((item, i) => {
    const path: FieldPath = ['rules', i];
    const before = problems.length;
    const rule = readRule(item, path, roleLines, ctx, problem, unknownKeys);
    if (!rule) return;
    const first = ruleLines.get(rule.name);
    if (first !== undefined) {
      problem([...path, 'name'], `Rule '${rule.name}' is declared twice (first at line ${first})`);
      return;
    }
    ruleLines.set(rule.name, rule.source.line!);
    if (problems.length === before) policy.rules.push(rule);
  });
  return { policy, problems };
}

type Report = (path: FieldPath, message: string) => void;
/** One permission pattern of a rule, the known permissions it names, and where it is written. */
type Covered = { pattern: string; names: string[] | undefined; at: FieldPath };
type UnknownKeys = (value: Record<string, unknown>, allowed: string[], path: FieldPath) => boolean;

function readName(item: Record<string, unknown>, path: FieldPath, what: string, problem: Report) {
  const name = item.name;
  if (typeof name !== 'string' || name.trim() === '') {
    problem(path, `A ${what} needs a 'name' (a non-empty string)`);
    return undefined;
  }
  return name.trim();
}

function readRole(
  item: unknown,
  path: FieldPath,
  file: string,
  lineOf: (path: FieldPath) => number,
  problem: Report,
  unknownKeys: UnknownKeys,
): PolicyRole | undefined {
  if (!isObject(item)) {
    problem(path, 'A role is a map with name, description and members');
    return undefined;
  }
  unknownKeys(item, ROLE_KEYS, path);
  const name = readName(item, path, 'role', problem);
  if (name === undefined) return undefined;
  if (name === EVERYONE_ROLE) {
    problem(
      [...path, 'name'],
      `'${EVERYONE_ROLE}' is built in (every signed-in caller) and cannot be declared`,
    );
  }
  if (item.description !== undefined && typeof item.description !== 'string') {
    problem([...path, 'description'], "'description' is a string");
  }
  const members: string[] = [];
  if (item.members !== undefined && item.members !== null) {
    const list = stringList(item.members);
    if (!list) {
      problem([...path, 'members'], "'members' is a list of user and group refs");
    }
    (list ?? []).forEach((member, j) => {
      const ref = typeof member === 'string' ? normalizeRef(member, ['user', 'group']) : undefined;
      if (!ref) {
        problem(
          Array.isArray(item.members) ? [...path, 'members', j] : [...path, 'members'],
          `Member '${String(member)}' is not a user or group ref: write user:default/jane or group:default/team-a (the namespace may be left out)`,
        );
      } else if (!members.includes(ref)) members.push(ref);
    });
  }
  return {
    name,
    ...(typeof item.description === 'string' ? { description: item.description } : {}),
    members,
    source: { file, line: lineOf(path) },
  };
}

function readRule(
  item: unknown,
  path: FieldPath,
  roles: Map<string, number>,
  ctx: ConditionContext,
  problem: Report,
  unknownKeys: UnknownKeys,
): PolicyRule | undefined {
  if (!isObject(item)) {
    problem(
      path,
      'A rule is a map with name, roles, allow or deny, and optionally actions and when',
    );
    return undefined;
  }
  unknownKeys(item, RULE_KEYS, path);
  const name = readName(item, path, 'rule', problem);
  if (name === undefined) return undefined;

  const ruleRoles: string[] = [];
  const roleList = stringList(item.roles);
  if (!roleList || roleList.length === 0) {
    problem(
      item.roles === undefined ? path : [...path, 'roles'],
      `Rule '${name}' needs 'roles': the roles it applies to (${EVERYONE_ROLE} for every signed-in caller)`,
    );
  }
  (roleList ?? []).forEach((role, j) => {
    const at = Array.isArray(item.roles) ? [...path, 'roles', j] : [...path, 'roles'];
    if (typeof role !== 'string' || role.trim() === '') {
      problem(at, 'A role name is a non-empty string');
      return;
    }
    const roleName = role.trim();
    if (roleName !== EVERYONE_ROLE && !roles.has(roleName) && !ctx.known.roles?.has(roleName)) {
      const hint = suggest(roleName, [...roles.keys(), ...(ctx.known.roles ?? []), EVERYONE_ROLE]);
      problem(
        at,
        `Unknown role '${roleName}'${hint ? `; did you mean '${hint}'?` : ''} (declare roles under 'roles'; '${EVERYONE_ROLE}' is every signed-in caller)`,
      );
      return;
    }
    ruleRoles.push(roleName);
  });

  const hasAllow = item.allow !== undefined;
  const hasDeny = item.deny !== undefined;
  if (hasAllow === hasDeny) {
    problem(
      path,
      hasAllow
        ? `Rule '${name}' has both allow and deny: make it two rules`
        : `Rule '${name}' needs 'allow' or 'deny': the permissions it gives or takes away`,
    );
    return undefined;
  }
  const effect = hasAllow ? 'allow' : 'deny';
  const permissionsPath = [...path, effect];
  const patterns = stringList(item[effect]);
  const permissions: string[] = [];
  const covered: Covered[] = [];
  if (!patterns || patterns.length === 0) {
    problem(permissionsPath, `'${effect}' is a permission or a non-empty list of them`);
  }
  (patterns ?? []).forEach((pattern, j) => {
    const at = Array.isArray(item[effect]) ? [...permissionsPath, j] : permissionsPath;
    if (typeof pattern !== 'string' || pattern.trim() === '') {
      problem(at, 'A permission is a non-empty string');
      return;
    }
    const result = checkPermissionPattern(pattern.trim(), ctx.known);
    if (result.error) problem(at, result.error);
    else {
      permissions.push(pattern.trim());
      covered.push({ pattern: pattern.trim(), names: result.covered, at });
    }
  });

  let actions: string[] | undefined;
  if (item.actions !== undefined) {
    const list = stringList(item.actions);
    if (!list || list.length === 0) {
      problem([...path, 'actions'], `'actions' is a non-empty list of ${ACTIONS.join(', ')}`);
    } else {
      actions = [];
      list.forEach((action, j) => {
        const at = Array.isArray(item.actions) ? [...path, 'actions', j] : [...path, 'actions'];
        if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
          problem(at, `Unknown action '${String(action)}' (actions: ${ACTIONS.join(', ')})`);
        } else actions!.push(action);
      });
      if (
        ctx.known.actionOf &&
        covered.length > 0 &&
        covered.every((c) => c.names && withActions(c.names, actions, ctx.known).length === 0)
      ) {
        problem(
          [...path, 'actions'],
          `None of the permissions in '${effect}' has the action ${actions.join(' or ')}, so the rule never applies`,
        );
      }
    }
  }

  let conditions: PermissionCriteria | undefined;
  if (item.when !== undefined) {
    conditions = parseWhen(item.when, [...path, 'when'], ctx);
    if (conditions) checkConditionTargets(conditions, covered, actions, path, ctx, problem);
  }

  return {
    name,
    effect,
    roles: ruleRoles,
    permissions,
    ...(actions ? { actions } : {}),
    ...(conditions ? { conditions } : {}),
    source: { file: ctx.file, line: ctx.lineOf(path) },
  };
}

/**
 * Conditions hold on a resource: every permission the rule covers must be about a resource,
 * of the type the conditions are about.
 */
function checkConditionTargets(
  conditions: PermissionCriteria,
  covered: Covered[],
  actions: string[] | undefined,
  path: FieldPath,
  ctx: ConditionContext,
  problem: Report,
) {
  const types = [...criteriaResourceTypes(conditions)];
  if (types.length > 1) {
    problem(
      [...path, 'when'],
      `The conditions are about ${types.join(' and ')}; the conditions of one rule are about one resource type`,
    );
    return;
  }
  const type = types[0]!;
  const typeOf = ctx.known.resourceTypeOf;
  if (!typeOf) return;
  for (const { pattern, names: all, at } of covered) {
    const names = withActions(all ?? [], actions, ctx.known);
    if (ctx.known.resourceTypes.has(pattern) && !ctx.known.permissions.has(pattern)) {
      if (pattern !== type) {
        problem(at, `'${pattern}' is a different resource type than the conditions (${type})`);
      }
      continue;
    }
    const without = names.filter((p) => typeOf.get(p) === undefined);
    const other = names.filter((p) => typeOf.get(p) !== undefined && typeOf.get(p) !== type);
    if (without.length > 0) {
      const listed =
        without.slice(0, 3).join(', ') +
        (without.length > 3 ? ` and ${without.length - 3} more` : '');
      const subject =
        without.length === 1 && without[0] === pattern
          ? `${pattern} is`
          : `'${pattern}' covers ${listed}, which ${without.length > 1 ? 'are' : 'is'}`;
      problem(
        at,
        `'when' needs a resource to check, but ${subject} not about a resource; name permissions of ${type} (or write ${type})`,
      );
    } else if (other.length > 0) {
      problem(
        at,
        `${other[0]} is about ${typeOf.get(other[0]!)}, but the conditions are about ${type}`,
      );
    }
  }
}
