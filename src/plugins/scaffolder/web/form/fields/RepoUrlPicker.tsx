/**
 * RepoUrlPicker: host, owner and repository of the repository to create. The value is
 * Backstage's `host?owner=o&repo=r`; an existing value is split back into the inputs.
 */
import type { FieldProps } from '@rjsf/utils';
import { useState } from 'react';
import { formatRepoUrl, parseRepoUrl, type RepoUrlParts } from '../field-values.ts';
import { uiOptions } from './EntityPicker.tsx';

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

export function RepoUrlPicker(props: FieldProps) {
  const options = uiOptions(props);
  const allowedHosts = strings(options.allowedHosts);
  const allowedOwners = strings(options.allowedOwners);
  const allowedRepos = strings(options.allowedRepos);
  const id = props.fieldPathId.$id;
  const path = props.fieldPathId.path;
  // The inputs keep what was typed; the value follows them.
  const [parts, setParts] = useState<RepoUrlParts>(() => {
    const parsed = parseRepoUrl(props.formData);
    return {
      ...parsed,
      host: parsed.host || (allowedHosts.length === 1 ? allowedHosts[0]! : parsed.host),
    };
  });
  const update = (change: Partial<RepoUrlParts>) => {
    const next = { ...parts, ...change };
    setParts(next);
    props.onChange(formatRepoUrl(next), path);
  };
  const invalid = (props.rawErrors?.length ?? 0) > 0 || undefined;
  const disabled = props.disabled || props.readonly;
  const common = {
    disabled,
    'aria-invalid': invalid,
    'aria-describedby': `${id}__error ${id}__description ${id}__help`,
    onFocus: () => props.onFocus(id, props.formData),
    onBlur: () => props.onBlur(id, props.formData),
  };
  const choice = (
    part: 'host' | 'owner' | 'repo',
    label: string,
    allowed: string[],
    placeholder: string,
  ) => {
    const inputId = part === 'host' ? id : `${id}-${part}`;
    return (
      <div className="repo-url-part">
        <label htmlFor={inputId}>
          {label}
          {props.required && <span aria-hidden="true"> *</span>}
        </label>
        {allowed.length > 0 ? (
          <select
            id={inputId}
            value={parts[part]}
            onChange={(e) => update({ [part]: e.target.value })}
            {...common}
          >
            <option value="">Choose…</option>
            {allowed.map((v) => (
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
            value={parts[part]}
            // biome-ignore lint/a11y/noAutofocus: the template asks for it (ui:autofocus)
            autoFocus={part === 'host' && props.autofocus}
            onChange={(e) => update({ [part]: e.target.value.trim() })}
            {...common}
          />
        )}
      </div>
    );
  };
  return (
    <fieldset className="repo-url" aria-describedby={`${id}__description`}>
      <legend className="visually-hidden">{props.schema.title ?? props.name}</legend>
      {choice('host', 'Host', allowedHosts, 'github.com')}
      {choice('owner', 'Owner', allowedOwners, 'organisation or user')}
      {choice('repo', 'Repository', allowedRepos, 'repository name')}
    </fieldset>
  );
}
