import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { explainError, usePageTitle, usePermissions } from '../../../web/plugin-api.ts';
import { ErrorState, formatTime, Loading } from '../../catalog/web/shared.tsx';
import {
  POLICY_UPDATE_PERMISSION,
  type PolicyView,
  type RoleView,
  type SourceView,
} from '../common/index.ts';
import { deleteRole, getPolicy } from './api.ts';
import { ExplainForm } from './ExplainForm.tsx';
import { MatrixTable } from './MatrixTable.tsx';
import { RoleEditor } from './RoleEditor.tsx';

const SOURCE_NAMES: Record<SourceView['kind'], string> = {
  'atrium-yaml': 'Policy file',
  'rhdh-csv': 'RHDH policies CSV',
  'rhdh-conditional': 'RHDH conditional policies',
  config: 'Admins from app-config',
  database: 'Roles edited here',
};

const STATUS_TEXT: Record<SourceView['status'], string> = {
  ok: 'in force',
  stale: 'has errors: the last good version stays in force',
  failed: 'has errors and was never read: everything is denied until it is fixed',
};

function Sources({ sources }: { sources: SourceView[] }) {
  return (
    <ul className="plain policy-sources" data-testid="policy-sources">
      {sources.map((source) => (
        <li key={`${source.kind}:${source.file}`} data-source={source.file}>
          <strong>{SOURCE_NAMES[source.kind]}</strong>
          {source.kind !== 'database' && source.kind !== 'config' && (
            <>
              {' '}
              <code>{source.file}</code>
            </>
          )}{' '}
          <span className={source.status === 'ok' ? 'muted' : 'level-error'}>
            {STATUS_TEXT[source.status]}
          </span>
          {source.kind !== 'config' && (
            <span className="muted">
              {' '}
              · {source.roles} roles, {source.rules} rules
              {source.loadedAt ? ` · read ${formatTime(source.loadedAt)}` : ''}
              {source.reload ? '' : ' · not reloaded while running'}
            </span>
          )}
          {source.problems.length > 0 && (
            <ul className="policy-problems">
              {source.problems.map((p, i) => (
                <li
                  // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
                  key={i}
                  className={p.severity === 'warning' ? 'level-warning' : 'level-error'}
                >
                  <code>
                    {p.file}
                    {p.line ? `:${p.line}` : ''}
                  </code>
                  {p.field ? ` (${p.field})` : ''}: {p.message}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

function RoleCard({
  role,
  policy,
  canEdit,
  onEdit,
}: {
  role: RoleView;
  policy: PolicyView;
  canEdit: boolean;
  onEdit(): void;
}) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => deleteRole(role.name),
    onSuccess: () => client.invalidateQueries({ queryKey: ['permission-policy'] }),
  });
  const rules = policy.rules.filter((r) => r.roles.includes(role.name));
  return (
    <section className="card role-card" data-role={role.name} aria-label={`Role ${role.name}`}>
      <h3>{role.name}</h3>
      {role.description && <p>{role.description}</p>}
      <p className="muted" data-testid="role-source">
        {role.editable
          ? `Kept in the database${role.updatedBy ? `, last changed by ${role.updatedBy} ${formatTime(role.updatedAt)}` : ''}`
          : `Read-only: declared in ${role.source}; change it in that file`}
      </p>
      <h4>Members</h4>
      {role.members.length ? (
        <ul className="plain">
          {role.members.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">No members</p>
      )}
      <h4>Rules</h4>
      {rules.length ? (
        <ul className="plain">
          {rules.map((r) => (
            <li key={`${r.name}@${r.source}`}>
              <span className={r.effect === 'deny' ? 'level-error' : undefined}>{r.effect}</span>{' '}
              {r.permissions.join(', ')}
              {r.actions ? ` (${r.actions.join(', ')})` : ''}
              {r.conditions ? ' when conditions hold' : ''} — {r.name}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No rules name this role</p>
      )}
      {role.editable && canEdit && (
        <div className="actions">
          <button type="button" onClick={onEdit}>
            Edit {role.name}
          </button>
          {confirming ? (
            <>
              <button type="button" className="danger" onClick={() => remove.mutate()}>
                Really delete {role.name}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Delete {role.name}
            </button>
          )}
        </div>
      )}
      {remove.isError && (
        <p className="state state-error" role="alert">
          {explainError(remove.error)}
        </p>
      )}
    </section>
  );
}

/** Access control: sources, the roles × permissions matrix, roles, and "why" for any user. */
export function AccessPage() {
  usePageTitle('Access control');
  const policy = useQuery({
    queryKey: ['permission-policy'],
    queryFn: ({ signal }) => getPolicy(signal),
    // Other administrators and other replicas change roles too.
    refetchInterval: 5000,
  });
  const answers = usePermissions([{ permission: POLICY_UPDATE_PERMISSION }]);
  const canEdit = answers?.[0]?.result === 'ALLOW';
  // undefined: no editor open; null: a new role; else the role edited.
  const [editing, setEditing] = useState<RoleView | null | undefined>(undefined);

  if (policy.isPending) return <Loading what="the access policy" />;
  if (policy.isError) {
    return (
      <div className="page">
        <h1>Access control</h1>
        <ErrorState error={new Error(explainError(policy.error))} retry={() => policy.refetch()} />
      </div>
    );
  }
  const view = policy.data;
  return (
    <div className="page access-page">
      <h1>Access control</h1>
      <p className={view.enabled ? 'muted' : 'level-warning'} data-testid="policy-enabled">
        {view.enabled
          ? 'Policies are enforced (permission.enabled is true).'
          : 'permission.enabled is false: every signed-in caller may do everything. The policy below is read but not enforced.'}
      </p>

      <section aria-labelledby="sources-title">
        <h2 id="sources-title">Sources</h2>
        <Sources sources={view.sources} />
        {(view.superUsers.length > 0 || view.admins.length > 0) && (
          <dl className="props admins">
            <dt>Super users (may do everything)</dt>
            <dd>{view.superUsers.join(', ') || 'none'}</dd>
            <dt>Policy administrators</dt>
            <dd>{view.admins.join(', ') || 'none'}</dd>
          </dl>
        )}
      </section>

      <section aria-labelledby="matrix-title">
        <h2 id="matrix-title">Roles × permissions</h2>
        <p className="muted">
          ✓ allowed · ✕ denied · ◐ allowed on conditions (e.g. only what the caller owns). An
          explicit deny beats an allow.
        </p>
        <MatrixTable policy={view} />
      </section>

      <section aria-labelledby="roles-title">
        <h2 id="roles-title">Roles</h2>
        {canEdit && editing === undefined && (
          <button type="button" className="primary" onClick={() => setEditing(null)}>
            New role
          </button>
        )}
        {editing !== undefined && (
          <RoleEditor
            key={editing?.name ?? 'new'}
            role={editing ?? undefined}
            permissions={view.permissions}
            onDone={() => setEditing(undefined)}
          />
        )}
        <div className="card-grid">
          {view.roles.map((role) => (
            <RoleCard
              key={`${role.name}@${role.source}`}
              role={role}
              policy={view}
              canEdit={canEdit}
              onEdit={() => setEditing(role)}
            />
          ))}
        </div>
      </section>

      <section aria-labelledby="explain-title">
        <h2 id="explain-title">Explain a decision</h2>
        <ExplainForm permissions={view.permissions} />
      </section>
    </div>
  );
}
