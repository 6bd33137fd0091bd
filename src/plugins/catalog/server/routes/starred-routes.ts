import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError, NotFoundError } from '../../../../core/errors.ts';
import type { Permission, PluginEnvironment, RouteContext } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/ref.ts';
import { MAX_STARRED, type StarredItem, type StarredList } from '../../common/starred.ts';
import { ENTITY_REF_KEY } from '../query/compile.ts';
import type { Predicate } from '../query/predicate.ts';
import { StarredStore } from '../store/starred-store.ts';
import { type Deps, readFilter, strict } from './shared.ts';

/**
 * The caller's own stars, never anyone else's: the user is always the caller's identity. No
 * resource type: reading the list is about the caller's list, and which entities it shows is
 * decided by `catalog.entity.read`, entity by entity.
 */
export const STARRED_PERMISSIONS = {
  read: { name: 'catalog.starred.read', attributes: { action: 'read' } },
  update: { name: 'catalog.starred.update', attributes: { action: 'update' } },
} satisfies Record<string, Permission>;

const SUMMARY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'spec.type',
];

const refParams = strict({ ref: { type: 'string', minLength: 1, maxLength: 1024 } }, ['ref']);

/** `component:default/x` from the path (URL-encoded by the client), canonical and lowercase. */
function canonicalRef(ref: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch (error) {
    throw new InputError(
      `ref: ${(error as Error).message}; expected <kind>:[<namespace>/]<name>, e.g. component:default/orders`,
    );
  }
}

/**
 * The caller's starred entities as a filter, for `starred=true` on entity lists and facets
 * (the explorer's Starred view): resolved on the server at each request, so neither the URL
 * nor the cursor carries the list, and a cursor cannot name someone else's stars.
 */
export async function starredOnly(store: StarredStore, ctx: RouteContext): Promise<Predicate> {
  await ctx.require(STARRED_PERMISSIONS.read);
  const refs = (await store.list(ctx.identity.userEntityRef)).map((r) => r.entity_ref);
  return { [ENTITY_REF_KEY]: { $in: refs } };
}

/**
 * `GET /starred` (the caller's starred entities that exist and that they may read, oldest
 * first), `PUT /starred/:ref` and `DELETE /starred/:ref`. Changes are audited with the ref.
 */
export function registerStarredRoutes(env: PluginEnvironment, deps: Deps) {
  const starred = new StarredStore(env.database);

  env.route({
    method: 'GET',
    url: '/starred',
    permission: STARRED_PERMISSIONS.read,
    schema: { querystring: strict({}) },
    async handler(_request: FastifyRequest, reply: FastifyReply, ctx) {
      const rows = await starred.list(ctx.identity.userEntityRef);
      // One query for all of them, with the caller's read conditions inside it: entities that
      // are gone or hidden come back as null and are left out.
      const entities = await deps.query.byRefs(
        rows.map((r) => r.entity_ref),
        SUMMARY_FIELDS,
        await readFilter(ctx, deps),
      );
      const items: StarredItem[] = [];
      rows.forEach((row, i) => {
        const entity = entities[i] as Entity | null;
        if (!entity) return;
        const type = entity.spec?.type;
        items.push({
          entityRef: row.entity_ref,
          starredAt: row.created_at,
          kind: entity.kind,
          namespace: entity.metadata.namespace ?? 'default',
          name: entity.metadata.name,
          ...(typeof entity.metadata.title === 'string' ? { title: entity.metadata.title } : {}),
          ...(typeof type === 'string' ? { type } : {}),
        });
      });
      // Per person and changing: no shared cache may keep it.
      reply.header('cache-control', 'no-store');
      const list: StarredList = { items };
      return list;
    },
  });

  env.route({
    method: 'PUT',
    url: '/starred/:ref',
    permission: STARRED_PERMISSIONS.update,
    schema: { params: refParams },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const ref = canonicalRef((request.params as { ref: string }).ref);
      const user = ctx.identity.userEntityRef;
      // Only what the caller can see may be starred; a hidden entity answers like a missing one.
      const [entity] = await deps.query.byRefs([ref], ['kind'], await readFilter(ctx, deps));
      if (!entity)
        throw new NotFoundError(`No entity ${ref}: only entities in the catalog can be starred`);
      if ((await starred.count(user)) >= MAX_STARRED && !(await starred.has(user, ref))) {
        throw new InputError(
          `You have starred ${MAX_STARRED} entities, the most one person may keep: unstar some first`,
        );
      }
      const added = await starred.add(user, ref);
      ctx.audit({
        action: STARRED_PERMISSIONS.update.name,
        resourceRef: ref,
        outcome: 'success',
        details: { starred: true, changed: added },
      });
      reply.status(204);
      return reply.send();
    },
  });

  env.route({
    method: 'DELETE',
    url: '/starred/:ref',
    permission: STARRED_PERMISSIONS.update,
    schema: { params: refParams },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const ref = canonicalRef((request.params as { ref: string }).ref);
      // Whatever became of the entity since, its star can always be removed.
      const removed = await starred.remove(ctx.identity.userEntityRef, ref);
      ctx.audit({
        action: STARRED_PERMISSIONS.update.name,
        resourceRef: ref,
        outcome: 'success',
        details: { starred: false, changed: removed },
      });
      reply.status(204);
      return reply.send();
    },
  });
}
