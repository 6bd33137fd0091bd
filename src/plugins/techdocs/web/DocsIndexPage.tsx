import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { usePageTitle, useQueryParams, ScrollArea } from '../../../web/plugin-api.ts';
import { entityPath, OwnerLink, QueryView, RefOptions } from '../../catalog/web/shared.tsx';
import type { DocsSite } from '../common/api-types.ts';
import { getSites, readerPath } from './api.ts';
import { StatusBadge } from './BuildPanel.tsx';

function matches(site: DocsSite, text: string): boolean {
  if (!text) return true;
  const hay = [site.title, site.name, site.siteName, site.description, site.owner, site.kind]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

/** The Docs section: every entity with a techdocs-ref, its owner, kind and build status. */
export function DocsIndexPage() {
  usePageTitle('Docs');
  const [params, updateParams] = useQueryParams();
  const text = params.get('q') ?? '';
  const owner = params.get('owner') ?? '';
  const sites = useQuery({
    queryKey: ['techdocs-sites'],
    queryFn: ({ signal }) => getSites(signal),
  });
  const set = (key: string, value: string) => updateParams({ [key]: value }, { replace: true });
  return (
    <div className="page">
      <h1>Docs</h1>
      <p className="muted">
        Documentation written beside the code: every entity annotated with{' '}
        <code>backstage.io/techdocs-ref</code>.
      </p>
      <QueryView query={sites} what="documented entities">
        {({ items }) => {
          if (items.length === 0) {
            return (
              <div className="state">
                No documented entities yet. Put a <code>mkdocs.yml</code> and a <code>docs/</code>{' '}
                folder beside a <code>catalog-info.yaml</code> and annotate the entity with{' '}
                <code>backstage.io/techdocs-ref: dir:.</code>
              </div>
            );
          }
          const owners = [...new Set(items.map((s) => s.owner).filter(Boolean) as string[])].sort();
          const shown = items.filter((s) => matches(s, text) && (!owner || s.owner === owner));
          return (
            <>
              <div className="filters">
                <label>
                  Filter
                  <input
                    type="search"
                    value={text}
                    placeholder="Title, name, owner…"
                    onChange={(e) => set('q', e.target.value)}
                  />
                </label>
                <label>
                  Owner
                  <select value={owner} onChange={(e) => set('owner', e.target.value)}>
                    <option value="">All owners</option>
                    <RefOptions refs={owners} defaultKind="group" />
                  </select>
                </label>
              </div>
              <p className="muted" data-testid="docs-count">
                {shown.length} of {items.length} documented{' '}
                {items.length === 1 ? 'entity' : 'entities'}
              </p>
              {shown.length === 0 ? (
                <div className="state">Nothing matches the filter.</div>
              ) : (
                <ScrollArea label="Documentation sites">
                  <table data-testid="docs-sites">
                    <thead>
                      <tr>
                        <th>Docs</th>
                        <th>Owner</th>
                        <th>Kind</th>
                        <th>Build</th>
                      </tr>
                    </thead>
                    <tbody>
                      {shown.map((site) => (
                        <tr key={site.entityRef}>
                          <td>
                            <Link to={readerPath(site, '')}>{site.title}</Link>
                            {site.siteName && site.siteName !== site.title && (
                              <span className="muted"> · {site.siteName}</span>
                            )}
                            {site.description && <div className="muted">{site.description}</div>}
                          </td>
                          <td>
                            {site.owner && (
                              <OwnerLink owner={site.owner} namespace={site.namespace} />
                            )}
                          </td>
                          <td>
                            <Link
                              to={entityPath(`${site.kind}:${site.namespace}/${site.name}`)}
                              title="Open the catalog entry"
                            >
                              {site.kind}
                              {site.type ? ` · ${site.type}` : ''}
                            </Link>
                          </td>
                          <td>
                            <StatusBadge
                              status={site.status}
                              building={site.building}
                              published={site.published}
                            />
                            {site.problemCount > 0 && (
                              <span className="muted">
                                {' '}
                                {site.problemCount}{' '}
                                {site.problemCount === 1 ? 'problem' : 'problems'}
                              </span>
                            )}
                            {!site.published && site.status === 'never' && (
                              <div className="muted">built when first opened</div>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </ScrollArea>
              )}
            </>
          );
        }}
      </QueryView>
    </div>
  );
}
