/** What Atrium's form fields share: their `ui:options`, ids, and the wizard's form context. */
import type { FieldProps } from '@rjsf/utils';

export function uiOptions(props: Pick<FieldProps, 'uiSchema'>): Record<string, unknown> {
  const options = props.uiSchema?.['ui:options'];
  return options && typeof options === 'object' ? (options as Record<string, unknown>) : {};
}

/** The strings of a `ui:options` list; [] for anything else. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The ids rjsf's templates give a field's errors, description and help. */
export function describedBy(id: string): string {
  return `${id}__error ${id}__description ${id}__help`;
}

/**
 * The change id a field passes for a value it fills in by itself (a preselected host): the
 * wizard counts a field as touched, and shows its errors, only for changes with its own id.
 */
export const PRESET_CHANGE_ID = 'atrium-preset';

/** What the wizard hands every field (`formContext`). */
export interface WizardFormContext {
  /** The answers of every page so far (RepoBranchPicker reads `repoUrl`). */
  formData: Record<string, unknown>;
  /** Request secrets a field collects itself (`requestUserCredentials.secretsKey`). */
  secrets: Record<string, string>;
  /** Sets one; `undefined` removes it. */
  setSecret(key: string, value: string | undefined): void;
}

export function wizardContext(props: Pick<FieldProps, 'registry'>): WizardFormContext | undefined {
  const context = props.registry.formContext as Partial<WizardFormContext> | undefined;
  return context && typeof context.setSecret === 'function'
    ? (context as WizardFormContext)
    : undefined;
}
