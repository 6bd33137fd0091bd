import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  confirmProviderRemoval,
  dismissProviderRemoval,
  getProviders,
  getWebhookCounters,
  type PendingRemoval,
  type ProviderScanSummary,
  type ProviderStatus,
  scanProvider,
} from './api.ts';
import { formatTime, QueryView } from './shared.tsx';
import { ScrollArea } from '../../../web/plugin-api.ts';

/** Sources of a held removal listed on the page; the count says how many there are. */
const LISTED_SOURCES = 20;

const STATE_TEXT: Record<ProviderStatus['state'], string> = {
  idle: 'idle',
  scanning: 'scanning',
  failed: 'last scan failed',
  'awaiting-confirmation': 'removal awaiting confirmation',
};

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function LastScan({ scan }: { scan: ProviderScanSummary | null }) {
  if (!scan) return <p className="muted">Not scanned yet.</p>;
  return (
    <dl className="provider-facts" data-testid="provider-last-scan">
      <div>
        <dt>Last scan</dt>
        <dd>
          {formatTime(scan.finishedAt)} ({scan.trigger}), took {duration(scan.durationMs)}
          {scan.complete ? '' : ' · incomplete: nothing removed'}
        </dd>
      </div>
      <div>
        <dt>Repositories seen</dt>
        <dd>
          {scan.repositoriesSeen} · {plural(scan.locations, 'catalog file')} listed
        </dd>
      </div>
      <div>
        <dt>Entities</dt>
        <dd>
          {scan.entitiesAdded} added · {scan.entitiesUpdated} updated · {scan.entitiesRemoved}{' '}
          removed
          {scan.entitiesOrphaned ? ` · ${scan.entitiesOrphaned} orphaned` : ''}
        </dd>
      </div>
      <div>
        <dt>Locations</dt>
        <dd>
          {scan.locationsCreated} created · {scan.locationsRead} read · {scan.locationsUnchanged}{' '}
          unchanged · {scan.locationsRemoved} removed
        </dd>
      </div>
      <div>
        <dt>Requests</dt>
        <dd>
          {scan.requests} ({scan.notModified} answered 304) · rate limit left{' '}
          {scan.rateLimitRemaining ?? 'unknown'}
          {scan.graphqlCost !== null ? ` · GraphQL cost ${scan.graphqlCost}` : ''}
        </dd>
      </div>
    </dl>
  );
}

function HeldRemoval({ provider, pending }: { provider: ProviderStatus; pending: PendingRemoval }) {
  const queryClient = useQueryClient();
  const done = () => queryClient.invalidateQueries();
  const confirm = useMutation({
    mutationFn: () => confirmProviderRemoval(provider.id),
    onSuccess: done,
  });
  const dismiss = useMutation({
    mutationFn: () => dismissProviderRemoval(provider.id),
    onSuccess: done,
  });
  const busy = confirm.isPending || dismiss.isPending;
  const more = pending.count - Math.min(pending.sources.length, LISTED_SOURCES);
  return (
    <section className="provider-removal" aria-label={`Removal held for ${provider.id}`}>
      <p>
        <strong>
          The last scan would remove {plural(pending.count, 'location')} of {pending.total} (
          {Math.round(pending.share * 100)}%)
        </strong>
        , more than the removal guard allows at once (<code>catalog.removalGuard</code>). Nothing
        was removed. Detected {formatTime(pending.detectedAt)}.
      </p>
      <ul className="plain provider-sources">
        {pending.sources.slice(0, LISTED_SOURCES).map((source) => (
          <li key={source}>
            <code>{source}</code>
          </li>
        ))}
        {more > 0 && <li className="muted">and {more} more</li>}
      </ul>
      <div className="provider-actions">
        <button type="button" className="danger" disabled={busy} onClick={() => confirm.mutate()}>
          Confirm removal
        </button>
        <button type="button" disabled={busy} onClick={() => dismiss.mutate()}>
          Dismiss
        </button>
      </div>
      {confirm.data && (
        <p role="status">
          Removed {plural(confirm.data.removed, 'location')} and{' '}
          {plural(confirm.data.entitiesRemoved, 'entity', 'entities')}
          {confirm.data.kept ? `; kept ${confirm.data.kept} seen again since the scan` : ''}.
        </p>
      )}
      {(confirm.isError || dismiss.isError) && (
        <p role="alert" className="level-error">
          {(confirm.error ?? dismiss.error)?.message}
        </p>
      )}
    </section>
  );
}

function ProviderErrors({ provider }: { provider: ProviderStatus }) {
  if (!provider.errors.length) return <p className="muted">No errors.</p>;
  return (
    <ScrollArea label={`Errors of ${provider.id}`}>
      <table className="provider-errors" aria-label={`Errors of ${provider.id}`}>
        <thead>
          <tr>
            <th>Repository</th>
            <th>File</th>
            <th>Line</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {provider.errors.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: errors have no identity
            <tr key={i}>
              <td>
                <code>{e.source}</code>
              </td>
              <td>{e.file ? <code>{e.file}</code> : ''}</td>
              <td>{e.line ?? ''}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {provider.errorCount > provider.errors.length && (
        <p className="muted">
          {provider.errorCount - provider.errors.length} more errors are not listed.
        </p>
      )}
    </ScrollArea>
  );
}

function ProviderCard({ provider }: { provider: ProviderStatus }) {
  const queryClient = useQueryClient();
  const scan = useMutation({
    mutationFn: () => scanProvider(provider.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['catalog-providers'] }),
  });
  return (
    <section
      className="card location-card provider-card"
      aria-label={`Provider ${provider.id}`}
      data-testid="provider-card"
    >
      <h3>
        {provider.title} <code>{provider.id}</code>
      </h3>
      <p className="muted">
        <span className={`provider-state state-${provider.state}`}>
          {STATE_TEXT[provider.state] ?? provider.state}
        </span>{' '}
        · {plural(provider.locations, 'location')} ·{' '}
        {provider.frequencyMs
          ? `scans every ${duration(provider.frequencyMs)}`
          : 'scans at start and on demand'}{' '}
        ·{' '}
        <button
          type="button"
          className="provider-scan"
          disabled={scan.isPending || provider.state === 'scanning'}
          onClick={() => scan.mutate()}
        >
          Scan now
        </button>
      </p>
      {scan.isError && (
        <p role="alert" className="level-error">
          {scan.error.message}
        </p>
      )}
      <LastScan scan={provider.lastScan} />
      {provider.lastScan?.error && (
        <p className="level-error">The last scan failed: {provider.lastScan.error}</p>
      )}
      {provider.pendingRemoval && (
        <HeldRemoval provider={provider} pending={provider.pendingRemoval} />
      )}
      {provider.lastWebhook && (
        <p className="muted" data-testid="provider-last-webhook">
          Last webhook: {provider.lastWebhook.type} at {formatTime(provider.lastWebhook.at)} ·{' '}
          {provider.lastWebhook.upserted} upserted · {provider.lastWebhook.refreshed} refreshed ·{' '}
          {provider.lastWebhook.removed} removed
          {provider.lastWebhook.rescan ? ' · rescan asked' : ''}
          {provider.lastWebhook.error ? ` · error: ${provider.lastWebhook.error}` : ''}
        </p>
      )}
      <h4>Errors</h4>
      <ProviderErrors provider={provider} />
    </section>
  );
}

function WebhookCounters() {
  const counters = useQuery({
    queryKey: ['events-status'],
    queryFn: ({ signal }) => getWebhookCounters(signal),
    retry: false,
  });
  if (counters.isPending) return null;
  if (counters.isError)
    return (
      <p className="muted" data-testid="webhook-counters-unavailable">
        Webhook counters are not available: {counters.error.message}
      </p>
    );
  return (
    <ScrollArea label="Webhook deliveries">
      <table className="webhook-counters" aria-label="Webhook deliveries">
        <thead>
          <tr>
            <th>Source</th>
            <th>Accepted</th>
            <th>Rejected</th>
            <th>Last accepted</th>
            <th>Last rejected</th>
            <th>Last rejection</th>
          </tr>
        </thead>
        <tbody>
          {counters.data.sources.map((s) => (
            <tr key={s.source}>
              <td>
                {s.source}
                {s.configured === false ? ' (no secret configured)' : ''}
              </td>
              <td>{s.accepted}</td>
              <td>{s.rejected}</td>
              <td>{formatTime(s.lastAcceptedAt)}</td>
              <td>{formatTime(s.lastRejectedAt)}</td>
              <td>{s.lastRejectReason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollArea>
  );
}

/** The health page's "Discovery providers" section: each provider's scans, errors and held removal. */
export function ProvidersSection() {
  const providers = useQuery({
    queryKey: ['catalog-providers'],
    queryFn: ({ signal }) => getProviders(signal),
    // A scan or a webhook changes it behind the page's back.
    refetchInterval: 10_000,
  });
  return (
    <section aria-labelledby="providers-title" data-testid="providers-section">
      <h2 id="providers-title">Discovery providers</h2>
      <QueryView query={providers} what="discovery providers">
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">
              No discovery providers: add one under <code>catalog.providers</code> in{' '}
              <code>app-config.yaml</code> (GitHub or GitLab organisations).
            </p>
          ) : (
            <div className="location-list">
              {items.map((p) => (
                <ProviderCard key={p.id} provider={p} />
              ))}
            </div>
          )
        }
      </QueryView>
      <h3>Webhooks</h3>
      <WebhookCounters />
    </section>
  );
}
