import type { UserDirectory } from '../../catalog/server/user-directory.ts';

/** A change of group membership in the catalog reaches signed-in users within this time. */
export const USER_CACHE_MS = 10_000;

export interface UserFacts {
  /** The user and every group it is in, parent groups included. */
  ownershipRefs: string[];
  /** Whether a User entity with this ref is in the catalog. */
  exists: boolean;
}

/**
 * What requests need to know about their user, asked of the catalog at most once per
 * {@link USER_CACHE_MS} per user: a page load makes a dozen API calls.
 */
export class UserCache {
  private readonly entries = new Map<string, { facts: Promise<UserFacts>; at: number }>();

  constructor(
    private readonly users: UserDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  facts(userRef: string): Promise<UserFacts> {
    const key = userRef.toLowerCase();
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at < USER_CACHE_MS) return cached.facts;
    const facts = Promise.all([this.users.ownershipRefs(key), this.users.exists(key)]).then(
      ([ownershipRefs, exists]) => ({ ownershipRefs, exists }),
    );
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { facts, at: this.now() });
    // A failed lookup is not remembered: the next request asks again.
    facts.catch(() => this.entries.delete(key));
    return facts;
  }
}
