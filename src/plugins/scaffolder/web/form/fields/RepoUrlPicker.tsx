/**
 * RepoUrlPicker: where a new repository goes. After the host come the parts its kind of host
 * asks for, as in Backstage: owner for GitHub, Gitea and GitLab (nested groups as
 * `group/subgroup`), workspace and project for Bitbucket Cloud, project for Bitbucket Server,
 * organization and project for Azure DevOps, owner and parent for Gerrit; then the
 * repository. The kind comes from the server's integrations (GET /v2/integrations). The value
 * is Backstage's `host?owner=o&repo=r` (plus `organization`, `workspace`, `project`); a value
 * given to the field is split back into the inputs.
 */
import type { FieldProps } from '@rjsf/utils';
import { useEffect, useRef, useState } from 'react';
import {
  formatRepoUrl,
  parseRepoUrl,
  REPO_URL_PARAMS,
  type RepoUrlPartSpec,
  type RepoUrlState,
  repoUrlPartsFor,
  withRepoUrlDefaults,
} from '../field-values.ts';
import { hostTypeIn, useScmIntegrations } from '../scm-integrations.ts';
import {
  describedBy,
  PRESET_CHANGE_ID,
  stringList,
  uiOptions,
  wizardContext,
} from './field-helpers.ts';
import { credentialsOption, UserCredentials } from './UserCredentials.tsx';

const HOST_HELP = 'The host where the repository will be created';

type Allowed = Record<RepoUrlPartSpec['allowedOption'], string[]>;

export function RepoUrlPicker(props: FieldProps) {
  const options = uiOptions(props);
  const allowedHosts = stringList(options.allowedHosts);
  const allowed: Allowed = {
    allowedOwners: stringList(options.allowedOwners),
    allowedOrganizations: stringList(options.allowedOrganizations),
    allowedProjects: stringList(options.allowedProjects),
    allowedRepos: stringList(options.allowedRepos),
  };
  const credentials = credentialsOption(options.requestUserCredentials);
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  const integrations = useScmIntegrations();
  // Until the server says what kind each host is, the parts are not known.
  const settled = !integrations.isPending;
  const hosts = allowedHosts.length
    ? allowedHosts
    : (integrations.data?.items.map((i) => i.host) ?? []);

  // The inputs keep what was typed; the value follows them.
  const [state, setState] = useState<RepoUrlState>(() => parseRepoUrl(props.formData));
  const type = state.host ? hostTypeIn(integrations.data, state.host) : undefined;
  const parts = repoUrlPartsFor(type);
  // A host of unknown kind keeps every part it was given: nothing typed is dropped.
  const params = type ? parts.map((p) => p.param) : REPO_URL_PARAMS;
  const value = formatRepoUrl(state, params);

  const byUser = useRef(false);
  // Backstage's preselection (first host, first of each allowed list), once hosts are known
  // and again whenever the host changes (a new kind of host has other lists).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs per host, not per render
  useEffect(() => {
    if (!settled) return;
    setState((s) => {
      const kind = hostTypeIn(integrations.data, s.host || hosts[0] || '');
      return withRepoUrlDefaults(s, hosts, repoUrlPartsFor(kind), allowed);
    });
  }, [settled, state.host, type]);
  // The value follows the inputs; a preselection does not count as the user's change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the value changes
  useEffect(() => {
    if (!settled || value === props.formData) return;
    props.onChange(value, path, undefined, byUser.current ? id : PRESET_CHANGE_ID);
  }, [settled, value]);

  const update = (change: Partial<RepoUrlState>) => {
    byUser.current = true;
    setState((s) => ({ ...s, ...change }));
  };

  const invalid = (props.rawErrors?.length ?? 0) > 0 || undefined;
  const disabled = props.disabled || props.readonly;
  const common = (inputId: string) => ({
    disabled,
    'aria-invalid': invalid,
    'aria-describedby': `${inputId}-help ${describedBy(id)}`,
    onFocus: () => props.onFocus(id, props.formData),
    onBlur: () => props.onBlur(id, props.formData),
  });

  const part = (
    key: 'host' | RepoUrlPartSpec['param'],
    label: string,
    help: string,
    choices: string[],
    placeholder: string,
    required: boolean,
  ) => {
    const inputId = key === 'host' ? id : `${id}-${key}`;
    const current = state[key];
    return (
      <div className="repo-url-part" key={key}>
        <label htmlFor={inputId}>
          {label}
          {required && props.required && <span aria-hidden="true"> *</span>}
        </label>
        {choices.length > 0 ? (
          <select
            id={inputId}
            value={current}
            onChange={(e) => update({ [key]: e.target.value })}
            {...common(inputId)}
            // One choice is no choice, as in Backstage.
            disabled={disabled || (choices.length === 1 && current === choices[0])}
          >
            {!choices.includes(current) && <option value={current}>{current || 'Choose…'}</option>}
            {choices.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={inputId}
            type="text"
            autoComplete="off"
            placeholder={placeholder}
            value={current}
            // biome-ignore lint/a11y/noAutofocus: the template asks for it (ui:autofocus)
            autoFocus={key === 'host' && props.autofocus}
            onChange={(e) => update({ [key]: e.target.value.trim() })}
            {...common(inputId)}
          />
        )}
        <span id={`${inputId}-help`} className="muted">
          {help}
        </span>
      </div>
    );
  };

  const hostNote = !settled
    ? 'Loading the configured hosts…'
    : integrations.isError
      ? `The configured hosts could not be loaded (${(integrations.error as Error).message}), so the parts asked for may not fit the host.`
      : state.host && !type
        ? `Atrium has no integration for ${state.host}: steps that publish there need one under integrations in app-config.yaml.`
        : undefined;

  return (
    <fieldset className="repo-url" aria-describedby={`${id}__description`} aria-busy={!settled}>
      <legend className="visually-hidden">{props.schema.title ?? props.name}</legend>
      {settled ? (
        // Without the server's list and without allowedHosts, the host is typed.
        part('host', 'Host', HOST_HELP, hosts, 'github.com', true)
      ) : (
        <div className="repo-url-part">
          <label htmlFor={id}>Host</label>
          <select id={id} disabled aria-describedby={`${id}-help`}>
            <option>Loading…</option>
          </select>
          <span id={`${id}-help`} className="muted">
            {HOST_HELP}
          </span>
        </div>
      )}
      {settled &&
        parts.map((p) =>
          part(
            p.param,
            p.label,
            p.help,
            allowed[p.allowedOption],
            p.param === 'owner' && type === 'gitlab' ? 'group/subgroup' : '',
            p.required,
          ),
        )}
      {settled && credentials && (
        <UserCredentials
          option={credentials}
          host={state.host}
          context={wizardContext(props)}
          disabled={disabled}
        />
      )}
      {hostNote && (
        <p className="field-note muted" role="note">
          {hostNote}
        </p>
      )}
    </fieldset>
  );
}
