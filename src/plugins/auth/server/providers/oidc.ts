import * as client from 'openid-client';
import type { OidcProviderConfig } from '../../../../core/config/types.ts';
import type { Logger } from '../../../../core/plugin-api.ts';
import type { ProviderProfile } from '../resolvers.ts';
import { cleanEmail, PROVIDER_TIMEOUT_MS, ProviderError, type SignInProvider } from './types.ts';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Discovery is retried at most this often after it failed (provider down at start). */
const DISCOVERY_RETRY_MS = 10_000;

/**
 * Any OpenID Connect provider, through openid-client (a certified relying party): discovery,
 * authorization code flow with PKCE (S256) and nonce, ID token validation, then the UserInfo
 * endpoint when the ID token lacks the email.
 */
export function oidcProvider(config: OidcProviderConfig, logger: Logger): SignInProvider {
  const metadataUrl = new URL(config.metadataUrl);
  const insecure = metadataUrl.protocol === 'http:';
  if (insecure && !LOOPBACK.test(metadataUrl.hostname)) {
    logger.warn(
      `auth.providers.oidc: the metadataUrl ${metadataUrl.origin} is plain http: sign-in codes and tokens cross the network unencrypted`,
    );
  }
  let discovered: Promise<client.Configuration> | undefined;
  let failedAt = 0;
  const configuration = (): Promise<client.Configuration> => {
    if (!discovered || (failedAt && Date.now() - failedAt > DISCOVERY_RETRY_MS)) {
      failedAt = 0;
      const auth =
        config.tokenEndpointAuthMethod === 'client_secret_post'
          ? client.ClientSecretPost(config.clientSecret)
          : client.ClientSecretBasic(config.clientSecret);
      discovered = client
        .discovery(metadataUrl, config.clientId, { client_secret: config.clientSecret }, auth, {
          ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
          timeout: PROVIDER_TIMEOUT_MS / 1000,
        })
        .catch((error: Error) => {
          failedAt = Date.now();
          throw new ProviderError(
            `The OpenID provider's metadata could not be read from ${metadataUrl.href}: ${error.message}`,
            503,
          );
        });
    }
    return discovered;
  };

  return {
    id: 'oidc',
    title: `OpenID Connect (${metadataUrl.host})`,
    config,
    async authorizationUrl(flow) {
      const params: Record<string, string> = {
        redirect_uri: flow.redirectUri,
        scope: config.scopes.join(' '),
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: flow.codeChallenge,
        code_challenge_method: 'S256',
        response_type: 'code',
      };
      if (config.prompt) params.prompt = config.prompt;
      return client.buildAuthorizationUrl(await configuration(), params);
    },
    async complete(callbackUrl, flow) {
      const oidc = await configuration();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(oidc, callbackUrl, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        throw explain(error);
      }
      const claims = tokens.claims();
      if (!claims) throw new ProviderError('The OpenID provider returned no ID token');
      let info: Record<string, unknown> = claims;
      if (!claims.email && tokens.access_token) {
        try {
          info = {
            ...(await client.fetchUserInfo(oidc, tokens.access_token, claims.sub)),
            ...claims,
          };
        } catch (error) {
          logger.warn('The OpenID provider did not answer the UserInfo request', {
            error: (error as Error).message,
          });
        }
      }
      return profileOf(info, claims.sub);
    },
  };
}

function profileOf(info: Record<string, unknown>, subject: string): ProviderProfile {
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    subject,
    // An address the provider says it has not verified would let anyone who types a
    // colleague's address into their own account sign in as that colleague.
    email: info.email_verified === false ? undefined : cleanEmail(info.email),
    username: text(info.preferred_username),
    displayName: text(info.name),
    picture: text(info.picture),
  };
}

/** openid-client's errors, as sentences for the person signing in. */
function explain(error: unknown): ProviderError {
  if (error instanceof client.AuthorizationResponseError) {
    return new ProviderError(
      `The OpenID provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
    );
  }
  if (error instanceof client.ResponseBodyError) {
    return new ProviderError(
      `The OpenID provider's token endpoint refused the code: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
    );
  }
  const message = (error as Error).message ?? String(error);
  // openid-client words claim mismatches generically; the claim is named in the causes.
  const causes: string[] = [];
  for (let e: unknown = error; e instanceof Error && causes.length < 5; e = e.cause) {
    causes.push(e.message, String((e.cause as { claim?: unknown } | undefined)?.claim ?? ''));
  }
  const said = causes.join(' ');
  if (/nonce/i.test(said)) {
    return new ProviderError(
      "Sign-in refused: the ID token's nonce does not match the one this browser's sign-in started with (a replayed or injected response)",
    );
  }
  if (/\bstate\b/i.test(said)) {
    return new ProviderError(
      "Sign-in refused: the response's state does not match the one this browser's sign-in started with",
    );
  }
  if (
    (error as { code?: string }).code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
    /fetch|ECONN/i.test(message)
  ) {
    return new ProviderError(`The OpenID provider failed: ${message}`, 503);
  }
  return new ProviderError(`Sign-in with the OpenID provider failed: ${message}`);
}
