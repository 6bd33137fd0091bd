/**
 * The template form: one page per parameter page, a review page, and the submit. Shared by
 * the template page (Create) and the template editor (Dry run).
 *
 * Validation runs as the user types, but a field's errors appear only once the user has been
 * in that field (focused, typed or left it), so a fresh page is not a wall of "required"; Next
 * shows every error of the page and moves focus to the first.
 */
import Form from '@rjsf/core';
import type { ErrorSchema, FormValidation, RJSFValidationError } from '@rjsf/utils';
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import type { JsonObject, JsonValue } from '../../../../model/entity.ts';
import type { ValidationError } from '../../common/index.ts';
import { evaluateCondition } from './condition.ts';
import { fieldProblems } from './field-values.ts';
import type { WizardFormContext } from './fields/field-helpers.ts';
import type { PreparedPage } from './prepare.ts';
import { splitSecrets } from './prepare.ts';
import { FORM_FIELDS, FORM_TEMPLATES } from './registry.tsx';
import { hostTypeIn, useScmIntegrations } from './scm-integrations.ts';
import { createFormValidator } from './validator.ts';

export interface WizardLabels {
  backButtonText?: string;
  reviewButtonText?: string;
  createButtonText?: string;
}

export interface WizardProps {
  pages: PreparedPage[];
  /** Label of the final button: "Create", or "Dry run" in the editor. */
  submitLabel: string;
  labels?: WizardLabels;
  submitting: boolean;
  /** Problems the server found in the submitted values (400 `{errors}`). */
  serverErrors?: ValidationError[];
  onSubmit(request: { values: JsonObject; secrets: Record<string, string> }): void;
}

const MASK = '****';

/** rjsf's type for the data; JsonObject's recursive type is too deep for its generics. */
type FormValues = Record<string, unknown>;

/** The top-level field an rjsf error is about (`.repo.owner` → `repo`). */
function topField(property: string | undefined): string {
  return (property ?? '').replace(/^\./, '').split(/[.[]/)[0] ?? '';
}

/** The top-level field a widget id belongs to (`root_repoUrl` → `repoUrl`). */
function fieldOfId(id: string | undefined, fields: string[]): string | undefined {
  if (!id?.startsWith('root_')) return undefined;
  const rest = id.slice('root_'.length);
  return fields
    .filter((f) => rest === f || rest.startsWith(`${f}_`))
    .sort((a, b) => b.length - a.length)[0];
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );
}

export function formatValue(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) {
    return value.map((v) => String(v)).join(', ');
  }
  return typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value);
}

function fieldTitle(page: PreparedPage, field: string): string {
  const properties = page.schema.properties as Record<string, { title?: unknown }> | undefined;
  const uiTitle = (page.uiSchema[field] as JsonObject | undefined)?.['ui:title'];
  const title = uiTitle ?? properties?.[field]?.title;
  return typeof title === 'string' && title ? title : field;
}

function pageErrorSchema(errors: ValidationError[] | undefined, page: PreparedPage): ErrorSchema {
  const schema: Record<string, { __errors: string[] }> = {};
  for (const e of errors ?? []) {
    const field = topField(e.field ?? e.property?.replace(/^instance\.?/, ''));
    if (!field || !page.fields.includes(field)) continue;
    const entry = schema[field] ?? { __errors: [] };
    entry.__errors.push(e.message);
    schema[field] = entry;
  }
  return schema as ErrorSchema;
}

export function Wizard(props: WizardProps) {
  const { pages } = props;
  const validator = useMemo(() => createFormValidator(), []);
  const [formData, setFormData] = useState<JsonObject>({});
  // Secrets fields collect under their own key (requestUserCredentials), not as answers.
  const [fieldSecrets, setFieldSecrets] = useState<Record<string, string>>({});
  const usesRepoUrl = pages.some((p) =>
    Object.values(p.uiSchema).some(
      (ui) =>
        typeof ui === 'object' && ui !== null && (ui as JsonObject)['ui:field'] === 'RepoUrlPicker',
    ),
  );
  const integrations = useScmIntegrations(usesRepoUrl);
  const [step, setStep] = useState(0);
  const [review, setReview] = useState(false);
  const formRef = useRef<Form<FormValues>>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Read inside rjsf's validation callbacks, which must see the latest value synchronously.
  const touched = useRef(new Set<string>());
  const showAll = useRef(false);
  const submitting = useRef(false);

  const conditions = pages.map((p) => evaluateCondition(p.condition, formData));
  const visible = pages.map((_, i) => {
    const c = conditions[i]!;
    return !c.ok || c.value;
  });
  const visibleIndexes = pages.map((_, i) => i).filter((i) => visible[i]);
  const page = pages[step];

  // Server errors: open the first page that has one.
  useEffect(() => {
    if (!props.serverErrors?.length) return;
    const first = pages.findIndex(
      (p) => Object.keys(pageErrorSchema(props.serverErrors, p)).length,
    );
    if (first >= 0) {
      setReview(false);
      setStep(first);
    }
  }, [props.serverErrors, pages]);

  // Each page change moves focus to its heading, so a screen reader announces the page; the
  // first page keeps the focus where the browser (or `ui:autofocus`) put it.
  const shownPage = useRef<string | undefined>(undefined);
  useEffect(() => {
    const key = `${step}:${review}`;
    if (shownPage.current === key) return;
    const first = shownPage.current === undefined;
    shownPage.current = key;
    touched.current = new Set();
    showAll.current = false;
    if (!first) headingRef.current?.focus();
  }, [step, review]);

  const go = (direction: 1 | -1) => {
    const position = visibleIndexes.indexOf(step);
    const next = visibleIndexes[position + direction];
    if (direction === 1 && next === undefined) setReview(true);
    else if (next !== undefined) setStep(next);
  };

  const touch = (id: string | undefined) => {
    const field = page && fieldOfId(id, page.fields);
    if (field) touched.current.add(field);
  };
  const shows = (field: string) => showAll.current || touched.current.has(field);

  const transformErrors = (errors: RJSFValidationError[]) =>
    errors
      .filter((e) => shows(topField(e.property)))
      .map((e) =>
        // Shown under the field itself: "Owner is required", not rjsf's
        // "must have required property 'Owner'".
        e.name === 'required'
          ? {
              ...e,
              message: `${e.title || String(e.params?.missingProperty ?? 'This field')} is required`,
            }
          : e,
      );

  const customValidate = (data: FormValues | undefined, errors: FormValidation<FormValues>) => {
    if (!page) return errors;
    for (const field of page.fields) {
      const ui = page.uiSchema[field] as JsonObject | undefined;
      const problems = fieldProblems(ui?.['ui:field'], data?.[field], {
        hostType: (host) => hostTypeIn(integrations.data, host),
      });
      const target = (errors as Record<string, FormValidation | undefined>)[field];
      if (!target || !shows(field)) continue;
      for (const problem of problems) target.addError(problem);
    }
    return errors;
  };

  const pageValues = (p: PreparedPage): Array<[string, JsonValue]> =>
    p.fields.filter((f) => !isEmpty(formData[f])).map((f) => [f, formData[f] as JsonValue]);

  const submit = () => {
    const values: JsonObject = {};
    const secretFields: string[] = [];
    for (const i of visibleIndexes) {
      const p = pages[i]!;
      for (const [f, v] of pageValues(p)) values[f] = v;
      secretFields.push(...p.secretFields);
    }
    const request = splitSecrets(values, secretFields);
    props.onSubmit({ ...request, secrets: { ...fieldSecrets, ...request.secrets } });
  };

  const formContext: WizardFormContext = {
    formData: formData as Record<string, unknown>,
    secrets: fieldSecrets,
    setSecret: (key, value) =>
      setFieldSecrets((current) => {
        const next = { ...current };
        if (value === undefined) delete next[key];
        else next[key] = value;
        return next;
      }),
  };

  const labels = props.labels ?? {};
  const stepper = (
    <ol className="stepper" aria-label="Form pages">
      {visibleIndexes.map((i, n) => {
        const current = !review && i === step;
        const done = review || visibleIndexes.indexOf(step) > n;
        return (
          <li
            key={i}
            className={current ? 'current' : done ? 'done' : undefined}
            aria-current={current ? 'step' : undefined}
          >
            <span className="stepper-number" aria-hidden="true">
              {done ? '✓' : n + 1}
            </span>
            {pages[i]!.title}
          </li>
        );
      })}
      <li className={review ? 'current' : undefined} aria-current={review ? 'step' : undefined}>
        <span className="stepper-number" aria-hidden="true">
          {visibleIndexes.length + 1}
        </span>
        Review
      </li>
    </ol>
  );

  if (pages.length === 0 || review || !page) {
    return (
      <div className="wizard">
        {stepper}
        <section className="card wizard-page" aria-labelledby="wizard-review-title">
          <h2 id="wizard-review-title" ref={headingRef} tabIndex={-1}>
            Review
          </h2>
          {visibleIndexes.length === 0 && <p>This template asks for nothing.</p>}
          {visibleIndexes.map((i) => {
            const p = pages[i]!;
            const values = pageValues(p);
            return (
              <div key={i} className="review-page">
                <h3>
                  {p.title}{' '}
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      setReview(false);
                      setStep(i);
                    }}
                  >
                    Edit<span className="visually-hidden"> {p.title}</span>
                  </button>
                </h3>
                {values.length === 0 ? (
                  <p className="muted">Nothing entered.</p>
                ) : (
                  <dl className="props" data-testid="review-values">
                    {values.map(([field, value]) => (
                      <ReviewRow
                        key={field}
                        title={fieldTitle(p, field)}
                        value={p.secretFields.includes(field) ? MASK : formatValue(value)}
                      />
                    ))}
                  </dl>
                )}
              </div>
            );
          })}
          <div className="wizard-actions">
            <button
              type="button"
              onClick={() => {
                setReview(false);
                setStep(visibleIndexes[visibleIndexes.length - 1] ?? 0);
              }}
              disabled={visibleIndexes.length === 0}
            >
              {labels.backButtonText ?? 'Back'}
            </button>
            <button type="button" className="primary" disabled={props.submitting} onClick={submit}>
              {props.submitting
                ? `${props.submitLabel}…`
                : (labels.createButtonText ?? props.submitLabel)}
            </button>
          </div>
        </section>
      </div>
    );
  }

  const conditionProblem = conditions[step];
  const isLast = visibleIndexes.indexOf(step) === visibleIndexes.length - 1;
  return (
    <div className="wizard">
      {stepper}
      <section className="card wizard-page" aria-labelledby="wizard-page-title">
        <h2 id="wizard-page-title" ref={headingRef} tabIndex={-1}>
          {page.title}
        </h2>
        {page.description && <p className="muted">{page.description}</p>}
        {conditionProblem && !conditionProblem.ok && (
          <p className="muted" role="note">
            This page's condition could not be checked here ({conditionProblem.error}), so it is
            shown.
          </p>
        )}
        <Form<FormValues>
          key={step}
          ref={formRef}
          schema={page.schema}
          uiSchema={{ ...page.uiSchema, 'ui:submitButtonOptions': { norender: true } }}
          formData={formData}
          validator={validator}
          fields={FORM_FIELDS}
          templates={FORM_TEMPLATES}
          formContext={formContext}
          liveValidate="onChange"
          showErrorList={false}
          noHtml5Validate
          transformErrors={transformErrors}
          customValidate={customValidate}
          extraErrors={pageErrorSchema(props.serverErrors, page)}
          focusOnFirstError={(error) => {
            if (submitting.current) formRef.current?.focusOnError(error);
          }}
          onError={() => {
            submitting.current = false;
          }}
          onFocus={(id) => touch(id)}
          onChange={(event, id) => {
            touch(id);
            setFormData((event.formData ?? {}) as JsonObject);
          }}
          onBlur={(id) => {
            const field = page && fieldOfId(id, page.fields);
            if (field && !touched.current.has(field)) touched.current.add(field);
            // Leaving a field shows its errors even if it was never changed (a skipped
            // required field).
            formRef.current?.validateForm();
          }}
          onSubmit={(event) => {
            submitting.current = false;
            setFormData((event.formData ?? {}) as JsonObject);
            go(1);
          }}
        >
          <div className="wizard-actions">
            <button
              type="button"
              onClick={() => go(-1)}
              disabled={visibleIndexes.indexOf(step) <= 0}
            >
              {labels.backButtonText ?? 'Back'}
            </button>
            <button
              type="submit"
              className="primary"
              onClick={() => {
                showAll.current = true;
                submitting.current = true;
              }}
            >
              {isLast ? (labels.reviewButtonText ?? 'Review') : 'Next'}
            </button>
          </div>
        </Form>
      </section>
    </div>
  );
}

function ReviewRow({ title, value }: { title: string; value: string }): ReactNode {
  return (
    <>
      <dt>{title}</dt>
      <dd className={value.includes('\n') ? 'pre' : undefined}>{value}</dd>
    </>
  );
}
