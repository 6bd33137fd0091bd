import type { GitlabProviderConfig } from '../../../../core/config/types.ts';
import {
  cleanEmail,
  describeOAuthError,
  fetchProviderJson,
  ProviderError,
  type SignInProvider,
} from './types.ts';

/** `read_user` gives /api/v4/user, which holds what sign-in needs. */
const SCOPES = ['read_user'];

interface GitlabUser {
  id: number;
  username: string;
  name?: string;
  email?: string;
  avatar_url?: string;
  /** Set when the primary email is confirmed (GitLab 13.x and later). */
  confirmed_at?: string | null;
}

/**
 * GitLab OAuth applications (gitlab.com or self-managed at `audience`): /oauth/authorize with
 * PKCE, /oauth/token, then /api/v4/user.
 */
export function gitlabProvider(config: GitlabProviderConfig): SignInProvider {
  const base = config.audience;
  return {
    id: 'gitlab',
    title: new URL(base).hostname === 'gitlab.com' ? 'GitLab' : `GitLab (${new URL(base).host})`,
    config,
    async authorizationUrl(flow) {
      const url = new URL(`${base}/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: flow.redirectUri,
        response_type: 'code',
        scope: [...new Set([...SCOPES, ...config.additionalScopes])].join(' '),
        state: flow.state,
        code_challenge: flow.codeChallenge,
        code_challenge_method: 'S256',
      }).toString();
      return url;
    },
    async complete(callbackUrl, flow) {
      const code = callbackUrl.searchParams.get('code');
      if (!code) throw new ProviderError('GitLab sent the browser back without a code');
      const token = (await fetchProviderJson('GitLab token endpoint', `${base}/oauth/token`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: config.clientId,
          client_secret: config.clientSecret,
          code,
          redirect_uri: flow.redirectUri,
          code_verifier: flow.verifier,
        }).toString(),
      })) as Record<string, unknown>;
      if (typeof token.access_token !== 'string') {
        throw new ProviderError(
          `GitLab refused the sign-in code: ${describeOAuthError(token) || 'no access token in its answer'}`,
        );
      }
      const user = (await fetchProviderJson('GitLab API /user', `${base}/api/v4/user`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token.access_token}` },
      })) as GitlabUser;
      if (typeof user.username !== 'string') {
        throw new ProviderError('GitLab API /user answered without a username', 503);
      }
      return {
        subject: String(user.id),
        // GitLab reports `confirmed_at` for a confirmed primary address; an unconfirmed one
        // is not used (anyone could type a colleague's address).
        email: user.confirmed_at === null ? undefined : cleanEmail(user.email),
        username: user.username,
        displayName: user.name,
        picture: user.avatar_url,
      };
    },
  };
}
