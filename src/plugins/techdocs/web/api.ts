import type { Entity } from '../../../model/entity.ts';
import { ApiError, fetchJson } from '../../../web/plugin-api.ts';
import type { BuildsResponse, DocsSitesResponse } from '../common/api-types.ts';
import { type DocsTriplet, pageFile, type SiteMetadata } from '../common/index.ts';

const BASE = '/api/techdocs';

/** Path segments of a triplet, lowercased as storage and the docs URLs use them. */
export function tripletPath(t: DocsTriplet): string {
  return [t.namespace, t.kind, t.name].map((s) => encodeURIComponent(s.toLowerCase())).join('/');
}

export function tripletOf(entity: Pick<Entity, 'kind' | 'metadata'>): DocsTriplet {
  return {
    namespace: (entity.metadata.namespace ?? 'default').toLowerCase(),
    kind: entity.kind.toLowerCase(),
    name: entity.metadata.name.toLowerCase(),
  };
}

/** The reader URL of a page: `/docs/:namespace/:kind/:name/<path>/#hash` (directory URLs). */
export function readerPath(t: DocsTriplet, path: string, hash = ''): string {
  const page = path
    .split('/')
    .filter(Boolean)
    .map((s) => encodeURIComponent(s))
    .join('/');
  return `/docs/${tripletPath(t)}/${page ? `${page}/` : ''}${hash ? `#${hash}` : ''}`;
}

/** URL of a file of the published site (images, downloads). */
export function staticUrl(t: DocsTriplet, file: string): string {
  const rest = file
    .split('/')
    .filter(Boolean)
    .map((s) => encodeURIComponent(s))
    .join('/');
  return `${BASE}/static/docs/${tripletPath(t)}/${rest}`;
}

export function syncUrl(t: DocsTriplet): string {
  return `${BASE}/sync/${tripletPath(t)}`;
}

export function getSites(signal?: AbortSignal): Promise<DocsSitesResponse> {
  return fetchJson(`${BASE}/sites`, { signal });
}

/** The published site's metadata, or null when nothing is published yet. */
export async function getSiteMetadata(
  t: DocsTriplet,
  signal?: AbortSignal,
): Promise<SiteMetadata | null> {
  try {
    return await fetchJson<SiteMetadata>(`${BASE}/metadata/techdocs/${tripletPath(t)}`, {
      signal,
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function getDocsEntity(
  t: DocsTriplet,
  signal?: AbortSignal,
): Promise<Entity & { locationMetadata: { type: string; target: string } }> {
  return fetchJson(`${BASE}/metadata/entity/${tripletPath(t)}`, { signal });
}

export function getBuild(t: DocsTriplet, signal?: AbortSignal): Promise<BuildsResponse> {
  return fetchJson(`${BASE}/builds/${tripletPath(t)}`, { signal });
}

export function rebuild(t: DocsTriplet): Promise<{ updated: boolean; build: BuildsResponse }> {
  return fetchJson(`${BASE}/build/${tripletPath(t)}`, { method: 'POST' });
}

/** The HTML fragment of a page, as text (the server serves HTML as text/plain). */
export async function getPageHtml(
  t: DocsTriplet,
  path: string,
  signal?: AbortSignal,
): Promise<string> {
  const url = staticUrl(t, pageFile(path));
  const request = `GET ${url}`;
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: 'text/plain' } });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(`${request} failed: the server could not be reached`, 0, request);
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      detail = body.error?.message ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(`${request} failed: ${response.status} ${detail}`, response.status, request);
  }
  return response.text();
}
