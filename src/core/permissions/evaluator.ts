import type {
  Decision,
  DecisionReason,
  Identity,
  Permission,
  PermissionCondition,
  PermissionCriteria,
  ResourceTarget,
  ResourceTypeDefinition,
} from '../plugin-api.ts';
import { EVERYONE_ROLE, formatSource, type Policy, type PolicyRule } from './policy-model.ts';

export interface EvaluatorOptions {
  /** `permission.enabled`: when false every signed-in caller may do everything. */
  enabled: () => boolean;
  policy: () => Policy;
  resourceTypes: ReadonlyMap<string, ResourceTypeDefinition>;
}

/** A rule that applied, with its conditions already bound to the caller. */
interface Applied {
  rule: PolicyRule;
  conditions?: PermissionCriteria;
}

/** The policy's answer before any resource is looked at. */
type Verdict =
  | { kind: 'final'; decision: Decision }
  | {
      kind: 'conditional';
      resourceType: string;
      /** Without a matching allow rule, whether the default already allows. */
      baseAllowed: DecisionReason | undefined;
      allows: Applied[];
      denies: Applied[];
    };

// The plugin list is open so that the web app can load every installed plugin's pages.
const OPEN_READS = ['catalog.', 'techdocs.', 'search.', 'scaffolder.template.', 'plugins.list.'];

function source(rule: PolicyRule): string {
  return formatSource(rule.source);
}

/** Whether a rule's permission list names this permission. */
export function ruleCovers(rule: Pick<PolicyRule, 'permissions' | 'actions'>, p: Permission) {
  const action = p.attributes?.action;
  if (rule.actions?.length && !rule.actions.some((a) => a === action || (a === 'use' && !action)))
    return false;
  return rule.permissions.some(
    (name) =>
      name === '*' ||
      name === p.name ||
      (p.resourceType !== undefined && name === p.resourceType) ||
      (name.endsWith('.*') && p.name.startsWith(name.slice(0, -1))),
  );
}

/** Replaces `$currentUser` and `$ownerRefs` in a condition's parameters with the caller's refs. */
export function bindCriteria(criteria: PermissionCriteria, identity: Identity): PermissionCriteria {
  if ('allOf' in criteria) return { allOf: criteria.allOf.map((c) => bindCriteria(c, identity)) };
  if ('anyOf' in criteria) return { anyOf: criteria.anyOf.map((c) => bindCriteria(c, identity)) };
  if ('not' in criteria) return { not: bindCriteria(criteria.not, identity) };
  const bind = (value: unknown): unknown[] => {
    if (value === '$currentUser') return [identity.userEntityRef];
    if (value === '$ownerRefs') return identity.ownershipEntityRefs;
    return [value];
  };
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(criteria.params)) {
    params[key] = Array.isArray(value)
      ? value.flatMap(bind)
      : value === '$ownerRefs'
        ? identity.ownershipEntityRefs
        : bind(value)[0];
  }
  return { ...criteria, params };
}

/**
 * Builds an owning plugin's query from conditions: each rule's `toQuery`, combined with the
 * plugin's own and/or/not. Lists use it to filter inside their database query.
 */
export function criteriaToQuery<Q>(
  criteria: PermissionCriteria,
  definition: ResourceTypeDefinition<unknown, Q>,
  combine: { allOf(parts: Q[]): Q; anyOf(parts: Q[]): Q; not(part: Q): Q },
): Q {
  if ('allOf' in criteria)
    return combine.allOf(criteria.allOf.map((c) => criteriaToQuery(c, definition, combine)));
  if ('anyOf' in criteria)
    return combine.anyOf(criteria.anyOf.map((c) => criteriaToQuery(c, definition, combine)));
  if ('not' in criteria) return combine.not(criteriaToQuery(criteria.not, definition, combine));
  const rule = definition.rules.find((r) => r.name === criteria.rule);
  // Policies are checked against the declared rules when they load; an unknown rule here
  // matches nothing rather than everything.
  if (!rule) return combine.anyOf([]);
  return rule.toQuery(criteria.params);
}

/**
 * The access-control decision point behind `Authorize`: reads the current policy, applies
 * the caller's roles, and explains every denial with the rule (or missing rule) that decided.
 */
export class PermissionEvaluator {
  constructor(private readonly options: EvaluatorOptions) {}

  /** Roles of the caller: those listing one of its ownership refs, and `everyone`. */
  rolesOf(identity: Identity, policy = this.options.policy()): Set<string> {
    const mine = new Set<string>([EVERYONE_ROLE]);
    const refs = new Set(identity.ownershipEntityRefs.map((r) => r.toLowerCase()));
    refs.add(identity.userEntityRef.toLowerCase());
    for (const role of policy.roles) {
      if (role.members.some((m) => refs.has(m))) mine.add(role.name);
    }
    return mine;
  }

  private restricted(identity: Identity, permission: Permission): DecisionReason | undefined {
    if (identity.credential === 'none') return { message: 'you are not signed in' };
    const action = permission.attributes?.action;
    if (identity.scope === 'read' && action !== 'read') {
      return { message: 'this personal access token is read-only' };
    }
    const restrictions = identity.accessRestrictions;
    if (restrictions?.length) {
      const plugin = permission.name.split('.')[0];
      const ok = restrictions.some(
        (r) =>
          r.plugin === plugin &&
          (!r.permission?.length || r.permission.includes(permission.name)) &&
          (!r.permissionAttribute?.action?.length ||
            (action !== undefined && r.permissionAttribute.action.includes(action))),
      );
      if (!ok) return { message: 'the access restrictions of this token do not cover it' };
    }
    return undefined;
  }

  private verdict(identity: Identity, permission: Permission): Verdict {
    const final = (decision: Decision): Verdict => ({ kind: 'final', decision });
    const restriction = this.restricted(identity, permission);
    if (restriction) return final({ result: 'DENY', reason: restriction });
    if (!this.options.enabled()) return final({ result: 'ALLOW' });
    const policy = this.options.policy();
    // Super users and admins may be listed as users or as groups (RHDH allows both).
    const refs = new Set([
      identity.userEntityRef.toLowerCase(),
      ...identity.ownershipEntityRefs.map((r) => r.toLowerCase()),
    ]);
    if (policy.superUsers.some((ref) => refs.has(ref))) {
      return final({ result: 'ALLOW', reason: { message: 'you are a super user' } });
    }
    if (
      policy.admins.some((ref) => refs.has(ref)) &&
      permission.name.startsWith('permission.policy.')
    ) {
      return final({ result: 'ALLOW', reason: { message: 'you are a policy administrator' } });
    }
    const roles = this.rolesOf(identity, policy);
    const applied = policy.rules.filter(
      (rule) => rule.roles.some((r) => roles.has(r)) && ruleCovers(rule, permission),
    );
    const hardDeny = applied.find((r) => r.effect === 'deny' && !r.conditions);
    if (hardDeny) {
      return final({
        result: 'DENY',
        reason: {
          message: `the rule '${hardDeny.name}' denies it`,
          rule: hardDeny.name,
          source: source(hardDeny),
        },
      });
    }
    const bind = (rule: PolicyRule): Applied => ({
      rule,
      conditions: rule.conditions && bindCriteria(rule.conditions, identity),
    });
    const denies = applied.filter((r) => r.effect === 'deny').map(bind);
    const hardAllow = applied.find((r) => r.effect === 'allow' && !r.conditions);
    const allows = applied.filter((r) => r.effect === 'allow' && r.conditions).map(bind);
    let base: DecisionReason | undefined;
    if (hardAllow) {
      base = {
        message: `the rule '${hardAllow.name}' allows it`,
        rule: hardAllow.name,
        source: source(hardAllow),
      };
    } else if (
      !allows.length &&
      permission.attributes?.action === 'read' &&
      OPEN_READS.some((prefix) => permission.name.startsWith(prefix))
    ) {
      base = {
        message:
          'no rule decides, and reading the catalog, docs, search and the plugin list is open to signed-in users',
      };
    }
    if (!denies.length && base) return final({ result: 'ALLOW', reason: base });
    if (!denies.length && !allows.length) {
      const listed = [...roles].filter((r) => r !== EVERYONE_ROLE);
      return final({
        result: 'DENY',
        reason: {
          message: `no rule gives it to you (your roles: ${listed.length ? listed.join(', ') : 'none'})`,
        },
      });
    }
    const resourceType = permission.resourceType;
    if (!resourceType || !this.options.resourceTypes.has(resourceType)) {
      // Conditions need a resource to hold on; a permission without one cannot meet them.
      const rule = (allows[0] ?? denies[0])!.rule;
      return final({
        result: 'DENY',
        reason: {
          message: `the rule '${rule.name}' has conditions, but ${permission.name} is not about a resource they can be checked on`,
          rule: rule.name,
          source: source(rule),
        },
      });
    }
    return { kind: 'conditional', resourceType, baseAllowed: base, allows, denies };
  }

  /** The decision; with a resource, conditions are evaluated on it (loading it if needed). */
  async authorize(
    identity: Identity,
    permission: Permission,
    resource?: string | ResourceTarget,
  ): Promise<Decision> {
    const verdict = this.verdict(identity, permission);
    if (verdict.kind === 'final') return verdict.decision;
    const { resourceType, baseAllowed, allows, denies } = verdict;
    if (resource === undefined) {
      const not = denies.map((d): PermissionCriteria => ({ not: d.conditions! }));
      const allowed: PermissionCriteria[] = baseAllowed
        ? []
        : [
            allows.length === 1
              ? allows[0]!.conditions!
              : { anyOf: allows.map((a) => a.conditions!) },
          ];
      const parts = [...allowed, ...not];
      return {
        result: 'CONDITIONAL',
        resourceType,
        conditions: parts.length === 1 ? parts[0]! : { allOf: parts },
        reason: baseAllowed ?? {
          message: `allowed where ${allows.map((a) => `the rule '${a.rule.name}'`).join(' or ')} matches`,
        },
      };
    }
    const definition = this.options.resourceTypes.get(resourceType)!;
    const target = typeof resource === 'string' ? { ref: resource } : resource;
    const loaded =
      target.resource !== undefined ? target.resource : (await definition.load([target.ref]))[0];
    if (loaded === undefined) {
      return { result: 'DENY', reason: { message: `${target.ref} does not exist` } };
    }
    for (const deny of denies) {
      if (evaluate(deny.conditions!, loaded, definition).ok) {
        return {
          result: 'DENY',
          reason: {
            message: `the rule '${deny.rule.name}' denies it for ${target.ref}`,
            rule: deny.rule.name,
            source: source(deny.rule),
          },
        };
      }
    }
    if (baseAllowed) return { result: 'ALLOW', reason: baseAllowed };
    const failures: string[] = [];
    for (const allow of allows) {
      const outcome = evaluate(allow.conditions!, loaded, definition);
      if (outcome.ok) {
        return {
          result: 'ALLOW',
          reason: {
            message: `the rule '${allow.rule.name}' allows it`,
            rule: allow.rule.name,
            source: source(allow.rule),
          },
        };
      }
      failures.push(`the rule '${allow.rule.name}' did not match because ${outcome.why}`);
    }
    const first = allows[0]!.rule;
    return {
      result: 'DENY',
      reason: { message: failures.join('; '), rule: first.name, source: source(first) },
    };
  }
}

/** Evaluates bound conditions on one resource; `why` says, in the second person, what failed. */
export function evaluate(
  criteria: PermissionCriteria,
  resource: unknown,
  definition: ResourceTypeDefinition,
): { ok: boolean; why: string } {
  if ('allOf' in criteria) {
    for (const part of criteria.allOf) {
      const outcome = evaluate(part, resource, definition);
      if (!outcome.ok) return outcome;
    }
    return { ok: true, why: '' };
  }
  if ('anyOf' in criteria) {
    const whys: string[] = [];
    for (const part of criteria.anyOf) {
      const outcome = evaluate(part, resource, definition);
      if (outcome.ok) return outcome;
      whys.push(outcome.why);
    }
    return { ok: false, why: whys.join(' and ') || 'no condition is given' };
  }
  if ('not' in criteria) {
    const inner = evaluate(criteria.not, resource, definition);
    return inner.ok
      ? { ok: false, why: `it must not meet: ${describe(criteria.not, definition)}` }
      : { ok: true, why: '' };
  }
  const condition = criteria as PermissionCondition;
  const rule = definition.rules.find((r) => r.name === condition.rule);
  if (!rule) return { ok: false, why: `the condition ${condition.rule} is unknown` };
  return rule.apply(resource, condition.params)
    ? { ok: true, why: '' }
    : { ok: false, why: rule.explainFailure(condition.params) };
}

function describe(criteria: PermissionCriteria, definition: ResourceTypeDefinition): string {
  if ('allOf' in criteria) return criteria.allOf.map((c) => describe(c, definition)).join(' and ');
  if ('anyOf' in criteria) return criteria.anyOf.map((c) => describe(c, definition)).join(' or ');
  if ('not' in criteria) return `not (${describe(criteria.not, definition)})`;
  const rule = definition.rules.find((r) => r.name === criteria.rule);
  return rule ? `${rule.description} ${JSON.stringify(criteria.params)}` : criteria.rule;
}
