import {
  catalogServiceRef,
  definePlugin,
  catalogEntityReadPermission,
  NotFoundError,
} from '@atrium/plugin-api';
import { linksAndOnCall } from './links.ts';

/** This plugin's settings: the `config` of its `plugins:` entry (see config.schema.json). */
export interface LinksOnCallConfig {
  defaultEscalationChannel?: string;
}

const segment = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^/]+$' } as const;

export default definePlugin({
  id: 'links-oncall',
  dependsOn: ['catalog'],
  setup(env) {
    const config = (env.pluginConfig ?? {}) as LinksOnCallConfig;
    const catalog = env.use(catalogServiceRef);
    env.route({
      method: 'GET',
      url: '/entity/:kind/:namespace/:name',
      schema: {
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'namespace', 'name'],
          properties: { kind: segment, namespace: segment, name: segment },
        },
      },
      // Reading the card is reading the entity: the catalog's own permission, on this entity.
      permission: catalogEntityReadPermission,
      async handler(request, _reply, ctx) {
        const { kind, namespace, name } = request.params as Record<string, string>;
        const ref = `${kind}:${namespace}/${name}`.toLowerCase();
        // With the caller's read filter: an entity they may not read is not found, as in the
        // catalog's own API, so its existence does not leak.
        const [entity] = await catalog.query.byRefs(
          [ref],
          undefined,
          await catalog.readFilter(ctx),
        );
        if (!entity?.metadata) throw new NotFoundError(`No entity ${ref}`);
        return linksAndOnCall(
          entity as Parameters<typeof linksAndOnCall>[0],
          ref,
          config.defaultEscalationChannel,
        );
      },
    });
  },
});
