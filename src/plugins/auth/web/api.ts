import { ApiError, fetchJson } from '../../../web/plugin-api.ts';
import type { SessionResponse } from '../common/types.ts';

/** React Query key of the session; the gate and the user menu share it. */
export const SESSION_KEY = ['auth-session'] as const;

/**
 * Who is signed in. The route answers 401 with the same shape when nobody is, which is not an
 * error here; it is read with plain `fetch` because `fetchJson` announces every 401 as the end
 * of a session, which would make the gate ask again forever.
 */
export async function getSession(signal?: AbortSignal): Promise<SessionResponse> {
  const request = 'GET /api/auth/session';
  let response: Response;
  try {
    response = await fetch('/api/auth/session', {
      signal,
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(`${request} failed: the server could not be reached`, 0, request);
  }
  const body = (await response.json().catch(() => undefined)) as SessionResponse | undefined;
  if ((response.ok || response.status === 401) && typeof body?.signedIn === 'boolean') return body;
  throw new ApiError(`${request} failed: ${response.status}`, response.status, request, body);
}

export function signOut(): Promise<{ signedOut: boolean }> {
  return fetchJson('/api/auth/signout', { method: 'POST' });
}

/** Where a provider's sign-in starts, coming back to `returnTo` afterwards. */
export function startUrl(startPath: string, returnTo: string): string {
  return `${startPath}?redirect=${encodeURIComponent(returnTo)}`;
}
