import { useQuery } from '@tanstack/react-query';
import {
  ApiError,
  definePlugin,
  type EntityContentProps,
  explainError,
  fetchJson,
} from '@atrium/web-plugin-api';
import type { LinksAndOnCall } from './links.ts';

const entityPath = (e: EntityContentProps['entity']) =>
  [e.kind, e.metadata.namespace ?? 'default', e.metadata.name].map(encodeURIComponent).join('/');

/** The card: on-call, escalation and the entity's links, as the plugin's backend reads them. */
export function LinksOnCallCard({ entity }: EntityContentProps) {
  const path = entityPath(entity);
  const card = useQuery({
    queryKey: ['links-oncall', path],
    queryFn: ({ signal }) =>
      fetchJson<LinksAndOnCall>(`/api/links-oncall/entity/${path}`, { signal }),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
  const data = card.data;
  return (
    <section className="card" aria-labelledby="links-oncall-title" data-testid="links-oncall-card">
      <h2 id="links-oncall-title">Links and on-call</h2>
      {card.isPending && <p className="muted">Loading…</p>}
      {card.isError && <p role="alert">{explainError(card.error)}</p>}
      {data && (
        <>
          <dl className="props">
            <dt>On call</dt>
            <dd>
              {data.onCall ? (
                <a href={data.onCall} rel="noreferrer" target="_blank">
                  On-call schedule
                </a>
              ) : (
                <span className="muted">Not declared (annotation atrium.io/on-call)</span>
              )}
            </dd>
            <dt>Escalation</dt>
            <dd>
              {data.escalation ? (
                <>
                  <code>{data.escalation.channel}</code>
                  {data.escalation.from === 'config' && <span className="muted"> (default)</span>}
                </>
              ) : (
                <span className="muted">None</span>
              )}
            </dd>
          </dl>
          {data.links.length > 0 ? (
            <ul>
              {data.links.map((link) => (
                <li key={link.url}>
                  <a href={link.url} rel="noreferrer" target="_blank">
                    {link.title}
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No links (metadata.links).</p>
          )}
          {data.problems.map((problem) => (
            <p key={problem} className="muted">
              {problem}
            </p>
          ))}
        </>
      )}
    </section>
  );
}

export default definePlugin({
  id: 'links-oncall',
  entityCards: [
    { id: 'links-oncall', kinds: ['component', 'system'], order: 20, component: LinksOnCallCard },
  ],
});
