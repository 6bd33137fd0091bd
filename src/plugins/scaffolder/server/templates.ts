import { pathToFileURL } from 'node:url';
import { InputError, NotFoundError } from '../../../core/errors.ts';
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  type Entity,
  type JsonObject,
} from '../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import type { CatalogApi } from '../../catalog/server/plugin.ts';
import type { TaskSpec, TaskStep, TemplateSummary } from '../common/api-types.ts';

export const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';

/** The canonical ref of a template ref as POST /v2/tasks accepts it (kind defaults to template). */
export function templateRefOf(ref: string): string {
  let parsed: { kind: string; namespace: string; name: string };
  try {
    parsed = parseEntityRef(ref, { defaultKind: 'template', defaultNamespace: 'default' });
  } catch (error) {
    throw new InputError(`Invalid templateRef '${ref}': ${(error as Error).message}`);
  }
  return stringifyEntityRef(parsed);
}

/** Rejects anything but a v1beta3 Template (Backstage answers 400 for both). */
export function assertTemplate(entity: unknown, what: string): asserts entity is Entity {
  const e = entity as Partial<Entity> | null;
  if (!e || typeof e !== 'object' || Array.isArray(e)) {
    throw new InputError(`${what} is not a template: expected an entity object`);
  }
  if (e.kind?.toLowerCase() !== 'template') {
    throw new InputError(`${what} is not a template: its kind is '${e.kind}', not 'Template'`);
  }
  if (e.apiVersion !== TEMPLATE_API_VERSION) {
    throw new InputError(
      `${what} is not a template: apiVersion '${e.apiVersion}' is not supported; only ${TEMPLATE_API_VERSION} templates run`,
    );
  }
  const spec = e.spec as JsonObject | undefined;
  if (!spec || !Array.isArray(spec.steps)) {
    throw new InputError(`${what} is not a template: spec.steps must be an array`);
  }
  if (!e.metadata || typeof e.metadata.name !== 'string') {
    throw new InputError(`${what} is not a template: metadata.name is missing`);
  }
}

/** The stored entity, or 404 — reading through the catalog's store (relations attached). */
export async function findEntity(catalog: CatalogApi, ref: string): Promise<Entity | undefined> {
  const row = await catalog.store.rowByRef(ref);
  if (!row) return undefined;
  const [entity] = await catalog.store.assemble([row]);
  return entity;
}

export async function findTemplate(catalog: CatalogApi, ref: string): Promise<Entity> {
  const canonical = templateRefOf(ref);
  const entity = await findEntity(catalog, canonical);
  if (!entity) throw new NotFoundError(`Template ${canonical} not found`);
  assertTemplate(entity, `Entity ${canonical}`);
  return entity;
}

/**
 * Where relative `url` inputs resolve: the template's `source-location`, else its
 * `managed-by-location`, as a URL (`file:///dir/template.yaml`, `https://…`).
 */
export function templateBaseUrl(entity: Entity): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const ref =
    annotations[ANNOTATION_SOURCE_LOCATION] ?? annotations[ANNOTATION_MANAGED_BY_LOCATION];
  if (!ref) return undefined;
  const colon = ref.indexOf(':');
  const type = ref.slice(0, colon);
  const target = ref.slice(colon + 1);
  if (type === 'file') return pathToFileURL(target).href;
  if (type === 'url') return target;
  return undefined;
}

/** Steps with Backstage's defaults: id `step-<n>`, name = the action id. */
export function normalizeSteps(steps: unknown): TaskStep[] {
  if (!Array.isArray(steps)) return [];
  return steps.map((raw, i) => {
    const step = (raw && typeof raw === 'object' ? raw : {}) as JsonObject;
    return {
      ...step,
      id: typeof step.id === 'string' && step.id ? step.id : `step-${i + 1}`,
      name:
        typeof step.name === 'string' && step.name
          ? step.name
          : String(step.action ?? `step-${i + 1}`),
      action: String(step.action ?? ''),
    } as TaskStep;
  });
}

export function buildTaskSpec(input: {
  template: Entity;
  values: JsonObject;
  user: { ref: string; entity?: Entity };
  entityRef?: string;
  baseUrl?: string;
}): TaskSpec {
  const spec = input.template.spec as JsonObject;
  const recovery = spec.EXPERIMENTAL_recovery;
  return {
    apiVersion: input.template.apiVersion,
    steps: normalizeSteps(spec.steps),
    output: (spec.output && typeof spec.output === 'object' ? spec.output : {}) as JsonObject,
    parameters: input.values,
    user: { ...(input.user.entity ? { entity: input.user.entity } : {}), ref: input.user.ref },
    templateInfo: {
      entityRef: input.entityRef ?? stringifyEntityRef(input.template),
      ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}),
      entity: { metadata: input.template.metadata as unknown as JsonObject },
    },
    ...(recovery && typeof recovery === 'object'
      ? { EXPERIMENTAL_recovery: recovery as JsonObject }
      : {}),
  };
}

/** A row of GET /v2/templates. */
export function templateSummary(entity: Entity): TemplateSummary {
  const spec = (entity.spec ?? {}) as JsonObject;
  const namespace = entity.metadata.namespace ?? 'default';
  const ownerRelation = entity.relations?.find((r) => r.type === 'ownedBy')?.targetRef;
  return {
    entityRef: stringifyEntityRef(entity),
    namespace,
    name: entity.metadata.name,
    title: entity.metadata.title ?? entity.metadata.name,
    ...(entity.metadata.description ? { description: entity.metadata.description } : {}),
    tags: entity.metadata.tags ?? [],
    ...(ownerRelation
      ? { owner: ownerRelation }
      : typeof spec.owner === 'string'
        ? { owner: spec.owner }
        : {}),
    type: typeof spec.type === 'string' ? spec.type : '',
    links: entity.metadata.links ?? [],
  };
}
