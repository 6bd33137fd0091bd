/**
 * `ui:options.requestUserCredentials` of RepoUrlPicker, RepoBranchPicker and RepoOwnerPicker.
 * Backstage signs the user in to the host (OAuth) and puts the token into the task's secrets
 * under `secretsKey`, for steps that use `${{ secrets.<key> }}`. Atrium has no sign-in to
 * source-code hosts, so it asks for a token of the user's own, masked, into the same secret.
 */
import { useId } from 'react';
import type { WizardFormContext } from './field-helpers.ts';

export interface UserCredentialsOption {
  secretsKey: string;
}

/** The option when it is well formed; a `secretsKey` is what makes it usable. */
export function credentialsOption(value: unknown): UserCredentialsOption | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const key = (value as { secretsKey?: unknown }).secretsKey;
  return typeof key === 'string' && key ? { secretsKey: key } : undefined;
}

export function UserCredentials(props: {
  option: UserCredentialsOption;
  host: string;
  context: WizardFormContext | undefined;
  disabled?: boolean;
}) {
  const id = useId();
  const { option, host, context } = props;
  if (!context) return null;
  const where = host || 'the host';
  return (
    <div className="repo-url-part user-credentials">
      <label htmlFor={id}>Your access token for {where}</label>
      <input
        id={id}
        type="password"
        autoComplete="new-password"
        disabled={props.disabled}
        aria-describedby={`${id}-help`}
        value={context.secrets[option.secretsKey] ?? ''}
        onChange={(e) => context.setSecret(option.secretsKey, e.target.value || undefined)}
      />
      <span id={`${id}-help`} className="muted">
        This template can act on {where} with your own credentials. Atrium cannot sign you in to{' '}
        {where}: paste a personal access token, or leave this empty to go without. It is sent only
        as the secret <code>{option.secretsKey}</code>.
      </span>
    </div>
  );
}
