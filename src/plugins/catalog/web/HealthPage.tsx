import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { LayoutList, User } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { Problem } from '../../../model/entity.ts';
import {
  ApiError,
  ScrollArea,
  useIdentity,
  usePageTitle,
  useQueryParams,
} from '../../../web/plugin-api.ts';
import { ANNOTATION_MANAGED_BY_ORIGIN_LOCATION } from '../../../model/entity.ts';
import {
  type AnalyzeResult,
  addLocation,
  analyzeLocation,
  type DryRunResult,
  dryRunLocation,
  entityFacets,
  getLocationsStatus,
  type ValidateFileResult,
  validateFile,
} from './api.ts';
import { displayLocationRef, locationDirectory } from './about.ts';
import { ProblemTable } from './entity-content.tsx';
import { ownedByFilter } from './my-team.ts';
import { ProvidersSection } from './ProvidersSection.tsx';
import { entityPath, formatTime, QueryView } from './shared.tsx';
// The scope switch is the explorer's "Owned by me / All", drawn the same way.
import './explorer.css';
import './health.css';

/** The page's `show` parameter: every location, or those that hold what the user owns. */
type Scope = 'all' | 'mine';

const SCOPES = [
  { value: 'mine', label: 'Mine', icon: User },
  { value: 'all', label: 'All', icon: LayoutList },
] as const;

function ScopeSwitch({ value, onChange }: { value: Scope; onChange(value: Scope): void }) {
  return (
    <fieldset className="explorer-scope">
      <legend className="visually-hidden">Show locations</legend>
      {SCOPES.map(({ value: v, label, icon: Icon }) => (
        <label key={v} className={v === value ? 'active' : undefined}>
          <input
            type="radio"
            name="health-show"
            value={v}
            checked={v === value}
            onChange={() => onChange(v)}
          />
          <Icon size={15} aria-hidden />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

/**
 * How many entities owned by the user or one of their groups each location holds, by its
 * `type:target` (the origin-location annotation every entity carries): one facet request.
 */
function useOwnedPerLocation(enabled: boolean) {
  const { ownershipEntityRefs } = useIdentity();
  const filter = ownedByFilter(ownershipEntityRefs);
  const facet = `metadata.annotations.${ANNOTATION_MANAGED_BY_ORIGIN_LOCATION}`;
  return useQuery({
    queryKey: ['owned-per-location', filter],
    queryFn: async ({ signal }) => {
      const counts = filter ? await entityFacets(facet, filter, signal) : [];
      return new Map(counts.map((c) => [c.value, c.count]));
    },
    enabled,
  });
}

function Locations({ scope }: { scope: Scope }) {
  const status = useQuery({
    queryKey: ['locations-status'],
    queryFn: ({ signal }) => getLocationsStatus(signal),
  });
  const owned = useOwnedPerLocation(scope === 'mine');
  if (scope === 'mine' && !owned.data) {
    return (
      <QueryView query={owned} what="what you own">
        {() => null}
      </QueryView>
    );
  }
  return (
    <QueryView query={status} what="locations">
      {({ items: all }) => {
        // A provider lists thousands of locations; those without problems are its status's business.
        const shown = all.filter((l) => l.origin !== 'provider' || l.problems.length > 0);
        const quiet = all.length - shown.length;
        const yours = (l: { type: string; target: string }) =>
          owned.data?.get(`${l.type}:${l.target}`) ?? 0;
        const items = scope === 'mine' ? shown.filter((l) => yours(l) > 0) : shown;
        if (scope === 'mine' && items.length === 0) {
          return (
            <div className="state" data-testid="location-list-empty">
              No location holds an entity owned by you or one of your groups.
            </div>
          );
        }
        return all.length === 0 ? (
          <div className="state">
            No locations yet: add one to <code>catalog.locations</code> in{' '}
            <code>app-config.yaml</code>, or register one below.
          </div>
        ) : (
          <div className="location-list" data-testid="location-list">
            {items.map((l) => {
              const errors = l.problems.filter((p) => p.level === 'error').length;
              // A `file:` location is the server's own path: its problems' files are shown
              // from its folder, and it from the folder above, so that two catalog-info.yaml
              // read apart by the folder that holds them.
              const base = locationDirectory(`${l.type}:${l.target}`);
              const displayed = displayLocationRef(l.type, l.target);
              return (
                <section
                  key={l.id}
                  className="card location-card"
                  aria-label={`Location ${displayed}`}
                >
                  <h2>
                    <code>{displayed}</code>
                  </h2>
                  <p className="muted">
                    Last read {formatTime(l.lastReadAt)} · {l.entityCount}{' '}
                    {l.entityCount === 1 ? 'entity' : 'entities'}
                    {scope === 'mine' && <span data-testid="owned-count"> ({yours(l)} yours)</span>}{' '}
                    · {l.providerId ? `provider ${l.providerId}` : l.origin} ·{' '}
                    <span className={errors ? 'level-error' : ''}>
                      {l.problems.length === 0
                        ? 'no problems'
                        : `${l.problems.length} ${l.problems.length === 1 ? 'problem' : 'problems'}`}
                    </span>
                  </p>
                  {l.problems.length > 0 && (
                    <ScrollArea label={`Problems of ${displayed}`}>
                      <ProblemTable problems={l.problems} base={base} />
                    </ScrollArea>
                  )}
                </section>
              );
            })}
            {quiet > 0 && scope === 'all' && (
              <p className="muted" data-testid="quiet-provider-locations">
                {quiet} {quiet === 1 ? 'location' : 'locations'} of discovery providers without
                problems {quiet === 1 ? 'is' : 'are'} not listed here; their providers above show
                them.
              </p>
            )}
          </div>
        );
      }}
    </QueryView>
  );
}

/** `file:line: field: message`, the form an editor or a CI log understands. */
function problemLine(p: Pick<Problem, 'file' | 'line' | 'path' | 'message'>): string {
  const where = `${p.file ?? ''}${p.line ? `:${p.line}` : ''}`;
  return [where, p.path, p.message].filter(Boolean).join(': ');
}

/** The server's own message of a failed request (without the request prefix). */
function serverMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const body = error.body as { error?: { message?: string } } | undefined;
    if (body?.error?.message) return body.error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function ValidateResults({ result }: { result: ValidateFileResult }) {
  const errors = result.problems.filter((p) => p.level === 'error').length;
  const warnings = result.problems.length - errors;
  return (
    <div data-testid="validate-results" aria-live="polite">
      <p className={result.valid ? '' : 'level-error'}>
        {result.valid ? 'Valid' : 'Not valid'}: {result.entities.length}{' '}
        {result.entities.length === 1 ? 'entity' : 'entities'} would be ingested
        {errors ? `, ${errors} ${errors === 1 ? 'error' : 'errors'}` : ''}
        {warnings ? `, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}` : ''}.
      </p>
      {result.problems.length > 0 && (
        <ul className="plain" data-testid="validate-problems">
          {result.problems.map((p, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
            <li key={i}>
              <span className={`level-${p.level}`}>{p.level}</span> <code>{problemLine(p)}</code>
            </li>
          ))}
        </ul>
      )}
      {result.entities.length > 0 && (
        <>
          <h3>Valid entities</h3>
          <ul className="plain" data-testid="validate-entities">
            {result.entities.map((ref) => (
              <li key={ref}>
                <code>{ref}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function ValidateBox() {
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const validate = useMutation<ValidateFileResult>({
    mutationFn: () => validateFile(text, 'pasted.yaml'),
  });
  const dryRun = useMutation<DryRunResult>({
    mutationFn: () => dryRunLocation({ type: 'url', target: url.trim() }),
  });
  return (
    <section className="card" aria-labelledby="validate-title">
      <h2 id="validate-title">Validate a catalog file</h2>
      <p className="muted">
        Checked by the server exactly as ingestion would check it; nothing is registered.
      </p>
      <form
        className="health-form"
        onSubmit={(e) => {
          e.preventDefault();
          validate.mutate();
        }}
      >
        <label htmlFor="validate-yaml">Paste catalog-info.yaml (nothing is registered)</label>
        <textarea
          id="validate-yaml"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            validate.reset();
          }}
        />
        <button type="submit" className="primary" disabled={validate.isPending || !text.trim()}>
          Validate
        </button>
      </form>
      {validate.isPending && <p role="status">Validating…</p>}
      {validate.isError && (
        <p role="alert" className="level-error">
          {validate.error.message}
        </p>
      )}
      {validate.data && <ValidateResults result={validate.data} />}
      <form
        className="health-form"
        onSubmit={(e) => {
          e.preventDefault();
          dryRun.mutate();
        }}
      >
        <label htmlFor="validate-url">…or the URL of a catalog file</label>
        <div className="search">
          <input
            id="validate-url"
            type="url"
            value={url}
            onChange={(e) => {
              setUrl(e.target.value);
              dryRun.reset();
            }}
            placeholder="https://github.com/org/repo/blob/main/catalog-info.yaml"
          />
          <button type="submit" disabled={dryRun.isPending || !url.trim()}>
            Validate URL
          </button>
        </div>
      </form>
      {dryRun.isPending && <p role="status">Reading {url.trim()}…</p>}
      {dryRun.isError && (
        <p role="alert" className="level-error" data-testid="validate-url-error">
          {serverMessage(dryRun.error)}
        </p>
      )}
      {dryRun.data && (
        <div data-testid="validate-url-results" aria-live="polite">
          {dryRun.data.entities.length === 0 ? (
            <p>No entities found there.</p>
          ) : (
            <>
              <p>
                Valid: registering it would import {dryRun.data.entities.length}{' '}
                {dryRun.data.entities.length === 1 ? 'entity' : 'entities'}
                {dryRun.data.exists ? ' (the location is already registered)' : ''}:
              </p>
              <ul className="plain">
                {dryRun.data.entities.map((e) => (
                  <li key={`${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`}>
                    {e.kind} <strong>{e.metadata.name}</strong>
                  </li>
                ))}
              </ul>
            </>
          )}
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
        className="health-form"
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
  const [params, updateParams] = useQueryParams();
  const scope: Scope = params.get('show') === 'mine' ? 'mine' : 'all';
  return (
    <div className="page">
      <h1>Catalog health</h1>
      <p className="muted">
        Every location the catalog reads, when it was last read and what is wrong with it, and the
        discovery providers that list them. Each entity's own problems are also on its{' '}
        <Link to="/catalog">entity page</Link>.
      </p>
      <div className="health-tools">
        <ValidateBox />
        <RegisterBox />
      </div>
      <ProvidersSection />
      <div className="health-locations-head">
        <h2>Locations</h2>
        <ScopeSwitch
          value={scope}
          onChange={(v) => updateParams({ show: v === 'mine' ? 'mine' : undefined })}
        />
      </div>
      <Locations scope={scope} />
    </div>
  );
}
