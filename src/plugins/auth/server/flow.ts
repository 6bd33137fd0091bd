import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { SIGNING_ALGORITHM, type SigningKeys } from './keys.ts';

/** Holds one sign-in attempt between the start and the provider's callback. */
export const FLOW_COOKIE = 'atrium_auth_flow';
/** Time to sign in at the provider (typing a password, a second factor). */
export const FLOW_LIFETIME_MS = 10 * 60_000;

const FLOW_AUDIENCE = 'atrium:sign-in-flow';

export interface FlowState {
  provider: string;
  state: string;
  nonce: string;
  /** PKCE code verifier: whoever holds the code still needs it to get tokens. */
  verifier: string;
  /** Path in the web app to return to. */
  returnTo: string;
}

/**
 * The flow cookie is signed, not stored: any replica can finish a sign-in another started,
 * and nothing is kept for attempts that are abandoned.
 */
export async function signFlow(
  keys: SigningKeys,
  flow: FlowState,
  now = Date.now(),
): Promise<string> {
  const { kid, key } = await keys.signingKey();
  return new SignJWT({
    prv: flow.provider,
    st: flow.state,
    n: flow.nonce,
    v: flow.verifier,
    r: flow.returnTo,
  })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid })
    .setAudience(FLOW_AUDIENCE)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor((now + FLOW_LIFETIME_MS) / 1000))
    .sign(key);
}

/** The flow a cookie holds; throws an Error whose message is for the person signing in. */
export async function verifyFlow(keys: SigningKeys, cookie: string): Promise<FlowState> {
  try {
    const { payload } = await jwtVerify(
      cookie,
      async (header) => {
        const key = header.kid ? await keys.verificationKey(header.kid) : undefined;
        if (!key) throw new joseErrors.JWKSNoMatchingKey();
        return key;
      },
      { algorithms: [SIGNING_ALGORITHM], audience: FLOW_AUDIENCE },
    );
    const { prv, st, n, v, r } = payload as Record<string, unknown>;
    if ([prv, st, n, v, r].some((x) => typeof x !== 'string')) throw new Error('claims missing');
    return {
      provider: prv as string,
      state: st as string,
      nonce: n as string,
      verifier: v as string,
      returnTo: r as string,
    };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new Error(
        `Sign-in took longer than ${FLOW_LIFETIME_MS / 60_000} minutes at the provider; start again`,
      );
    }
    throw new Error(
      'The sign-in cookie of this browser is not valid (not signed by this server); start again',
    );
  }
}

/**
 * A path of the web app to go back to after sign-in: only a local path, so that the sign-in
 * link cannot be made to send someone, signed in, to another site.
 */
export function safeReturnPath(value: string | undefined): string {
  if (!value || value.length > 2000) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  return value;
}
