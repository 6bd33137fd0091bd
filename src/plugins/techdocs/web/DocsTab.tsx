import { useCallback, useMemo } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { parseEntityRef, stringifyEntityRef } from '../../../model/ref.ts';
import type { EntityContentProps } from '../../../web/plugin-api.ts';
import { EntityRefLink, entityPath } from '../../catalog/web/shared.tsx';
import { readerPath, tripletOf } from './api.ts';
import { NoDocs } from './NoDocs.tsx';
import { Reader } from './Reader.tsx';

const TECHDOCS_REF = 'backstage.io/techdocs-ref';
const TECHDOCS_ENTITY = 'backstage.io/techdocs-entity';

/**
 * The entity page's Docs tab. Tabs are declared per kind, not per annotation, so an entity
 * without docs gets a friendly explanation instead of the reader. Pages of the site are
 * addressed with `?page=<path>` because the tab route has one segment.
 */
export function DocsTab({ entity }: EntityContentProps) {
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  // `backstage.io/techdocs-entity` shows another entity's docs (e.g. the service a worker
  // belongs to) on this entity's tab.
  const docsEntity = entity.metadata.annotations?.[TECHDOCS_ENTITY];
  const borrowed = useMemo(() => {
    if (typeof docsEntity !== 'string' || !docsEntity.trim()) return undefined;
    try {
      return parseEntityRef(docsEntity.trim(), {
        defaultKind: 'component',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      });
    } catch {
      return undefined;
    }
  }, [docsEntity, entity.metadata.namespace]);
  const triplet = useMemo(
    () =>
      borrowed
        ? {
            namespace: borrowed.namespace.toLowerCase(),
            kind: borrowed.kind.toLowerCase(),
            name: borrowed.name.toLowerCase(),
          }
        : tripletOf(entity),
    [entity, borrowed],
  );
  const base = `${entityPath(entity)}/docs`;
  const path = (params.get('page') ?? '').replace(/^\/+|\/+$/g, '');
  let hash = location.hash.replace(/^#/, '');
  try {
    hash = decodeURIComponent(hash);
  } catch {
    // keep it as written
  }
  const pageHref = useCallback(
    (p: string, h?: string) =>
      `${base}${p ? `?page=${encodeURIComponent(p)}` : ''}${h ? `#${encodeURIComponent(h)}` : ''}`,
    [base],
  );
  const setHash = useCallback(
    (id: string) =>
      navigate({
        pathname: location.pathname,
        search: location.search,
        hash: `#${encodeURIComponent(id)}`,
      }),
    [navigate, location.pathname, location.search],
  );
  const ref = entity.metadata.annotations?.[TECHDOCS_REF];
  if (!borrowed && (typeof ref !== 'string' || ref.trim() === '')) return <NoDocs />;
  return (
    <div data-testid="docs-tab">
      {borrowed && (
        <p className="muted" data-testid="docs-borrowed">
          These are the docs of <EntityRefLink entityRef={stringifyEntityRef(borrowed)} />{' '}
          (annotation <code>{TECHDOCS_ENTITY}</code>).
        </p>
      )}
      <p className="muted docs-open-full">
        <Link to={readerPath(triplet, path, hash)}>Open in the docs reader</Link>
      </p>
      <Reader
        triplet={triplet}
        path={path}
        hash={hash}
        pageHref={pageHref}
        setHash={setHash}
        embedded
      />
    </div>
  );
}
