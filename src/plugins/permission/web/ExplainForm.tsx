import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { explainError } from '../../../web/plugin-api.ts';
import type { ExplainRequest, ExplainResponse, PermissionView } from '../common/index.ts';
import { explainDecision } from './api.ts';

const RESULT_TEXT = {
  ALLOW: 'Allowed',
  DENY: 'Denied',
  CONDITIONAL: 'Allowed on conditions',
} as const;

function Answer({ answer }: { answer: ExplainResponse }) {
  const { decision, user, rule } = answer;
  return (
    <div className="explain-answer" data-testid="explain-answer" aria-live="polite">
      <p>
        <span className={`decision decision-${decision.result.toLowerCase()}`}>
          {RESULT_TEXT[decision.result]}
        </span>{' '}
        {user.ref} · {answer.permission.name}
        {answer.resourceRef ? ` · ${answer.resourceRef}` : ''}
      </p>
      {decision.reason && (
        <p data-testid="explain-reason">
          <strong>Why:</strong> {decision.reason.message}
          {decision.reason.source ? ` (${decision.reason.source})` : ''}
        </p>
      )}
      {rule && (
        <p>
          <strong>Deciding rule:</strong> {rule.name}, {rule.effect} {rule.permissions.join(', ')}{' '}
          for {rule.roles.join(', ')}, declared in <code>{rule.source}</code>
        </p>
      )}
      {decision.result === 'CONDITIONAL' && (
        <pre>{JSON.stringify(decision.conditions, null, 2)}</pre>
      )}
      <dl className="props">
        <dt>Roles</dt>
        <dd>
          {answer.roles.map((r) => (
            <span key={r.name} className="badge" title={r.source}>
              {r.name}
            </span>
          ))}
        </dd>
        <dt>Groups and ownership</dt>
        <dd>{user.ownershipRefs.join(', ')}</dd>
        {user.inCatalog === false && (
          <>
            <dt>Note</dt>
            <dd className="level-warning">{user.ref} is not in the catalog</dd>
          </>
        )}
      </dl>
    </div>
  );
}

/** "May user X do P on resource R, and why", asked of the server's evaluator. */
export function ExplainForm({ permissions }: { permissions: PermissionView[] }) {
  const [user, setUser] = useState('');
  const [permission, setPermission] = useState(permissions[0]?.name ?? '');
  const [resourceRef, setResourceRef] = useState('');
  const ask = useMutation({ mutationFn: (request: ExplainRequest) => explainDecision(request) });
  const chosen = permissions.find((p) => p.name === permission);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    ask.mutate({
      user: user.trim(),
      permission,
      ...(chosen?.resourceType && resourceRef.trim() ? { resourceRef: resourceRef.trim() } : {}),
    });
  };
  return (
    <form className="explain-form" aria-label="Explain a decision" onSubmit={submit}>
      <div className="filters">
        <label>
          User
          <input
            name="user"
            value={user}
            onChange={(e) => setUser(e.target.value)}
            placeholder="user:default/jane"
            required
          />
        </label>
        <label>
          Permission
          <select
            name="permission"
            value={permission}
            onChange={(e) => setPermission(e.target.value)}
          >
            {permissions.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Entity ref{chosen?.resourceType ? '' : ' (not about a resource)'}
          <input
            name="resourceRef"
            value={resourceRef}
            disabled={!chosen?.resourceType}
            onChange={(e) => setResourceRef(e.target.value)}
            placeholder="component:default/payments"
          />
        </label>
        <button type="submit" className="primary" disabled={ask.isPending}>
          Explain
        </button>
      </div>
      {ask.isError && (
        <p className="state state-error" role="alert">
          {explainError(ask.error)}
        </p>
      )}
      {ask.data && <Answer answer={ask.data} />}
    </form>
  );
}
