import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import {
  ANNOTATION_SOURCE_LOCATION,
  ANNOTATION_VIEW_URL,
  type Entity,
} from '../../../model/entity.ts';
import { stringifyEntityRef } from '../../../model/ref.ts';
import type { EntityContentProps } from '../../../web/plugin-api.ts';
import { TITLE_OR_NAME } from '../common/fields.ts';
import { queryEntities } from './api.ts';
import { useEntityStatus } from './EntityPage.tsx';
import { EntityRefLink, entityPath, formatTime, QueryView, SafeLink } from './shared.tsx';

/** Annotations worth showing on the About card. */
const NOTABLE = [
  ANNOTATION_SOURCE_LOCATION,
  ANNOTATION_VIEW_URL,
  'backstage.io/edit-url',
  'backstage.io/techdocs-ref',
  'github.com/project-slug',
  'gitlab.com/project-slug',
  'backstage.io/managed-by-location',
  'backstage.io/orphan',
];

/** `url:https://…` → the URL; `file:/x` stays text. */
function sourceUrl(value: string): string {
  return value.replace(/^url:/, '');
}

export function AboutCard({ entity }: EntityContentProps) {
  const spec = entity.spec ?? {};
  const ns = entity.metadata.namespace ?? 'default';
  const annotations = entity.metadata.annotations ?? {};
  const source = annotations[ANNOTATION_SOURCE_LOCATION];
  const notable = Object.entries(annotations).filter(
    ([k]) => NOTABLE.includes(k) && k !== ANNOTATION_SOURCE_LOCATION,
  );
  const others = Object.entries(annotations).filter(([k]) => !NOTABLE.includes(k));
  return (
    <section className="card" aria-labelledby="about-title">
      <h2 id="about-title">About</h2>
      <p data-testid="description">{entity.metadata.description ?? 'No description.'}</p>
      <dl className="props">
        {typeof spec.system === 'string' && (
          <>
            <dt>System</dt>
            <dd>
              <EntityRefLink entityRef={spec.system} defaultKind="system" defaultNamespace={ns} />
            </dd>
          </>
        )}
        {typeof spec.domain === 'string' && (
          <>
            <dt>Domain</dt>
            <dd>
              <EntityRefLink entityRef={spec.domain} defaultKind="domain" defaultNamespace={ns} />
            </dd>
          </>
        )}
        {source && (
          <>
            <dt>Source</dt>
            <dd>
              <SafeLink url={sourceUrl(source)}>{source}</SafeLink>
            </dd>
          </>
        )}
        {[...notable, ...others].map(([key, value]) => (
          <div key={key} style={{ display: 'contents' }}>
            <dt>{key}</dt>
            <dd>
              {key === ANNOTATION_VIEW_URL || key === 'backstage.io/edit-url' ? (
                <SafeLink url={value} />
              ) : (
                <code>{value}</code>
              )}
            </dd>
          </div>
        ))}
      </dl>
    </section>
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
  return (
    <section className="card" aria-labelledby="status-title">
      <h2 id="status-title">Ingestion status</h2>
      <QueryView query={status} what="ingestion status">
        {(s) => (
          <>
            <dl className="props">
              <dt>Location</dt>
              <dd>{s.location ? `${s.location.type}:${s.location.target}` : 'none'}</dd>
              <dt>Last read</dt>
              <dd>{formatTime(s.lastReadAt)}</dd>
              <dt>Orphan</dt>
              <dd>{s.orphan ? 'yes: its location no longer emits it' : 'no'}</dd>
            </dl>
            {s.items.length === 0 ? (
              <p className="level-ok">No errors or warnings.</p>
            ) : (
              <ProblemTable problems={s.items} />
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

export function ProblemTable({
  problems,
}: {
  problems: Array<{ level: string; file?: string; line?: number; path?: string; message: string }>;
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
                {p.file ?? ''}
                {p.line ? `:${p.line}` : ''}
              </code>
            </td>
            <td>
              <code>{p.path ?? ''}</code>
            </td>
            <td>{p.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RawTab({ entity }: EntityContentProps) {
  const [params, setParams] = useSearchParams();
  const format = params.get('format') === 'json' ? 'json' : 'yaml';
  const [yamlText, setYamlText] = useState<string>();
  useEffect(() => {
    if (format !== 'yaml') return;
    let live = true;
    import('yaml').then(({ stringify }) => {
      if (live) setYamlText(stringify(entity));
    });
    return () => {
      live = false;
    };
  }, [entity, format]);
  const text = format === 'json' ? JSON.stringify(entity, null, 2) : yamlText;
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
      <pre data-testid="raw">{text ?? 'Loading…'}</pre>
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
