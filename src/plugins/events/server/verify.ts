import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { checkDataLimits, type DataLimits } from '../../../model/data-limits.ts';
import type { WebhookEvent, WebhookSource } from './events-service.ts';

/** What one delivery is: a verified event, or the 4xx answer and why. */
export type Verdict =
  | { ok: true; event: WebhookEvent; ping: boolean }
  | { ok: false; status: 400 | 401; reason: string; type?: string; deliveryId?: string };

/** The config key that holds each source's secret, named in every refusal it explains. */
export const SECRET_KEYS: Record<WebhookSource, string> = {
  github: 'events.modules.github.webhookSecret',
  gitlab: 'events.modules.gitlab.webhookSecret',
};

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** Compares two secrets in time independent of where they differ and of their lengths. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The body as a JSON object, or why it is not one (a 400). */
function parseBody(
  headers: IncomingHttpHeaders,
  body: Buffer,
  limits: DataLimits,
): { payload: Record<string, unknown> } | { reason: string } {
  const contentType = header(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType && contentType !== 'application/json' && !contentType.endsWith('+json')) {
    return {
      reason: `The body must be JSON, not ${contentType}: set the webhook's content type to application/json`,
    };
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return { reason: 'Empty request body' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { reason: `Malformed JSON body: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { reason: 'The body must be a JSON object' };
  }
  const broken = checkDataLimits(value, limits);
  if (broken) return { reason: `The request body is ${broken.message}` };
  return { payload: value as Record<string, unknown> };
}

/**
 * A GitHub delivery: `X-Hub-Signature-256` must be the HMAC-SHA256 of the exact body with the
 * configured secret; checked before the body is parsed, so an unverified caller learns nothing.
 */
export function verifyGithubDelivery(
  headers: IncomingHttpHeaders,
  body: Buffer,
  secret: string | undefined,
  limits: DataLimits,
): Verdict {
  const type = header(headers, 'x-github-event');
  const deliveryId = header(headers, 'x-github-delivery');
  const refuse = (status: 400 | 401, reason: string): Verdict => ({
    ok: false,
    status,
    reason,
    type,
    deliveryId,
  });
  if (!secret) {
    return refuse(
      401,
      `GitHub webhooks are not configured on this server: set ${SECRET_KEYS.github} to the webhook's secret`,
    );
  }
  const signature = header(headers, 'x-hub-signature-256');
  if (!signature) {
    return refuse(
      401,
      `The delivery has no X-Hub-Signature-256 header: give the GitHub webhook a secret, the value of ${SECRET_KEYS.github}`,
    );
  }
  const hex = SIGNATURE.exec(signature)?.[1];
  if (!hex) {
    return refuse(401, "The X-Hub-Signature-256 header is not 'sha256=' and 64 hex digits");
  }
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!timingSafeEqual(Buffer.from(hex, 'hex'), expected)) {
    return refuse(
      401,
      `The X-Hub-Signature-256 signature does not match the body: the webhook's secret is not the value of ${SECRET_KEYS.github}, or the body was changed on the way`,
    );
  }
  const parsed = parseBody(headers, body, limits);
  if ('reason' in parsed) return refuse(400, parsed.reason);
  if (!type) return refuse(400, 'The delivery has no X-GitHub-Event header');
  return {
    ok: true,
    ping: type === 'ping',
    event: { source: 'github', type, payload: parsed.payload, deliveryId },
  };
}

/**
 * A GitLab delivery: `X-Gitlab-Token` must equal the configured secret. Its type is the body's
 * `event_name` (system and group hooks: project_create, user_add_to_group, push, …) or else
 * its `object_kind` (project hooks: push, tag_push, merge_request, …).
 */
export function verifyGitlabDelivery(
  headers: IncomingHttpHeaders,
  body: Buffer,
  secret: string | undefined,
  limits: DataLimits,
): Verdict {
  const deliveryId = header(headers, 'x-gitlab-event-uuid');
  const refuse = (status: 400 | 401, reason: string, type?: string): Verdict => ({
    ok: false,
    status,
    reason,
    type: type ?? header(headers, 'x-gitlab-event'),
    deliveryId,
  });
  if (!secret) {
    return refuse(
      401,
      `GitLab webhooks are not configured on this server: set ${SECRET_KEYS.gitlab} to the webhook's secret token`,
    );
  }
  const token = header(headers, 'x-gitlab-token');
  if (!token) {
    return refuse(
      401,
      `The delivery has no X-Gitlab-Token header: give the GitLab webhook a secret token, the value of ${SECRET_KEYS.gitlab}`,
    );
  }
  if (!sameSecret(token, secret)) {
    return refuse(401, `The X-Gitlab-Token header is not the value of ${SECRET_KEYS.gitlab}`);
  }
  const parsed = parseBody(headers, body, limits);
  if ('reason' in parsed) return refuse(400, parsed.reason);
  if (!header(headers, 'x-gitlab-event')) {
    return refuse(400, 'The delivery has no X-Gitlab-Event header');
  }
  const kind = parsed.payload.event_name || parsed.payload.object_kind;
  if (typeof kind !== 'string' || kind === '') {
    return refuse(400, 'The body has neither an event_name nor an object_kind');
  }
  return {
    ok: true,
    ping: false,
    event: { source: 'gitlab', type: kind, payload: parsed.payload, deliveryId },
  };
}
