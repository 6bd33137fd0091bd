import { Link } from 'react-router-dom';

/** What an entity without docs shows, with how to add them. */
export function NoDocs({ entityLink }: { entityLink?: string }) {
  return (
    <div className="state docs-none" data-testid="docs-none">
      <p>
        <strong>No docs for this entity yet.</strong>
      </p>
      <p>
        Put a <code>mkdocs.yml</code> and a <code>docs/</code> folder with an <code>index.md</code>{' '}
        beside its <code>catalog-info.yaml</code>, and add the annotation{' '}
        <code>backstage.io/techdocs-ref: dir:.</code> to the entity. Atrium builds the docs the
        first time someone opens them.
      </p>
      <p>
        {entityLink && (
          <>
            <Link to={entityLink}>Back to the entity</Link> ·{' '}
          </>
        )}
        <Link to="/docs">See every documented entity</Link>
      </p>
    </div>
  );
}
