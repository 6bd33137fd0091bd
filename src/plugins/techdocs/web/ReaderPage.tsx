import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { ApiError, usePageTitle } from '../../../web/plugin-api.ts';
import { entityPath, ErrorState, Loading, OwnerLink } from '../../catalog/web/shared.tsx';
import type { DocsTriplet } from '../common/index.ts';
import { getDocsEntity, getSiteMetadata, readerPath, tripletPath } from './api.ts';
import { NoDocs } from './NoDocs.tsx';
import { Reader } from './Reader.tsx';

function decodeHash(hash: string): string {
  try {
    return decodeURIComponent(hash.replace(/^#/, ''));
  } catch {
    return hash.replace(/^#/, '');
  }
}

/** `/docs/:namespace/:kind/:name/*`: one entity's docs, full page. */
export function ReaderPage() {
  const params = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const triplet = useMemo<DocsTriplet>(
    () => ({
      namespace: (params.namespace ?? 'default').toLowerCase(),
      kind: (params.kind ?? '').toLowerCase(),
      name: (params.name ?? '').toLowerCase(),
    }),
    [params.namespace, params.kind, params.name],
  );
  const path = (params['*'] ?? '').replace(/\/+$/, '').replace(/^\/+/, '');
  const hash = decodeHash(location.hash);
  const key = tripletPath(triplet);

  const entity = useQuery({
    queryKey: ['techdocs-entity', key],
    queryFn: ({ signal }) => getDocsEntity(triplet, signal),
  });
  const metadata = useQuery({
    queryKey: ['techdocs-metadata', key],
    queryFn: ({ signal }) => getSiteMetadata(triplet, signal),
    enabled: entity.isSuccess,
  });
  const pageTitle = metadata.data?.pages?.find((p) => p.path === path)?.title;
  usePageTitle(
    metadata.data
      ? `${pageTitle ?? 'Docs'} · ${metadata.data.site_name}`
      : entity.data
        ? `Docs · ${entity.data.metadata.title ?? entity.data.metadata.name}`
        : 'Docs',
  );

  const pageHref = useCallback((p: string, h?: string) => readerPath(triplet, p, h), [triplet]);
  const setHash = useCallback(
    (id: string) =>
      navigate(
        {
          pathname: location.pathname,
          search: location.search,
          hash: `#${encodeURIComponent(id)}`,
        },
        { preventScrollReset: true },
      ),
    [navigate, location.pathname, location.search],
  );

  if (entity.isPending) return <Loading what="the docs" />;
  if (entity.isError) {
    const error = entity.error;
    if (error instanceof ApiError && error.status === 404) {
      const noAnnotation = /techdocs-ref/.test(error.message);
      return (
        <div className="page">
          <h1>Docs</h1>
          {noAnnotation ? (
            <NoDocs
              entityLink={entityPath(`${triplet.kind}:${triplet.namespace}/${triplet.name}`)}
            />
          ) : (
            <div className="state" role="alert">
              There is no {triplet.kind} named <code>{triplet.name}</code> in namespace{' '}
              <code>{triplet.namespace}</code>. <Link to="/docs">See every documented entity</Link>.
            </div>
          )}
        </div>
      );
    }
    return (
      <div className="page">
        <h1>Docs</h1>
        <ErrorState error={error} retry={() => entity.refetch()} />
      </div>
    );
  }
  const e = entity.data;
  const owner = typeof e.spec?.owner === 'string' ? e.spec.owner : undefined;
  return (
    <div className="page">
      <nav className="docs-breadcrumbs muted" aria-label="Breadcrumbs">
        <Link to="/docs">Docs</Link> /{' '}
        <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>
        {owner && (
          <>
            {' '}
            · owned by <OwnerLink owner={owner} namespace={e.metadata.namespace ?? 'default'} />
          </>
        )}
      </nav>
      {/* The page's own first heading is the h1; the site name is a caption above it. */}
      <div className="docs-site-title">
        {metadata.data?.site_name ?? e.metadata.title ?? e.metadata.name}
      </div>
      <Reader triplet={triplet} path={path} hash={hash} pageHref={pageHref} setHash={setHash} />
    </div>
  );
}
