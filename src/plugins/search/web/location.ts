/**
 * Where a search result may link to. A document's `location` comes from indexed data (entity
 * YAML, docs pages), so it is checked here as well as on the server: only locations that
 * resolve to http(s) become links. Locations on the portal itself are opened with the router
 * (no page reload); other http(s) URLs are ordinary external links.
 */

export type ResultLink =
  | { kind: 'internal'; to: string }
  | { kind: 'external'; href: string }
  | { kind: 'refused' };

/**
 * Classifies a location against the portal's origin (`window.location.origin`). Parsing with
 * the URL parser rather than matching prefixes catches `java\tscript:`, `//host`, `/\host`
 * and the other spellings browsers normalise.
 */
export function resultLink(location: unknown, origin: string): ResultLink {
  if (typeof location !== 'string' || location.trim() === '') return { kind: 'refused' };
  let url: URL;
  try {
    url = new URL(location, `${origin}/`);
  } catch {
    return { kind: 'refused' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'refused' };
  if (url.origin === origin) return { kind: 'internal', to: url.pathname + url.search + url.hash };
  return { kind: 'external', href: url.href };
}
