import type { OAuthProviderConfig } from '../../../../core/config/types.ts';
import type { ProviderProfile } from '../resolvers.ts';

/** One sign-in attempt's secrets, kept in the signed flow cookie between start and callback. */
export interface FlowSecrets {
  state: string;
  nonce: string;
  /** PKCE code verifier. */
  verifier: string;
  redirectUri: string;
}

/**
 * A provider's side of the authorization code flow. The route code around it handles the
 * cookie, the state check, resolvers and the session; a provider only talks to its server.
 */
export interface SignInProvider {
  id: string;
  /** As the sign-in page shows it. */
  title: string;
  config: OAuthProviderConfig;
  /** Where to send the browser to sign in. */
  authorizationUrl(flow: FlowSecrets & { codeChallenge: string }): Promise<URL>;
  /**
   * Trades the callback (the URL the provider sent the browser to) for the person's profile.
   * Throws {@link ProviderError} with a message for people.
   */
  complete(callbackUrl: URL, flow: FlowSecrets): Promise<ProviderProfile>;
}

/** The provider refused, or answered something this code cannot use. Never holds secrets. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    message: string,
    /** 401: the sign-in attempt is bad; 503: the provider failed or could not be reached. */
    readonly status: 401 | 503 = 401,
  ) {
    super(message);
  }
}

/** How long Atrium waits for a provider's server. */
export const PROVIDER_TIMEOUT_MS = 10_000;

/** A plausible email address (providers are trusted, but a blank or odd value must not match). */
export function cleanEmail(value: unknown): string | undefined {
  return typeof value === 'string' && /^[^@\s]+@[^@\s]+$/.test(value)
    ? value.toLowerCase()
    : undefined;
}

/** JSON from a provider's endpoint, or a ProviderError naming the endpoint. */
export async function fetchProviderJson(
  what: string,
  url: URL | string,
  init: RequestInit,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ProviderError(
      `${what} could not be reached at ${new URL(url).origin}: ${(error as Error).message}`,
      503,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const detail = body && typeof body === 'object' ? describeOAuthError(body) : '';
    throw new ProviderError(
      `${what} answered ${response.status}${detail ? `: ${detail}` : ''}`,
      response.status >= 500 ? 503 : 401,
    );
  }
  if (body === undefined) throw new ProviderError(`${what} did not answer with JSON`, 503);
  return body;
}

/** `error` and `error_description` of an OAuth error body (never the request's secrets). */
export function describeOAuthError(body: object): string {
  const { error, error_description, message } = body as Record<string, unknown>;
  return [error, error_description ?? message].filter((v) => typeof v === 'string').join(': ');
}
