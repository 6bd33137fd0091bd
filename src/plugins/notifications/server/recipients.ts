import type { Entity } from '../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';

/** Sub-groups are followed at most this deep: a cycle in `spec.parent` must still end. */
const MAX_DEPTH = 20;

const relationTargets = (entity: Partial<Entity>, type: string): string[] =>
  (entity.relations ?? []).filter((r) => r.type === type).map((r) => r.targetRef.toLowerCase());

/**
 * The users an entity recipient stands for, as Backstage resolves them: a User is itself, a
 * Group is its members (and, here, its sub-groups' members), any other entity its owner's
 * users. Refs the catalog does not hold are returned in `missing`.
 */
export async function resolveRecipients(
  catalog: CatalogApi,
  refs: string[],
): Promise<{ users: string[]; missing: string[] }> {
  const users = new Set<string>();
  const missing: string[] = [];
  const seen = new Set<string>();
  let frontier = refs.map((ref) => ({
    asked: ref,
    ref: stringifyEntityRef(parseEntityRef(ref, { defaultKind: 'user' })).toLowerCase(),
  }));
  for (let depth = 0; frontier.length && depth < MAX_DEPTH; depth++) {
    const fresh = frontier.filter((f) => !seen.has(f.ref));
    for (const f of fresh) seen.add(f.ref);
    const entities = await catalog.query.byRefs(
      fresh.map((f) => f.ref),
      undefined,
      undefined,
    );
    const next: typeof frontier = [];
    entities.forEach((entity, i) => {
      const { asked, ref } = fresh[i]!;
      if (!entity) {
        // Only a ref the template named is worth reporting; relations point at real entities.
        if (depth === 0) missing.push(asked);
        return;
      }
      const kind = (entity.kind ?? '').toLowerCase();
      if (kind === 'user') users.add(ref);
      else if (kind === 'group') {
        for (const member of relationTargets(entity, 'hasMember')) users.add(member);
        for (const child of relationTargets(entity, 'parentOf'))
          next.push({ asked: child, ref: child });
      } else {
        for (const owner of relationTargets(entity, 'ownedBy'))
          next.push({ asked: owner, ref: owner });
      }
    });
    frontier = next;
  }
  return { users: [...users].sort(), missing };
}

/** Every User entity of the catalog: a broadcast is delivered to each. */
export async function allUsers(catalog: CatalogApi): Promise<string[]> {
  const users: string[] = [];
  for await (const page of catalog.query.listAll({
    filter: { kind: 'user' },
    fields: ['kind', 'metadata.namespace', 'metadata.name'],
  })) {
    for (const entity of page) {
      users.push(
        stringifyEntityRef({
          kind: 'user',
          namespace: entity.metadata?.namespace ?? 'default',
          name: entity.metadata?.name ?? '',
        }).toLowerCase(),
      );
    }
  }
  return users;
}
