import { InputError, NotFoundError } from '../../../../../core/errors.ts';
import type { JsonObject, JsonValue } from '../../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../../model/ref.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';

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
            description: 'Allow the entity or entities to not exist (null instead of an error)',
          },
          defaultKind: { type: 'string', description: 'Kind for refs that have none' },
          defaultNamespace: {
            type: 'string',
            description: 'Namespace for refs that have none (default: default)',
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
      if (entityRef === undefined && entityRefs === undefined) {
        if (optional) return;
        throw new InputError('catalog:fetch needs entityRef or entityRefs');
      }
      const canonical = (ref: string, field: string) => {
        try {
          return stringifyEntityRef(parseEntityRef(ref, { defaultKind, defaultNamespace }));
        } catch (error) {
          throw new InputError(`${field}: ${(error as Error).message}`);
        }
      };
      if (entityRef !== undefined) {
        const ref = canonical(entityRef, 'entityRef');
        const [entity] = await deps.catalog.query.byRefs([ref], undefined, undefined);
        if (!entity && !optional) throw new NotFoundError(`Entity ${entityRef} not found`);
        ctx.output('entity', (entity ?? null) as JsonValue);
      }
      if (entityRefs !== undefined) {
        const refs = entityRefs.map((ref, i) => canonical(ref, `entityRefs[${i}]`));
        const entities = await deps.catalog.query.byRefs(refs, undefined, undefined);
        const missing = entityRefs.filter((_, i) => !entities[i]);
        if (missing.length && !optional) {
          throw new NotFoundError(`Entities not found: ${missing.join(', ')}`);
        }
        ctx.output('entities', entities.map((e) => e ?? null) as JsonValue);
      }
    },
  };
}
