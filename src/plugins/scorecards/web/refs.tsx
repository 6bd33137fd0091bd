/**
 * Entity refs as the scorecard pages show them: a link to the entity page labelled with the
 * target's title. Titles are asked for in batches (`POST /api/catalog/entities/by-refs`, one
 * request per render) under the same React Query key the catalog's pages use, so a title
 * already known from another page is not asked again.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { DEFAULT_NAMESPACE } from '../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import { fetchJson } from '../../../web/plugin-api.ts';

interface RefTarget {
  name: string;
  title?: string;
}

const GATHER_MS = 10;
const MAX_BATCH = 500;

type Waiter = { resolve(target: RefTarget | null): void; reject(error: unknown): void };
const pending = new Map<string, Waiter[]>();
let scheduled = false;

async function flush(): Promise<void> {
  scheduled = false;
  const batch = new Map(pending);
  pending.clear();
  const refs = [...batch.keys()];
  for (let i = 0; i < refs.length; i += MAX_BATCH) {
    const chunk = refs.slice(i, i + MAX_BATCH);
    try {
      const { items } = await fetchJson<{
        items: Array<{ metadata?: { name?: string; title?: unknown } } | null>;
      }>('/api/catalog/entities/by-refs', {
        method: 'POST',
        body: { entityRefs: chunk, fields: ['metadata.name', 'metadata.title'] },
      });
      chunk.forEach((ref, index) => {
        const m = items[index]?.metadata;
        const target =
          m && typeof m.name === 'string'
            ? { name: m.name, title: typeof m.title === 'string' && m.title ? m.title : undefined }
            : null;
        for (const waiter of batch.get(ref) ?? []) waiter.resolve(target);
      });
    } catch (error) {
      for (const ref of chunk) for (const waiter of batch.get(ref) ?? []) waiter.reject(error);
    }
  }
}

function loadTarget(ref: string): Promise<RefTarget | null> {
  return new Promise((resolve, reject) => {
    pending.set(ref, [...(pending.get(ref) ?? []), { resolve, reject }]);
    if (!scheduled) {
      scheduled = true;
      setTimeout(() => void flush(), GATHER_MS);
    }
  });
}

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
  const query = useQuery({
    queryKey: ['ref-target', canonical],
    queryFn: () => loadTarget(canonical!),
    enabled: canonical !== undefined,
    staleTime: 5 * 60_000,
  });
  return query.data?.title;
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
