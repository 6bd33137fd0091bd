import type { SignInResolverConfig } from '../../../core/config/types.ts';
import { stringifyEntityRef } from '../../../model/ref.ts';
import { isValidEntityName } from '../../../model/validators.ts';
import type { UserDirectory } from '../../catalog/server/user-directory.ts';

/** What a provider tells about the person who signed in. */
export interface ProviderProfile {
  /** The provider's stable id of the person (`sub`, GitHub user id). */
  subject: string;
  /** Only an address the provider says is verified (or does not say is unverified). */
  email?: string;
  /** GitHub login, GitLab username, OIDC `preferred_username`. */
  username?: string;
  displayName?: string;
  picture?: string;
}

export interface ResolvedUser {
  userEntityRef: string;
  /** False when let in by `dangerouslyAllowSignInWithoutUserInCatalog`. */
  inCatalog: boolean;
  /** The resolver that found the user. */
  resolver: string;
}

/** Sign-in refused: the message says what each resolver tried, for the person and the log. */
export class SignInRefused extends Error {
  override name = 'SignInRefused';
}

type Attempt = { found: ResolvedUser } | { missed: string; fallbackName?: string };

const userRef = (name: string) => stringifyEntityRef({ kind: 'user', namespace: 'default', name });

function checkDomain(email: string, config: SignInResolverConfig): string | undefined {
  if (!config.allowedDomains) return undefined;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return config.allowedDomains.includes(domain)
    ? undefined
    : `the email domain '${domain}' is not in allowedDomains (${config.allowedDomains.join(', ')})`;
}

/** A name that points at `user:default/<name>`: a valid entity name, or nothing. */
async function byName(
  users: UserDirectory,
  name: string,
  config: SignInResolverConfig,
  what: string,
): Promise<Attempt> {
  if (!isValidEntityName(name)) {
    return { missed: `${what} '${name}' is not a valid entity name` };
  }
  const ref = userRef(name);
  if (await users.exists(ref)) {
    return { found: { userEntityRef: ref, inCatalog: true, resolver: config.resolver } };
  }
  return { missed: `there is no ${ref} in the catalog`, fallbackName: name };
}

async function attempt(
  profile: ProviderProfile,
  config: SignInResolverConfig,
  users: UserDirectory,
): Promise<Attempt> {
  switch (config.resolver) {
    case 'emailMatchingUserEntityProfileEmail': {
      if (!profile.email) return { missed: 'the provider gave no verified email address' };
      const denied = checkDomain(profile.email, config);
      if (denied) return { missed: denied };
      const refs = await users.usersWhere('spec.profile.email', profile.email);
      if (refs.length > 1) {
        // As Backstage: an ambiguous match is an error, never a guess.
        return {
          missed: `several users have spec.profile.email '${profile.email}' (${refs.join(', ')})`,
        };
      }
      if (refs[0]) {
        return { found: { userEntityRef: refs[0], inCatalog: true, resolver: config.resolver } };
      }
      return {
        missed: `no User entity has spec.profile.email '${profile.email}'`,
        fallbackName: profile.email.slice(0, profile.email.lastIndexOf('@')),
      };
    }
    case 'emailLocalPartMatchingUserEntityName': {
      if (!profile.email) return { missed: 'the provider gave no verified email address' };
      const denied = checkDomain(profile.email, config);
      if (denied) return { missed: denied };
      const local = profile.email.slice(0, profile.email.lastIndexOf('@'));
      return byName(users, local, config, 'the email local part');
    }
    case 'usernameMatchingUserEntityName': {
      if (!profile.username) return { missed: 'the provider gave no user name' };
      return byName(users, profile.username, config, 'the user name');
    }
  }
}

/**
 * Backstage's sign-in resolvers, tried in order: the first that finds a User entity wins.
 * When none does, the first resolver with `dangerouslyAllowSignInWithoutUserInCatalog` that
 * had a usable name lets the person in as `user:default/<name>`.
 */
export async function resolveSignIn(
  profile: ProviderProfile,
  resolvers: SignInResolverConfig[],
  users: UserDirectory,
): Promise<ResolvedUser> {
  const misses: string[] = [];
  let fallback: ResolvedUser | undefined;
  for (const config of resolvers) {
    const result = await attempt(profile, config, users);
    if ('found' in result) return result.found;
    misses.push(`${config.resolver}: ${result.missed}`);
    if (
      !fallback &&
      config.dangerouslyAllowSignInWithoutUserInCatalog &&
      result.fallbackName &&
      isValidEntityName(result.fallbackName)
    ) {
      fallback = {
        userEntityRef: userRef(result.fallbackName),
        inCatalog: false,
        resolver: config.resolver,
      };
    }
  }
  if (fallback) return fallback;
  const who = profile.email ?? profile.username ?? profile.subject;
  throw new SignInRefused(
    `Sign-in refused: ${who} is not a user of this portal (${misses.join('; ')})`,
  );
}
