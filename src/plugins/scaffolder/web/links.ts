/**
 * Where an output link may point. Templates compute their output links from user input, so
 * only web links (`http:`/`https:`) and paths to the portal's own pages become links;
 * anything else (`javascript:`, `data:`, `//other-host`, a file path such as a local git
 * remote) is shown as text.
 */
import { parseEntityRef } from '../../../model/ref.ts';

export type LinkTarget = { external: string } | { internal: string };

export function linkTarget(url: unknown, portalSections: string[] = []): LinkTarget | undefined {
  if (typeof url !== 'string') return undefined;
  const trimmed = url.trim();
  if (trimmed.startsWith('/') && !trimmed.startsWith('//') && !trimmed.startsWith('/\\')) {
    const section = trimmed.split(/[/?#]/)[1] ?? '';
    return portalSections.includes(section) ? { internal: trimmed } : undefined;
  }
  try {
    const parsed = new URL(trimmed);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:')
      return { external: parsed.href };
  } catch {
    // not an absolute URL either
  }
  return undefined;
}

/** The portal path of the entity an output `entityRef` names (kind defaults to Component). */
export function entityRefPath(ref: unknown): string | undefined {
  if (typeof ref !== 'string' || !ref) return undefined;
  try {
    const { kind, namespace, name } = parseEntityRef(ref, { defaultKind: 'component' });
    return `/catalog/${encodeURIComponent(namespace.toLowerCase())}/${encodeURIComponent(
      kind.toLowerCase(),
    )}/${encodeURIComponent(name)}`;
  } catch {
    return undefined;
  }
}
