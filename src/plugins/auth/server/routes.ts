import type { FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { ANONYMOUS_IDENTITY } from '../../../core/permissions/guest.ts';
import {
  AuthenticationError,
  type Identity,
  NotFoundError,
  type PluginEnvironment,
} from '../../../core/plugin-api.ts';
import { type ProvidersResponse, SESSION_COOKIE, type SessionResponse } from '../common/types.ts';
import { readCookie, serializeCookie, setCookie } from './cookies.ts';
import {
  clearSessionCookies as clearSharedSessionCookies,
  renewIfDue,
  setSessionCookies as setSharedSessionCookies,
} from './session-cookies.ts';
import { FLOW_COOKIE, FLOW_LIFETIME_MS, safeReturnPath, signFlow, verifyFlow } from './flow.ts';
import { guestIdentity, sessionIdentity } from './identity.ts';
import type { SigningKeys } from './keys.ts';
import { type ConfiguredProvider, ProviderError } from './providers/index.ts';
import { resolveSignIn, SignInRefused } from './resolvers.ts';
import type { IssuedSession, SessionService } from './sessions.ts';
import type { UserCache } from './user-cache.ts';
import type { UserDirectory } from '../../catalog/server/user-directory.ts';

export interface AuthRouteDeps {
  keys: SigningKeys;
  sessions: SessionService;
  users: UserCache;
  directory: UserDirectory;
  providers: Map<string, ConfiguredProvider>;
}

const FLOW_PATH = '/api/auth';
const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;
const providerParams = {
  type: 'object',
  required: ['provider'],
  additionalProperties: false,
  properties: { provider: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } },
} as const;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function registerAuthRoutes(env: PluginEnvironment, deps: AuthRouteDeps): void {
  const { config } = env;
  const { keys, sessions, users, providers } = deps;
  const guest = config.auth.providers.guest;
  const secure = config.app.baseUrl.startsWith('https:');
  const appUrl = config.app.baseUrl;

  const providerList = (): ProvidersResponse => ({
    providers: [...providers.values()].map(({ provider }) => ({
      id: provider.id,
      title: provider.title,
      startUrl: `${FLOW_PATH}/${provider.id}/start`,
    })),
    guest: guest !== undefined,
  });

  const setSessionCookies = (reply: FastifyReply, issued: IssuedSession) =>
    setSharedSessionCookies(reply, issued, secure);
  const clearSessionCookies = (reply: FastifyReply) => clearSharedSessionCookies(reply, secure);
  const clearFlowCookie = (reply: FastifyReply) =>
    setCookie(
      reply,
      serializeCookie(FLOW_COOKIE, '', { maxAge: 0, path: FLOW_PATH, httpOnly: true, secure }),
    );

  const configured = (id: string): ConfiguredProvider => {
    const found = providers.get(id);
    if (!found) {
      const known = [...providers.keys()];
      throw new NotFoundError(
        `No sign-in provider '${id}' is configured for auth.environment '${config.auth.environment}'${known.length ? ` (configured: ${known.join(', ')})` : ''}`,
      );
    }
    return found;
  };

  env.route({
    method: 'GET',
    url: '/providers',
    permission: null,
    public: true,
    schema: { querystring: noQuery },
    async handler(): Promise<ProvidersResponse> {
      return providerList();
    },
  });

  env.route({
    method: 'GET',
    url: '/session',
    permission: null,
    public: true,
    schema: { querystring: noQuery },
    async handler(request, reply, ctx): Promise<SessionResponse> {
      const cookie = readCookie(request, SESSION_COOKIE);
      let notice: string | undefined;
      if (cookie) {
        try {
          let claims = await sessions.verify(cookie);
          const identity = await sessionIdentity(claims, users);
          // Sliding expiry (any request renews; the web app asks here once it is due).
          claims = {
            ...(await renewIfDue(sessions, claims, request, reply, secure)),
            inCatalog: claims.inCatalog,
          };
          return {
            ...providerList(),
            signedIn: true,
            identity: publicIdentity(identity),
            profile: claims.profile,
            provider: claims.provider,
            expiresAt: new Date(claims.expiresAt).toISOString(),
            refreshAfter: new Date(
              claims.issuedAt + (claims.expiresAt - claims.issuedAt) / 2,
            ).toISOString(),
          };
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
          clearSessionCookies(reply);
          notice = error.message;
        }
      }
      // A program with a bearer token asking who it is.
      if (!['none', 'session', 'guest'].includes(ctx.identity.credential)) {
        return {
          ...providerList(),
          signedIn: true,
          identity: publicIdentity(ctx.identity),
          notice,
        };
      }
      if (guest) {
        const identity = ctx.identity.isGuest ? ctx.identity : await guestIdentity(guest, users);
        return {
          ...providerList(),
          signedIn: true,
          identity: publicIdentity(identity),
          profile: { displayName: 'Guest' },
          notice,
        };
      }
      reply.code(401);
      return {
        error: {
          name: 'AuthenticationError',
          message: notice ?? 'Not signed in: choose a sign-in provider',
        },
        ...providerList(),
        signedIn: false,
        notice,
      } as SessionResponse;
    },
  });

  env.route({
    method: 'GET',
    url: '/:provider/start',
    permission: null,
    public: true,
    schema: {
      params: providerParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          redirect: { type: 'string', maxLength: 2000 },
          // Backstage's web app adds these; Atrium has one environment per server.
          env: { type: 'string', maxLength: 100 },
          scope: { type: 'string', maxLength: 2000 },
          origin: { type: 'string', maxLength: 2000 },
          flow: { type: 'string', maxLength: 100 },
        },
      },
    },
    async handler(request, reply) {
      const { provider, redirectUri } = configured(
        (request.params as { provider: string }).provider,
      );
      const query = request.query as { redirect?: string };
      const verifier = client.randomPKCECodeVerifier();
      const flow = {
        provider: provider.id,
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier,
        returnTo: safeReturnPath(query.redirect),
      };
      let url: URL;
      try {
        url = await provider.authorizationUrl({
          ...flow,
          redirectUri,
          codeChallenge: await client.calculatePKCECodeChallenge(verifier),
        });
      } catch (error) {
        // The OpenID provider's metadata could not be read: say so, not "500".
        if (error instanceof ProviderError) {
          return sendRefusal(request, reply, error.status, error.message, appUrl);
        }
        throw error;
      }
      setCookie(
        reply,
        serializeCookie(FLOW_COOKIE, await signFlow(keys, flow), {
          maxAge: FLOW_LIFETIME_MS / 1000,
          path: FLOW_PATH,
          httpOnly: true,
          secure,
        }),
      );
      reply.header('cache-control', 'no-store');
      return reply.redirect(url.href, 302);
    },
  });

  env.route({
    method: 'GET',
    url: '/:provider/handler/frame',
    permission: null,
    public: true,
    schema: {
      params: providerParams,
      // Providers add parameters of their own (`iss`, `session_state`, `scope`, `authuser`):
      // the known ones are checked, the others are passed to openid-client as they came.
      querystring: {
        type: 'object',
        additionalProperties: true,
        properties: {
          code: { type: 'string', maxLength: 4096 },
          state: { type: 'string', maxLength: 1024 },
          error: { type: 'string', maxLength: 1024 },
          error_description: { type: 'string', maxLength: 4096 },
        },
      },
    },
    async handler(request, reply) {
      const id = (request.params as { provider: string }).provider;
      const { provider, redirectUri } = configured(id);
      const query = request.query as Record<string, string | undefined>;
      clearFlowCookie(reply);
      const refuse = (message: string, status = 401) => {
        env.audit.record(
          {
            action: 'auth.signin',
            outcome: 'failure',
            details: { provider: provider.id, reason: message },
          },
          { identity: ANONYMOUS_IDENTITY, request },
        );
        return sendRefusal(request, reply, status, message, appUrl);
      };

      // The URL holds the code: an unexpected failure is logged here, without it, rather
      // than by the host's error handler, which logs the URL.
      const finish = async () => {
        if (query.error) {
          return refuse(
            `${provider.title} refused the sign-in: ${query.error}${query.error_description ? ` (${query.error_description})` : ''}`,
          );
        }
        const cookie = readCookie(request, FLOW_COOKIE);
        if (!cookie) {
          return refuse(
            `No sign-in was started in this browser, or it expired (after ${FLOW_LIFETIME_MS / 60_000} minutes): the sign-in cookie is missing; start again`,
          );
        }
        let flow: Awaited<ReturnType<typeof verifyFlow>>;
        try {
          flow = await verifyFlow(keys, cookie);
        } catch (error) {
          return refuse((error as Error).message);
        }
        if (flow.provider !== provider.id) {
          return refuse(
            `This browser started signing in with '${flow.provider}', not '${provider.id}'; start again`,
          );
        }
        if (!query.state || query.state !== flow.state) {
          return refuse(
            "Sign-in refused: the response's state does not match the one this browser's sign-in started with (a forged or replayed response, or a sign-in started in another tab)",
          );
        }
        const callbackUrl = new URL(redirectUri);
        callbackUrl.search = request.raw.url?.split('?')[1] ?? '';
        let resolved: Awaited<ReturnType<typeof resolveSignIn>>;
        let profile: Awaited<ReturnType<typeof provider.complete>>;
        try {
          profile = await provider.complete(callbackUrl, { ...flow, redirectUri });
          resolved = await resolveSignIn(profile, provider.config.resolvers, deps.directory);
        } catch (error) {
          if (error instanceof ProviderError) return refuse(error.message, error.status);
          if (error instanceof SignInRefused) return refuse(error.message, 401);
          throw error;
        }
        const issued = await sessions.create({
          userEntityRef: resolved.userEntityRef,
          provider: provider.id,
          inCatalog: resolved.inCatalog,
          profile: {
            ...(profile.displayName ? { displayName: profile.displayName } : {}),
            ...(profile.email ? { email: profile.email } : {}),
            ...(profile.picture ? { picture: profile.picture } : {}),
          },
        });
        setSessionCookies(reply, issued);
        const identity = await sessionIdentity(
          { ...issued.claims, inCatalog: resolved.inCatalog },
          users,
        );
        env.audit.record(
          {
            action: 'auth.signin',
            resourceRef: resolved.userEntityRef,
            outcome: 'success',
            details: {
              provider: provider.id,
              resolver: resolved.resolver,
              inCatalog: resolved.inCatalog,
            },
          },
          { identity, request },
        );
        reply.header('cache-control', 'no-store');
        return reply.redirect(`${appUrl}${flow.returnTo}`, 302);
      };
      try {
        return await finish();
      } catch (error) {
        env.logger.error('Sign-in failed', {
          provider: provider.id,
          error: (error as Error).message,
        });
        return refuse('Sign-in failed because of an error on the server (see the server log)', 500);
      }
    },
  });

  env.route({
    method: 'POST',
    url: '/signout',
    permission: null,
    public: true,
    schema: { querystring: noQuery },
    async handler(request, reply) {
      const cookie = readCookie(request, SESSION_COOKIE);
      clearSessionCookies(reply);
      if (!cookie) return { signedOut: false, message: 'There was no session to sign out of' };
      let claims: Awaited<ReturnType<SessionService['verify']>>;
      try {
        claims = await sessions.verify(cookie);
      } catch (error) {
        if (error instanceof AuthenticationError) {
          return { signedOut: false, message: `There was no valid session: ${error.message}` };
        }
        throw error;
      }
      await sessions.revoke(claims.sid);
      const identity: Identity = {
        userEntityRef: claims.userEntityRef,
        ownershipEntityRefs: [claims.userEntityRef],
        isGuest: false,
        credential: 'session',
      };
      env.audit.record(
        {
          action: 'auth.signout',
          resourceRef: claims.userEntityRef,
          outcome: 'success',
          details: { provider: claims.provider },
        },
        { identity, request },
      );
      return { signedOut: true };
    },
  });
}

/** The identity as the web app sees it (no internal ids). */
function publicIdentity(identity: Identity) {
  return {
    userEntityRef: identity.userEntityRef,
    ownershipEntityRefs: identity.ownershipEntityRefs,
    isGuest: identity.isGuest,
    credential: identity.credential,
  };
}

/**
 * A refused sign-in: a short page for a browser (with a way back to the sign-in page), the
 * error body of the API for other callers. Never echoes the code or the state.
 */
function sendRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  appUrl: string,
) {
  reply.code(status).header('cache-control', 'no-store');
  const name = { 401: 'AuthenticationError', 503: 'ServiceUnavailableError' }[status] ?? 'Error';
  if (!String(request.headers.accept ?? '').includes('text/html')) {
    return reply.send({ error: { name, message } });
  }
  const signIn = `${appUrl}/sign-in?error=${encodeURIComponent(message)}`;
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed | Atrium</title></head><body style="font-family:sans-serif;max-width:40rem;margin:3rem auto"><h1>Sign-in failed</h1><p role="alert">${escapeHtml(message)}</p><p><a href="${escapeHtml(signIn)}">Back to sign-in</a></p></body></html>`,
    );
}
