/**
 * Entity refs as the scorecard pages show them: a link to the entity page labelled with the
 * target's title, through the shell's batched, cached `useRefTarget` (one by-refs request per
 * render, shared with the catalog's pages).
 */
import { Link } from 'react-router-dom';
import { DEFAULT_NAMESPACE } from '../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import { useRefTarget } from '../../../web/plugin-api.ts';

export interface ParsedRef {
  canonical: string;
  kind: string;
  namespace: string;
  name: string;
}

/** A ref's parts, or undefined when it cannot be parsed (it is then shown as written). */
export function parseRef(ref: string, defaultKind?: string): ParsedRef | undefined {
  try {
    const parsed = parseEntityRef(ref, { defaultKind });
    return { ...parsed, canonical: stringifyEntityRef(parsed) };
  } catch {
    return undefined;
  }
}

/** The entity page of a ref: `/catalog/<namespace>/<kind>/<name>`. */
export function entityPagePath(ref: Pick<ParsedRef, 'kind' | 'namespace' | 'name'>): string {
  return `/catalog/${encodeURIComponent(ref.namespace.toLowerCase())}/${encodeURIComponent(
    ref.kind.toLowerCase(),
  )}/${encodeURIComponent(ref.name)}`;
}

/** `name`, or `namespace/name` outside the default namespace. */
export function shortName(ref: Pick<ParsedRef, 'namespace' | 'name'>): string {
  return ref.namespace.toLowerCase() === DEFAULT_NAMESPACE
    ? ref.name
    : `${ref.namespace}/${ref.name}`;
}

/** The title of a ref's target (undefined while it loads or when it has none). */
export function useRefTitle(canonical: string | undefined): string | undefined {
  return useRefTarget(canonical)?.title ?? undefined;
}

/**
 * A link to the entity a ref names, labelled with its title (`title` when the caller knows
 * it already), else its name; the full ref is the tooltip.
 */
export function RefLink({
  entityRef,
  title,
  defaultKind,
}: {
  entityRef: string;
  title?: string;
  defaultKind?: string;
}) {
  const ref = parseRef(entityRef, defaultKind);
  const fetched = useRefTitle(title === undefined ? ref?.canonical : undefined);
  if (!ref) return <span>{entityRef}</span>;
  return (
    <Link to={entityPagePath(ref)} title={ref.canonical}>
      {title ?? fetched ?? shortName(ref)}
    </Link>
  );
}
