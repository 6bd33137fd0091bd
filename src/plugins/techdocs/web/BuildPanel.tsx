import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { QueryView } from '../../catalog/web/shared.tsx';
import type { BuildLogLine, BuildStatus } from '../common/api-types.ts';
import type { DocsTriplet } from '../common/index.ts';
import { getBuild, tripletPath } from './api.ts';

const STATUS_TEXT: Record<BuildStatus, string> = {
  ok: 'Built',
  warnings: 'Built with warnings',
  failed: 'Build failed',
  never: 'Not built yet',
};

export function StatusBadge({
  status,
  building,
  published,
}: {
  status: BuildStatus;
  building?: boolean;
  /** A site exists; with no build recorded here it was published from elsewhere (CI). */
  published?: boolean;
}) {
  const text = building
    ? 'Building…'
    : status === 'never' && published
      ? 'Published'
      : STATUS_TEXT[status];
  return (
    <span className={`badge docs-status docs-status-${building ? 'building' : status}`}>
      {text}
    </span>
  );
}

/** Log lines of a build; `live` keeps the newest line in view while lines arrive. */
export function SyncLog({ lines, live }: { lines: BuildLogLine[]; live?: boolean }) {
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (live && box.current && lines.length) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.length, live]);
  return (
    <pre
      className="docs-log"
      ref={box}
      data-testid="docs-log"
      aria-live={live ? 'polite' : undefined}
    >
      {lines.length === 0
        ? 'Waiting for the server…'
        : lines.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: log lines are positional
            <div key={i} className={`docs-log-${line.level}`}>
              {line.level === 'info' ? '' : `${line.level}: `}
              {line.message}
            </div>
          ))}
    </pre>
  );
}

/** The last build of an entity's docs: status, problems and the whole log. */
export function BuildPanel({ triplet }: { triplet: DocsTriplet }) {
  const build = useQuery({
    queryKey: ['techdocs-build', tripletPath(triplet)],
    queryFn: ({ signal }) => getBuild(triplet, signal),
  });
  return (
    <section className="card docs-build-panel" aria-labelledby="docs-build-title">
      <h2 id="docs-build-title">Last build</h2>
      <QueryView query={build} what="the build status">
        {(b) => (
          <>
            <p>
              <StatusBadge status={b.status} building={b.building} />{' '}
              {b.finishedAt && (
                <span className="muted">
                  finished {new Date(b.finishedAt).toLocaleString()}
                  {b.durationMs !== undefined && ` in ${(b.durationMs / 1000).toFixed(1)} s`}
                </span>
              )}
              {b.builder === 'external' && (
                <span className="muted">
                  {' '}
                  · this server does not build docs (techdocs.builder: external)
                </span>
              )}
            </p>
            {b.error && <p className="level-error">{b.error}</p>}
            {b.problems.length > 0 && (
              <>
                <h3>Problems</h3>
                <ul className="plain docs-problems" data-testid="docs-problems">
                  {b.problems.map((p, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: problems are positional
                    <li key={i}>
                      <span className={`level-${p.level}`}>{p.level}</span>{' '}
                      {p.file && (
                        <code>
                          {p.file}
                          {p.line ? `:${p.line}` : ''}
                        </code>
                      )}{' '}
                      {p.message}
                    </li>
                  ))}
                </ul>
              </>
            )}
            {b.log.length > 0 && (
              <details>
                <summary>Build log ({b.log.length} lines)</summary>
                <SyncLog lines={b.log} />
              </details>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}
