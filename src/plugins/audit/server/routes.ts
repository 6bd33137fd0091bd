import type { FastifyRequest } from 'fastify';
import type { Permission, PluginEnvironment } from '../../../core/plugin-api.ts';
import {
  AUDIT_EVENT_READ_PERMISSION,
  AUDIT_OUTCOMES,
  DEFAULT_AUDIT_PAGE,
  MAX_AUDIT_PAGE,
} from '../common/index.ts';
import type { AuditPageRequest, AuditStore } from './audit-store.ts';

export const auditEventRead: Permission = {
  name: AUDIT_EVENT_READ_PERMISSION,
  attributes: { action: 'read' },
};

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

/** `GET /api/audit/events`: filtered, keyset-paged, newest first unless `order=asc`. */
export function registerAuditRoutes(env: PluginEnvironment, store: AuditStore): void {
  env.route({
    method: 'GET',
    url: '/events',
    permission: auditEventRead,
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          actor: text(512),
          // Exact, or a prefix ending in `*` (`catalog.*`); `*` only at the end.
          action: { ...text(200), pattern: '^[^*]*\\*?$' },
          resourceRef: text(1024),
          outcome: { type: 'string', enum: [...AUDIT_OUTCOMES] },
          from: text(64),
          to: text(64),
          limit: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE },
          cursor: text(2048),
          order: { type: 'string', enum: ['desc', 'asc'] },
        },
      },
    },
    async handler(request: FastifyRequest) {
      const q = request.query as Partial<AuditPageRequest>;
      return store.list({ ...q, limit: q.limit ?? DEFAULT_AUDIT_PAGE });
    },
  });
}
