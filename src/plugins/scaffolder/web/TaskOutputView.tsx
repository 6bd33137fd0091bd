import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { useExtensions } from '../../../web/plugin-api.ts';
import type { OutputLink, OutputText, TaskOutput } from '../common/index.ts';
import { entityRefPath, type LinkTarget, linkTarget } from './links.ts';
import { MarkdownText } from './MarkdownText.tsx';

/** First path segments of the portal's pages (`catalog`, `create`, `` for home). */
function usePortalSections(): string[] {
  const { routes } = useExtensions();
  return ['', ...new Set(routes.map((r) => r.path.split('/')[1] ?? ''))];
}

function OutputLinkItem({ link, sections }: { link: OutputLink; sections: string[] }) {
  const title = link.title || link.entityRef || link.url || 'Link';
  if (link.entityRef) {
    const path = entityRefPath(link.entityRef);
    return path ? <Link to={path}>{title}</Link> : <span>{title}</span>;
  }
  const target = linkTarget(link.url, sections);
  if (!target) {
    // A local repository path or a non-web scheme: shown so that it can be copied.
    return (
      <span title="Not a web address, so not a link">
        {title}
        {link.url && link.url !== title ? (
          <>
            : <code>{link.url}</code>
          </>
        ) : null}
      </span>
    );
  }
  return <TargetLink target={target}>{title}</TargetLink>;
}

function TargetLink({ target, children }: { target: LinkTarget; children: ReactNode }) {
  if ('internal' in target) return <Link to={target.internal}>{children}</Link>;
  return (
    <a href={target.external} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

/** Any other output value: a web address (e.g. a repository's URL) is a link, the rest text. */
function outputValue(value: unknown, sections: string[]): ReactNode {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  const target = linkTarget(value, sections);
  return target ? <TargetLink target={target}>{value}</TargetLink> : value;
}

const isLink = (v: unknown): v is OutputLink => typeof v === 'object' && v !== null;
const isText = (v: unknown): v is OutputText => typeof v === 'object' && v !== null;

/** A template's output: its links, its text blocks (shown as text) and any other values. */
export function TaskOutputView({ output }: { output: TaskOutput | undefined }) {
  const sections = usePortalSections();
  if (!output) return null;
  const links = Array.isArray(output.links) ? output.links.filter(isLink) : [];
  const texts = Array.isArray(output.text) ? output.text.filter(isText) : [];
  const others = Object.entries(output).filter(
    ([key, value]) => key !== 'links' && key !== 'text' && value !== undefined && value !== null,
  );
  if (!links.length && !texts.length && !others.length) return null;
  return (
    <section className="card task-output" aria-labelledby="task-output-title">
      <h2 id="task-output-title">Output</h2>
      {links.length > 0 && (
        <ul className="output-links" data-testid="output-links">
          {links.map((link, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: links have no identity
            <li key={i}>
              <OutputLinkItem link={link} sections={sections} />
            </li>
          ))}
        </ul>
      )}
      {texts.map((text, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: text blocks have no identity
        <div key={i} className="output-text">
          {text.title && <h3>{text.title}</h3>}
          {typeof text.content === 'string' && (
            <MarkdownText text={text.content} sections={sections} />
          )}
        </div>
      ))}
      {others.length > 0 && (
        <dl className="props">
          {others.map(([key, value]) => (
            <div key={key} className="contents">
              <dt>{key}</dt>
              <dd className="pre">{outputValue(value, sections)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
