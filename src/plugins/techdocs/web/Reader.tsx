import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { ErrorState, Loading } from '../../catalog/web/shared.tsx';
import type { DocsTriplet, NavItem, PageMetadata, SiteMetadata } from '../common/index.ts';
import { getBuild, getPageHtml, getSiteMetadata, rebuild, staticUrl, tripletPath } from './api.ts';
import { BuildPanel, StatusBadge, SyncLog } from './BuildPanel.tsx';
import { htmlToReact, type LinkTargets } from './safe-html.tsx';
import { useDocsSync } from './use-docs-sync.ts';
import './docs.css';

export interface ReaderProps {
  triplet: DocsTriplet;
  /** Current page ('' is the home page). */
  path: string;
  /** Current anchor, without '#'. */
  hash: string;
  /** Router location of a page of this site. */
  pageHref(path: string, hash?: string): string;
  /** Puts an anchor of the current page in the URL. */
  setHash(id: string): void;
  /** Inside the entity page's Docs tab. */
  embedded?: boolean;
}

function isSafeExternal(url: string): boolean {
  try {
    return ['http:', 'https:', 'mailto:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function containsPath(item: NavItem, path: string): boolean {
  return item.path === path || (item.children ?? []).some((c) => containsPath(c, path));
}

function NavTree({
  items,
  current,
  pageHref,
}: {
  items: NavItem[];
  current: string;
  pageHref: ReaderProps['pageHref'];
}) {
  return (
    <ul>
      {items.map((item, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: nav entries may repeat titles
        <li key={i}>
          {item.children ? (
            <>
              <span
                className={`docs-nav-section${containsPath(item, current) ? ' docs-nav-open' : ''}`}
              >
                {item.path !== undefined ? (
                  <Link
                    to={pageHref(item.path)}
                    aria-current={item.path === current ? 'page' : undefined}
                  >
                    {item.title}
                  </Link>
                ) : (
                  item.title
                )}
              </span>
              <NavTree items={item.children} current={current} pageHref={pageHref} />
            </>
          ) : item.path !== undefined ? (
            <Link
              to={pageHref(item.path)}
              aria-current={item.path === current ? 'page' : undefined}
            >
              {item.title}
            </Link>
          ) : item.url && isSafeExternal(item.url) ? (
            <a href={item.url} target="_blank" rel="noopener noreferrer">
              {item.title} ↗
            </a>
          ) : (
            <span>{item.title}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** "Last built from <commit or source hash> at <time>". */
function BuiltLine({ metadata }: { metadata: SiteMetadata }) {
  const from = metadata.source_commit
    ? `commit ${metadata.source_commit.slice(0, 10)}`
    : metadata.source_hash
      ? `source ${metadata.source_hash.slice(0, 10)}`
      : 'an external build';
  const at = new Date(metadata.build_timestamp);
  return (
    <p className="docs-built muted" data-testid="docs-built">
      Last built from <code>{from}</code> at{' '}
      <time dateTime={at.toISOString()}>{at.toLocaleString()}</time>
    </p>
  );
}

function PageView({
  triplet,
  metadata,
  page,
  props,
}: {
  triplet: DocsTriplet;
  metadata: SiteMetadata;
  page: PageMetadata | undefined;
  props: ReaderProps;
}) {
  const { path, hash, pageHref, setHash } = props;
  const html = useQuery({
    queryKey: ['techdocs-page', tripletPath(triplet), path, metadata.build_timestamp],
    queryFn: ({ signal }) => getPageHtml(triplet, path, signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const article = useRef<HTMLElement>(null);

  const scrollTo = useCallback((id: string) => {
    const target = article.current?.querySelector(`[id="${CSS.escape(id)}"]`);
    if (target) {
      target.scrollIntoView({ block: 'start' });
      if (target instanceof HTMLElement) target.focus({ preventScroll: true });
    }
    return Boolean(target);
  }, []);

  const targets = useMemo<LinkTargets>(
    () => ({
      pagePath: path,
      pageHref: (p, h) => pageHref(p, h),
      fileUrl: (file) => staticUrl(triplet, file),
      onAnchor: (id) => {
        scrollTo(id);
        setHash(id);
      },
    }),
    [path, pageHref, triplet, scrollTo, setHash],
  );
  const content = useMemo(
    () => (html.data === undefined ? undefined : htmlToReact(html.data, targets)),
    [html.data, targets],
  );

  // On a new page: its anchor if the URL has one, else the top.
  useEffect(() => {
    if (content === undefined) return;
    if (!hash || !scrollTo(hash)) {
      if (!hash) window.scrollTo({ top: 0 });
    }
  }, [content, hash, scrollTo]);

  if (html.isPending) return <Loading what="the page" />;
  if (html.isError) {
    const missing = (html.error as { status?: number }).status === 404;
    return missing ? (
      <div className="state" role="alert">
        <p>
          There is no page <code>{path || '/'}</code> in these docs.
        </p>
        <Link to={pageHref('')}>Go to the docs home page</Link>
      </div>
    ) : (
      <ErrorState error={html.error} retry={() => html.refetch()} />
    );
  }
  return (
    <div className="docs-layout">
      <nav className="docs-nav" aria-label="Docs pages">
        <div className="docs-nav-title">{metadata.site_name}</div>
        {metadata.nav?.length ? (
          <NavTree items={metadata.nav} current={path} pageHref={pageHref} />
        ) : (
          <NavTree
            items={(metadata.pages ?? []).map((p) => ({ title: p.title, path: p.path }))}
            current={path}
            pageHref={pageHref}
          />
        )}
      </nav>
      <article className="docs-content" ref={article} data-testid="docs-content">
        {content}
        {(page?.prev || page?.next) && (
          <nav className="docs-pager" aria-label="Previous and next page">
            {page.prev ? (
              <Link to={pageHref(page.prev.path)} rel="prev" className="docs-prev">
                <span className="muted">Previous</span>
                <span>← {page.prev.title}</span>
              </Link>
            ) : (
              <span />
            )}
            {page.next && (
              <Link to={pageHref(page.next.path)} rel="next" className="docs-next">
                <span className="muted">Next</span>
                <span>{page.next.title} →</span>
              </Link>
            )}
          </nav>
        )}
      </article>
      <nav className="docs-toc" aria-label="On this page">
        {page && page.toc.length > 0 && (
          <>
            <div className="docs-toc-title">On this page</div>
            <ul>
              {page.toc.map((entry) => (
                <li key={entry.id} className={`docs-toc-level-${entry.level}`}>
                  <a
                    href={`#${encodeURIComponent(entry.id)}`}
                    aria-current={entry.id === hash ? 'location' : undefined}
                    onClick={(event) => {
                      if (event.button !== 0 || event.metaKey || event.ctrlKey) return;
                      event.preventDefault();
                      targets.onAnchor(entry.id);
                    }}
                  >
                    {entry.text}
                  </a>
                </li>
              ))}
            </ul>
          </>
        )}
      </nav>
    </div>
  );
}

/**
 * The docs reader: brings the site up to date (showing the build log while it builds), then
 * shows navigation, the page, its table of contents and previous/next links.
 */
export function Reader(props: ReaderProps) {
  const { triplet, path, embedded } = props;
  const key = tripletPath(triplet);
  const queryClient = useQueryClient();
  const [attempt, setAttempt] = useState(0);
  const [showBuild, setShowBuild] = useState(false);
  const sync = useDocsSync(triplet, attempt);
  const metadata = useQuery({
    queryKey: ['techdocs-metadata', key],
    queryFn: ({ signal }) => getSiteMetadata(triplet, signal),
  });
  const page = metadata.data?.pages?.find((p) => p.path === path);
  // Shared with the build panel: the last build's status, and whether this server builds.
  const build = useQuery({
    queryKey: ['techdocs-build', key],
    queryFn: ({ signal }) => getBuild(triplet, signal),
  });

  // A sync that built something, or the first build finishing, means new metadata.
  const syncDone = sync.phase === 'done' ? sync.updated : undefined;
  const syncFailed = sync.phase === 'error';
  useEffect(() => {
    if (syncDone === undefined && !syncFailed) return;
    // Whatever the sync did, the last build's status may have changed.
    void queryClient.invalidateQueries({ queryKey: ['techdocs-build', key] });
    if (syncDone || metadata.data === null) {
      void queryClient.invalidateQueries({ queryKey: ['techdocs-metadata', key] });
    }
  }, [syncDone, syncFailed, key, queryClient, metadata.data]);

  const forced = useMutation({
    mutationFn: () => rebuild(triplet),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['techdocs-metadata', key] });
      void queryClient.invalidateQueries({ queryKey: ['techdocs-build', key] });
      setShowBuild(true);
    },
  });

  const header = metadata.data ? (
    <div className="docs-header">
      <div>
        {metadata.data.site_description && (
          <p className="docs-description">{metadata.data.site_description}</p>
        )}
        <BuiltLine metadata={metadata.data} />
      </div>
      <div className="docs-actions">
        {sync.phase === 'running' && (
          <span className="docs-syncing" role="status">
            Checking for updates…
          </span>
        )}
        {sync.phase === 'done' && sync.updated && (
          <span className="docs-syncing" role="status">
            Updated to the latest source
          </span>
        )}
        {build.data && (
          <StatusBadge status={build.data.status} building={build.data.building} published />
        )}
        <button
          type="button"
          aria-expanded={showBuild}
          onClick={() => setShowBuild((v) => !v)}
          data-testid="docs-build-toggle"
        >
          {showBuild ? 'Hide build log' : 'Build log'}
        </button>
        {build.data?.builder === 'local' && (
          <button type="button" disabled={forced.isPending} onClick={() => forced.mutate()}>
            {forced.isPending ? 'Rebuilding…' : 'Rebuild'}
          </button>
        )}
      </div>
    </div>
  ) : null;

  let body: ReactNode;
  if (metadata.isError) {
    body = <ErrorState error={metadata.error} retry={() => metadata.refetch()} />;
  } else if (metadata.isPending) {
    body = <Loading what="the docs" />;
  } else if (metadata.data === null) {
    // Nothing published yet: the sync is the first build; its log is the page for now.
    body =
      sync.phase === 'error' ? (
        <div className="state state-error" role="alert">
          <strong>The docs could not be built.</strong>
          <p>{sync.message}</p>
          {sync.lines.length > 0 && <SyncLog lines={sync.lines} />}
          {sync.status === undefined && (
            <button type="button" onClick={() => setAttempt((n) => n + 1)}>
              Try again
            </button>
          )}
        </div>
      ) : sync.phase === 'done' && sync.updated ? (
        <Loading what="the docs" />
      ) : sync.phase === 'done' ? (
        // The server built nothing and nothing is published: an external builder's docs that
        // CI has not published yet.
        <div className="state" role="status" data-testid="docs-unpublished">
          <strong>No docs are published for this entity yet.</strong>
          <p>
            This server does not build them itself; they appear once your CI publishes the site.
          </p>
          {sync.lines.length > 0 && <SyncLog lines={sync.lines} />}
        </div>
      ) : (
        <div className="state docs-first-build" role="status" aria-busy="true">
          <strong>Building the docs for the first time…</strong>
          <SyncLog lines={sync.lines} live />
        </div>
      );
  } else {
    body = (
      <>
        {sync.phase === 'error' && (
          <div className="state state-error docs-sync-error" role="alert">
            <strong>The docs could not be updated; showing the last published version.</strong>
            <p>{sync.message}</p>
          </div>
        )}
        {sync.phase === 'running' && sync.lines.length > 1 && (
          <details className="docs-progress" open>
            <summary>Building the latest version…</summary>
            <SyncLog lines={sync.lines} live />
          </details>
        )}
        <PageView triplet={triplet} metadata={metadata.data} page={page} props={props} />
      </>
    );
  }

  return (
    <div className={`docs-reader${embedded ? ' docs-embedded' : ''}`}>
      {header}
      {showBuild && <BuildPanel triplet={triplet} />}
      {forced.isError && <ErrorState error={forced.error} />}
      {body}
    </div>
  );
}
