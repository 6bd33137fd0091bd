import { useQuery } from '@tanstack/react-query';
import { Activity, Copy, FileCode2, Mail, Star } from 'lucide-react';
import { Link, useParams } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { stringifyEntityRef } from '../../../model/ref.ts';
import {
  ApiError,
  appliesTo,
  KindBadge,
  KindIcon,
  kindLook,
  Menu,
  MenuItem,
  resolveRef,
  useExtensions,
  useIdentity,
  usePageTitle,
  useStarredEntities,
  WithTooltip,
} from '../../../web/plugin-api.ts';
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

/** The owner's contact address (`spec.profile.email` of the owning group or user), if any. */
function OwnerContact({ owner, namespace }: { owner: string; namespace: string }) {
  const ref = resolveRef(owner, { defaultKind: 'group', defaultNamespace: namespace });
  const kind = ref?.kind.toLowerCase();
  const name = { kind: kind ?? '', namespace: ref?.namespace ?? '', name: ref?.name ?? '' };
  const target = useQuery({
    queryKey: ['entity', name],
    queryFn: ({ signal }) => getEntity(name, signal),
    enabled: kind === 'group' || kind === 'user',
    staleTime: 60_000,
  });
  const profile = target.data?.spec?.profile as { email?: unknown } | undefined;
  const email = typeof profile?.email === 'string' ? profile.email.trim() : '';
  if (!email) return null;
  return (
    <span className="owner-contact" data-testid="owner-contact">
      <Mail size={14} aria-hidden />
      <SafeLink url={`mailto:${email}`}>{email}</SafeLink>
    </span>
  );
}

/** Star or unstar from the header; stars are kept on the server per user (src/web/starred.ts). */
function StarButton({ entity }: { entity: Entity }) {
  const { userEntityRef } = useIdentity();
  const { isStarred, toggle } = useStarredEntities(userEntityRef);
  const ref = stringifyEntityRef(entity);
  const on = isStarred(ref);
  return (
    <WithTooltip label={on ? 'Starred: click to unstar' : 'Add to your starred entities'}>
      <button
        type="button"
        className="icon-button star-button"
        aria-pressed={on}
        onClick={() => toggle(ref)}
      >
        <Star size={16} aria-hidden className={on ? 'star-on' : undefined} />
        Star
      </button>
    </WithTooltip>
  );
}

function MoreActions({ entity }: { entity: Entity }) {
  const base = entityPath(entity);
  const ref = stringifyEntityRef(entity);
  return (
    <Menu label="More actions">
      <MenuItem onSelect={() => void navigator.clipboard?.writeText(ref).catch(() => {})}>
        <Copy size={16} aria-hidden /> Copy entity ref
      </MenuItem>
      <MenuItem asChild>
        <Link to={`${base}/raw`}>
          <FileCode2 size={16} aria-hidden /> View YAML
        </Link>
      </MenuItem>
      <MenuItem asChild>
        <Link to={`${base}/status`}>
          <Activity size={16} aria-hidden /> Ingestion status
        </Link>
      </MenuItem>
    </Menu>
  );
}

/**
 * What a reader asks first: what this is (kind icon, kind and type), its name, who owns it and
 * how to reach them, its lifecycle and tags; star and more actions on the right.
 */
function Header({ entity }: { entity: Entity }) {
  const spec = entity.spec ?? {};
  const ns = entity.metadata.namespace ?? 'default';
  const status = useEntityStatus(entity);
  const errors = status.data?.items.filter((i) => i.level === 'error').length ?? 0;
  const warnings = status.data?.items.filter((i) => i.level === 'warning').length ?? 0;
  const tags = entity.metadata.tags ?? [];
  return (
    <header className="entity-header">
      <span className="kind-tile kind-tinted" data-kind={kindLook(entity.kind).id}>
        <KindIcon kind={entity.kind} size={24} labelled />
      </span>
      <div className="entity-header-main">
        <div className="kind">
          <KindBadge
            kind={entity.kind}
            type={typeof spec.type === 'string' ? spec.type : undefined}
          />
          {ns !== 'default' && <span>namespace {ns}</span>}
        </div>
        <h1>{entity.metadata.title ?? entity.metadata.name}</h1>
        <dl className="entity-facts">
          {typeof spec.owner === 'string' && (
            <div>
              <dt>Owner</dt>
              <dd data-testid="entity-owner">
                <OwnerLink owner={spec.owner} namespace={ns} />
                <OwnerContact owner={spec.owner} namespace={ns} />
              </dd>
            </div>
          )}
          {typeof spec.lifecycle === 'string' && (
            <div>
              <dt>Lifecycle</dt>
              <dd>
                <span className="lifecycle" data-lifecycle={spec.lifecycle.toLowerCase()}>
                  {spec.lifecycle}
                </span>
              </dd>
            </div>
          )}
          {tags.length > 0 && (
            <div>
              <dt>Tags</dt>
              <dd>
                {tags.map((t) => (
                  <Link key={t} className="badge" to={`/catalog?tag=${encodeURIComponent(t)}`}>
                    {t}
                  </Link>
                ))}
              </dd>
            </div>
          )}
          {(errors > 0 || warnings > 0) && (
            <div>
              <dt>Ingestion</dt>
              <dd>
                <Link to={`${entityPath(entity)}/status`} className="level-error">
                  {errors} {errors === 1 ? 'error' : 'errors'}, {warnings}{' '}
                  {warnings === 1 ? 'warning' : 'warnings'}
                </Link>
              </dd>
            </div>
          )}
        </dl>
        <UnregisterEntity entity={entity} />
      </div>
      <div className="entity-header-actions">
        <StarButton entity={entity} />
        <MoreActions entity={entity} />
      </div>
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
