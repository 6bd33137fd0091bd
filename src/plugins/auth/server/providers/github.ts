import type { GithubProviderConfig } from '../../../../core/config/types.ts';
import {
  cleanEmail,
  describeOAuthError,
  fetchProviderJson,
  ProviderError,
  type SignInProvider,
} from './types.ts';

/** Scopes sign-in needs: the profile, and the email addresses (a private primary one too). */
const SCOPES = ['read:user', 'user:email'];

interface GithubUser {
  id: number;
  login: string;
  name?: string | null;
  email?: string | null;
  avatar_url?: string;
}

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/** REST API of github.com, or of a GitHub Enterprise Server instance. */
export function githubApiBase(instanceUrl: string): string {
  return new URL(instanceUrl).hostname === 'github.com'
    ? 'https://api.github.com'
    : `${instanceUrl}/api/v3`;
}

/**
 * GitHub OAuth apps (web application flow): /login/oauth/authorize, then
 * /login/oauth/access_token, then the REST API's /user and /user/emails. GitHub accepts PKCE
 * on this flow, so it is sent as to every provider.
 */
export function githubProvider(config: GithubProviderConfig): SignInProvider {
  const base = config.enterpriseInstanceUrl;
  const api = githubApiBase(base);
  const headers = (token: string) => ({
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${token}`,
    'user-agent': 'Atrium',
    'x-github-api-version': '2022-11-28',
  });
  return {
    id: 'github',
    title: new URL(base).hostname === 'github.com' ? 'GitHub' : `GitHub (${new URL(base).host})`,
    config,
    async authorizationUrl(flow) {
      const url = new URL(`${base}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: flow.redirectUri,
        scope: [...new Set([...SCOPES, ...config.additionalScopes])].join(' '),
        state: flow.state,
        code_challenge: flow.codeChallenge,
        code_challenge_method: 'S256',
        allow_signup: 'false',
      }).toString();
      return url;
    },
    async complete(callbackUrl, flow) {
      const code = callbackUrl.searchParams.get('code');
      if (!code) throw new ProviderError('GitHub sent the browser back without a code');
      // GitHub answers token errors with 200 and an `error` field.
      const token = (await fetchProviderJson(
        'GitHub token endpoint',
        `${base}/login/oauth/access_token`,
        {
          method: 'POST',
          headers: {
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            client_id: config.clientId,
            client_secret: config.clientSecret,
            code,
            redirect_uri: flow.redirectUri,
            code_verifier: flow.verifier,
          }).toString(),
        },
      )) as Record<string, unknown>;
      if (typeof token.access_token !== 'string') {
        throw new ProviderError(
          `GitHub refused the sign-in code: ${describeOAuthError(token) || 'no access token in its answer'}`,
        );
      }
      const user = (await fetchProviderJson('GitHub API /user', `${api}/user`, {
        headers: headers(token.access_token),
      })) as GithubUser;
      if (typeof user.login !== 'string') {
        throw new ProviderError('GitHub API /user answered without a login', 503);
      }
      let email: string | undefined;
      try {
        const emails = (await fetchProviderJson('GitHub API /user/emails', `${api}/user/emails`, {
          headers: headers(token.access_token),
        })) as GithubEmail[];
        const verified = Array.isArray(emails) ? emails.filter((e) => e.verified) : [];
        email = cleanEmail((verified.find((e) => e.primary) ?? verified[0])?.email);
      } catch {
        // Without the user:email scope (an app configured otherwise), no verified email:
        // the public profile email is not known to be verified, so it is not used.
      }
      return {
        subject: String(user.id),
        email,
        username: user.login,
        displayName: user.name ?? undefined,
        picture: user.avatar_url,
      };
    },
  };
}
