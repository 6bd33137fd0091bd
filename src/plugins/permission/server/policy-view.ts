import { ruleCovers } from '../../../core/permissions/evaluator.ts';
import {
  displayFile,
  EVERYONE_ROLE,
  formatSource,
  type Policy,
  type PolicyRule,
} from '../../../core/permissions/policy-model.ts';
import type { Permission, ResourceTypeDefinition } from '../../../core/plugin-api.ts';
import type { MatrixCell, PolicyView, RoleView, RuleView } from '../common/index.ts';
import { DATABASE_SOURCE } from './merge-policy.ts';
import type { PolicyKeeper } from './policy-keeper.ts';

export function ruleView(rule: PolicyRule): RuleView {
  return {
    name: rule.name,
    effect: rule.effect,
    roles: rule.roles,
    permissions: rule.permissions,
    ...(rule.actions ? { actions: rule.actions } : {}),
    ...(rule.conditions ? { conditions: rule.conditions } : {}),
    source: formatSource(rule.source),
  };
}

/**
 * What a role's own rules say about one permission: a deny without conditions wins, then an
 * allow without conditions (unless a conditional deny narrows it), then any conditions.
 */
export function matrixCell(rules: PolicyRule[], role: string, permission: Permission): MatrixCell {
  const applied = rules.filter((r) => r.roles.includes(role) && ruleCovers(r, permission));
  if (!applied.length) return null;
  if (applied.some((r) => r.effect === 'deny' && !r.conditions)) return 'deny';
  const conditionalDeny = applied.some((r) => r.effect === 'deny' && r.conditions);
  if (!conditionalDeny && applied.some((r) => r.effect === 'allow' && !r.conditions))
    return 'allow';
  return applied.some((r) => r.effect === 'allow') || conditionalDeny ? 'conditional' : null;
}

export function buildPolicyView(options: {
  enabled: boolean;
  policy: Policy;
  keeper: PolicyKeeper;
  permissions: Permission[];
  resourceTypes: ReadonlyMap<string, ResourceTypeDefinition>;
}): PolicyView {
  const { policy, keeper } = options;
  const stored = new Map(keeper.storedRoles.map((r) => [r.name, r]));
  const roles: RoleView[] = policy.roles.map((role) => {
    const fromDatabase = role.source.file === DATABASE_SOURCE;
    const row = fromDatabase ? stored.get(role.name) : undefined;
    return {
      name: role.name,
      ...(role.description ? { description: role.description } : {}),
      members: role.members,
      source: formatSource(role.source),
      file: displayFile(role.source.file),
      ...(role.source.line ? { line: role.source.line } : {}),
      editable: fromDatabase,
      ...(row ? { updatedAt: row.updatedAt, updatedBy: row.updatedBy, rules: row.rules } : {}),
    };
  });
  const permissions = [...options.permissions].sort((a, b) => a.name.localeCompare(b.name));
  const rowNames: string[] = [];
  if (policy.rules.some((r) => r.roles.includes(EVERYONE_ROLE))) rowNames.push(EVERYONE_ROLE);
  for (const role of policy.roles) if (!rowNames.includes(role.name)) rowNames.push(role.name);
  return {
    enabled: options.enabled,
    roles,
    rules: policy.rules.map(ruleView),
    permissions: permissions.map((p) => ({
      name: p.name,
      ...(p.attributes?.action ? { action: p.attributes.action } : {}),
      ...(p.resourceType ? { resourceType: p.resourceType } : {}),
    })),
    resourceTypes: [...options.resourceTypes.values()].map((def) => ({
      type: def.type,
      rules: def.rules.map((r) => ({ name: r.name, description: r.description, params: r.params })),
    })),
    matrix: {
      roles: rowNames,
      permissions: permissions.map((p) => p.name),
      cells: rowNames.map((role) => permissions.map((p) => matrixCell(policy.rules, role, p))),
    },
    sources: keeper.sources(),
    admins: policy.admins,
    superUsers: policy.superUsers,
  };
}
