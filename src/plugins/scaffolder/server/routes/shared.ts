import type { FastifyReply } from 'fastify';
import { NotFoundError } from '../../../../core/errors.ts';
import type { Permission, RouteContext } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import { assertTemplate, findEntity, templateRefOf } from '../templates.ts';
import type { EventHub } from '../tasks/event-hub.ts';
import type { TaskService } from '../tasks/task-service.ts';
import { ValidationFailed } from '../tasks/task-service.ts';
import type { TaskStore } from '../tasks/task-store.ts';
import type { ActionRegistry } from '../actions/registry.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { DryRunDeps } from '../dry-run/dry-run.ts';
import { SCAFFOLDER_PERMISSION_NAMES as N } from '../../common/api-types.ts';

/** The scaffolder's permissions, named as Backstage names them (COMPAT.md §6.4). */
export const P = {
  // Backstage gives task create and cancel no action (RHDH policies name them with `use`).
  taskCreate: { name: N.taskCreate },
  taskRead: { name: N.taskRead, attributes: { action: 'read' } },
  taskCancel: { name: N.taskCancel },
  actionRead: { name: N.actionRead, attributes: { action: 'read' } },
  templateParameterRead: {
    name: N.templateParameterRead,
    attributes: { action: 'read' },
    resourceType: 'scaffolder-template',
  },
  dryRun: { name: N.dryRun },
  /** Templates are catalog entities: listing them is reading the catalog. */
  catalogRead: {
    name: 'catalog.entity.read',
    attributes: { action: 'read' },
    resourceType: 'catalog-entity',
  },
} satisfies Record<string, Permission>;

export const strict = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

export const secretsSchema = { type: 'object', additionalProperties: { type: 'string' } };
export const taskIdParams = strict({ taskId: { type: 'string', minLength: 1, maxLength: 64 } }, [
  'taskId',
]);

export interface RouteDeps {
  store: TaskStore;
  service: TaskService;
  registry: ActionRegistry;
  catalog: CatalogApi;
  hub: EventHub;
  dryRun: DryRunDeps;
  /** Aborted when the server stops: event streams and long polls end so it can close. */
  shutdown: AbortSignal;
}

/**
 * The template a ref names, checked to be one, or 404 — also when the caller may not read it,
 * before anything else is said about it, so that its existence does not leak.
 */
export async function readableTemplate(
  catalog: CatalogApi,
  ctx: RouteContext,
  ref: string,
): Promise<Entity> {
  const canonical = templateRefOf(ref);
  const notFound = () => new NotFoundError(`Template ${canonical} not found`);
  const entity = await findEntity(catalog, canonical);
  if (!entity) throw notFound();
  await assertReadable(ctx, canonical, entity, notFound);
  assertTemplate(entity, `Entity ${canonical}`);
  return entity;
}

/** Throws `notFound()` unless the caller may read the entity (conditions checked on it). */
export async function assertReadable(
  ctx: RouteContext,
  ref: string,
  entity: Entity,
  notFound: () => Error,
): Promise<void> {
  const decision = await ctx.decide(P.catalogRead, { ref, resource: entity });
  if (decision.result !== 'ALLOW') throw notFound();
}

/**
 * Backstage answers a request that fails validation with 400 `{errors: [...]}`; the usual
 * `error` object is added so generic clients still show a message.
 */
export async function withValidationErrors<T>(
  reply: FastifyReply,
  fn: () => Promise<T>,
): Promise<T | { errors: unknown[] }> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ValidationFailed)) throw error;
    reply.status(400);
    return {
      errors: error.errors,
      error: { name: 'InputError', message: error.message },
      response: { statusCode: 400 },
    } as { errors: unknown[] };
  }
}
