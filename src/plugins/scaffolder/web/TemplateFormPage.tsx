/** A template's form: its parameter pages, the review, and Create → the task page. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { JsonObject } from '../../../model/entity.ts';
import { ApiError, usePageTitle } from '../../../web/plugin-api.ts';
import { ErrorState, Loading } from '../../catalog/web/shared.tsx';
import type { ValidationError } from '../common/index.ts';
import { createTask, getParameterSchema, getTemplateEntity } from './api.ts';
import { preparePage, secretNamesOf } from './form/prepare.ts';
import { Wizard, type WizardLabels } from './form/Wizard.tsx';

/** The `{errors}` of a 400 answer, if that is what failed. */
export function serverErrorsOf(error: unknown): ValidationError[] | undefined {
  if (!(error instanceof ApiError) || error.status !== 400) return undefined;
  const errors = (error.body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? (errors as ValidationError[]) : undefined;
}

export function SubmitErrors({ error }: { error: unknown }) {
  const errors = serverErrorsOf(error);
  return (
    <div className="state state-error" role="alert" data-testid="submit-errors">
      <strong>
        {errors ? 'The server did not accept these values.' : 'Something went wrong.'}
      </strong>
      {errors ? (
        <ul className="plain">
          {errors.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
            <li key={i}>
              {e.field ? <code>{e.field}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : (
        <p>{error instanceof Error ? error.message : String(error)}</p>
      )}
    </div>
  );
}

function labelsOf(presentation: JsonObject | undefined): WizardLabels | undefined {
  const labels = presentation?.buttonLabels;
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) return undefined;
  const pick = (key: string) => {
    const value = (labels as JsonObject)[key];
    return typeof value === 'string' && value ? value : undefined;
  };
  return {
    backButtonText: pick('backButtonText'),
    reviewButtonText: pick('reviewButtonText'),
    createButtonText: pick('createButtonText'),
  };
}

export function TemplateFormPage() {
  const { namespace = 'default', name = '' } = useParams();
  const navigate = useNavigate();
  const schema = useQuery({
    queryKey: ['scaffolder-parameter-schema', namespace, name],
    queryFn: ({ signal }) => getParameterSchema(namespace, name, signal),
    staleTime: 0,
  });
  // Only for `spec.secrets`: without it the form still works, with password fields as secrets.
  const entity = useQuery({
    queryKey: ['entity', { kind: 'template', namespace, name }],
    queryFn: ({ signal }) => getTemplateEntity(namespace, name, signal),
  });
  usePageTitle(schema.data?.title ?? name);
  const secretNames = useMemo(
    () => secretNamesOf(entity.data as unknown as JsonObject | undefined),
    [entity.data],
  );
  const pages = useMemo(
    () => (schema.data?.steps ?? []).map((step) => preparePage(step, secretNames)),
    [schema.data, secretNames],
  );
  const create = useMutation({
    mutationFn: (request: { values: JsonObject; secrets: Record<string, string> }) =>
      createTask({
        templateRef: `template:${namespace}/${name}`,
        values: request.values,
        secrets: Object.keys(request.secrets).length ? request.secrets : undefined,
      }),
    onSuccess: ({ id }) => navigate(`/create/tasks/${encodeURIComponent(id)}`),
  });

  return (
    <div className="page">
      <p className="muted">
        <Link to="/create">All templates</Link>
      </p>
      {schema.isPending || entity.isPending ? (
        <Loading what="the template" />
      ) : schema.isError ? (
        <>
          <h1>{name}</h1>
          <ErrorState error={schema.error} retry={() => schema.refetch()} />
        </>
      ) : (
        <>
          <h1>{schema.data.title}</h1>
          {schema.data.description && <p className="muted">{schema.data.description}</p>}
          {create.isError && <SubmitErrors error={create.error} />}
          <Wizard
            pages={pages}
            submitLabel="Create"
            labels={labelsOf(schema.data.presentation)}
            submitting={create.isPending || create.isSuccess}
            serverErrors={serverErrorsOf(create.error)}
            onSubmit={(request) => create.mutate(request)}
          />
        </>
      )}
    </div>
  );
}
