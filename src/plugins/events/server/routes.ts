import type { FastifyRequest } from 'fastify';
import { dataLimits } from '../../../core/input-limits.ts';
import {
  AuthenticationError,
  type Identity,
  InputError,
  type Permission,
  type PluginEnvironment,
} from '../../../core/plugin-api.ts';
import { EVENTS_STATUS_READ_PERMISSION, type EventsStatus } from '../common/index.ts';
import type { WebhookCounterStore } from './counter-store.ts';
import type { EventsService, WebhookEvent, WebhookSource } from './events-service.ts';
import { type Verdict, verifyGithubDelivery, verifyGitlabDelivery } from './verify.ts';

export const eventsPermissions = {
  statusRead: { name: EVENTS_STATUS_READ_PERMISSION, attributes: { action: 'read' } },
} satisfies Record<string, Permission>;

const VERIFIERS: Record<WebhookSource, typeof verifyGithubDelivery> = {
  github: verifyGithubDelivery,
  gitlab: verifyGitlabDelivery,
};

/** Headers each source's route reads; bounded so no header can be a payload of its own. */
const HEADERS: Record<WebhookSource, Record<string, { type: 'string'; maxLength: number }>> = {
  github: {
    'x-github-event': { type: 'string', maxLength: 100 },
    'x-github-delivery': { type: 'string', maxLength: 200 },
    'x-hub-signature-256': { type: 'string', maxLength: 200 },
  },
  gitlab: {
    'x-gitlab-event': { type: 'string', maxLength: 100 },
    'x-gitlab-event-uuid': { type: 'string', maxLength: 200 },
    'x-gitlab-token': { type: 'string', maxLength: 1024 },
  },
};

export interface WebhookRouteDeps {
  service: EventsService;
  counters: WebhookCounterStore;
  /** Background work (counting, handing to subscribers) that stop waits for. */
  track(work: Promise<unknown>): void;
}

/** The repository or project a delivery is about, for the audit log: `acme/api`. */
function subjectOf(event: WebhookEvent): string | undefined {
  const payload = event.payload;
  const repository = payload.repository as { full_name?: unknown } | undefined;
  const project = payload.project as { path_with_namespace?: unknown } | undefined;
  const organization = payload.organization as { login?: unknown } | undefined;
  const name =
    repository?.full_name ??
    project?.path_with_namespace ??
    payload.path_with_namespace ??
    organization?.login;
  return typeof name === 'string' ? name : undefined;
}

/** The actor of a verified delivery in the audit log: `service:github-webhook`. */
function webhookIdentity(source: WebhookSource): Identity {
  return {
    userEntityRef: `service:${source}-webhook`,
    ownershipEntityRefs: [],
    isGuest: false,
    credential: 'none',
  };
}

export function registerEventsRoutes(env: PluginEnvironment, deps: WebhookRouteDeps): void {
  const secretOf = (source: WebhookSource) => env.config.events.modules[source].webhookSecret;

  for (const source of ['github', 'gitlab'] as const) {
    env.route({
      method: 'POST',
      url: `/http/${source}`,
      // Source-code hosts have no session: the signature (or token) is the credential.
      public: true,
      permission: null,
      rawBody: true,
      schema: {
        querystring: { type: 'object', properties: {}, additionalProperties: false },
        headers: { type: 'object', properties: HEADERS[source] },
      },
      async handler(request: FastifyRequest, reply, ctx) {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const verdict: Verdict = VERIFIERS[source](
          request.headers,
          body,
          secretOf(source),
          dataLimits(env.config),
        );
        if (!verdict.ok) {
          deps.track(deps.counters.count(source, { accepted: false, reason: verdict.reason }));
          ctx.audit({
            action: 'events.webhook.rejected',
            outcome: 'failure',
            details: {
              source,
              status: verdict.status,
              reason: verdict.reason,
              ...(verdict.type ? { type: verdict.type } : {}),
              ...(verdict.deliveryId ? { deliveryId: verdict.deliveryId } : {}),
            },
          });
          env.logger.info('Webhook delivery refused', {
            source,
            status: verdict.status,
            reason: verdict.reason,
            deliveryId: verdict.deliveryId,
            clientAddress: request.ip,
          });
          throw verdict.status === 401
            ? new AuthenticationError(verdict.reason)
            : new InputError(verdict.reason);
        }
        const { event } = verdict;
        const subject = subjectOf(event);
        deps.track(deps.counters.count(source, { accepted: true }));
        // The signature proved who sent it: the source is the actor, not the anonymous caller.
        env.audit.record(
          {
            action: 'events.webhook.accepted',
            resourceRef: subject ? `${source}:${subject}` : undefined,
            outcome: 'success',
            details: {
              source,
              type: event.type,
              ...(typeof event.payload.action === 'string' ? { action: event.payload.action } : {}),
              ...(event.deliveryId ? { deliveryId: event.deliveryId } : {}),
            },
          },
          { identity: webhookIdentity(source), request },
        );
        reply.header('cache-control', 'no-store');
        if (verdict.ping) return { ok: true, ping: true };
        // After the answer is on its way: a slow or failing subscriber never delays it.
        deps.track(
          new Promise((resolve) => setImmediate(resolve)).then(() => deps.service.publish(event)),
        );
        reply.code(202);
        return { accepted: true, ...(event.deliveryId ? { deliveryId: event.deliveryId } : {}) };
      },
    });
  }

  env.route({
    method: 'GET',
    url: '/status',
    permission: eventsPermissions.statusRead,
    schema: { querystring: { type: 'object', properties: {}, additionalProperties: false } },
    async handler(_request, reply): Promise<EventsStatus> {
      reply.header('cache-control', 'no-store');
      return { sources: await deps.counters.status((source) => Boolean(secretOf(source))) };
    },
  });
}
