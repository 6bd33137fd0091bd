import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { fetchJson, usePageTitle, ScrollArea } from '../../../web/plugin-api.ts';
import { ErrorState, formatTime, Loading } from '../../catalog/web/shared.tsx';

/** A token as `GET /api/auth/tokens` lists it (the server's `TokenSummary`). */
interface TokenSummary {
  id: string;
  name: string;
  scope: 'read' | 'full';
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  expired: boolean;
}

interface TokenList {
  items: TokenSummary[];
  maxDurationDays: number;
}

/** `POST /api/auth/tokens` answers with the token itself, the only time it is shown. */
type CreatedToken = TokenSummary & { token: string };

const BASE = '/api/auth/tokens';
const QUERY_KEY = ['auth-tokens'];
const EXPIRY_CHOICES = [7, 30, 90, 365];
const DAY_MS = 24 * 3600 * 1000;

/** Settings → Tokens: the signed-in user's personal access tokens. */
export function SettingsTokensPage() {
  usePageTitle('Tokens');
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: QUERY_KEY,
    queryFn: ({ signal }) => fetchJson<TokenList>(BASE, { signal }),
  });
  const [created, setCreated] = useState<CreatedToken | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: QUERY_KEY });

  return (
    <div className="page settings-tokens">
      <p className="muted breadcrumbs">Settings</p>
      <h1>Personal access tokens</h1>
      <p className="muted">
        A token lets a script or tool call Atrium&apos;s API as you: send it as{' '}
        <code>Authorization: Bearer &lt;token&gt;</code>. It can do what you can do, never more, and
        a read-only token can only read. Every token expires; revoke one as soon as you no longer
        need it.
      </p>
      {created && <NewTokenNotice token={created} onDismiss={() => setCreated(undefined)} />}
      {tokens.isPending ? (
        <Loading what="your tokens" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} retry={() => tokens.refetch()} />
      ) : (
        <>
          <CreateTokenForm
            maxDays={tokens.data.maxDurationDays}
            onCreated={(token) => {
              setCreated(token);
              void refresh();
            }}
          />
          <TokenTable tokens={tokens.data.items} onRevoked={() => void refresh()} />
        </>
      )}
    </div>
  );
}

function CreateTokenForm(props: { maxDays: number; onCreated: (token: CreatedToken) => void }) {
  const id = useId();
  const choices = EXPIRY_CHOICES.filter((d) => d <= props.maxDays);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'full'>('read');
  const [days, setDays] = useState(String(choices.includes(30) ? 30 : (choices.at(-1) ?? 'date')));
  const [date, setDate] = useState('');
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      fetchJson<CreatedToken>(BASE, { method: 'POST', body }),
    onSuccess: (token) => {
      setName('');
      props.onCreated(token);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // The end of the chosen day in the user's time zone, within the server's maximum.
    const endOfDay = Math.min(Date.parse(`${date}T23:59:59`), Date.now() + props.maxDays * DAY_MS);
    const expiry =
      days === 'date'
        ? { expiresAt: new Date(endOfDay).toISOString() }
        : { expiresInDays: Number(days) };
    create.mutate({ name: name.trim(), scope, ...expiry });
  };
  const today = new Date();
  const latest = new Date(today.getTime() + props.maxDays * DAY_MS);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return (
    <form className="card token-form" aria-labelledby={`${id}-title`} onSubmit={submit}>
      <h2 id={`${id}-title`}>New token</h2>
      <label>
        Name
        <input
          value={name}
          required
          maxLength={100}
          placeholder="e.g. CI catalog sync"
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <fieldset>
        <legend>Scope</legend>
        <label>
          <input
            type="radio"
            name={`${id}-scope`}
            checked={scope === 'read'}
            onChange={() => setScope('read')}
          />
          Read only
        </label>
        <label>
          <input
            type="radio"
            name={`${id}-scope`}
            checked={scope === 'full'}
            onChange={() => setScope('full')}
          />
          Full (everything you may do)
        </label>
      </fieldset>
      <label>
        Expires
        <select value={days} onChange={(e) => setDays(e.target.value)}>
          {choices.map((d) => (
            <option key={d} value={d}>
              in {d} days
            </option>
          ))}
          <option value="date">on a date…</option>
        </select>
      </label>
      {days === 'date' && (
        <label>
          Expiry date
          <input
            type="date"
            required
            value={date}
            min={day(today)}
            max={day(latest)}
            onChange={(e) => setDate(e.target.value)}
          />
        </label>
      )}
      <p className="muted">At most {props.maxDays} days, as this server allows.</p>
      <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
        {create.isPending ? 'Creating…' : 'Create token'}
      </button>
      {create.isError && (
        <p className="state-error" role="alert">
          {(create.error as Error).message}
        </p>
      )}
    </form>
  );
}

/** The new token, shown this once, with a copy button. */
function NewTokenNotice(props: { token: CreatedToken; onDismiss: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'select' | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.token.token);
      setCopied('yes');
    } catch {
      // Without clipboard access (plain http, a denied permission): select it for Ctrl+C.
      field.current?.select();
      setCopied('select');
    }
  };
  return (
    <section className="card new-token" role="status" aria-label="New token">
      <h2>Token “{props.token.name}” created</h2>
      <p>
        Copy it now: it is shown only this once. Atrium keeps only a hash of it, so nobody can show
        it to you again.
      </p>
      <div className="new-token-value">
        <input
          ref={field}
          readOnly
          aria-label="Token"
          value={props.token.token}
          onFocus={(e) => e.target.select()}
        />
        <button type="button" className="primary" onClick={copy}>
          Copy
        </button>
      </div>
      {copied === 'yes' && <p className="muted">Copied to the clipboard.</p>}
      {copied === 'select' && (
        <p className="muted">The browser does not allow copying here: press Ctrl+C (⌘C).</p>
      )}
      <button type="button" onClick={props.onDismiss}>
        Done
      </button>
    </section>
  );
}

function TokenTable(props: { tokens: TokenSummary[]; onRevoked: () => void }) {
  if (!props.tokens.length) {
    return <div className="state">You have no tokens.</div>;
  }
  return (
    <ScrollArea label="Your personal access tokens">
      <table data-testid="tokens-table">
        <caption className="visually-hidden">Your personal access tokens</caption>
        <thead>
          <tr>
            <th>Name</th>
            <th>Scope</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((token) => (
            <TokenRow key={token.id} token={token} onRevoked={props.onRevoked} />
          ))}
        </tbody>
      </table>
    </ScrollArea>
  );
}

function TokenRow(props: { token: TokenSummary; onRevoked: () => void }) {
  const { token } = props;
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () =>
      fetchJson<void>(`${BASE}/${encodeURIComponent(token.id)}`, { method: 'DELETE' }),
    onSuccess: props.onRevoked,
  });
  return (
    <tr>
      <td>{token.name}</td>
      <td>
        <span className="badge">{token.scope === 'read' ? 'read only' : 'full'}</span>
      </td>
      <td>{formatTime(token.createdAt)}</td>
      <td>
        {formatTime(token.expiresAt)}
        {token.expired && <span className="badge token-expired">expired</span>}
      </td>
      <td>{formatTime(token.lastUsedAt)}</td>
      <td className="token-actions">
        {confirming ? (
          <>
            <button
              type="button"
              className="danger"
              disabled={revoke.isPending}
              onClick={() => revoke.mutate()}
            >
              Revoke “{token.name}”
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Revoke<span className="visually-hidden"> {token.name}</span>
          </button>
        )}
        {revoke.isError && (
          <p className="state-error" role="alert">
            {(revoke.error as Error).message}
          </p>
        )}
      </td>
    </tr>
  );
}
