import type { Decision, Permission, RouteContext } from '../../../core/plugin-api.ts';
import type { AuthorizeItem, AuthorizeResult } from '../common/index.ts';

/**
 * Answers the caller's own questions ("may I delete this entity?") so the web app can show,
 * hide or explain a button before it is pressed. About a resource the caller may not read, the
 * answer is the same whether it exists or not, as the resource's own API answers 404 alike.
 */
export async function authorizeBatch(
  items: AuthorizeItem[],
  ctx: RouteContext,
  permissions: Permission[],
): Promise<AuthorizeResult[]> {
  const byName = new Map(permissions.map((p) => [p.name, p]));
  const out: AuthorizeResult[] = [];
  for (const item of items) {
    const name = typeof item.permission === 'string' ? item.permission : item.permission.name;
    const head = {
      ...(item.id !== undefined ? { id: item.id } : {}),
      permission: name,
      ...(item.resourceRef !== undefined ? { resourceRef: item.resourceRef } : {}),
    };
    const permission = byName.get(name);
    if (!permission) {
      out.push({
        ...head,
        result: 'DENY',
        reason: { message: `no installed plugin declares the permission '${name}'` },
      });
      continue;
    }
    const ref = permission.resourceType ? item.resourceRef : undefined;
    if (ref) {
      const read = permissions.find(
        (p) => p.resourceType === permission.resourceType && p.attributes?.action === 'read',
      );
      if (read && (await ctx.decide(read, ref)).result !== 'ALLOW') {
        out.push({
          ...head,
          result: 'DENY',
          reason: { message: `${ref} does not exist, or you may not see it` },
        });
        continue;
      }
    }
    out.push({ ...head, ...answer(await ctx.decide(permission, ref)) });
  }
  return out;
}

function answer(
  decision: Decision,
): Pick<AuthorizeResult, 'result' | 'reason' | 'conditions' | 'resourceType'> {
  if (decision.result === 'CONDITIONAL') {
    return {
      result: 'CONDITIONAL',
      reason: decision.reason,
      resourceType: decision.resourceType,
      conditions: decision.conditions,
    };
  }
  return { result: decision.result, ...(decision.reason ? { reason: decision.reason } : {}) };
}
