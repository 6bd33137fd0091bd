import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { explainError } from '../../../web/plugin-api.ts';
import type { PermissionView, RoleInput, RoleRuleInput, RoleView } from '../common/index.ts';
import { saveRole } from './api.ts';

interface RuleDraft {
  key: number;
  name: string;
  effect: 'allow' | 'deny';
  permissions: string;
  actions: string;
  conditions: string;
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

let nextKey = 1;

function draftOf(rule?: RoleRuleInput): RuleDraft {
  return {
    key: nextKey++,
    name: rule?.name ?? '',
    effect: rule?.effect ?? 'allow',
    permissions: rule?.permissions.join(', ') ?? '',
    actions: rule?.actions?.join(', ') ?? '',
    conditions: rule?.conditions ? JSON.stringify(rule.conditions, null, 2) : '',
  };
}

/** Turns the form into the API's role; throws an Error naming the field that is not JSON. */
function toInput(description: string, members: string, rules: RuleDraft[]): RoleInput {
  return {
    ...(description.trim() ? { description: description.trim() } : {}),
    members: list(members),
    rules: rules.map((rule, i) => {
      let conditions: unknown;
      if (rule.conditions.trim()) {
        try {
          conditions = JSON.parse(rule.conditions);
        } catch (error) {
          throw new Error(
            `Rule ${i + 1} (${rule.name || 'unnamed'}): the conditions are not JSON (${(error as Error).message})`,
          );
        }
      }
      const actions = list(rule.actions);
      return {
        name: rule.name.trim(),
        effect: rule.effect,
        permissions: list(rule.permissions),
        ...(actions.length ? { actions } : {}),
        ...(conditions !== undefined ? { conditions } : {}),
      };
    }),
  };
}

/** Creates a database role, or edits one (its name then stays). */
export function RoleEditor({
  role,
  permissions,
  onDone,
}: {
  role?: RoleView;
  permissions: PermissionView[];
  onDone(): void;
}) {
  const id = useId();
  const client = useQueryClient();
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [members, setMembers] = useState(role?.members.join('\n') ?? '');
  const [rules, setRules] = useState<RuleDraft[]>(() =>
    role?.rules?.length ? role.rules.map(draftOf) : [draftOf()],
  );
  const [localError, setLocalError] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (input: RoleInput) => saveRole(name.trim(), input),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['permission-policy'] });
      await client.invalidateQueries({ queryKey: ['permission-authorize'] });
      onDone();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setLocalError(undefined);
    if (!name.trim()) {
      setLocalError('The role needs a name');
      return;
    }
    let input: RoleInput;
    try {
      input = toInput(description, members, rules);
    } catch (error) {
      setLocalError((error as Error).message);
      return;
    }
    save.mutate(input);
  };
  const update = (key: number, change: Partial<RuleDraft>) =>
    setRules((all) => all.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const error = localError ?? (save.isError ? explainError(save.error) : undefined);

  return (
    <form
      className="card role-editor"
      aria-label={role ? `Edit role ${role.name}` : 'New role'}
      onSubmit={submit}
    >
      <h3>{role ? `Edit role ${role.name}` : 'New role'}</h3>
      <datalist id={`${id}-permissions`}>
        {permissions.map((p) => (
          <option key={p.name} value={p.name} />
        ))}
      </datalist>
      <label>
        Name
        <input
          name="name"
          value={name}
          disabled={role !== undefined}
          onChange={(e) => setName(e.target.value)}
          placeholder="release-managers"
          required
        />
      </label>
      <label>
        Description
        <input
          name="description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>
      <label>
        Members (users and groups, one per line)
        <textarea
          name="members"
          className="short"
          value={members}
          onChange={(e) => setMembers(e.target.value)}
          placeholder={'group:default/team-a\nuser:default/jane'}
        />
      </label>
      <fieldset className="plain-fieldset">
        <legend>Rules</legend>
        {rules.map((rule, i) => (
          <fieldset key={rule.key} className="rule-draft" aria-label={`Rule ${i + 1}`}>
            <label>
              Rule name
              <input
                name={`rule-${i}-name`}
                value={rule.name}
                onChange={(e) => update(rule.key, { name: e.target.value })}
                placeholder="release managers may run templates"
              />
            </label>
            <label>
              Effect
              <select
                name={`rule-${i}-effect`}
                value={rule.effect}
                onChange={(e) => update(rule.key, { effect: e.target.value as 'allow' | 'deny' })}
              >
                <option value="allow">allow</option>
                <option value="deny">deny</option>
              </select>
            </label>
            <label>
              Permissions (comma separated; * and catalog.* work)
              <input
                name={`rule-${i}-permissions`}
                list={`${id}-permissions`}
                value={rule.permissions}
                onChange={(e) => update(rule.key, { permissions: e.target.value })}
              />
            </label>
            <label>
              Actions (optional: create, read, update, delete, use)
              <input
                name={`rule-${i}-actions`}
                value={rule.actions}
                onChange={(e) => update(rule.key, { actions: e.target.value })}
              />
            </label>
            <label>
              Conditions (optional, JSON, e.g. {'{"isEntityOwner": true}'})
              <textarea
                name={`rule-${i}-conditions`}
                className="short"
                value={rule.conditions}
                onChange={(e) => update(rule.key, { conditions: e.target.value })}
              />
            </label>
            <button
              type="button"
              onClick={() => setRules((all) => all.filter((r) => r.key !== rule.key))}
            >
              Remove rule {i + 1}
            </button>
          </fieldset>
        ))}
        <button type="button" onClick={() => setRules((all) => [...all, draftOf()])}>
          Add a rule
        </button>
      </fieldset>
      {error && (
        <p className="state state-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save role'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
