import { useQuery } from '@tanstack/react-query';
import { BookOpen, Eye, FolderGit2, Pencil } from 'lucide-react';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { stringifyEntityRef } from '../../../model/ref.ts';
import {
  Disclosure,
  type EntityContentProps,
  LinkIcon,
  resolveRef,
  useScrollable,
} from '../../../web/plugin-api.ts';
import { TITLE_OR_NAME } from '../common/fields.ts';
import {
  displayLocation,
  displayMessage,
  displayPath,
  docsPath,
  isLocationAnnotation,
  locationBase,
  sourceLinks,
  withDisplayedLocations,
} from './about.ts';
import { getEntity, queryEntities } from './api.ts';
import { useEntityStatus } from './EntityPage.tsx';
import {
  EntityRefLink,
  entityPath,
  formatTime,
  isSafeUrl,
  LinkButton,
  QueryView,
  SafeLink,
} from './shared.tsx';

/**
 * The About card answers "what is this and where do I go next": description, system and
 * domain, the source repository, docs, the catalog file to view or edit, and the entity's
 * links as buttons. Every annotation and label is there too, behind "Technical details",
 * with the server's own file paths shown relative to the entity's location.
 */
export function AboutCard({ entity }: EntityContentProps) {
  const spec = entity.spec ?? {};
  const ns = entity.metadata.namespace ?? 'default';
  const annotations = entity.metadata.annotations ?? {};
  const links = entity.metadata.links ?? [];
  const source = sourceLinks(annotations);
  const docs = docsPath(entity);
  const hasActions = Boolean(source.viewUrl || source.editUrl);
  return (
    <section className="card about-card" aria-labelledby="about-title">
      <h2 id="about-title">About</h2>
      <p data-testid="description" className="about-description">
        {entity.metadata.description ?? 'No description.'}
      </p>
      <dl className="props">
        {typeof spec.system === 'string' && (
          <>
            <dt>System</dt>
            <dd>
              <EntityRefLink entityRef={spec.system} defaultKind="system" defaultNamespace={ns} />
            </dd>
          </>
        )}
        {typeof spec.domain === 'string' ? (
          <>
            <dt>Domain</dt>
            <dd>
              <EntityRefLink entityRef={spec.domain} defaultKind="domain" defaultNamespace={ns} />
            </dd>
          </>
        ) : (
          typeof spec.system === 'string' && <SystemDomain system={spec.system} namespace={ns} />
        )}
        {source.repository && (
          <>
            <dt>Repository</dt>
            <dd>
              <SafeLink url={source.repository.url}>
                <FolderGit2 size={14} aria-hidden className="inline-icon" />
                {source.repository.label}
              </SafeLink>
            </dd>
          </>
        )}
        {docs && (
          <>
            <dt>Docs</dt>
            <dd>
              <Link to={docs} data-testid="docs-link">
                <BookOpen size={14} aria-hidden className="inline-icon" />
                Read the docs
              </Link>
            </dd>
          </>
        )}
      </dl>
      {hasActions && (
        <div className="about-section">
          <h3>Catalog file</h3>
          <div className="button-row">
            {source.viewUrl && (
              <LinkButton
                url={source.viewUrl}
                icon={<Eye size={16} aria-hidden />}
                testId="view-source"
              >
                View source
              </LinkButton>
            )}
            {source.editUrl && (
              <LinkButton
                url={source.editUrl}
                icon={<Pencil size={16} aria-hidden />}
                testId="edit-source"
              >
                Edit this file
              </LinkButton>
            )}
          </div>
        </div>
      )}
      {links.length > 0 && (
        <div className="about-section">
          <h3>Links</h3>
          <ul className="button-row plain-list" data-testid="entity-links">
            {links.map((l, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: links have no identity
              <li key={i}>
                <LinkButton url={l.url} icon={<LinkIcon name={l.icon} />}>
                  {l.title ?? l.url}
                </LinkButton>
              </li>
            ))}
          </ul>
        </div>
      )}
      <TechnicalDetails entity={entity} />
    </section>
  );
}

/** The domain of an entity's system (components and APIs name only their system). */
function SystemDomain({ system, namespace }: { system: string; namespace: string }) {
  const ref = resolveRef(system, { defaultKind: 'system', defaultNamespace: namespace });
  const name = { kind: ref?.kind ?? '', namespace: ref?.namespace ?? '', name: ref?.name ?? '' };
  const target = useQuery({
    queryKey: ['entity', name],
    queryFn: ({ signal }) => getEntity(name, signal),
    enabled: ref?.kind.toLowerCase() === 'system',
    staleTime: 60_000,
  });
  const domain = target.data?.spec?.domain;
  if (typeof domain !== 'string') return null;
  return (
    <>
      <dt>Domain</dt>
      <dd>
        <EntityRefLink
          entityRef={domain}
          defaultKind="domain"
          defaultNamespace={target.data?.metadata.namespace ?? namespace}
        />
      </dd>
    </>
  );
}

/** An annotation's value: a web address as a link, a location as a person reads it. */
function AnnotationValue({ name, value, base }: { name: string; value: string; base?: string }) {
  if (isLocationAnnotation(name)) {
    const shown = displayLocation(value, base);
    const url = shown.startsWith('url:') ? shown.slice(4) : undefined;
    return url ? (
      <SafeLink url={url}>
        <code>{shown}</code>
      </SafeLink>
    ) : (
      <code>{shown}</code>
    );
  }
  if (isSafeUrl(value) && /^https?:/i.test(value)) {
    return (
      <SafeLink url={value}>
        <code>{value}</code>
      </SafeLink>
    );
  }
  return <code>{value}</code>;
}

/** Every annotation and label, for the reader who needs them; closed by default. */
function TechnicalDetails({ entity }: { entity: Entity }) {
  const annotations = entity.metadata.annotations ?? {};
  const labels = entity.metadata.labels ?? {};
  const base = locationBase(annotations);
  const sorted = (record: Record<string, string>) =>
    Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return (
    <Disclosure title="Technical details" className="technical-details">
      <dl className="props" data-testid="technical-details">
        <dt>Entity ref</dt>
        <dd>
          <code>{stringifyEntityRef(entity)}</code>
        </dd>
        {sorted(annotations).map(([key, value]) => (
          <Fragment key={`a:${key}`}>
            <dt>{key}</dt>
            <dd>
              <AnnotationValue name={key} value={value} base={base} />
            </dd>
          </Fragment>
        ))}
        {sorted(labels).map(([key, value]) => (
          <Fragment key={`l:${key}`}>
            <dt>
              {key} <span className="muted">(label)</span>
            </dt>
            <dd>
              <code>{value}</code>
            </dd>
          </Fragment>
        ))}
      </dl>
    </Disclosure>
  );
}

export function RelationsCard({ entity }: EntityContentProps) {
  const groups = new Map<string, string[]>();
  for (const r of entity.relations ?? []) {
    groups.set(r.type, [...(groups.get(r.type) ?? []), r.targetRef]);
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  return (
    <section className="card" aria-labelledby="relations-title">
      <h2 id="relations-title">Relations</h2>
      {sorted.length === 0 ? (
        <p className="muted">This entity has no relations.</p>
      ) : (
        sorted.map(([type, refs]) => (
          <div key={type} className="relation-group">
            <h3>
              {type} ({refs.length})
            </h3>
            <ul className="plain">
              {refs.sort().map((ref) => (
                <li key={ref}>
                  <EntityRefLink entityRef={ref} />
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}

export function StatusTab({ entity }: EntityContentProps) {
  const status = useEntityStatus(entity);
  // Server paths read as the About card shows them: relative to the entity's location.
  const base = locationBase(entity.metadata.annotations ?? {});
  return (
    <section className="card" aria-labelledby="status-title">
      <h2 id="status-title">Ingestion status</h2>
      <QueryView query={status} what="ingestion status">
        {(s) => (
          <>
            <dl className="props">
              <dt>Location</dt>
              <dd>
                {s.location
                  ? displayLocation(`${s.location.type}:${s.location.target}`, base)
                  : 'none'}
              </dd>
              <dt>Last read</dt>
              <dd>{formatTime(s.lastReadAt)}</dd>
              <dt>Orphan</dt>
              <dd>{s.orphan ? 'yes: its location no longer emits it' : 'no'}</dd>
            </dl>
            {s.items.length === 0 ? (
              <p className="level-ok">No errors or warnings.</p>
            ) : (
              <ProblemTable
                problems={s.items}
                base={s.location?.type === 'file' ? base : undefined}
              />
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

/**
 * Problems of a location or an entity. With `base` (the directory of a `file:` location),
 * the files and the paths in messages are the server's own: shown relative to it.
 */
export function ProblemTable({
  problems,
  base,
}: {
  problems: Array<{ level: string; file?: string; line?: number; path?: string; message: string }>;
  base?: string;
}) {
  return (
    <table>
      <thead>
        <tr>
          <th>Level</th>
          <th>File</th>
          <th>Field</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {problems.map((p, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
          <tr key={i}>
            <td className={`level-${p.level}`}>{p.level}</td>
            <td>
              <code>
                {p.file && base ? displayPath(p.file, base) : (p.file ?? '')}
                {p.line ? `:${p.line}` : ''}
              </code>
            </td>
            <td>
              <code>{p.path ?? ''}</code>
            </td>
            <td>{displayMessage(p.message, base)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The entity as the catalog holds it, but for its `file:` location annotations: those are the
 * server's own paths, shown as Technical details shows them (relative to the entity's
 * location), and a note says so. The catalog API keeps sending them whole, as Backstage does.
 */
export function RawTab({ entity }: EntityContentProps) {
  const [params, setParams] = useSearchParams();
  const format = params.get('format') === 'json' ? 'json' : 'yaml';
  const shown = useMemo(() => withDisplayedLocations(entity), [entity]);
  const rewritten = Object.entries(entity.metadata.annotations ?? {}).some(
    ([key, value]) => shown.metadata.annotations?.[key] !== value,
  );
  const [yamlText, setYamlText] = useState<string>();
  useEffect(() => {
    if (format !== 'yaml') return;
    let live = true;
    import('yaml').then(({ stringify }) => {
      if (live) setYamlText(stringify(shown));
    });
    return () => {
      live = false;
    };
  }, [shown, format]);
  const text = format === 'json' ? JSON.stringify(shown, null, 2) : yamlText;
  const scrollable = useScrollable(format === 'json' ? 'Entity as JSON' : 'Entity as YAML');
  return (
    <section className="card" aria-labelledby="raw-title">
      <h2 id="raw-title">Raw entity</h2>
      <fieldset className="plain-fieldset">
        <legend className="visually-hidden">Format</legend>
        <button
          type="button"
          aria-pressed={format === 'yaml'}
          onClick={() => setParams({}, { replace: true })}
        >
          YAML
        </button>{' '}
        <button
          type="button"
          aria-pressed={format === 'json'}
          onClick={() => setParams({ format: 'json' }, { replace: true })}
        >
          JSON
        </button>
      </fieldset>
      {rewritten && (
        <p className="muted" data-testid="raw-paths-note">
          File locations are shown relative to the entity's location (<code>file:./…</code>), as in
          Technical details: they are paths on the server. Everything else is as the catalog holds
          it.
        </p>
      )}
      <pre data-testid="raw" {...scrollable}>
        {text ?? 'Loading…'}
      </pre>
    </section>
  );
}

function refsOf(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter((r) => r.type === type)
    .map((r) => r.targetRef)
    .sort();
}

function RefListCard({ title, refs, empty }: { title: string; refs: string[]; empty: string }) {
  return (
    <section className="card">
      <h2>
        {title} ({refs.length})
      </h2>
      {refs.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="plain">
          {refs.map((ref) => (
            <li key={ref}>
              <EntityRefLink entityRef={ref} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function OwnedEntitiesCard({ entity }: EntityContentProps) {
  const ref = stringifyEntityRef(entity).toLowerCase();
  const filter = `relations.ownedBy=${ref}`;
  const owned = useQuery({
    queryKey: ['owned', ref],
    queryFn: ({ signal }) =>
      queryEntities(
        {
          filter,
          // Listed by title: sorted by it.
          orderField: `${TITLE_OR_NAME},asc`,
          limit: 50,
          fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'spec.type'],
        },
        signal,
      ),
  });
  return (
    <section className="card">
      <h2>Owned entities{owned.data ? ` (${owned.data.totalItems})` : ''}</h2>
      <QueryView query={owned} what="owned entities">
        {(data) =>
          data.items.length === 0 ? (
            <p className="muted">Owns nothing in the catalog.</p>
          ) : (
            <>
              <ul className="plain">
                {data.items.map((e) => (
                  <li key={`${e.kind}:${e.metadata.namespace}/${e.metadata.name}`}>
                    <Link to={entityPath(e)}>{e.metadata.title ?? e.metadata.name}</Link>{' '}
                    <span className="muted">
                      {e.kind}
                      {e.spec?.type ? ` · ${String(e.spec.type)}` : ''}
                    </span>
                  </li>
                ))}
              </ul>
              {data.totalItems > data.items.length && (
                <p className="muted">and {data.totalItems - data.items.length} more</p>
              )}
            </>
          )
        }
      </QueryView>
    </section>
  );
}

export const GroupHierarchyCard = ({ entity }: EntityContentProps) => (
  <>
    <RefListCard title="Parent" refs={refsOf(entity, 'childOf')} empty="A top-level group." />
    <RefListCard title="Children" refs={refsOf(entity, 'parentOf')} empty="No child groups." />
  </>
);
export const MembersCard = ({ entity }: EntityContentProps) => (
  <RefListCard title="Members" refs={refsOf(entity, 'hasMember')} empty="No members." />
);
export const UserGroupsCard = ({ entity }: EntityContentProps) => (
  <RefListCard title="Groups" refs={refsOf(entity, 'memberOf')} empty="In no group." />
);
export const SystemPartsCard = ({ entity }: EntityContentProps) => (
  <RefListCard
    title="Parts of this system"
    refs={refsOf(entity, 'hasPart')}
    empty="No components, APIs or resources belong to this system yet."
  />
);
export const DomainSystemsCard = ({ entity }: EntityContentProps) => (
  <RefListCard
    title="Systems in this domain"
    refs={refsOf(entity, 'hasPart')}
    empty="No systems belong to this domain yet."
  />
);
