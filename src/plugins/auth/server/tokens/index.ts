/**
 * Tokens for machines and people, for the auth plugin: `backend.auth.externalAccess` (static
 * tokens and JWKS-verified JWTs, as in Backstage) and personal access tokens (`atp_…`) that
 * users manage in Settings → Tokens.
 */
export {
  createTokenAuthenticator,
  guestConfigured,
  type TokenAuthenticator,
  type TokenDeps,
} from './authenticator.ts';
export { tokenMigrations } from './migrations.ts';
export { registerTokenRoutes, type TokenSummary, tokenPermissions } from './routes.ts';
