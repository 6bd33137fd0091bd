import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../../core/errors.ts';
import { openEventStream, type PluginEnvironment } from '../../../../core/plugin-api.ts';
import type { JsonObject } from '../../../../model/entity.ts';
import type { TaskEvent } from '../../common/api-types.ts';
import type { ListTasksRequest, TaskStore } from '../tasks/task-store.ts';
import { findEntity, templateRefOf } from '../templates.ts';
import {
  assertReadable,
  P,
  type RouteDeps,
  readableTemplate,
  secretsSchema,
  strict,
  taskIdParams,
  withValidationErrors,
} from './shared.ts';

const strings = { type: 'array', items: { type: 'string', minLength: 1 } };
const STATUSES = ['open', 'processing', 'completed', 'failed', 'cancelled'];
/** How long GET …/events waits for a new event before answering `[]`. */
const LONG_POLL_MS = 30_000;
/** Readers re-read the table this often, for events stored by other replicas. */
const REREAD_MS = 1_000;

/** Events after `after`; once the task has ended, its completion event is always included. */
export async function taskEventsAfter(
  store: TaskStore,
  taskId: string,
  after: number | undefined,
): Promise<TaskEvent[]> {
  const events = await store.events(taskId, after);
  if (!events.some((e) => e.type === 'completion')) {
    const completion = await store.completionEvent(taskId);
    if (completion && (after === undefined || completion.id <= after)) events.push(completion);
  }
  return events;
}

/** Tasks: create, list, read, cancel, retry, and their events (COMPAT.md §6.4). */
export function registerTaskRoutes(env: PluginEnvironment, deps: RouteDeps) {
  const { store, service, hub, shutdown } = deps;

  env.route({
    method: 'POST',
    url: '/v2/tasks',
    permission: P.taskCreate,
    schema: {
      body: strict(
        {
          templateRef: { type: 'string', minLength: 1, maxLength: 1024 },
          values: { type: 'object' },
          secrets: secretsSchema,
        },
        ['templateRef', 'values'],
      ),
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const body = request.body as {
        templateRef: string;
        values: JsonObject;
        secrets?: Record<string, string>;
      };
      // A template the caller may not read is answered as a missing one (404, not 403).
      await readableTemplate(deps.catalog, ctx, body.templateRef);
      return withValidationErrors(reply, async () => {
        const created = await service.create({
          templateRef: body.templateRef,
          values: body.values,
          secrets: body.secrets,
          userRef: ctx.identity.userEntityRef,
        });
        // The URL names no resource: the run is recorded by its task and template, as the MCP
        // tool records it.
        ctx.audit({
          action: P.taskCreate.name,
          resourceRef: created.id,
          outcome: 'success',
          details: { templateRef: templateRefOf(body.templateRef) },
        });
        reply.status(201);
        return created;
      });
    },
  });

  env.route({
    method: 'GET',
    url: '/v2/tasks',
    permission: P.taskRead,
    schema: {
      querystring: strict({
        createdBy: strings,
        status: { type: 'array', items: { type: 'string', enum: STATUSES } },
        limit: { type: 'integer', minimum: 0, maximum: 10_000 },
        offset: { type: 'integer', minimum: 0 },
        order: {
          type: 'array',
          items: { type: 'string', pattern: '^(asc|desc):(created_at|created_by|status)$' },
        },
      }),
    },
    async handler(request: FastifyRequest) {
      const q = request.query as {
        createdBy?: string[];
        status?: string[];
        limit?: number;
        offset?: number;
        order?: string[];
      };
      return store.list({
        createdBy: q.createdBy,
        status: q.status,
        limit: q.limit,
        offset: q.offset,
        order: q.order?.map((o) => {
          const [order, field] = o.split(':') as ['asc' | 'desc', string];
          return { order, field } as NonNullable<ListTasksRequest['order']>[number];
        }),
      });
    },
  });

  env.route({
    method: 'GET',
    url: '/v2/tasks/:taskId',
    permission: P.taskRead,
    schema: { params: taskIdParams },
    async handler(request: FastifyRequest) {
      const { taskId } = request.params as { taskId: string };
      const task = await store.get(taskId);
      if (!task) throw new NotFoundError(`Task with id ${taskId} does not exist`);
      return task;
    },
  });

  env.route({
    method: 'POST',
    url: '/v2/tasks/:taskId/cancel',
    permission: P.taskCancel,
    schema: { params: taskIdParams },
    async handler(request: FastifyRequest) {
      const { taskId } = request.params as { taskId: string };
      return service.cancel(taskId);
    },
  });

  env.route({
    method: 'POST',
    url: '/v2/tasks/:taskId/retry',
    permission: P.taskCreate,
    schema: {
      params: taskIdParams,
      body: { anyOf: [strict({ secrets: secretsSchema }), { type: 'null' }] },
    },
    async handler(request: FastifyRequest, reply: FastifyReply, ctx) {
      const { taskId } = request.params as { taskId: string };
      const body = (request.body ?? {}) as { secrets?: Record<string, string> };
      // Running a task again runs its template: only for callers who may still read it. A
      // template removed since does not stop a retry (the task keeps its own copy of it).
      const row = await store.row(taskId);
      const templateRef = row?.template_ref;
      const template = templateRef ? await findEntity(deps.catalog, templateRef) : undefined;
      if (templateRef && template) {
        const notFound = () => new NotFoundError(`Template ${templateRef} not found`);
        await assertReadable(ctx, templateRef, template, notFound);
      }
      return withValidationErrors(reply, async () => {
        const created = await service.retry(taskId, body.secrets, ctx.identity.userEntityRef);
        reply.status(201);
        return created;
      });
    },
  });

  const afterQuery = strict({ after: { type: 'integer', minimum: 0 } });
  const eventsAfter = (taskId: string, after: number | undefined) =>
    taskEventsAfter(store, taskId, after);

  /**
   * What both event routes start with: the task must exist, and the wait for events ends when
   * the client leaves or the server shuts down.
   */
  const openEventsRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    const { taskId } = request.params as { taskId: string };
    const { after } = request.query as { after?: number };
    if (!(await store.row(taskId)))
      throw new NotFoundError(`Task with id ${taskId} does not exist`);
    const closed = new AbortController();
    reply.raw.on('close', () => closed.abort());
    shutdown.addEventListener('abort', () => closed.abort(), {
      once: true,
      signal: closed.signal,
    });
    return { taskId, after, closed: closed.signal };
  };

  env.route({
    method: 'GET',
    url: '/v2/tasks/:taskId/eventstream',
    permission: P.taskRead,
    schema: { params: taskIdParams, querystring: afterQuery },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const { taskId, after, closed } = await openEventsRequest(request, reply);
      const stream = openEventStream(reply);
      let cursor = after;
      try {
        while (!closed.aborted) {
          const seen = hub.version(taskId);
          const events = await eventsAfter(taskId, cursor);
          for (const event of events) {
            stream.send(event.type, event);
            cursor = Math.max(cursor ?? 0, event.id);
          }
          if (events.some((e) => e.type === 'completion')) break;
          await hub.wait(taskId, REREAD_MS, closed, seen);
        }
      } catch (error) {
        env.logger.warn(`Event stream of task ${taskId} failed`, { error: String(error) });
      } finally {
        stream.end();
      }
    },
  });

  env.route({
    method: 'GET',
    url: '/v2/tasks/:taskId/events',
    permission: P.taskRead,
    schema: { params: taskIdParams, querystring: afterQuery },
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const { taskId, after, closed } = await openEventsRequest(request, reply);
      const deadline = Date.now() + LONG_POLL_MS;
      while (!closed.aborted) {
        const seen = hub.version(taskId);
        const events = await eventsAfter(taskId, after);
        if (events.length) return events;
        const left = deadline - Date.now();
        if (left <= 0) break;
        await hub.wait(taskId, Math.min(REREAD_MS, left), closed, seen);
      }
      return [];
    },
  });
}
