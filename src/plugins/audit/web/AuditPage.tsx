import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  ApiError,
  displayLocationRef,
  displayPath,
  isServerPath,
  ScrollArea,
  usePageTitle,
} from '../../../web/plugin-api.ts';
import {
  EntityRefLink,
  ErrorState,
  formatTime,
  Loading,
  Pager,
} from '../../catalog/web/shared.tsx';
import {
  AUDIT_OUTCOMES,
  type AuditEventFilter,
  type AuditEventItem,
  type AuditOutcome,
} from '../common/index.ts';
import { listAuditEvents } from './api.ts';

const PAGE_SIZE = 50;
const FILTER_KEYS = ['actor', 'action', 'resourceRef', 'outcome', 'from', 'to'] as const;
const ACTION_SUGGESTIONS = [
  'catalog.*',
  'catalog.entity.*',
  'catalog.location.*',
  'scaffolder.*',
  'techdocs.*',
  'auth.*',
  'permission.*',
  'permission.denied',
];
// `kind:namespace/name`: shown as a link to the entity page.
const ENTITY_REF = /^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*\/[^/\s]+$/i;

/** ISO time → the value of a `datetime-local` input (local time, minutes). */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function filterOf(params: URLSearchParams): AuditEventFilter {
  const filter: AuditEventFilter = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) (filter as Record<string, string>)[key] = value;
  }
  return filter;
}

/** The audit log: filters in the URL, pages fetched from the server with its cursor. */
export function AuditPage() {
  usePageTitle('Audit log');
  const [params, setParams] = useSearchParams();
  const filter = filterOf(params);
  const filterKey = JSON.stringify(filter);
  // Cursors of the pages seen so far: [undefined (page 1), cursor of page 2, …].
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters start at page 1
  useEffect(() => setCursors([undefined]), [filterKey]);
  const page = cursors.length;
  const cursor = cursors[cursors.length - 1];
  const events = useQuery({
    queryKey: ['audit-events', filterKey, cursor],
    queryFn: ({ signal }) => listAuditEvents({ ...filter, limit: PAGE_SIZE, cursor }, signal),
    placeholderData: keepPreviousData,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const raw = String(form.get(key) ?? '').trim();
      const value = key === 'from' || key === 'to' ? fromLocalInput(raw) : raw;
      if (value) next.set(key, value);
    }
    setParams(next);
  };

  return (
    <div className="page">
      <h1>Audit log</h1>
      <p className="muted">
        Sign-ins, token and policy changes, denials, every change made through the API, and every
        entity that ingestion created, updated, orphaned or deleted. Newest first.
      </p>
      <form
        className="filters"
        aria-label="Filters"
        onSubmit={apply}
        // Remount on navigation so the inputs show the URL's filters.
        key={filterKey}
      >
        <label>
          Actor
          <input name="actor" defaultValue={filter.actor} placeholder="user:default/jane" />
        </label>
        <label>
          Action
          <input
            name="action"
            defaultValue={filter.action}
            placeholder="catalog.* or exact"
            list="audit-actions"
          />
          <datalist id="audit-actions">
            {ACTION_SUGGESTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          Resource
          <input
            name="resourceRef"
            defaultValue={filter.resourceRef}
            placeholder="component:default/x"
          />
        </label>
        <label>
          Outcome
          <select name="outcome" defaultValue={filter.outcome ?? ''}>
            <option value="">Any</option>
            {AUDIT_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" name="from" defaultValue={toLocalInput(filter.from)} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" defaultValue={toLocalInput(filter.to)} />
        </label>
        <button type="submit">Apply</button>
        {Object.keys(filter).length > 0 && (
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            Clear
          </button>
        )}
      </form>
      {events.isPending ? (
        <Loading what="audit events" />
      ) : events.isError ? (
        <AuditError error={events.error} retry={() => events.refetch()} />
      ) : events.data.items.length === 0 ? (
        <div className="state">
          {page > 1
            ? 'No more events.'
            : Object.keys(filter).length
              ? 'No event matches these filters.'
              : 'No event has been recorded yet.'}
        </div>
      ) : (
        <>
          <ScrollArea label="Audit events">
            <table className="audit-table" aria-busy={events.isFetching} data-testid="audit-table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Resource</th>
                  <th>Outcome</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {events.data.items.map((event) => (
                  <EventRow key={event.id} event={event} />
                ))}
              </tbody>
            </table>
          </ScrollArea>
          <Pager
            label="Pages"
            hasPrevious={page > 1}
            hasNext={Boolean(events.data.nextCursor)}
            busy={events.isFetching}
            onPrevious={() => setCursors((list) => list.slice(0, -1))}
            onNext={() => {
              const next = events.data.nextCursor;
              if (next) setCursors((list) => [...list, next]);
            }}
          />
        </>
      )}
    </div>
  );
}

/** A refusal says what is missing (the server's message names the permission and the rule). */
function AuditError({ error, retry }: { error: unknown; retry(): void }) {
  if (error instanceof ApiError && (error.status === 403 || error.status === 401)) {
    const message =
      (error.body as { error?: { message?: string } } | undefined)?.error?.message ?? error.message;
    return (
      <div className="state state-error" role="alert">
        <strong>
          {error.status === 403
            ? 'You may not read the audit log.'
            : 'Sign in to read the audit log.'}
        </strong>
        <p>{message}</p>
      </div>
    );
  }
  return <ErrorState error={error} retry={retry} />;
}

function EventRow({ event }: { event: AuditEventItem }) {
  return (
    <tr>
      <td className="audit-time">
        <time dateTime={event.time}>{formatTime(event.time)}</time>
      </td>
      <td>
        {event.actor}
        <span className="audit-sub">
          {event.credential}
          {event.credentialId ? ` ${event.credentialId}` : ''}
          {event.clientAddress ? ` · ${event.clientAddress}` : ''}
        </span>
      </td>
      <td className="audit-action">
        <code>{event.action}</code>
      </td>
      <td>
        {event.resourceRef === null ? (
          ''
        ) : ENTITY_REF.test(event.resourceRef) ? (
          <EntityRefLink entityRef={event.resourceRef} />
        ) : (
          // An event recorded before the server named its files relatively (a policy file).
          <code>
            {isServerPath(event.resourceRef)
              ? displayPath(event.resourceRef, undefined)
              : event.resourceRef}
          </code>
        )}
      </td>
      <td>
        <span className={`badge outcome-${event.outcome as AuditOutcome}`}>{event.outcome}</span>
      </td>
      <td>
        <Details event={event} />
      </td>
    </tr>
  );
}

function Details({ event }: { event: AuditEventItem }) {
  const details = event.details ?? {};
  const lines: string[] = [];
  const { changed, location, permission, reason, ...rest } = details as {
    changed?: unknown;
    location?: { type?: string; target?: string; id?: string };
    permission?: unknown;
    reason?: { message?: string };
    [key: string]: unknown;
  };
  if (Array.isArray(changed) && changed.length) lines.push(`changed: ${changed.join(', ')}`);
  // Ingestion names the location it read: a `file:` one is a path on the server.
  if (location && typeof location === 'object')
    lines.push(
      `location: ${location.type && location.target ? displayLocationRef(location.type, location.target) : (location.id ?? '')}`,
    );
  if (typeof permission === 'string') lines.push(`permission: ${permission}`);
  if (reason && typeof reason.message === 'string') lines.push(reason.message);
  for (const [key, value] of Object.entries(rest))
    lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (event.requestId) lines.push(`request ${event.requestId}`);
  if (!lines.length) return null;
  return (
    <ul className="audit-details">
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are derived, in a fixed order
        <li key={i}>{line}</li>
      ))}
    </ul>
  );
}
