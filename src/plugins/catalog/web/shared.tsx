import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { parseEntityRef } from '../../../model/ref.ts';
import {
  KindIcon,
  refLabel,
  resolveRef,
  useRefLabels,
  useRefTarget,
} from '../../../web/plugin-api.ts';
import './entity-ref.css';

/** The entity page path of an entity or an entity ref (`kind:namespace/name`). */
export function entityPath(
  target: Pick<Entity, 'kind' | 'metadata'> | string,
  defaults: { defaultKind?: string; defaultNamespace?: string } = {},
): string {
  const { kind, namespace, name } =
    typeof target === 'string'
      ? parseEntityRef(target, defaults)
      : {
          kind: target.kind,
          namespace: target.metadata.namespace ?? 'default',
          name: target.metadata.name,
        };
  return `/catalog/${encodeURIComponent(namespace.toLowerCase())}/${encodeURIComponent(
    kind.toLowerCase(),
  )}/${encodeURIComponent(name)}`;
}

/**
 * A ref as the portal shows it everywhere (owners, relations, systems, audit resources): a
 * link to the target, labelled with its title, else its name (`namespace/name` outside the
 * default namespace); the full ref is the link's tooltip, and the kind's icon (decoration:
 * the tooltip names the kind) stands before it. A ref that cannot be parsed is shown as written.
 */
export function EntityRefLink({
  entityRef,
  defaultKind,
  defaultNamespace,
}: {
  entityRef: string;
  defaultKind?: string;
  defaultNamespace?: string;
}) {
  const ref = resolveRef(entityRef, { defaultKind, defaultNamespace });
  const target = useRefTarget(ref?.canonical);
  if (!ref) return <span>{entityRef}</span>;
  return (
    <span className="entity-ref" data-kind={ref.kind.toLowerCase()}>
      <KindIcon kind={ref.kind} size={14} />
      <Link to={entityPath(entityRef, { defaultKind, defaultNamespace })} title={ref.canonical}>
        {refLabel(ref, target)}
      </Link>
    </span>
  );
}

/** An owner (`spec.owner`), in the one form owners take on every page. */
export function OwnerLink({ owner, namespace }: { owner: string; namespace?: string }) {
  return <EntityRefLink entityRef={owner} defaultKind="group" defaultNamespace={namespace} />;
}

/**
 * Options of a select whose values are refs (an owner filter), labelled as EntityRefLink
 * labels them; the values stay the refs as given.
 */
export function RefOptions({
  refs,
  defaultKind,
  suffix,
}: {
  refs: string[];
  defaultKind?: string;
  /** Text after a label, e.g. a count. */
  suffix?: (ref: string) => string;
}) {
  const labelOf = useRefLabels(refs, { defaultKind });
  return (
    <>
      {refs.map((ref) => (
        <option key={ref} value={ref} title={ref}>
          {`${labelOf(ref)}${suffix?.(ref) ?? ''}`}
        </option>
      ))}
    </>
  );
}

/** Only http(s) and mailto links become anchors: anything else from YAML is shown as text. */
export function isSafeUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol);
  } catch {
    return false;
  }
}

export function SafeLink({ url, children }: { url: unknown; children?: ReactNode }) {
  if (!isSafeUrl(url)) {
    return <span title="Not a web link, shown as text">{children ?? String(url ?? '')}</span>;
  }
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {children ?? url}
    </a>
  );
}

/**
 * A link drawn as a button with an icon (the About card's links and actions). Like SafeLink,
 * only http(s) and mailto become links; anything else is shown as a dimmed text button.
 */
export function LinkButton({
  url,
  icon,
  children,
  testId,
}: {
  url: unknown;
  icon: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  if (!isSafeUrl(url)) {
    return (
      <span
        className="button button-disabled"
        title="Not a web link, shown as text"
        data-testid={testId}
      >
        {icon}
        {children}
      </span>
    );
  }
  return (
    <a className="button" href={url} target="_blank" rel="noopener noreferrer" data-testid={testId}>
      {icon}
      {children}
    </a>
  );
}

/** Previous / next under a paged list, with "Page n of m" when the number of pages is known. */
export function Pager({
  label,
  page,
  pages,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  busy = false,
}: {
  label: string;
  page?: number;
  pages?: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
  /** While the next page loads: both buttons wait. */
  busy?: boolean;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={!hasPrevious || busy} onClick={onPrevious}>
        ← Previous
      </button>
      {page !== undefined && pages !== undefined && (
        <span>
          Page {page} of {pages}
        </span>
      )}
      <button type="button" disabled={!hasNext || busy} onClick={onNext}>
        Next →
      </button>
    </nav>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="state" role="status" aria-busy="true">
      Loading {what}…
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>Something went wrong.</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Renders loading, error (with Retry) or the data of a query. */
export function QueryView<T>({
  query,
  what,
  children,
}: {
  query: UseQueryResult<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <ErrorState error={query.error} retry={() => query.refetch()} />;
  return <>{children(query.data)}</>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
