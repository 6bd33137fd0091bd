import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { Problem } from '../../../model/entity.ts';
import { ApiError, usePageTitle } from '../../../web/plugin-api.ts';
import {
  type AnalyzeResult,
  addLocation,
  analyzeLocation,
  getLocationsStatus,
  validateEntity,
} from './api.ts';
import { ProblemTable } from './entity-content.tsx';
import { entityPath, formatTime, QueryView } from './shared.tsx';

function Locations() {
  const status = useQuery({
    queryKey: ['locations-status'],
    queryFn: ({ signal }) => getLocationsStatus(signal),
  });
  return (
    <QueryView query={status} what="locations">
      {({ items }) =>
        items.length === 0 ? (
          <div className="state">
            No locations yet: add one to <code>catalog.locations</code> in{' '}
            <code>app-config.yaml</code>, or register one below.
          </div>
        ) : (
          items.map((l) => {
            const errors = l.problems.filter((p) => p.level === 'error').length;
            return (
              <section key={l.id} className="card" aria-label={`Location ${l.target}`}>
                <h2>
                  <code>
                    {l.type}:{l.target}
                  </code>
                </h2>
                <p className="muted">
                  Last read {formatTime(l.lastReadAt)} · {l.entityCount}{' '}
                  {l.entityCount === 1 ? 'entity' : 'entities'} · {l.origin} ·{' '}
                  <span className={errors ? 'level-error' : ''}>
                    {l.problems.length === 0
                      ? 'no problems'
                      : `${l.problems.length} ${l.problems.length === 1 ? 'problem' : 'problems'}`}
                  </span>
                </p>
                {l.problems.length > 0 && <ProblemTable problems={l.problems} />}
              </section>
            );
          })
        )
      }
    </QueryView>
  );
}

interface DocResult {
  index: number;
  name?: string;
  problems: Array<Pick<Problem, 'level' | 'message' | 'path' | 'line' | 'file'>>;
}

function ValidateBox() {
  const [text, setText] = useState('');
  const [results, setResults] = useState<DocResult[]>();
  const [busy, setBusy] = useState(false);
  const validate = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { LineCounter, parseAllDocuments } = await import('yaml');
      const lineCounter = new LineCounter();
      const docs = parseAllDocuments(text, { lineCounter });
      const list = Array.isArray(docs) ? docs : [docs];
      const out: DocResult[] = [];
      for (const [index, doc] of list.entries()) {
        const problems: DocResult['problems'] = doc.errors.map((e) => ({
          level: 'error',
          message: e.message.split('\n')[0] ?? e.message,
          line: e.linePos?.[0]?.line,
          file: 'pasted.yaml',
        }));
        const value = problems.length ? undefined : doc.toJS();
        if (value === null || value === undefined) {
          if (problems.length) out.push({ index, problems });
          continue;
        }
        const line = doc.contents?.range
          ? lineCounter.linePos(doc.contents.range[0]).line
          : undefined;
        try {
          await validateEntity(value);
        } catch (error) {
          const body =
            error instanceof ApiError
              ? (error.body as { errors?: Array<{ message: string; field?: string }> })
              : undefined;
          for (const e of body?.errors ?? [{ message: (error as Error).message }]) {
            problems.push({
              level: 'error',
              message: e.message,
              path: e.field,
              line,
              file: 'pasted.yaml',
            });
          }
        }
        out.push({ index, name: value?.metadata?.name, problems });
      }
      setResults(out);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="validate-title">
      <h2 id="validate-title">Validate a catalog file</h2>
      <form onSubmit={validate}>
        <label htmlFor="validate-yaml">Paste catalog-info.yaml (nothing is registered)</label>
        <textarea id="validate-yaml" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          Validate
        </button>
      </form>
      {results && (
        <div data-testid="validate-results" aria-live="polite">
          {results.length === 0 && <p>No documents found.</p>}
          {results.map((r) => (
            <div key={r.index}>
              <h3>
                Document {r.index + 1}
                {r.name ? `: ${r.name}` : ''} —{' '}
                {r.problems.length === 0 ? 'valid' : `${r.problems.length} problem(s)`}
              </h3>
              {r.problems.length > 0 && <ProblemTable problems={r.problems} />}
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

function RegisterBox() {
  const [target, setTarget] = useState('');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const location = {
    type: /^https?:\/\//i.test(target.trim()) ? 'url' : 'file',
    target: target.trim(),
  };
  const analyze = useMutation<AnalyzeResult>({ mutationFn: () => analyzeLocation(location) });
  const register = useMutation({
    mutationFn: () => addLocation(location),
    onSuccess: () => {
      queryClient.invalidateQueries();
      const first = analyze.data?.existingEntityFiles[0]?.entity;
      navigate(first ? entityPath(first) : '/catalog');
    },
  });
  const existing = analyze.data?.existingEntityFiles ?? [];
  return (
    <section className="card" aria-labelledby="register-title">
      <h2 id="register-title">Register existing component</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          register.reset();
          analyze.mutate();
        }}
      >
        <label htmlFor="register-target">URL or path of a catalog-info.yaml</label>
        <div className="search">
          <input
            id="register-target"
            value={target}
            onChange={(e) => {
              setTarget(e.target.value);
              analyze.reset();
            }}
            placeholder="https://github.com/org/repo/blob/main/catalog-info.yaml"
          />
          <button type="submit" disabled={!target.trim() || analyze.isPending}>
            Analyze
          </button>
        </div>
      </form>
      {analyze.isPending && <p role="status">Analyzing…</p>}
      {analyze.isError && (
        <p role="alert" className="level-error">
          {analyze.error.message}
        </p>
      )}
      {analyze.data && (
        <div data-testid="analyze-result">
          {existing.length > 0 ? (
            <>
              <p>Registering will import these entities:</p>
              <ul className="plain">
                {existing.map(({ entity, isRegistered }) => (
                  <li key={`${entity.kind}:${entity.metadata.namespace}/${entity.metadata.name}`}>
                    {entity.kind} <strong>{entity.metadata.name}</strong>
                    {isRegistered ? ' (already in the catalog)' : ''}
                  </li>
                ))}
              </ul>
              <button
                type="button"
                className="primary"
                disabled={register.isPending}
                onClick={() => register.mutate()}
              >
                Confirm and register
              </button>
            </>
          ) : (
            <p>
              No catalog file was found there. Add a <code>catalog-info.yaml</code> to the
              repository first (Atrium would propose a Component named{' '}
              <code>{analyze.data.generateEntities[0]?.entity.metadata?.name ?? '…'}</code>).
            </p>
          )}
          {register.isError && (
            <p role="alert" className="level-error">
              {register.error.message}
            </p>
          )}
        </div>
      )}
    </section>
  );
}

export function HealthPage() {
  usePageTitle('Catalog health');
  return (
    <div className="page">
      <h1>Catalog health</h1>
      <p className="muted">
        Every location the catalog reads, when it was last read and what is wrong with it. Each
        entity's own problems are also on its <Link to="/catalog">entity page</Link>.
      </p>
      <div className="card-grid">
        <ValidateBox />
        <RegisterBox />
      </div>
      <h2>Locations</h2>
      <Locations />
    </div>
  );
}
