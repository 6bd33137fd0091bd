import type { Identity } from '../plugin-api.ts';

/** The caller when the guest provider answers for anonymous requests (development). */
export const GUEST_IDENTITY: Identity = Object.freeze({
  userEntityRef: 'user:default/guest',
  ownershipEntityRefs: ['user:default/guest'],
  isGuest: true,
  credential: 'guest',
}) as Identity;

/** A caller without credentials on a public route (sign-in itself). */
export const ANONYMOUS_IDENTITY: Identity = Object.freeze({
  userEntityRef: 'user:default/anonymous',
  ownershipEntityRefs: [],
  isGuest: false,
  credential: 'none',
}) as Identity;

/** Atrium's own work outside requests (ingestion, scheduled jobs), as the audit log names it. */
export const SERVICE_IDENTITY: Identity = Object.freeze({
  userEntityRef: 'service:atrium',
  ownershipEntityRefs: [],
  isGuest: false,
  credential: 'service',
}) as Identity;
