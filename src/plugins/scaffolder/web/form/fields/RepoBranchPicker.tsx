/**
 * RepoBranchPicker: a branch name, for the repository chosen in the form's `repoUrl` field
 * (as Backstage reads it). Backstage lists the branches of GitHub and Bitbucket repositories
 * with the user's own token; Atrium has none, so the branch is typed. The value is the branch.
 * `ui:options.requestUserCredentials` asks for a token as in RepoUrlPicker.
 */
import type { FieldProps } from '@rjsf/utils';
import { parseRepoUrl } from '../field-values.ts';
import { describedBy, uiOptions, wizardContext } from './field-helpers.ts';
import { credentialsOption, UserCredentials } from './UserCredentials.tsx';

/** `github.com: kestrel/parcel-lib` for a RepoUrlPicker value; '' without one. */
function repositoryLabel(repoUrl: unknown): string {
  const r = parseRepoUrl(repoUrl);
  if (!r.host) return '';
  const path = [r.organization, r.workspace, r.owner, r.project, r.repo].filter(Boolean).join('/');
  return path ? `${r.host}: ${path}` : r.host;
}

export function RepoBranchPicker(props: FieldProps) {
  const id = props.fieldPathId.$id;
  const context = wizardContext(props);
  const repoUrl = context?.formData.repoUrl;
  const credentials = credentialsOption(uiOptions(props).requestUserCredentials);
  const repository = repositoryLabel(repoUrl);
  const value = typeof props.formData === 'string' ? props.formData : '';
  const disabled = props.disabled || props.readonly;
  return (
    <div className="repo-url">
      <div className="repo-url-part">
        <input
          id={id}
          type="text"
          autoComplete="off"
          placeholder={(props.uiSchema?.['ui:placeholder'] as string | undefined) ?? 'main'}
          value={value}
          disabled={disabled}
          // biome-ignore lint/a11y/noAutofocus: the template asks for it (ui:autofocus)
          autoFocus={props.autofocus}
          aria-invalid={(props.rawErrors?.length ?? 0) > 0 || undefined}
          aria-required={props.required || undefined}
          aria-describedby={`${id}-repository ${describedBy(id)}`}
          onChange={(e) =>
            props.onChange(
              e.target.value.trim() ? e.target.value.trim() : undefined,
              props.fieldPathId.path,
            )
          }
          onFocus={() => props.onFocus(id, value)}
          onBlur={() => props.onBlur(id, value)}
        />
        <span id={`${id}-repository`} className="muted">
          {repository
            ? `The branch of the repository (${repository})`
            : 'The branch of the repository'}
        </span>
      </div>
      {credentials && (
        <UserCredentials
          option={credentials}
          host={parseRepoUrl(repoUrl).host}
          context={context}
          disabled={disabled}
        />
      )}
    </div>
  );
}
