/**
 * What a ref's target is called, for showing refs by title. Every ref shown on a page asks
 * here; the asks of one render are gathered into one `POST /entities/by-refs` (a page with 50
 * refs makes one request, not 50), and each answer is cached per ref by React Query, so the
 * next page that shows the same owner asks nothing.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { DEFAULT_NAMESPACE } from '../model/entity.ts';
import { type EntityRefContext, parseEntityRef, stringifyEntityRef } from '../model/ref.ts';
import { fetchJson } from './api-client.ts';

/** The parts of a target entity a ref is shown with; null when it is missing or unreadable. */
export interface RefTarget {
  name: string;
  title?: string;
}

const FIELDS = ['metadata.name', 'metadata.title'];

/** How long asks wait for the rest of their render before the batch goes. */
const GATHER_MS = 10;

/** The server matches up to 500 refs per statement; larger batches are split. */
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
        body: { entityRefs: chunk, fields: FIELDS },
      });
      chunk.forEach((ref, index) => {
        const metadata = items[index]?.metadata;
        const target =
          metadata && typeof metadata.name === 'string'
            ? {
                name: metadata.name,
                title:
                  typeof metadata.title === 'string' && metadata.title ? metadata.title : undefined,
              }
            : null;
        for (const waiter of batch.get(ref) ?? []) waiter.resolve(target);
      });
    } catch (error) {
      for (const ref of chunk) for (const waiter of batch.get(ref) ?? []) waiter.reject(error);
    }
  }
}

/** The target of one canonical (lowercase) ref, fetched together with the others asked now. */
export function loadRefTarget(ref: string): Promise<RefTarget | null> {
  return new Promise((resolve, reject) => {
    pending.set(ref, [...(pending.get(ref) ?? []), { resolve, reject }]);
    if (!scheduled) {
      scheduled = true;
      setTimeout(() => void flush(), GATHER_MS);
    }
  });
}

/** A ref as written, resolved: its canonical form and its parts (case as written). */
export interface ResolvedRef {
  canonical: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Undefined for a ref that cannot be parsed (shown as written). */
export function resolveRef(entityRef: string, context: EntityRefContext): ResolvedRef | undefined {
  try {
    const parsed = parseEntityRef(entityRef, context);
    return { ...parsed, canonical: stringifyEntityRef(parsed) };
  } catch {
    return undefined;
  }
}

/** The target's title, else its name; `namespace/name` outside the default namespace. */
export function refLabel(ref: ResolvedRef, target: RefTarget | null | undefined): string {
  if (target?.title) return target.title;
  const name = target?.name ?? ref.name;
  const namespace = ref.namespace.toLowerCase();
  return namespace === DEFAULT_NAMESPACE ? name : `${namespace}/${name}`;
}

const targetQuery = (ref: string | undefined) => ({
  queryKey: ['ref-target', ref],
  queryFn: () => loadRefTarget(ref!),
  enabled: ref !== undefined,
  // Titles rarely change; a page shown again should not ask again.
  staleTime: 5 * 60_000,
});

/** The target of a canonical ref (undefined while it loads, or when it cannot be known). */
export function useRefTarget(ref: string | undefined): RefTarget | null | undefined {
  return useQuery(targetQuery(ref)).data;
}

/**
 * Labels for many refs at once, where a component cannot go (the options of a select):
 * `labelOf(ref)` is the ref's label as {@link refLabel} makes it, or the ref as written.
 */
export function useRefLabels(refs: string[], context: EntityRefContext): (ref: string) => string {
  const resolved = refs.map((ref) => resolveRef(ref, context));
  const targets = useQueries({ queries: resolved.map((r) => targetQuery(r?.canonical)) });
  const labels = new Map<string, string>();
  refs.forEach((ref, i) => {
    const r = resolved[i];
    labels.set(ref, r ? refLabel(r, targets[i]?.data) : ref);
  });
  return (ref) => labels.get(ref) ?? ref;
}
