import { normalizeRef, suggest } from '../../../core/permissions/conditions.ts';
import {
  EVERYONE_ROLE,
  formatSource,
  type Policy,
} from '../../../core/permissions/policy-model.ts';
import {
  type Authorize,
  type Identity,
  InputError,
  type Permission,
} from '../../../core/plugin-api.ts';
import type { ExplainRequest, ExplainResponse, PermissionView } from '../common/index.ts';
import { ruleView } from './policy-view.ts';

/** What explaining needs of the catalog; absent when the catalog is not installed. */
export interface UserLookup {
  ownershipRefs(userRef: string): Promise<string[]>;
  exists(ref: string): Promise<boolean>;
}

export interface ExplainDeps {
  authorize: Authorize;
  policy: () => Policy;
  permissions: () => Permission[];
  users: () => UserLookup | undefined;
}

export function permissionView(p: Permission): PermissionView {
  return {
    name: p.name,
    ...(p.attributes?.action ? { action: p.attributes.action } : {}),
    ...(p.resourceType ? { resourceType: p.resourceType } : {}),
  };
}

/** A known permission by name; an InputError naming `field` (with a "did you mean") otherwise. */
export function knownPermission(
  name: string,
  permissions: Permission[],
  field: string,
): Permission {
  const found = permissions.find((p) => p.name === name);
  if (found) return found;
  const hint = suggest(
    name,
    permissions.map((p) => p.name),
  );
  throw new InputError(
    `${field}: no installed plugin declares the permission '${name}'${hint ? `; did you mean '${hint}'?` : ''}`,
  );
}

/** `jane` and `user:jane` mean `user:default/jane`. */
export function userRef(text: string): string {
  const ref = normalizeRef(text.includes(':') ? text : `user:${text}`, ['user']);
  if (!ref) {
    throw new InputError(
      `body.user: '${text}' is not a user: write user:default/jane, or jane for the default namespace`,
    );
  }
  return ref;
}

/** Roles whose members include one of the refs, with where each is declared. */
export function rolesOf(policy: Policy, refs: string[]): Array<{ name: string; source: string }> {
  const mine = new Set(refs.map((r) => r.toLowerCase()));
  const out = [{ name: EVERYONE_ROLE, source: 'built in' }];
  for (const role of policy.roles) {
    if (role.members.some((m) => mine.has(m))) {
      out.push({ name: role.name, source: formatSource(role.source) });
    }
  }
  return out;
}

/**
 * "May user X do P on resource R, and why": X's identity as sign-in would build it (the user
 * and every group it belongs to, from the catalog), asked of the same evaluator requests use.
 */
export async function explain(
  request: ExplainRequest,
  deps: ExplainDeps,
): Promise<ExplainResponse> {
  const ref = userRef(request.user);
  const permission = knownPermission(request.permission, deps.permissions(), 'body.permission');
  const resourceRef = request.resourceRef?.trim() || undefined;
  if (resourceRef && !permission.resourceType) {
    throw new InputError(
      `body.resourceRef: ${permission.name} is not about a resource, so it is decided without one`,
    );
  }
  const users = deps.users();
  const ownershipRefs = users ? await users.ownershipRefs(ref) : [ref];
  const inCatalog = users ? await users.exists(ref) : null;
  const identity: Identity = {
    userEntityRef: ref,
    ownershipEntityRefs: ownershipRefs,
    isGuest: ref === 'user:default/guest',
    credential: 'session',
  };
  const decision = await deps.authorize(identity, permission, resourceRef);
  const policy = deps.policy();
  const reason = decision.reason;
  const rule = reason?.rule
    ? policy.rules.find(
        (r) =>
          r.name === reason.rule && (!reason.source || formatSource(r.source) === reason.source),
      )
    : undefined;
  return {
    user: { ref, inCatalog, ownershipRefs },
    permission: permissionView(permission),
    ...(resourceRef ? { resourceRef } : {}),
    decision: {
      result: decision.result,
      ...(reason ? { reason } : {}),
      ...(decision.result === 'CONDITIONAL' ? { conditions: decision.conditions } : {}),
    },
    roles: rolesOf(policy, [ref, ...ownershipRefs]),
    ...(rule ? { rule: ruleView(rule) } : {}),
  };
}
