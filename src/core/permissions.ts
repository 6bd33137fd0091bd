import type { Authorize, Identity } from './plugin-api.ts';

export const GUEST_IDENTITY: Identity = Object.freeze({
  userEntityRef: 'user:default/guest',
  ownershipEntityRefs: ['user:default/guest'],
  isGuest: true,
}) as Identity;

/** Until access control lands every decision is ALLOW; policies replace this function. */
export const allowAll: Authorize = async () => ({ result: 'ALLOW' });
