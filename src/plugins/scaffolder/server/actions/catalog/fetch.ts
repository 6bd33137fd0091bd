import { InputError, NotAllowedError, NotFoundError } from '../../../../../core/errors.ts';
import type { Permission } from '../../../../../core/plugin-api.ts';
import type { Entity, JsonObject, JsonValue } from '../../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../../model/ref.ts';
import type { ActionContext, ActionDeps, TemplateAction } from '../types.ts';

/** The catalog's `catalog.entity.read`, checked per entity as the task's creator. */
const ENTITY_READ: Permission = {
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
};

/**
 * The entities the task's creator may read, others as null: Backstage fetches with the
 * creator's token, so an entity hidden from them is "not found" to the template as well.
 */
async function readable(
  ctx: ActionContext,
  refs: string[],
  entities: Array<Partial<Entity> | null>,
): Promise<Array<Partial<Entity> | null>> {
  const authorize = ctx.authorize;
  if (!authorize) return entities;
  return Promise.all(
    entities.map(async (entity, i) => {
      if (!entity) return null;
      try {
        await authorize(ENTITY_READ, { ref: refs[i]!, resource: entity });
        return entity;
      } catch (error) {
        if (error instanceof NotAllowedError) return null;
        throw error;
      }
    }),
  );
}

interface FetchInput extends JsonObject {
  entityRef?: string;
  entityRefs?: string[];
  optional?: boolean;
  defaultKind?: string;
  defaultNamespace?: string;
}

export function createCatalogFetchAction(deps: ActionDeps): TemplateAction<FetchInput> {
  return {
    id: 'catalog:fetch',
    description: 'Returns one entity or several entities from the catalog by entity reference.',
    examples: [
      {
        description: 'Fetch an entity',
        example: `steps:
  - id: fetch
    name: Fetch owner
    action: catalog:fetch
    input:
      entityRef: \${{ parameters.owner }}
      defaultKind: Group
`,
      },
      {
        description: 'Fetch several entities, tolerating missing ones',
        example: `steps:
  - id: fetchMultiple
    name: Fetch
    action: catalog:fetch
    input:
      entityRefs:
        - component:default/name
        - group:default/team-a
      optional: true
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          entityRef: { type: 'string', description: 'Entity reference of the entity to get' },
          entityRefs: {
            type: 'array',
            items: { type: 'string' },
            description: 'Entity references of the entities to get',
          },
          optional: {
            type: 'boolean',
            description:
              'Allow the entity or entities to optionally exist (null instead of an error). Default: false',
          },
          defaultKind: { type: 'string', description: 'The default kind, for refs that have none' },
          defaultNamespace: {
            type: 'string',
            description: 'The default namespace, for refs that have none (default: default)',
          },
        },
      },
      output: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          entity: {
            type: ['object', 'null'],
            description: 'The entity matching entityRef (null when optional and missing)',
          },
          entities: {
            type: 'array',
            items: { type: ['object', 'null'] },
            description: 'The entities matching entityRefs, in order (null for missing ones)',
          },
        },
      },
    },
    supportsDryRun: true,
    async handler(ctx) {
      const { entityRef, entityRefs, optional = false, defaultKind, defaultNamespace } = ctx.input;
      // Backstage's test: an empty entityRef counts as none.
      if (!entityRef && !entityRefs) {
        if (optional) return;
        throw new InputError(
          'Missing entity reference or references: give input.entityRef or input.entityRefs',
        );
      }
      const canonical = (ref: string, field: string) => {
        try {
          return stringifyEntityRef(parseEntityRef(ref, { defaultKind, defaultNamespace }));
        } catch (error) {
          throw new InputError(`${field}: ${(error as Error).message}`);
        }
      };
      if (entityRef) {
        const ref = canonical(entityRef, 'entityRef');
        const [entity] = await readable(
          ctx,
          [ref],
          await deps.catalog.query.byRefs([ref], undefined, undefined),
        );
        if (!entity && !optional) throw new NotFoundError(`Entity ${entityRef} not found`);
        ctx.output('entity', (entity ?? null) as JsonValue);
      }
      if (entityRefs) {
        const refs = entityRefs.map((ref, i) => canonical(ref, `entityRefs[${i}]`));
        const entities = await readable(
          ctx,
          refs,
          await deps.catalog.query.byRefs(refs, undefined, undefined),
        );
        const missing = entityRefs.filter((_, i) => !entities[i]);
        if (missing.length && !optional) {
          throw new NotFoundError(`Entities not found: ${missing.join(', ')}`);
        }
        ctx.output('entities', entities.map((e) => e ?? null) as JsonValue);
      }
    },
  };
}
