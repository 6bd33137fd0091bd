import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../core/errors.ts';
import type { Permission, PluginEnvironment } from '../../../core/plugin-api.ts';
import {
  DEFAULT_NOTIFICATIONS_PAGE,
  MAX_NOTIFICATIONS_PAGE,
  NOTIFICATION_READ_PERMISSION,
  NOTIFICATION_UPDATE_PERMISSION,
} from '../common/index.ts';
import type { ListRequest, NotificationStore } from './store.ts';

export const notificationPermissions = {
  read: { name: NOTIFICATION_READ_PERMISSION, attributes: { action: 'read' } },
  update: { name: NOTIFICATION_UPDATE_PERMISSION, attributes: { action: 'update' } },
} satisfies Record<string, Permission>;

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

/**
 * Backstage's notifications routes, for the caller's own notifications only: the recipient is
 * always `ctx.identity.userEntityRef`, never a parameter.
 */
export function registerNotificationRoutes(env: PluginEnvironment, store: NotificationStore): void {
  env.route({
    method: 'GET',
    url: '/notifications',
    permission: notificationPermissions.read,
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          offset: { type: 'integer', minimum: 0 },
          limit: { type: 'integer', minimum: 1, maximum: MAX_NOTIFICATIONS_PAGE },
          read: { type: 'boolean' },
          search: text(200),
          topic: text(512),
        },
      },
    },
    async handler(request: FastifyRequest, reply, ctx) {
      const q = request.query as Partial<ListRequest>;
      reply.header('cache-control', 'no-store');
      return store.list(ctx.identity.userEntityRef, {
        ...q,
        offset: q.offset ?? 0,
        limit: q.limit ?? DEFAULT_NOTIFICATIONS_PAGE,
      });
    },
  });

  env.route({
    method: 'GET',
    url: '/notifications/:id',
    permission: notificationPermissions.read,
    schema: {
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: text(40) },
      },
    },
    async handler(request: FastifyRequest, _reply, ctx) {
      const { id } = request.params as { id: string };
      const page = await store.byId(ctx.identity.userEntityRef, id);
      if (!page) throw new NotFoundError(`Notification ${id} not found`);
      return page;
    },
  });

  env.route({
    method: 'GET',
    url: '/status',
    permission: notificationPermissions.read,
    schema: { querystring: { type: 'object', properties: {}, additionalProperties: false } },
    async handler(_request, reply, ctx) {
      reply.header('cache-control', 'no-store');
      return store.status(ctx.identity.userEntityRef);
    },
  });

  const updateSchema = {
    body: {
      type: 'object',
      required: ['ids'],
      additionalProperties: false,
      properties: {
        ids: { type: 'array', items: text(40), maxItems: MAX_NOTIFICATIONS_PAGE },
        read: { type: 'boolean' },
      },
    },
  };
  // Backstage's path, and the one its older clients posted to.
  for (const url of ['/notifications/update', '/update']) {
    env.route({
      method: 'POST',
      url,
      permission: notificationPermissions.update,
      schema: updateSchema,
      async handler(request: FastifyRequest, _reply, ctx) {
        const { ids, read } = request.body as { ids: string[]; read?: boolean };
        if (read === undefined) return store.byIds(ctx.identity.userEntityRef, ids);
        return store.markRead(ctx.identity.userEntityRef, ids, read);
      },
    });
  }
}
