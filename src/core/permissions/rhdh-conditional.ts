import {
  ACTIONS,
  type ConditionContext,
  criteriaResourceTypes,
  type KnownNames,
  parseCriteria,
  suggest,
  withActions,
} from './conditions.ts';
import { formatSource, type Policy, type PolicyProblem, type PolicyRule } from './policy-model.ts';
import { looksLikeTypo, notHere, rhdhRoleRef } from './rhdh-csv.ts';
import { type FieldPath, fieldName, readYamlDocuments } from './yaml-positions.ts';

/**
 * Red Hat Developer Hub's `permission.rbac.conditionalPoliciesFile`, read unchanged: YAML
 * documents, each
 *
 *   result: CONDITIONAL
 *   roleEntityRef: role:default/team-a
 *   pluginId: catalog
 *   resourceType: catalog-entity
 *   permissionMapping: [read, update]      # actions, or permission names of the type
 *   conditions: { rule, resourceType, params } | { allOf | anyOf: [...] } | { not: ... }
 *
 * Each becomes an allow rule with conditions for the role. Precedence, chosen: a conditional
 * policy decides only where the role has no unconditional allow for the same permission,
 * because the evaluator ORs allow rules. That is RHDH's `policyDecisionPrecedence: basic`;
 * RHDH's default (`conditional`) lets the condition win instead, so a role with both gets a
 * warning from {@link precedenceWarnings} naming the two places.
 */

export interface ParsedRhdhConditional {
  policy: Policy;
  problems: PolicyProblem[];
}

const KEYS = [
  'result',
  'roleEntityRef',
  'pluginId',
  'resourceType',
  'permissionMapping',
  'conditions',
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function parseRhdhConditional(
  text: string,
  file: string,
  known: KnownNames,
): ParsedRhdhConditional {
  const policy: Policy = { roles: [], rules: [], superUsers: [], admins: [] };
  const read = readYamlDocuments(text, file);
  const problems = read.problems;
  const seen = new Map<string, number>();

  for (const doc of read.documents) {
    // RHDH skips empty documents (a leading or trailing `---`).
    if (doc.value === null || doc.value === undefined) continue;
    const before = problems.length;
    const report = (path: FieldPath, message: string, warning = false) =>
      problems.push({
        file,
        line: doc.lineOf(path),
        ...(path.length ? { field: fieldName(path) } : {}),
        message,
        ...(warning ? { severity: 'warning' as const } : {}),
      });
    const errorsSince = () => problems.slice(before).some((p) => p.severity !== 'warning');
    const value = doc.value;
    if (!isObject(value)) {
      report(
        [],
        'A conditional policy is a map with result, roleEntityRef, pluginId, resourceType, permissionMapping and conditions',
      );
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!KEYS.includes(key)) {
        const hint = suggest(key, KEYS);
        report(
          [key],
          `Unknown key '${key}' (ignored)${hint ? `; did you mean '${hint}'?` : ''}`,
          true,
        );
      }
    }
    if (value.result !== 'CONDITIONAL') {
      report(
        ['result'],
        `'result' is CONDITIONAL in a conditional policy, not ${JSON.stringify(value.result ?? null)}`,
      );
    }
    const role =
      typeof value.roleEntityRef === 'string' ? rhdhRoleRef(value.roleEntityRef) : undefined;
    if (!role) {
      report(['roleEntityRef'], `'roleEntityRef' is a role ref in full, e.g. role:default/team-a`);
    }
    if (typeof value.pluginId !== 'string' || value.pluginId === '') {
      report(['pluginId'], `'pluginId' names the plugin that owns the resource type, e.g. catalog`);
    }
    const resourceType = typeof value.resourceType === 'string' ? value.resourceType : undefined;
    if (!resourceType) {
      report(['resourceType'], `'resourceType' names the resource type, e.g. catalog-entity`);
      continue;
    }
    if (!known.resourceTypes.has(resourceType)) {
      if (looksLikeTypo(resourceType, known)) {
        const hint = suggest(resourceType, known.resourceTypes);
        report(
          ['resourceType'],
          `Unknown resource type '${resourceType}'${hint ? `; did you mean '${hint}'?` : ''}`,
        );
      } else {
        report(['resourceType'], notHere(resourceType, 'policy'), true);
      }
      continue;
    }
    if (role && known.roles && !known.roles.has(role)) {
      report(
        ['roleEntityRef'],
        `Role '${role}' is declared nowhere (RHDH takes the roles of conditional policies from its CSV file); the policy is skipped, as RHDH skips it`,
        true,
      );
      continue;
    }

    const { actions, names } = readMapping(value.permissionMapping, resourceType, known, report);
    const ctx: ConditionContext = { file, lineOf: doc.lineOf, problems, known, lenient: true };
    if (value.conditions === undefined) report([], `A conditional policy needs 'conditions'`);
    const conditions =
      value.conditions === undefined
        ? undefined
        : parseCriteria(value.conditions, ['conditions'], ctx);
    if (conditions) {
      const other = [...criteriaResourceTypes(conditions)].find((t) => t !== resourceType);
      if (other) {
        report(
          ['conditions'],
          `The conditions are about ${other}, but the policy is for ${resourceType}`,
        );
      }
    }
    if (errorsSince() || !role || !conditions) continue;

    // RHDH refuses two conditional policies of one role for the same permission.
    for (const entry of [...actions, ...names]) {
      const key = `${role}\u0000${resourceType}\u0000${entry}`;
      const first = seen.get(key);
      if (first !== undefined) {
        report(
          ['permissionMapping'],
          `Line ${first} already has a conditional policy of ${role} for ${resourceType} ${entry}`,
        );
      } else seen.set(key, doc.line);
    }
    if (errorsSince()) continue;

    const source = { file, line: doc.line };
    const label = `conditional policy of ${role} for ${resourceType}`;
    if (actions.length) {
      policy.rules.push({
        name: `${label} (${actions.join(', ')})`,
        effect: 'allow',
        roles: [role],
        permissions: [resourceType],
        actions,
        conditions,
        source,
      });
    }
    if (names.length) {
      policy.rules.push({
        name: `${label} (${names.join(', ')})`,
        effect: 'allow',
        roles: [role],
        permissions: names,
        conditions,
        source,
      });
    }
  }
  return { policy, problems };
}

function readMapping(
  mapping: unknown,
  resourceType: string,
  known: KnownNames,
  report: (path: FieldPath, message: string, warning?: boolean) => void,
): { actions: string[]; names: string[] } {
  const actions: string[] = [];
  const names: string[] = [];
  if (!Array.isArray(mapping) || mapping.length === 0) {
    report(
      ['permissionMapping'],
      `'permissionMapping' is a non-empty list of actions (${ACTIONS.join(', ')})`,
    );
    return { actions, names };
  }
  mapping.forEach((entry, i) => {
    const at: FieldPath = ['permissionMapping', i];
    if (typeof entry !== 'string') {
      report(at, `An action is one of ${ACTIONS.join(', ')}`);
    } else if (actions.includes(entry) || names.includes(entry)) {
      report(at, `'${entry}' is listed twice`);
    } else if ((ACTIONS as readonly string[]).includes(entry)) {
      actions.push(entry);
    } else if (known.permissions.has(entry)) {
      const type = known.resourceTypeOf?.get(entry);
      if (known.resourceTypeOf && type !== resourceType) {
        report(
          at,
          `${entry} is ${type ? `about ${type}` : 'not about a resource'}, not ${resourceType}`,
        );
      } else names.push(entry);
    } else {
      const hint = suggest(entry, [...ACTIONS]);
      report(
        at,
        `Unknown action '${entry}'${hint ? `; did you mean '${hint}'?` : ''} (actions: ${ACTIONS.join(', ')})`,
      );
    }
  });
  if (actions.length && known.resourceTypeOf && known.actionOf) {
    const ofType = [...known.resourceTypeOf].filter(([, t]) => t === resourceType).map(([p]) => p);
    for (const action of actions) {
      if (withActions(ofType, [action], known).length === 0) {
        report(
          ['permissionMapping', mapping.indexOf(action)],
          `No permission of ${resourceType} has the action ${action}; this entry never matches`,
          true,
        );
      }
    }
  }
  return { actions, names };
}

/**
 * Warnings where a role has both an unconditional allow in the CSV file and a conditional
 * policy for the same permission: Atrium then allows without the condition (RHDH's
 * `policyDecisionPrecedence: basic`), while RHDH's default applies the condition.
 */
export function precedenceWarnings(
  csv: Policy,
  conditional: Policy,
  known: KnownNames,
): PolicyProblem[] {
  const warnings: PolicyProblem[] = [];
  const covers = (rule: PolicyRule, resourceType: string, action: string | undefined) =>
    rule.permissions.some((p) => {
      if (p === resourceType) return !rule.actions || !action || rule.actions.includes(action);
      if (known.resourceTypeOf?.get(p) !== resourceType) return false;
      const own = known.actionOf?.get(p) ?? 'use';
      return (!action || own === action) && (!rule.actions || rule.actions.includes(own));
    });
  for (const cond of conditional.rules) {
    const resourceType = cond.permissions.find((p) => known.resourceTypes.has(p));
    const type = resourceType ?? known.resourceTypeOf?.get(cond.permissions[0] ?? '');
    if (!type) continue;
    for (const action of cond.actions ?? [undefined]) {
      const plain = csv.rules.find(
        (r) =>
          r.effect === 'allow' &&
          !r.conditions &&
          r.roles.some((role) => cond.roles.includes(role)) &&
          covers(r, type, action),
      );
      if (!plain) continue;
      warnings.push({
        file: cond.source.file,
        ...(cond.source.line ? { line: cond.source.line } : {}),
        field: 'permissionMapping',
        severity: 'warning',
        message: `${formatSource(plain.source)} allows ${cond.roles.join(', ')} ${type}${action ? ` ${action}` : ''} without conditions, so Atrium never applies these conditions (RHDH's default precedence would); remove that line to keep them`,
      });
    }
  }
  return warnings;
}
