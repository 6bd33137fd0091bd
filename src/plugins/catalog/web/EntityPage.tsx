import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { appliesTo, ApiError, usePageTitle, useExtensions } from '../../../web/plugin-api.ts';
import { type EntityName, getEntity, getEntityStatus } from './api.ts';
import { entityPath, ErrorState, Loading, OwnerLink, SafeLink } from './shared.tsx';
import { UnregisterEntity } from './UnregisterEntity.tsx';

export function useEntityName(): EntityName {
  const p = useParams();
  return { kind: p.kind ?? '', namespace: p.namespace ?? 'default', name: p.name ?? '' };
}

export function useEntityStatus(entity: Entity) {
  const name = {
    kind: entity.kind,
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  };
  return useQuery({
    queryKey: ['entity-status', name],
    queryFn: ({ signal }) => getEntityStatus(name, signal),
  });
}

function Header({ entity }: { entity: Entity }) {
  const spec = entity.spec ?? {};
  const ns = entity.metadata.namespace ?? 'default';
  const status = useEntityStatus(entity);
  const errors = status.data?.items.filter((i) => i.level === 'error').length ?? 0;
  const warnings = status.data?.items.filter((i) => i.level === 'warning').length ?? 0;
  return (
    <header className="entity-header">
      <div className="kind">
        {entity.kind}
        {typeof spec.type === 'string' ? ` · ${spec.type}` : ''}
      </div>
      <h1>{entity.metadata.title ?? entity.metadata.name}</h1>
      <dl className="props">
        {typeof spec.owner === 'string' && (
          <>
            <dt>Owner</dt>
            <dd>
              <OwnerLink owner={spec.owner} namespace={ns} />
            </dd>
          </>
        )}
        {typeof spec.lifecycle === 'string' && (
          <>
            <dt>Lifecycle</dt>
            <dd>{spec.lifecycle}</dd>
          </>
        )}
        {(entity.metadata.tags?.length ?? 0) > 0 && (
          <>
            <dt>Tags</dt>
            <dd>
              {entity.metadata.tags!.map((t) => (
                <Link key={t} className="badge" to={`/catalog?tag=${encodeURIComponent(t)}`}>
                  {t}
                </Link>
              ))}
            </dd>
          </>
        )}
        {(entity.metadata.links?.length ?? 0) > 0 && (
          <>
            <dt>Links</dt>
            <dd>
              <ul className="plain">
                {entity.metadata.links!.map((l, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: links have no identity
                  <li key={i}>
                    <SafeLink url={l.url}>{l.title ?? l.url}</SafeLink>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {(errors > 0 || warnings > 0) && (
          <>
            <dt>Ingestion</dt>
            <dd>
              <Link to={`${entityPath(entity)}/status`} className="level-error">
                {errors} {errors === 1 ? 'error' : 'errors'}, {warnings}{' '}
                {warnings === 1 ? 'warning' : 'warnings'}
              </Link>
            </dd>
          </>
        )}
      </dl>
      <UnregisterEntity entity={entity} />
    </header>
  );
}

function Overview({ entity }: { entity: Entity }) {
  const { entityCards } = useExtensions();
  return (
    <div className="card-grid">
      {entityCards
        .filter((c) => appliesTo(c.kinds, entity.kind))
        .map(({ id, component: Card }) => (
          <Card key={id} entity={entity} />
        ))}
    </div>
  );
}

export function EntityPage() {
  const name = useEntityName();
  const { tab = '' } = useParams();
  const { entityTabs } = useExtensions();
  const query = useQuery({
    queryKey: ['entity', name],
    queryFn: ({ signal }) => getEntity(name, signal),
  });
  const entity = query.data;
  const tabs = [
    { path: '', title: 'Overview' },
    ...entityTabs.filter((t) => entity && appliesTo(t.kinds, entity.kind)),
  ];
  const current = tabs.find((t) => t.path === tab);
  usePageTitle(
    entity
      ? `${entity.metadata.title ?? entity.metadata.name}${current?.path ? ` · ${current.title}` : ''}`
      : name.name,
  );

  if (query.isPending) return <Loading what={`${name.kind} ${name.name}`} />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404) {
      return (
        <div className="page">
          <h1>Not in the catalog</h1>
          <p>
            There is no {name.kind} named <code>{name.name}</code> in namespace{' '}
            <code>{name.namespace}</code>. <Link to="/catalog">Browse the catalog</Link>.
          </p>
        </div>
      );
    }
    return <ErrorState error={query.error} retry={() => query.refetch()} />;
  }
  const base = entityPath(query.data);
  const Tab = current && 'component' in current ? current.component : undefined;
  return (
    <div className="page">
      <Header entity={query.data} />
      <nav className="tabs" aria-label="Entity tabs">
        {tabs.map((t) => (
          <Link
            key={t.path}
            to={t.path ? `${base}/${t.path}` : base}
            aria-current={t === current ? 'page' : undefined}
          >
            {t.title}
          </Link>
        ))}
      </nav>
      {!current ? (
        <p>
          This entity has no <code>{tab}</code> tab. <Link to={base}>Back to the overview</Link>.
        </p>
      ) : Tab ? (
        <Tab entity={query.data} />
      ) : (
        <Overview entity={query.data} />
      )}
    </div>
  );
}
