/**
 * The auth plugin's action for the actions registry (a tool of the MCP server): who the
 * caller is, as the portal sees them. It tells callers only about themselves.
 */
import {
  actionsRegistryExtensionPoint,
  defineAction,
  type Extension,
  extend,
} from '../../../core/plugin-api.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';

const string = { type: 'string' } as const;
const READ = {
  name: 'catalog.entity.read',
  attributes: { action: 'read' as const },
  resourceType: 'catalog-entity',
};

/** The who-am-i action. `catalog` is read when it runs: services exist only after setup. */
export function authActions(catalog: () => CatalogApi | undefined): Extension[] {
  const action = defineAction<Record<string, never>, Record<string, unknown>>({
    id: 'who-am-i',
    title: 'Who am I',
    description:
      'Returns who you act as: your user ref, the groups you belong to (parent groups included; ownership checks and roles use them), how you signed in, and your name and email from the catalog.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    outputSchema: {
      type: 'object',
      properties: {
        userEntityRef: string,
        ownershipEntityRefs: { type: 'array', items: string },
        credential: { type: 'string', description: 'personal-token or external (a static token)' },
        scope: { type: 'string', enum: ['read', 'full'] },
        displayName: string,
        email: string,
      },
      required: ['userEntityRef', 'ownershipEntityRefs', 'credential'],
    },
    // Only the caller's own identity: nothing to decide.
    permission: null,
    hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    destructive: false,
    async handler(_input, ctx) {
      const { identity } = ctx;
      const profile: { displayName?: string; email?: string } = {};
      const store = catalog()?.store;
      const row = store && (await store.rowByRef(identity.userEntityRef));
      if (store && row) {
        // The profile comes from the catalog: shown as far as the caller may read themselves.
        const [entity] = await store.assemble([row]);
        const decision = entity
          ? await ctx.decide(READ, { ref: row.entity_ref, resource: entity })
          : undefined;
        const spec = (entity?.spec ?? {}) as {
          profile?: { displayName?: unknown; email?: unknown };
        };
        if (decision?.result === 'ALLOW') {
          if (typeof spec.profile?.displayName === 'string')
            profile.displayName = spec.profile.displayName;
          if (typeof spec.profile?.email === 'string') profile.email = spec.profile.email;
        }
      }
      return {
        userEntityRef: identity.userEntityRef,
        ownershipEntityRefs: identity.ownershipEntityRefs,
        credential: identity.credential,
        ...(identity.scope ? { scope: identity.scope } : {}),
        ...profile,
      };
    },
  });
  return [extend(actionsRegistryExtensionPoint, action)];
}
