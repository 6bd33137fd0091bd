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
} from '../../../core/permissions/conditions.ts';
import { EVERYONE_ROLE, type PolicyProblem } from '../../../core/permissions/policy-model.ts';
import { type FieldPath, fieldName } from '../../../core/permissions/yaml-positions.ts';
import { InputError, type PermissionCriteria } from '../../../core/plugin-api.ts';
import type { RoleInput, RoleRuleInput } from '../common/index.ts';

/** Role names: plain (`release-managers`) or RHDH's (`role:default/release-managers`). */
export const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$/;
export const MAX_ROLE_NAME = 200;

/** JSON Schemas of the role routes; the meaning (known permissions, conditions) is checked below. */
export const roleNameParams = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: MAX_ROLE_NAME, pattern: ROLE_NAME.source },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

export const roleBodySchema = {
  type: 'object',
  properties: {
    description: { type: 'string', maxLength: 2000 },
    members: {
      type: 'array',
      maxItems: 5000,
      items: { type: 'string', minLength: 1, maxLength: 300 },
    },
    rules: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 300 },
          effect: { type: 'string', enum: ['allow', 'deny'] },
          permissions: {
            type: 'array',
            minItems: 1,
            maxItems: 200,
            items: { type: 'string', minLength: 1, maxLength: 200 },
          },
          actions: {
            type: 'array',
            minItems: 1,
            items: { type: 'string', enum: [...ACTIONS] },
          },
          conditions: { type: 'object' },
        },
        required: ['name', 'effect', 'permissions'],
        additionalProperties: false,
      },
    },
  },
  required: ['members', 'rules'],
  additionalProperties: false,
} as const;

/**
 * Checks a role sent to `PUT /roles/:name` against what the installed plugins declare, with the
 * same checks (and messages) as the policy files, and returns it normalised: member refs in
 * full and lowercase, conditions in Backstage's `{ rule, resourceType, params }` form.
 * Throws an InputError naming every bad field.
 */
export function checkRoleInput(name: string, input: RoleInput, known: KnownNames): RoleInput {
  const problems: PolicyProblem[] = [];
  const problem = (path: FieldPath, message: string) =>
    problems.push({ file: 'body', field: fieldName(path), message });
  if (name === EVERYONE_ROLE) {
    throw new InputError(
      `'${EVERYONE_ROLE}' is built in (every signed-in caller): give its rules in a policy file, or name the role otherwise`,
    );
  }
  const members: string[] = [];
  input.members.forEach((member, i) => {
    const ref = normalizeRef(member, ['user', 'group']);
    if (!ref) {
      problem(
        ['members', i],
        `'${member}' is not a user or group ref: write user:default/jane or group:default/team-a (the namespace may be left out)`,
      );
    } else if (!members.includes(ref)) members.push(ref);
  });
  const names = new Set<string>();
  const rules: RoleRuleInput[] = [];
  input.rules.forEach((rule, i) => {
    const path: FieldPath = ['rules', i];
    const ruleName = rule.name.trim();
    if (!ruleName) problem([...path, 'name'], 'A rule needs a name');
    else if (names.has(ruleName)) problem([...path, 'name'], `Rule '${ruleName}' is given twice`);
    names.add(ruleName);
    const checked = checkRule(rule, path, known, problems, problem);
    if (checked) rules.push({ ...checked, name: ruleName });
  });
  const errors = problems.filter((p) => p.severity !== 'warning');
  if (errors.length) {
    throw new InputError(
      `Role '${name}' is not valid: ${errors.map((p) => `body.${p.field}: ${p.message}`).join('; ')}`,
    );
  }
  return {
    ...(input.description?.trim() ? { description: input.description.trim() } : {}),
    members,
    rules,
  };
}

function checkRule(
  rule: RoleRuleInput,
  path: FieldPath,
  known: KnownNames,
  problems: PolicyProblem[],
  problem: (path: FieldPath, message: string) => void,
): RoleRuleInput | undefined {
  const before = problems.length;
  const covered = new Map<string, string[] | undefined>();
  rule.permissions.forEach((pattern, j) => {
    const result = checkPermissionPattern(pattern.trim(), known);
    if (result.error) problem([...path, 'permissions', j], result.error);
    else covered.set(pattern.trim(), result.covered);
  });
  const actions = rule.actions?.length ? [...new Set(rule.actions)] : undefined;
  const coveredLists = [...covered.values()];
  if (
    actions &&
    coveredLists.length > 0 &&
    coveredLists.every((c) => c !== undefined && withActions(c, actions, known).length === 0)
  ) {
    problem(
      [...path, 'actions'],
      `None of the permissions has the action ${actions.join(' or ')}, so the rule never applies`,
    );
  }
  let conditions: PermissionCriteria | undefined;
  if (rule.conditions !== undefined) {
    const ctx: ConditionContext = {
      file: 'body',
      lineOf: () => 0,
      problems,
      known,
    };
    conditions = parseWhen(rule.conditions, [...path, 'conditions'], ctx);
    if (conditions) {
      const types = [...criteriaResourceTypes(conditions)];
      if (types.length > 1) {
        problem(
          [...path, 'conditions'],
          `The conditions are about ${types.join(' and ')}; the conditions of one rule are about one resource type`,
        );
      } else {
        const type = types[0]!;
        [...covered].forEach(([pattern, names], j) => {
          if (known.resourceTypes.has(pattern) && !known.permissions.has(pattern)) {
            if (pattern !== type) {
              problem(
                [...path, 'permissions', j],
                `'${pattern}' is a different resource type than the conditions (${type})`,
              );
            }
            return;
          }
          const list = withActions(names ?? [], actions, known);
          const off = list.find((p) => known.resourceTypeOf?.get(p) !== type);
          if (off) {
            const its = known.resourceTypeOf?.get(off);
            problem(
              [...path, 'permissions', j],
              its
                ? `${off} is about ${its}, but the conditions are about ${type}`
                : `Conditions need a resource to check, but ${off} is not about one; name permissions of ${type} (or write ${type})`,
            );
          }
        });
      }
    }
  }
  if (problems.length > before) return undefined;
  return {
    name: rule.name,
    effect: rule.effect,
    permissions: [...covered.keys()],
    ...(actions ? { actions } : {}),
    ...(conditions ? { conditions } : {}),
  };
}

/** "did you mean" for a role name that is not a database role. */
export function suggestRole(name: string, roles: Iterable<string>): string {
  const hint = suggest(name, roles);
  return hint ? `; did you mean '${hint}'?` : '';
}
