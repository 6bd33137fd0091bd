/**
 * What the rjsf form is rendered with: Backstage's `ui:field`s, and templates that lay fields
 * out in the portal's style and show every template-written string (titles, descriptions,
 * `ui:help`) as text, never as Markdown or HTML. A `ui:field` Atrium does not have renders
 * rjsf's input for the schema's type, with a note naming it.
 */
import { getDefaultRegistry } from '@rjsf/core';
import {
  type BaseInputTemplateProps,
  type DescriptionFieldProps,
  descriptionId,
  errorId,
  type FieldErrorProps,
  type FieldHelpProps,
  type FieldProps,
  type FieldTemplateProps,
  getUiOptions,
  helpId,
  type RegistryFieldsType,
  type TemplatesType,
} from '@rjsf/utils';
import type { ComponentType, ReactNode } from 'react';
import {
  EntityPicker,
  MultiEntityPicker,
  MyGroupsPicker,
  OwnedEntityPicker,
  OwnerPicker,
} from './fields/EntityPicker.tsx';
import { EntityTagsPicker } from './fields/EntityTagsPicker.tsx';
import { RepoBranchPicker } from './fields/RepoBranchPicker.tsx';
import { RepoOwnerPicker } from './fields/RepoOwnerPicker.tsx';
import { RepoUrlPicker } from './fields/RepoUrlPicker.tsx';

const defaults = getDefaultRegistry();

/** A string from a template as text; anything else (our own elements) as it is. */
function asText(value: unknown): ReactNode {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : (value as ReactNode);
}

/** A plain string input whose extra rule (the entity name format) is checked in validation. */
function EntityNamePicker(props: FieldProps) {
  const StringField = props.registry.fields.StringField as ComponentType<FieldProps>;
  return <StringField {...props} />;
}

export const FORM_FIELDS: RegistryFieldsType = {
  EntityPicker,
  OwnerPicker,
  OwnedEntityPicker,
  MyGroupsPicker,
  MultiEntityPicker,
  EntityNamePicker,
  EntityTagsPicker,
  RepoUrlPicker,
  RepoBranchPicker,
  RepoOwnerPicker,
};

/**
 * Field names Atrium knows; others fall back to the input for the schema's type. `Secret`
 * (Backstage's `SecretInput` component registers under that name) becomes a password input
 * in prepare.ts.
 */
export const KNOWN_FIELDS = new Set([...Object.keys(FORM_FIELDS), 'Secret']);

/** The note under a field whose `ui:field` Atrium does not have. */
export function unknownFieldNote(name: string): string {
  return `ui:field '${name}' is not available in Atrium; enter the value directly`;
}

function FieldTemplate(props: FieldTemplateProps) {
  const {
    id,
    label,
    children,
    errors,
    help,
    rawDescription,
    hidden,
    required,
    displayLabel,
    rawErrors,
    classNames,
    schema,
    uiSchema,
  } = props;
  if (hidden) return <div hidden>{children}</div>;
  // rjsf leaves labels to a `ui:field`; Atrium's fields are labelled here like all others.
  const uiField = uiSchema?.['ui:field'];
  const unknownField = typeof uiField === 'string' && !KNOWN_FIELDS.has(uiField);
  // rjsf leaves the label to any `ui:field`, also one it falls back from; objects, arrays and
  // checkboxes it falls back to label themselves.
  const fallbackLabelsItself = ['object', 'array', 'boolean'].includes(String(schema.type));
  const ownField =
    typeof uiField === 'string' &&
    !(unknownField && fallbackLabelsItself) &&
    getUiOptions(uiSchema).label !== false;
  const labelled = displayLabel || ownField;
  const isObject = schema.type === 'object' && !ownField;
  const isCheckbox = schema.type === 'boolean' && !ownField;
  const invalid = (rawErrors?.length ?? 0) > 0;
  return (
    <div className={`field${invalid ? ' field-invalid' : ''} ${classNames ?? ''}`.trim()}>
      {labelled && !isObject && !isCheckbox && label && (
        <label htmlFor={id} className="field-label">
          {label}
          {required && <span aria-hidden="true"> *</span>}
        </label>
      )}
      {labelled && !isObject && rawDescription && (
        <p id={descriptionId(id)} className="field-description">
          {rawDescription}
        </p>
      )}
      {children}
      {unknownField && (
        <p className="field-note" role="note" data-testid="unknown-field-note">
          {unknownFieldNote(uiField)}
        </p>
      )}
      {errors}
      {help}
    </div>
  );
}

function FieldErrorTemplate({ errors = [], fieldPathId }: FieldErrorProps) {
  const messages = errors.filter(Boolean);
  if (messages.length === 0) return null;
  return (
    <ul id={errorId(fieldPathId)} className="field-errors">
      {messages.map((message, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: messages have no identity
        <li key={i}>{asText(message)}</li>
      ))}
    </ul>
  );
}

function FieldHelpTemplate({ help, fieldPathId }: FieldHelpProps) {
  if (!help) return null;
  return (
    <p id={helpId(fieldPathId)} className="field-help muted">
      {asText(help)}
    </p>
  );
}

function DescriptionFieldTemplate({ id, description }: DescriptionFieldProps) {
  if (!description) return null;
  return (
    <p id={id} className="field-description">
      {asText(description)}
    </p>
  );
}

const DefaultBaseInput = defaults.templates.BaseInputTemplate;

/** rjsf's input, marked invalid for assistive technology when it has errors. */
function BaseInputTemplate(props: BaseInputTemplateProps) {
  const invalid = (props.rawErrors?.length ?? 0) > 0;
  const extra: Record<string, unknown> = {
    'aria-invalid': invalid || undefined,
    'aria-required': props.required || undefined,
  };
  // A secret should not be offered to the browser's password manager.
  if (props.type === 'password') extra.autoComplete = 'new-password';
  return <DefaultBaseInput {...props} {...extra} />;
}

export const FORM_TEMPLATES: Partial<Omit<TemplatesType, 'ButtonTemplates'>> = {
  FieldTemplate,
  FieldErrorTemplate,
  FieldHelpTemplate,
  DescriptionFieldTemplate,
  BaseInputTemplate,
};
