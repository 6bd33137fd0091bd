import { CSRF_COOKIE, CSRF_HEADER } from '../plugins/auth/common/types.ts';

/**
 * Fetching JSON from Atrium's backend. Every failure becomes an `ApiError` whose message
 * names the request (`GET /api/catalog/entities/by-query: 400 InputError: …`), so an error
 * state can say exactly what failed.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly request: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export interface FetchOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** A query string from a record; arrays repeat the parameter, undefined values are left out. */
export function queryString(
  params: Record<string, string | number | undefined | Array<string | undefined>>,
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) search.append(key, String(v));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Headers a request that changes something needs: the session's CSRF token, read from its
 * cookie and echoed in a header (a page on another site can make the browser send the cookie,
 * but cannot read it). Every fetch of the web app that is not a GET must include these.
 */
export function csrfHeaders(method: string): Record<string, string> {
  if (method === 'GET' || method === 'HEAD' || typeof document === 'undefined') return {};
  const cookie = document.cookie
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${CSRF_COOKIE}=`));
  return cookie ? { [CSRF_HEADER]: decodeURIComponent(cookie.slice(CSRF_COOKIE.length + 1)) } : {};
}

/** Dispatched on `window` when the API answers 401: the session ended (expired, signed out). */
export const SESSION_ENDED_EVENT = 'atrium:session-ended';

/** `fetchJson('/api/catalog/entities/by-query?…')`. Resolves `undefined` for an empty body. */
export async function fetchJson<T>(url: string, options: FetchOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const request = `${method} ${url.split('?')[0]}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal: options.signal,
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...csrfHeaders(method),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(
      `${request} failed: the server could not be reached (${(error as Error).message})`,
      0,
      request,
    );
  }
  const text = await response.text();
  let body: unknown;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && typeof window !== 'undefined') {
      window.dispatchEvent(new Event(SESSION_ENDED_EVENT));
    }
    const error = (body as { error?: { name?: string; message?: string } } | undefined)?.error;
    const detail = error?.message
      ? `${error.name ?? 'Error'}: ${error.message}`
      : response.statusText || 'request failed';
    throw new ApiError(
      `${request} failed: ${response.status} ${detail}`,
      response.status,
      request,
      body,
    );
  }
  return body as T;
}
