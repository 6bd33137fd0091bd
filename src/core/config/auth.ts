import { parseEntityRef, stringifyEntityRef } from '../../model/ref.ts';
import { parseDuration } from './duration.ts';
import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import { AUTH_DEFAULTS } from './schema.ts';
import type {
  AuthConfig,
  AuthProvidersConfig,
  AuthSessionConfig,
  GuestProviderConfig,
  OAuthProviderConfig,
  SignInResolverConfig,
  SignInResolverName,
} from './types.ts';
import { isPlainObject, schemaDefault } from './validate.ts';

/*
 * `auth.*`: the schema has checked types; here come the rules that depend on
 * `auth.environment` (only its section of each provider is read, and must be complete), guest
 * access outside development, and providers Atrium does not implement.
 */

type Data = Record<string, unknown>;

export const IMPLEMENTED_PROVIDERS = ['guest', 'oidc', 'github', 'gitlab'] as const;

export interface AuthConfigContext {
  provenance: Provenance;
  warnings: string[];
  problems: ConfigProblem[];
}

const obj = (v: unknown): Data => (isPlainObject(v) ? v : {});
const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** Backstage splits scope strings at spaces and commas. */
function scopes(value: unknown): string[] {
  const raw = Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
  return [...new Set(raw.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean))];
}

export function normalizeAuth(
  auth: Data,
  ctx: AuthConfigContext,
): Pick<AuthConfig, 'environment' | 'providers' | 'session'> {
  const environment =
    (auth.environment as string | undefined) ?? (schemaDefault('auth.environment') as string);
  const problem = (path: KeyPath, message: string) => {
    const sources = ctx.provenance.sourcesOf(path);
    ctx.problems.push({
      key: formatKeyPath(path),
      message: `${formatKeyPath(path)} ${message}${inSources(sources)}`,
      sources,
    });
  };
  const warn = (path: KeyPath, message: string) =>
    ctx.warnings.push(
      `${formatKeyPath(path)} ${message}${inSources(ctx.provenance.sourcesOf(path))}`,
    );

  const written = obj(auth.providers);
  for (const id of Object.keys(written)) {
    if (!(IMPLEMENTED_PROVIDERS as readonly string[]).includes(id)) {
      warn(
        ['auth', 'providers', id],
        `is a sign-in provider Atrium does not implement (it has ${IMPLEMENTED_PROVIDERS.join(', ')}); ignored`,
      );
    }
  }

  const providers: AuthProvidersConfig = {};
  const section = (id: 'oidc' | 'github' | 'gitlab'): Data | undefined => {
    if (!(id in written)) return undefined;
    const byEnv = obj(written[id]);
    if (!(environment in byEnv)) {
      warn(
        ['auth', 'providers', id],
        `has no '${environment}' section (auth.environment is '${environment}'; it has ${Object.keys(byEnv).join(', ') || 'none'}); the provider is off`,
      );
      return undefined;
    }
    return obj(byEnv[environment]);
  };
  const oauth = (id: 'oidc' | 'github' | 'gitlab', data: Data): OAuthProviderConfig => {
    const base: KeyPath = ['auth', 'providers', id, environment];
    for (const key of ['clientId', 'clientSecret', ...(id === 'oidc' ? ['metadataUrl'] : [])]) {
      if (typeof data[key] !== 'string') {
        problem([...base, key], 'is missing; it is required to sign in with this provider');
      }
    }
    const duration = data.sessionDuration;
    return {
      clientId: data.clientId as string,
      clientSecret: data.clientSecret as string,
      ...(typeof data.callbackUrl === 'string' ? { callbackUrl: data.callbackUrl } : {}),
      additionalScopes: scopes(data.additionalScopes),
      ...(duration !== undefined ? { sessionDurationMs: parseDuration(duration) as number } : {}),
      resolvers: resolvers(obj(data.signIn).resolvers),
    };
  };

  const oidc = section('oidc');
  if (oidc) {
    providers.oidc = {
      ...oauth('oidc', oidc),
      metadataUrl: oidc.metadataUrl as string,
      ...(typeof oidc.prompt === 'string' ? { prompt: oidc.prompt } : {}),
      scopes: [
        ...new Set([
          'openid',
          ...scopes(oidc.scope ?? AUTH_DEFAULTS.oidcScope),
          ...scopes(oidc.additionalScopes),
        ]),
      ],
      tokenEndpointAuthMethod:
        (oidc.tokenEndpointAuthMethod as
          | 'client_secret_basic'
          | 'client_secret_post'
          | undefined) ?? AUTH_DEFAULTS.tokenEndpointAuthMethod,
    };
  }
  const github = section('github');
  if (github) {
    providers.github = {
      ...oauth('github', github),
      enterpriseInstanceUrl: trimSlash(
        (github.enterpriseInstanceUrl as string | undefined) ?? AUTH_DEFAULTS.githubUrl,
      ),
    };
  }
  const gitlab = section('gitlab');
  if (gitlab) {
    providers.gitlab = {
      ...oauth('gitlab', gitlab),
      audience: trimSlash((gitlab.audience as string | undefined) ?? AUTH_DEFAULTS.gitlabUrl),
    };
  }

  const active = Boolean(providers.oidc || providers.github || providers.gitlab);
  const guest = guestConfig(written, environment, active, problem);
  if (guest) providers.guest = guest;

  return { environment, providers, session: normalizeSession(obj(auth.session)) };
}

/**
 * Guest access: on when configured, or in development when nothing else is; outside
 * development only with `dangerouslyAllowOutsideDevelopment` (as in Backstage).
 */
function guestConfig(
  written: Data,
  environment: string,
  othersActive: boolean,
  problem: (path: KeyPath, message: string) => void,
): GuestProviderConfig | undefined {
  const configured = 'guest' in written;
  const data = obj(written.guest);
  if (!configured) {
    // A development server where nobody can sign in is of no use: the guest answers.
    if (environment !== 'development' || othersActive) return undefined;
    return {
      userEntityRef: schemaDefault('auth.providers.guest.userEntityRef') as string,
      configured,
    };
  }
  if (environment !== 'development' && data.dangerouslyAllowOutsideDevelopment !== true) {
    problem(
      ['auth', 'providers', 'guest'],
      `is set but auth.environment is '${environment}': guest access lets anyone who reaches the server in without signing in, so it is refused outside development. Remove it, or set auth.providers.guest.dangerouslyAllowOutsideDevelopment: true`,
    );
  }
  const ref = (value: string, path: KeyPath, defaultKind?: string): string => {
    try {
      return stringifyEntityRef(parseEntityRef(value, { defaultKind }));
    } catch (error) {
      problem(path, `must be an entity ref like user:default/guest (${(error as Error).message})`);
      return value;
    }
  };
  const base: KeyPath = ['auth', 'providers', 'guest'];
  return {
    userEntityRef: ref(
      (data.userEntityRef as string | undefined) ??
        (schemaDefault('auth.providers.guest.userEntityRef') as string),
      [...base, 'userEntityRef'],
      'user',
    ),
    ...(Array.isArray(data.ownershipEntityRefs)
      ? {
          ownershipEntityRefs: (data.ownershipEntityRefs as string[]).map((r, i) =>
            ref(r, [...base, 'ownershipEntityRefs', i]),
          ),
        }
      : {}),
    configured,
  };
}

function resolvers(value: unknown): SignInResolverConfig[] {
  const list = Array.isArray(value) ? (value as Data[]) : [];
  if (!list.length) {
    return [
      {
        resolver: 'emailMatchingUserEntityProfileEmail',
        dangerouslyAllowSignInWithoutUserInCatalog: false,
      },
    ];
  }
  return list.map((entry) => ({
    resolver: entry.resolver as SignInResolverName,
    ...(Array.isArray(entry.allowedDomains)
      ? {
          allowedDomains: (entry.allowedDomains as string[]).map((d) =>
            d.toLowerCase().replace(/^@/, ''),
          ),
        }
      : {}),
    dangerouslyAllowSignInWithoutUserInCatalog:
      entry.dangerouslyAllowSignInWithoutUserInCatalog === true,
  }));
}

function normalizeSession(session: Data): AuthSessionConfig {
  // The schema refuses `false` for these, so parseDuration gives a number.
  const ms = (key: string) =>
    parseDuration(session[key] ?? schemaDefault(`auth.session.${key}`)) as number;
  return {
    durationMs: ms('duration'),
    maxDurationMs: ms('maxDuration'),
    keyRotationMs: ms('keyRotation'),
  };
}
