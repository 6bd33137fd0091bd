/**
 * RepoOwnerPicker: the owner (organisation, group or user) on the host `ui:options.host`.
 * Backstage suggests the owners GitHub and GitLab list for the user's token, leaving out
 * `excludedOwners`; Atrium has no such token, so the owner is typed. The value is the owner.
 */
import type { FieldProps } from '@rjsf/utils';
import { describedBy, uiOptions, wizardContext } from './field-helpers.ts';
import { credentialsOption, UserCredentials } from './UserCredentials.tsx';

export function RepoOwnerPicker(props: FieldProps) {
  const id = props.fieldPathId.$id;
  const options = uiOptions(props);
  const host = typeof options.host === 'string' ? options.host : '';
  const credentials = credentialsOption(options.requestUserCredentials);
  const value = typeof props.formData === 'string' ? props.formData : '';
  const disabled = props.disabled || props.readonly;
  return (
    <div className="repo-url">
      <div className="repo-url-part">
        <input
          id={id}
          type="text"
          autoComplete="off"
          value={value}
          disabled={disabled}
          // biome-ignore lint/a11y/noAutofocus: the template asks for it (ui:autofocus)
          autoFocus={props.autofocus}
          aria-invalid={(props.rawErrors?.length ?? 0) > 0 || undefined}
          aria-required={props.required || undefined}
          aria-describedby={`${id}-owner-help ${describedBy(id)}`}
          onChange={(e) =>
            props.onChange(e.target.value.trim() || undefined, props.fieldPathId.path)
          }
          onFocus={() => props.onFocus(id, value)}
          onBlur={() => props.onBlur(id, value)}
        />
        <span id={`${id}-owner-help`} className="muted">
          {host ? `The owner of the repository on ${host}` : 'The owner of the repository'}
        </span>
      </div>
      {credentials && (
        <UserCredentials
          option={credentials}
          host={host}
          context={wizardContext(props)}
          disabled={disabled}
        />
      )}
    </div>
  );
}
