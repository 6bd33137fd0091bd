/**
 * The catalog's actions (tools of the MCP server), named as Backstage's well-known actions.
 * Each does what the REST route it mirrors does, through the same queries and checks: the
 * caller's read conditions filter every list, and an entity the caller may not read is not
 * found.
 */
import {
  type ActionContext,
  type ActionDefinition,
  actionsRegistryExtensionPoint,
  type Database,
  defineAction,
  type Extension,
  extend,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '../../../core/plugin-api.ts';
import { ANNOTATION_MANAGED_BY_LOCATION, type Entity } from '../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef, validateEntity } from '../../../model/index.ts';
import { GRAPH_DEFAULTS } from './graph/graph-query.ts';
import { type Predicate, parseFilterParams, validatePredicate } from './query/predicate.ts';
import { entityGraphReader } from './routes/graph-routes.ts';
import { and, type Deps, locationJson, mayRead, P, readFilter } from './routes/shared.ts';

/** What the actions need: the routes' dependencies and the database (for the graph). */
export interface CatalogActionDeps extends Deps {
  database: Database;
}

const MAX_QUERY_LIMIT = 500;
const FULL_TEXT_FIELDS = ['metadata.name', 'metadata.title', 'metadata.description'];

const string = { type: 'string' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const entityRefInput = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description:
    "An entity ref, kind:namespace/name (namespace defaults to 'default'), e.g. component:default/payments-api or group:team-a",
} as const;

/** Any entity, as the catalog API returns it (fields may be projected away). */
export const entitySchema = {
  type: 'object',
  description: 'A catalog entity: apiVersion, kind, metadata, spec, relations',
  properties: {
    apiVersion: string,
    kind: string,
    metadata: { type: 'object' },
    spec: { type: 'object' },
    relations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: string, targetRef: string },
        required: ['type', 'targetRef'],
      },
    },
  },
} as const;

const problemSchema = {
  type: 'object',
  properties: {
    level: { type: 'string', enum: ['info', 'warning', 'error'] },
    message: string,
    path: string,
    file: string,
    line: { type: 'integer' },
    column: { type: 'integer' },
    name: string,
  },
  required: ['level', 'message'],
} as const;

/** The canonical ref of an action argument, or an error naming the argument. */
export function refArgument(value: string, field: string, defaultKind?: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(value.trim(), defaultKind ? { defaultKind } : {}));
  } catch (error) {
    throw new InputError(`arguments.${field}: ${(error as Error).message}`);
  }
}

/** The stored entity the caller may read, or not found (as the REST API answers both). */
async function readableEntity(deps: Deps, ctx: ActionContext, ref: string) {
  const notFound = () => new NotFoundError(`No entity ${ref} found`);
  const row = await deps.store.rowByRef(ref);
  if (!row) throw notFound();
  const [entity] = await deps.store.assemble([row]);
  if (!entity || !(await mayRead(ctx, entity, row.entity_ref))) throw notFound();
  return { row, entity };
}

/**
 * The catalog's actions. `deps` is read when an action runs: the catalog makes its services in
 * setup, after its extensions are declared.
 */
export function catalogActions(deps: () => CatalogActionDeps | undefined): Extension[] {
  const ready = (): CatalogActionDeps => {
    const d = deps();
    if (!d) throw new Error('The catalog plugin is not set up');
    return d;
  };
  let graph: ReturnType<typeof entityGraphReader> | undefined;
  const graphOf = (d: CatalogActionDeps) => {
    graph ??= entityGraphReader(d.database, d);
    return graph;
  };
  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

  const actions: ActionDefinition[] = [
    defineAction<{ entityRef: string }, { entity: Entity }>({
      id: 'get-catalog-entity',
      title: 'Get a catalog entity',
      description:
        'Returns one entity of the software catalog (its metadata, spec and relations) by its ref kind:namespace/name. Use query-catalog-entities to find refs.',
      inputSchema: {
        type: 'object',
        properties: { entityRef: entityRefInput },
        required: ['entityRef'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: { entity: entitySchema },
        required: ['entity'],
      },
      permission: P.read,
      hints: readOnly,
      destructive: false,
      async handler(input, ctx) {
        const ref = refArgument(input.entityRef, 'entityRef');
        return { entity: (await readableEntity(ready(), ctx, ref)).entity };
      },
    }),

    defineAction<
      {
        query?: unknown;
        filter?: string[];
        fullTextFilter?: { term: string; fields?: string[] };
        orderBy?: { field: string; order?: 'asc' | 'desc' };
        fields?: string[];
        limit: number;
        cursor?: string;
      },
      { items: unknown[]; totalItems: number; nextCursor?: string; prevCursor?: string }
    >({
      id: 'query-catalog-entities',
      title: 'Query catalog entities',
      description:
        'Finds entities in the software catalog, a page at a time. Filter with `filter` strings as Backstage\'s catalog API takes them (`kind=component,spec.type=service`: commas AND, several strings OR, `relations.ownedBy=group:default/team-a`, a key alone means it exists) and/or a `query` predicate (`{"kind": "component", "spec.lifecycle": {"$in": ["production"]}}` with $all, $any, $not, $exists, $in, $hasPrefix, $contains); search text with `fullTextFilter`; keep answers small with `fields` (e.g. ["kind", "metadata.name", "metadata.namespace", "spec.owner"]). Pass `cursor` from a previous answer for the next page.',
      inputSchema: {
        type: 'object',
        properties: {
          filter: { ...strings, description: 'Filter strings (key=value pairs joined by commas)' },
          query: { type: 'object', description: 'A filter predicate object' },
          fullTextFilter: {
            type: 'object',
            properties: {
              term: { type: 'string', minLength: 1 },
              fields: {
                ...strings,
                description: `Fields to search (default: ${FULL_TEXT_FIELDS.join(', ')})`,
              },
            },
            required: ['term'],
            additionalProperties: false,
          },
          orderBy: {
            type: 'object',
            properties: {
              field: { type: 'string', minLength: 1 },
              order: { type: 'string', enum: ['asc', 'desc'] },
            },
            required: ['field'],
            additionalProperties: false,
          },
          fields: { ...strings, description: 'Fields of each entity to return (default: all)' },
          limit: { type: 'integer', minimum: 1, maximum: MAX_QUERY_LIMIT, default: 20 },
          cursor: { type: 'string', minLength: 1, description: 'nextCursor of a previous page' },
        },
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          items: { type: 'array', items: entitySchema },
          totalItems: { type: 'integer', description: 'Entities matching, on every page' },
          nextCursor: string,
          prevCursor: string,
        },
        required: ['items', 'totalItems'],
      },
      permission: P.read,
      hints: readOnly,
      destructive: false,
      async handler(input, ctx) {
        const d = ready();
        let filter: Predicate | undefined;
        try {
          filter = and(
            parseFilterParams(input.filter),
            input.query === undefined ? undefined : validatePredicate(input.query, 'query'),
          );
        } catch (error) {
          throw new InputError(`arguments.${(error as Error).message.replace(/^Invalid /, '')}`);
        }
        const page = await d.query.byQuery({
          cursor: input.cursor,
          filter,
          orderField: input.orderBy
            ? { field: input.orderBy.field, order: input.orderBy.order ?? 'asc' }
            : undefined,
          fullTextFilter: input.fullTextFilter && {
            term: input.fullTextFilter.term,
            // Backstage's default (the order field, else the uid) finds nothing a person wants.
            fields: input.fullTextFilter.fields?.length
              ? input.fullTextFilter.fields
              : FULL_TEXT_FIELDS,
          },
          fields: input.fields,
          limit: input.limit,
          totalItems: true,
          viaPost: true,
          readFilter: await readFilter(ctx, d),
        });
        return {
          items: page.items,
          totalItems: page.totalItems,
          ...(page.pageInfo.nextCursor ? { nextCursor: page.pageInfo.nextCursor } : {}),
          ...(page.pageInfo.prevCursor ? { prevCursor: page.pageInfo.prevCursor } : {}),
        };
      },
    }),

    defineAction<
      { entityRef: string; depth: number; relations?: string[]; direction: 'both' | 'outgoing' },
      Record<string, unknown>
    >({
      id: 'get-entity-relations',
      title: 'Get the relation graph around an entity',
      description:
        'Returns the entities related to one entity, up to `depth` relations away (ownership, dependencies, APIs provided and consumed, system and domain membership, group hierarchy), as nodes and edges. Each edge is named by its forward relation (ownedBy, dependsOn, providesApi, consumesApi, partOf, childOf, memberOf) and points from the entity that declares it. Nodes marked missing are named by a relation but not in the catalog.',
      inputSchema: {
        type: 'object',
        properties: {
          entityRef: entityRefInput,
          depth: { type: 'integer', minimum: 1, maximum: GRAPH_DEFAULTS.maxDepth, default: 1 },
          relations: {
            ...strings,
            description:
              'Relation types to follow (default: all built-in ones), e.g. ["dependsOn"]',
          },
          direction: {
            type: 'string',
            enum: ['both', 'outgoing'],
            default: 'both',
            description: 'outgoing: only relations the entity declares, and theirs',
          },
        },
        required: ['entityRef'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          root: string,
          nodes: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                ref: string,
                kind: string,
                namespace: string,
                name: string,
                title: string,
                type: string,
                lifecycle: string,
                depth: { type: 'integer' },
                missing: { type: 'boolean' },
              },
              required: ['ref', 'kind', 'namespace', 'name', 'depth'],
            },
          },
          edges: {
            type: 'array',
            items: {
              type: 'object',
              properties: { source: string, type: string, target: string },
              required: ['source', 'type', 'target'],
            },
          },
          truncated: { type: 'boolean', description: 'More entities than `limit` were reached' },
          limit: { type: 'integer' },
        },
        required: ['root', 'nodes', 'edges', 'truncated'],
      },
      permission: P.read,
      hints: readOnly,
      destructive: false,
      async handler(input, ctx) {
        const d = ready();
        const root = refArgument(input.entityRef, 'entityRef');
        const result = await graphOf(d)(ctx, {
          root,
          depth: input.depth,
          relations: input.relations,
          direction: input.direction,
        });
        return { ...result };
      },
    }),

    defineAction<
      { entity?: unknown; yaml?: string },
      { valid: boolean; entities: string[]; problems: unknown[] }
    >({
      id: 'validate-entity',
      title: 'Validate catalog entities',
      description:
        'Checks entity descriptors without storing anything: pass `yaml`, the text of a catalog-info.yaml (several documents allowed; problems carry line numbers), or `entity`, one entity as an object. Answers whether they are valid, the refs they would have, and every problem with the field it is about.',
      inputSchema: {
        type: 'object',
        properties: {
          yaml: { type: 'string', minLength: 1, maxLength: 1024 * 1024 },
          entity: { type: 'object' },
        },
        oneOf: [{ required: ['yaml'] }, { required: ['entity'] }],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          valid: { type: 'boolean' },
          entities: { ...strings, description: 'Refs of the entities the input describes' },
          problems: { type: 'array', items: problemSchema },
        },
        required: ['valid', 'entities', 'problems'],
      },
      permission: P.validate,
      hints: readOnly,
      destructive: false,
      async handler(input) {
        const d = ready();
        if (input.yaml !== undefined) {
          const { entities, problems } = await d.service.validateText(
            input.yaml,
            'catalog-info.yaml',
          );
          return {
            valid: !problems.some((p) => p.level === 'error'),
            entities: entities.map((e) => stringifyEntityRef(e)),
            problems: problems.map(({ snippet: _hidden, ...p }) => p),
          };
        }
        const { problems } = validateEntity(input.entity, d.registry);
        const entity = input.entity as Partial<Entity>;
        let ref: string[] = [];
        try {
          ref = [stringifyEntityRef(entity as Entity)];
        } catch {
          // Without kind and name there is no ref; the problems say so.
        }
        return {
          valid: !problems.some((p) => p.level === 'error'),
          entities: ref,
          problems,
        };
      },
    }),

    defineAction<
      { target: string; type: 'url' | 'file'; dryRun: boolean },
      Record<string, unknown>
    >({
      id: 'register-entity',
      title: 'Register entities in the catalog',
      description:
        'Registers a location (the URL of a catalog-info.yaml in a repository, or a file on the server where allowed) and reads it at once: its entities are in the catalog when this answers. With dryRun it only reads and validates, storing nothing. A location registered before answers a conflict.',
      inputSchema: {
        type: 'object',
        properties: {
          target: {
            type: 'string',
            minLength: 1,
            maxLength: 2048,
            description: 'URL (or server path) of the catalog-info.yaml to register',
          },
          type: { type: 'string', enum: ['url', 'file'], default: 'url' },
          dryRun: { type: 'boolean', default: false },
        },
        required: ['target'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          location: {
            type: 'object',
            properties: { id: string, type: string, target: string, entityRef: string },
            required: ['id', 'type', 'target'],
          },
          entities: { ...strings, description: 'Refs of the entities the location emits' },
          dryRun: { type: 'boolean' },
          exists: { type: 'boolean', description: 'dry run: whether it is registered already' },
        },
        required: ['location', 'entities', 'dryRun'],
      },
      permission: P.locationCreate,
      hints: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
      destructive: false,
      async handler(input, ctx) {
        const d = ready();
        if (!input.dryRun && d.readonly) {
          throw new NotAllowedError('This catalog is read-only (catalog.readonly: true)');
        }
        const result = await d.service.addLocation(
          { type: input.type, target: input.target },
          { dryRun: input.dryRun },
        );
        let entities = result.entities.map((e) => stringifyEntityRef(e));
        if (!input.dryRun) {
          ctx.audit({
            action: P.locationCreate.name,
            resourceRef: result.location.entityRef,
            outcome: 'success',
            details: { type: result.location.type, target: result.location.target },
          });
          // What the location emitted (it was read before addLocation returned), as far as
          // the caller may read it.
          const { location } = result;
          const emitted = {
            [`metadata.annotations.${ANNOTATION_MANAGED_BY_LOCATION}`]: `${location.type}:${location.target}`,
          };
          const page = await d.query.list({
            filter: and(emitted, await readFilter(ctx, d)),
            fields: ['kind', 'metadata.namespace', 'metadata.name'],
            limit: MAX_QUERY_LIMIT,
          });
          entities = page.items.map((e) => stringifyEntityRef(e as Entity));
        }
        return {
          location: result.location,
          entities,
          dryRun: input.dryRun,
          ...('exists' in result ? { exists: Boolean(result.exists) } : {}),
        };
      },
    }),

    defineAction<{ entityRef: string }, Record<string, unknown>>({
      id: 'unregister-entity',
      title: 'Unregister a catalog entity',
      description:
        'Deletes one entity from the catalog, as DELETE /entities/by-uid does. An entity that its location still emits comes back when the location is read again: use this for orphaned entities, or after removing the entity from its source.',
      inputSchema: {
        type: 'object',
        properties: { entityRef: entityRefInput },
        required: ['entityRef'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          entityRef: string,
          deleted: { type: 'boolean' },
          wasOrphan: { type: 'boolean' },
          location: {
            type: ['object', 'null'],
            properties: { id: string, type: string, target: string, entityRef: string },
          },
        },
        required: ['entityRef', 'deleted', 'wasOrphan', 'location'],
      },
      permission: P.delete,
      hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      destructive: true,
      async handler(input, ctx) {
        const d = ready();
        const ref = refArgument(input.entityRef, 'entityRef');
        const { row, entity } = await readableEntity(d, ctx, ref);
        await ctx.require(P.delete, { ref: row.entity_ref, resource: entity });
        const location = row.location_id ? await d.locations.get(row.location_id) : undefined;
        const deleted = await d.store.deleteByUid(row.id, {
          type: 'delete',
          actor: ctx.identity.userEntityRef,
        });
        ctx.audit({
          action: P.delete.name,
          resourceRef: row.entity_ref,
          outcome: 'success',
          details: { uid: row.id, location: row.location_id },
        });
        return {
          entityRef: row.entity_ref,
          deleted,
          wasOrphan: Boolean(row.orphan),
          location: location ? locationJson(location) : null,
        };
      },
    }),
  ];
  return actions.map((action) => extend(actionsRegistryExtensionPoint, action));
}
