import { ConflictError, InputError, NotFoundError } from '../../../../core/errors.ts';
import type { Entity, JsonObject } from '../../../../model/entity.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { ValidationError } from '../../common/api-types.ts';
import type { ActionRegistry } from '../actions/registry.ts';
import { buildTaskSpec, findEntity, findTemplate, templateBaseUrl } from '../templates.ts';
import {
  type CheckingTemplater,
  secretsSchemaOf,
  validateSecrets,
  validateSteps,
  validateValues,
} from '../validation/task-request.ts';
import type { EventHub } from './event-hub.ts';
import type { TaskRunner } from './runner.ts';
import { type CarriedStep, type TaskStore, TERMINAL } from './task-store.ts';

/** A 400 whose body is Backstage's `{errors: [...]}` rather than the usual error object. */
export class ValidationFailed extends InputError {
  constructor(readonly errors: ValidationError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

export interface TaskServiceDeps {
  store: TaskStore;
  runner: TaskRunner | undefined;
  registry: ActionRegistry;
  templater: CheckingTemplater;
  catalog: CatalogApi;
  hub: EventHub;
}

/**
 * Everything that happens to a task outside the runner: creation (all checks first, so a
 * request that cannot run never becomes a task), cancel and retry.
 */
export class TaskService {
  constructor(private readonly deps: TaskServiceDeps) {}

  /**
   * Every problem with a template run request that can be found without running it: throws
   * the errors, answers the warnings (what Backstage runs anyway, see validateSteps).
   */
  async check(
    template: Entity,
    values: JsonObject,
    secrets: Record<string, string>,
  ): Promise<ValidationError[]> {
    const { registry, templater } = this.deps;
    const steps = await validateSteps(template, registry, templater);
    const errors = [
      ...(await validateValues(template, values, templater)),
      ...validateSecrets(secretsSchemaOf(template), secrets),
      ...steps.errors,
    ];
    if (errors.length) throw new ValidationFailed(errors);
    return steps.warnings;
  }

  async userOf(ref: string): Promise<{ ref: string; entity?: Entity }> {
    const entity = await findEntity(this.deps.catalog, ref);
    return { ref, ...(entity ? { entity } : {}) };
  }

  async create(input: {
    templateRef: string;
    values: JsonObject;
    secrets?: Record<string, string>;
    userRef: string;
  }): Promise<{ id: string }> {
    const template = await findTemplate(this.deps.catalog, input.templateRef);
    const secrets = input.secrets ?? {};
    const warnings = await this.check(template, input.values, secrets);
    const spec = buildTaskSpec({
      template,
      values: input.values,
      user: await this.userOf(input.userRef),
      baseUrl: templateBaseUrl(template),
    });
    const id = await this.deps.store.create({
      spec,
      createdBy: input.userRef,
      templateRef: spec.templateInfo.entityRef,
      secrets,
      secretsSchema: secretsSchemaOf(template),
    });
    // Before the runner is woken, so the warnings open the log.
    for (const warning of warnings) {
      await this.deps.store.appendEvent(id, 'log', { message: `Warning: ${warning.message}` });
    }
    this.deps.runner?.wake();
    return { id };
  }

  async cancel(id: string): Promise<{ status: 'cancelled' }> {
    const { store, hub } = this.deps;
    const row = await store.row(id);
    if (!row) throw new NotFoundError(`Task with id ${id} does not exist`);
    if (TERMINAL.includes(row.status)) {
      throw new ConflictError(`Task ${id} has already ended (status ${row.status})`);
    }
    if (row.status === 'open') {
      const message = 'The task was cancelled before it started.';
      const ok = await store.finish(
        id,
        'cancelled',
        {
          message: 'Run completed with status: cancelled',
          error: { name: 'TaskCancelledError', message },
        },
        { from: ['open'] },
        [{ type: 'cancelled', body: { message, status: 'cancelled' } }],
      );
      if (ok) {
        hub.notify(id);
        return { status: 'cancelled' };
      }
    }
    // Processing here or on another replica: that runner sees the flag on its next
    // heartbeat; if it is this process, the step is aborted at once.
    await store.requestCancel(id);
    this.deps.runner?.cancelLocal(id);
    return { status: 'cancelled' };
  }

  /**
   * A new task with the same spec that continues at the step that failed: the outputs of
   * the steps before it are carried over and, when the old workspace still exists, the new
   * task works in it (see TaskRunner). Secrets were deleted when the task ended, so the
   * request passes them again.
   */
  async retry(
    id: string,
    secrets: Record<string, string> | undefined,
    userRef: string,
  ): Promise<{ id: string }> {
    const { store } = this.deps;
    const row = await store.row(id);
    if (!row) throw new NotFoundError(`Task with id ${id} does not exist`);
    if (row.status === 'completed') {
      throw new ConflictError(
        `Task ${id} completed; only a failed or cancelled task can be retried`,
      );
    }
    if (!TERMINAL.includes(row.status)) {
      throw new ConflictError(`Task ${id} is still ${row.status}; retry it once it has ended`);
    }
    const schema = row.secrets_schema ? (JSON.parse(row.secrets_schema) as JsonObject) : undefined;
    const given = secrets ?? {};
    const errors = validateSecrets(schema, given);
    if (errors.length) throw new ValidationFailed(errors);
    const spec = JSON.parse(row.spec);
    const byId = new Map((await store.steps(id)).map((s) => [s.step_id, s]));
    const carried: CarriedStep[] = [];
    for (const step of spec.steps as Array<{ id: string }>) {
      const state = byId.get(step.id);
      // A skipped step is judged again (its `if` may see new outputs); the first step that
      // did not complete is where the retry starts.
      if (state?.status === 'skipped') continue;
      if (state?.status !== 'completed') break;
      carried.push({
        stepId: step.id,
        output: JSON.parse(state.output ?? '{}') as JsonObject,
        from: state.reused_from ?? id,
      });
    }
    const newId = await store.create({
      spec,
      createdBy: userRef,
      templateRef: row.template_ref ?? undefined,
      secrets: given,
      ...(schema ? { secretsSchema: schema } : {}),
      retryOf: id,
      carried,
    });
    this.deps.runner?.wake();
    return { id: newId };
  }
}
