/** Create: the templates in the catalog, grouped by type, filterable by tag, owner and type. */
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router-dom';
import { usePageTitle, useQueryParams } from '../../../web/plugin-api.ts';
import { ErrorState, Loading, OwnerLink, RefOptions, SafeLink } from '../../catalog/web/shared.tsx';
import type { TemplateSummary } from '../common/index.ts';
import { listTemplates } from './api.ts';

const FILTERS = [
  { param: 'type', label: 'Type', values: (t: TemplateSummary) => [t.type] },
  { param: 'tag', label: 'Tag', values: (t: TemplateSummary) => t.tags },
  { param: 'owner', label: 'Owner', values: (t: TemplateSummary) => (t.owner ? [t.owner] : []) },
] as const;

function matchesText(t: TemplateSummary, text: string): boolean {
  if (!text) return true;
  const needle = text.toLowerCase();
  return [t.title, t.name, t.description ?? '', ...t.tags].some((s) =>
    s.toLowerCase().includes(needle),
  );
}

function TemplateCard({ template }: { template: TemplateSummary }) {
  const titleId = `template-${template.namespace}-${template.name}`;
  return (
    <article className="card template-card" aria-labelledby={titleId}>
      <h3 id={titleId}>{template.title}</h3>
      {template.description && <p className="template-description">{template.description}</p>}
      {template.tags.length > 0 && (
        <p className="template-tags">
          <span className="visually-hidden">Tags: </span>
          {template.tags.map((tag) => (
            <span key={tag} className="badge">
              {tag}
            </span>
          ))}
        </p>
      )}
      {template.owner && (
        <p className="muted">
          Owner: <OwnerLink owner={template.owner} namespace={template.namespace} />
        </p>
      )}
      {template.links.length > 0 && (
        <ul className="plain">
          {template.links.map((link, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: links have no identity
            <li key={i}>
              <SafeLink url={link.url}>{link.title ?? link.url}</SafeLink>
            </li>
          ))}
        </ul>
      )}
      <div className="template-actions">
        <Link
          className="link-as-button primary"
          to={`/create/templates/${encodeURIComponent(template.namespace)}/${encodeURIComponent(template.name)}`}
          aria-label={`Choose ${template.title}`}
        >
          Choose
        </Link>
      </div>
    </article>
  );
}

export function TemplatesPage() {
  usePageTitle('Create');
  const [params, updateParams] = useQueryParams();
  const [, setParams] = useSearchParams();
  const templates = useQuery({
    queryKey: ['scaffolder-templates'],
    queryFn: ({ signal }) => listTemplates(signal),
  });
  const text = params.get('text') ?? '';
  const set = (param: string, value: string) =>
    updateParams({ [param]: value }, { replace: param === 'text' });
  const all = templates.data?.items ?? [];
  const shown = all.filter(
    (t) =>
      matchesText(t, text) &&
      FILTERS.every((f) => {
        const wanted = params.get(f.param);
        return !wanted || (f.values(t) as string[]).includes(wanted);
      }),
  );
  const groups = new Map<string, TemplateSummary[]>();
  for (const t of [...shown].sort((a, b) => a.title.localeCompare(b.title))) {
    const type = t.type || 'other';
    groups.set(type, [...(groups.get(type) ?? []), t]);
  }
  const anyFilter = text !== '' || FILTERS.some((f) => params.get(f.param));

  return (
    <div className="page">
      <h1>Create</h1>
      <p className="muted">
        Start a new component from a template. <Link to="/create/tasks">Tasks</Link> ·{' '}
        <Link to="/create/edit">Template editor</Link>
      </p>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Text
          <input
            type="search"
            name="text"
            placeholder="Title, description or tag"
            value={text}
            onChange={(e) => set('text', e.target.value)}
          />
        </label>
        {FILTERS.map((f) => {
          const values = [...new Set(all.flatMap((t) => f.values(t) as string[]))].sort();
          return (
            <label key={f.param}>
              {f.label}
              <select
                name={f.param}
                value={params.get(f.param) ?? ''}
                onChange={(e) => set(f.param, e.target.value)}
              >
                <option value="">All</option>
                {f.param === 'owner' ? (
                  <RefOptions refs={values} defaultKind="group" />
                ) : (
                  values.map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))
                )}
              </select>
            </label>
          );
        })}
        <button
          type="button"
          disabled={!anyFilter}
          onClick={() => setParams(new URLSearchParams())}
        >
          Clear filters
        </button>
      </form>
      {templates.isPending ? (
        <Loading what="templates" />
      ) : templates.isError ? (
        <ErrorState error={templates.error} retry={() => templates.refetch()} />
      ) : all.length === 0 ? (
        <div className="state">
          <h2>No templates yet</h2>
          <p>
            Templates are catalog entities of kind <code>Template</code>: add a location with a{' '}
            <code>template.yaml</code> to <code>catalog.locations</code>, or try one out in the{' '}
            <Link to="/create/edit">template editor</Link>.
          </p>
        </div>
      ) : shown.length === 0 ? (
        <div className="state">
          <h2>No templates match</h2>
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        </div>
      ) : (
        <>
          <p className="muted" aria-live="polite" data-testid="template-count">
            {shown.length} {shown.length === 1 ? 'template' : 'templates'}
          </p>
          {[...groups.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([type, list]) => (
              <section
                key={type}
                aria-labelledby={`group-${type.replace(/[^\w-]+/g, '-')}`}
                className="template-group"
              >
                <h2 id={`group-${type.replace(/[^\w-]+/g, '-')}`}>{type}</h2>
                <div className="card-grid">
                  {list.map((t) => (
                    <TemplateCard key={t.entityRef} template={t} />
                  ))}
                </div>
              </section>
            ))}
        </>
      )}
    </div>
  );
}
