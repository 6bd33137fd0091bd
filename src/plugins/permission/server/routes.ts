import type { HostRegistry } from '../../../core/host-services.ts';
import { formatSource } from '../../../core/permissions/policy-model.ts';
import {
  ConflictError,
  NotFoundError,
  type Permission,
  type PluginEnvironment,
} from '../../../core/plugin-api.ts';
import {
  type AuthorizeItem,
  type ExplainRequest,
  MAX_AUTHORIZE_ITEMS,
  POLICY_READ_PERMISSION,
  POLICY_UPDATE_PERMISSION,
  type RoleInput,
  type RoleView,
} from '../common/index.ts';
import { authorizeBatch } from './authorize-batch.ts';
import { explain, type UserLookup } from './explain.ts';
import type { PolicyKeeper } from './policy-keeper.ts';
import { buildPolicyView } from './policy-view.ts';
import { checkRoleInput, roleBodySchema, roleNameParams, suggestRole } from './role-input.ts';
import type { RoleStore, StoredRole } from './role-store.ts';

export const P = {
  read: { name: POLICY_READ_PERMISSION, attributes: { action: 'read' } },
  update: { name: POLICY_UPDATE_PERMISSION, attributes: { action: 'update' } },
} satisfies Record<string, Permission>;

export interface RouteDeps {
  keeper: PolicyKeeper;
  store: RoleStore;
  registry: HostRegistry;
  users: () => UserLookup | undefined;
}

const REF = { type: 'string', minLength: 1, maxLength: 1000 } as const;

function storedView(role: StoredRole): RoleView {
  return {
    name: role.name,
    ...(role.description ? { description: role.description } : {}),
    members: role.members,
    source: 'database',
    file: 'database',
    editable: true,
    updatedAt: role.updatedAt,
    updatedBy: role.updatedBy,
    rules: role.rules,
  };
}

export function registerPermissionRoutes(env: PluginEnvironment, deps: RouteDeps): void {
  const { keeper, store, registry } = deps;

  const readOnly = (name: string) => {
    const declared = keeper.fileDeclaring(name);
    if (declared) {
      const where = formatSource(declared);
      throw new ConflictError(
        `Role '${name}' is declared in ${where}: roles from policy files are read-only here; change it in that file`,
      );
    }
  };

  env.route({
    method: 'GET',
    url: '/policy',
    permission: P.read,
    schema: { querystring: { type: 'object', properties: {}, additionalProperties: false } },
    async handler() {
      return buildPolicyView({
        enabled: env.config.permission.enabled,
        policy: keeper.current(),
        keeper,
        permissions: registry.permissions(),
        resourceTypes: registry.resourceTypes(),
      });
    },
  });

  env.route({
    method: 'PUT',
    url: '/roles/:name',
    permission: P.update,
    schema: { params: roleNameParams, body: roleBodySchema },
    async handler(request, reply, ctx) {
      const { name } = request.params as { name: string };
      readOnly(name);
      const input = checkRoleInput(name, request.body as RoleInput, keeper.known());
      const { before, after } = await store.put({ name, ...input }, ctx.identity.userEntityRef);
      await keeper.refreshDatabase(true);
      ctx.audit({
        action: before ? 'permission.role.updated' : 'permission.role.created',
        resourceRef: name,
        outcome: 'success',
        details: {
          ...(before ? { before: withoutStamp(before) } : {}),
          after: withoutStamp(after),
        },
      });
      reply.status(before ? 200 : 201);
      return storedView(after);
    },
  });

  env.route({
    method: 'DELETE',
    url: '/roles/:name',
    permission: P.update,
    schema: { params: roleNameParams },
    async handler(request, reply, ctx) {
      const { name } = request.params as { name: string };
      // A database role shadowed by a file role (declared in the file later) may still go.
      const before = await store.delete(name);
      if (!before) {
        readOnly(name);
        throw new NotFoundError(
          `No role '${name}' in the database${suggestRole(
            name,
            keeper.storedRoles.map((r) => r.name),
          )}`,
        );
      }
      await keeper.refreshDatabase(true);
      ctx.audit({
        action: 'permission.role.deleted',
        resourceRef: name,
        outcome: 'success',
        details: { before: withoutStamp(before) },
      });
      reply.status(204);
      return undefined;
    },
  });

  env.route({
    method: 'POST',
    url: '/explain',
    permission: P.read,
    schema: {
      body: {
        type: 'object',
        properties: {
          user: { type: 'string', minLength: 1, maxLength: 300 },
          permission: { type: 'string', minLength: 1, maxLength: 200 },
          resourceRef: REF,
        },
        required: ['user', 'permission'],
        additionalProperties: false,
      },
    },
    async handler(request) {
      return explain(request.body as ExplainRequest, {
        authorize: env.authorize,
        policy: () => keeper.current(),
        permissions: () => registry.permissions(),
        users: deps.users,
      });
    },
  });

  env.route({
    method: 'POST',
    url: '/authorize',
    // Answers only about the caller itself, which every signed-in caller may ask.
    permission: null,
    changesNothing: true,
    schema: {
      body: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            minItems: 1,
            maxItems: MAX_AUTHORIZE_ITEMS,
            items: {
              type: 'object',
              properties: {
                id: { type: 'string', maxLength: 200 },
                permission: {
                  anyOf: [
                    { type: 'string', minLength: 1, maxLength: 200 },
                    {
                      // Backstage's permission client sends the whole permission.
                      type: 'object',
                      properties: {
                        type: { type: 'string', enum: ['basic', 'resource'] },
                        name: { type: 'string', minLength: 1, maxLength: 200 },
                        attributes: { type: 'object' },
                        resourceType: { type: 'string', maxLength: 200 },
                      },
                      required: ['name'],
                      additionalProperties: false,
                    },
                  ],
                },
                resourceRef: REF,
              },
              required: ['permission'],
              additionalProperties: false,
            },
          },
        },
        required: ['items'],
        additionalProperties: false,
      },
    },
    async handler(request, _reply, ctx) {
      const { items } = request.body as { items: AuthorizeItem[] };
      return { items: await authorizeBatch(items, ctx, registry.permissions()) };
    },
  });
}

function withoutStamp(role: StoredRole) {
  return {
    description: role.description,
    members: role.members,
    rules: role.rules,
  };
}
