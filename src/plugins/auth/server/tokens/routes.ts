import {
  ConflictError,
  type Identity,
  InputError,
  NotAllowedError,
  NotFoundError,
  type Permission,
  type PluginEnvironment,
} from '../../../../core/plugin-api.ts';
import { guestConfigured, type TokenDeps } from './authenticator.ts';
import {
  type PersonalTokenRow,
  PersonalTokenStore,
  type TokenScope,
} from './personal-token-store.ts';

/** Atrium's own permissions for personal tokens; a user only ever manages their own. */
export const tokenPermissions = {
  create: { name: 'auth.token.create', attributes: { action: 'create' } },
  read: { name: 'auth.token.read', attributes: { action: 'read' } },
  delete: { name: 'auth.token.delete', attributes: { action: 'delete' } },
} satisfies Record<string, Permission>;

/** Active (not revoked) tokens one user may hold, expired ones included. */
export const MAX_TOKENS_PER_USER = 100;
const DAY_MS = 24 * 3600 * 1000;
/** Slack for a client that computed `expiresAt` from "max" a moment ago. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;

/** What the API shows of a token: never the secret nor its hash. */
export interface TokenSummary {
  id: string;
  name: string;
  scope: TokenScope;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  expired: boolean;
}

function summary(row: PersonalTokenRow, now: Date): TokenSummary {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    expired: row.expires_at <= now.toISOString(),
  };
}

/**
 * Who may manage tokens: people. A program (external access) has no tokens of its own; a
 * token may list and revoke its owner's tokens but not mint new ones, so a leaked token
 * cannot extend its own life. The guest that development turns on by default may not create
 * tokens: anyone who reaches the port is that guest, and a token would outlive the moment.
 * Only a guest an operator configured on purpose (`auth.providers.guest`) may.
 */
function assertPerson(identity: Identity, deps: TokenDeps, creating: boolean): void {
  if (identity.credential === 'external' || identity.credential === 'service') {
    throw new NotAllowedError(
      `${identity.userEntityRef} is a program (external access), not a signed-in user: personal access tokens belong to users`,
    );
  }
  if (!creating) return;
  if (identity.credential === 'personal-token') {
    throw new NotAllowedError(
      'A personal access token cannot create tokens: sign in to the web app to create one',
    );
  }
  if (identity.isGuest && !guestConfigured(deps.config)) {
    throw new NotAllowedError(
      'The guest cannot create personal access tokens unless the guest provider is configured explicitly (auth.providers.guest): sign in to create one',
    );
  }
  if (!deps.config.auth.personalTokens.enabled) {
    throw new NotAllowedError(
      'Personal access tokens are disabled on this server (auth.personalTokens.enabled: false)',
    );
  }
}

/** Control characters would garble the list and the audit log. */
const hasControl = (text: string) =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** `GET|POST /tokens`, `DELETE /tokens/:id`, under the auth plugin (`/api/auth/tokens`). */
export function registerTokenRoutes(env: PluginEnvironment, deps: TokenDeps): void {
  const store = new PersonalTokenStore(deps.database);
  const now = deps.now ?? (() => new Date());
  const maxMs = deps.config.auth.personalTokens.maxDurationMs;
  const maxDays = Math.floor(maxMs / DAY_MS);

  env.route({
    method: 'GET',
    url: '/tokens',
    permission: tokenPermissions.read,
    schema: { querystring: { type: 'object', properties: {}, additionalProperties: false } },
    async handler(_request, reply, ctx) {
      assertPerson(ctx.identity, deps, false);
      reply.header('cache-control', 'no-store');
      const at = now();
      const rows = await store.listOwn(ctx.identity.userEntityRef);
      return {
        items: rows.map((row) => summary(row, at)),
        maxDurationDays: maxMs / DAY_MS,
      };
    },
  });

  env.route({
    method: 'POST',
    url: '/tokens',
    permission: tokenPermissions.create,
    schema: {
      body: {
        type: 'object',
        required: ['name', 'scope'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          scope: { type: 'string', enum: ['read', 'full'] },
          expiresInDays: { type: 'integer', minimum: 1 },
          expiresAt: { type: 'string', minLength: 1, maxLength: 40 },
        },
      },
    },
    async handler(request, reply, ctx) {
      assertPerson(ctx.identity, deps, true);
      const body = request.body as {
        name: string;
        scope: TokenScope;
        expiresInDays?: number;
        expiresAt?: string;
      };
      const at = now();
      const expiresAt = expiryOf(body, at, maxMs, maxDays);
      const owner = ctx.identity.userEntityRef;
      const name = body.name.trim();
      if (!name) throw new InputError('name must not be blank: say what the token is for');
      if (hasControl(name)) {
        throw new InputError('name must not contain control characters (line breaks, tabs, …)');
      }
      const own = await store.listOwn(owner);
      if (own.some((t) => t.name === name && t.expires_at > at.toISOString())) {
        throw new ConflictError(`You already have a token named '${name}': choose another name`);
      }
      if (own.length >= MAX_TOKENS_PER_USER) {
        throw new ConflictError(
          `You have ${own.length} tokens, the most one user may have: revoke one you no longer use`,
        );
      }
      const { row, token } = await store.create({
        ownerRef: owner,
        name,
        scope: body.scope,
        expiresAt,
        ownerInCatalog: await deps.users.exists(owner),
        ownerIsGuest: ctx.identity.isGuest,
        now: at,
      });
      ctx.audit({
        action: 'auth.token.create',
        resourceRef: row.id,
        outcome: 'success',
        details: { name: row.name, scope: row.scope, expiresAt: row.expires_at },
      });
      // Now and then, rather than on a timer every replica would run.
      store
        .purge(at)
        .catch((error: Error) =>
          deps.logger.warn('Could not purge old personal access tokens', { error: error.message }),
        );
      reply.status(201);
      reply.header('cache-control', 'no-store');
      return { ...summary(row, at), token };
    },
  });

  env.route({
    method: 'DELETE',
    url: '/tokens/:id',
    permission: tokenPermissions.delete,
    schema: {
      params: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
      },
    },
    async handler(request, reply, ctx) {
      assertPerson(ctx.identity, deps, false);
      const { id } = request.params as { id: string };
      const row = await store.revoke(ctx.identity.userEntityRef, id, now());
      // Another user's token answers as a missing one: ids are not proof of anything.
      if (!row) throw new NotFoundError(`You have no token with id '${id}'`);
      ctx.audit({
        action: 'auth.token.revoke',
        resourceRef: row.id,
        outcome: 'success',
        details: { name: row.name },
      });
      reply.status(204);
      return reply.send();
    },
  });
}

function expiryOf(
  body: { expiresInDays?: number; expiresAt?: string },
  at: Date,
  maxMs: number,
  maxDays: number,
): Date {
  const limit = `auth.personalTokens.maxDuration is ${formatDays(maxMs)}`;
  if ((body.expiresInDays === undefined) === (body.expiresAt === undefined)) {
    throw new InputError(
      'Give the token an expiry: exactly one of expiresInDays (a number of days) or expiresAt (an ISO-8601 date-time)',
    );
  }
  if (body.expiresInDays !== undefined) {
    if (body.expiresInDays > maxDays) {
      throw new InputError(
        `expiresInDays must be at most ${maxDays} (${limit}); got ${body.expiresInDays}`,
      );
    }
    return new Date(at.getTime() + body.expiresInDays * DAY_MS);
  }
  const text = body.expiresAt!;
  const time = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(time)) {
    throw new InputError(
      `expiresAt must be an ISO-8601 date or date-time with a time zone, e.g. 2030-01-31 or 2030-01-31T12:00:00Z; got '${text}'`,
    );
  }
  if (time <= at.getTime()) throw new InputError(`expiresAt must be in the future; got '${text}'`);
  if (time > at.getTime() + maxMs + CLOCK_SLACK_MS) {
    throw new InputError(
      `expiresAt must be at most ${formatDays(maxMs)} from now (${limit}); got '${text}'`,
    );
  }
  return new Date(time);
}

function formatDays(ms: number): string {
  const days = ms / DAY_MS;
  if (days >= 1) return `${Number.isInteger(days) ? days : days.toFixed(1)} days`;
  return `${Math.round(ms / 60000)} minutes`;
}
