import type { Permission, ResourceTarget } from '../../../../core/plugin-api.ts';
import type { ScaffolderActionResource } from '../permissions.ts';
import { InputError } from '../../../../core/errors.ts';
import type { JsonObject, JsonValue } from '../../../../model/entity.ts';
import type {
  StepStatus,
  TaskEventType,
  TaskOutput,
  TaskSpec,
  TaskStep,
} from '../../common/api-types.ts';
import type { ActionRegistry } from '../actions/registry.ts';
import type { ActionContext, TaskLogger, TemplateAction } from '../actions/types.ts';
import { TemplatingError } from '../templating/index.ts';
import type { TemplateRenderer } from '../templating/renderer.ts';
import { LogScrubber } from './log-scrubber.ts';
import { SecretMasker } from './masking.ts';

/**
 * What the step engine needs of the templater: rendering in worker threads, under the
 * `scaffolder.limits.*` bounds (see templating/renderer.ts).
 */
export type Templater = TemplateRenderer;

export interface ExecuteRequest {
  taskId: string;
  spec: TaskSpec;
  /** Request secrets: `${{ secrets.x }}` in step inputs. */
  secrets: Record<string, string>;
  /** `scaffolder.defaultEnvironment`. */
  environment: { parameters: JsonObject; secrets: Record<string, string> };
  registry: ActionRegistry;
  templater: Templater;
  workspacePath: string;
  createTemporaryDirectory(): Promise<string>;
  isDryRun: boolean;
  /** Aborting it stops the running step: the run ends `cancelled` (or interrupted, see runner). */
  signal: AbortSignal;
  /** Stores or shows an event; bodies arrive with secrets already masked. Called in order. */
  emit(type: TaskEventType, body: JsonObject): Promise<void>;
  /** Step state for retries; outputs arrive masked. */
  onStep?(stepId: string, status: StepStatus, output?: JsonObject): Promise<void>;
  /** Steps a retry takes over from the task it retries: their outputs are reused, not re-run. */
  reuse?: Map<string, { output: JsonObject; from: string }>;
  /** Checks a permission as the task's creator; throws `NotAllowedError` when denied. */
  authorize?(permission: Permission, resource?: string | ResourceTarget): Promise<void>;
  /** Calls the portal's API as the task's creator (see ActionContext.portalRequest). */
  portalRequest?: ActionContext['portalRequest'];
}

export interface ExecuteResult {
  status: 'completed' | 'failed' | 'cancelled';
  output?: TaskOutput;
  error?: { name: string; message: string };
  /** The step that failed or was running when the run was aborted. */
  stepId?: string;
}

class StepCancelled extends Error {
  override name = 'TaskCancelledError';
}

/**
 * The abort reason of a run stopped by its server shutting down (not by a person): the step
 * is recorded as failed with this message, later steps are left for a retry.
 */
export class TaskInterruptedError extends Error {
  override name = 'TaskInterruptedError';
}

/** A condition that names `always()` or `failure()` runs even after a failed step. */
const STATUS_FUNCTION = /\b(always|failure)\s*\(\s*\)/;

/**
 * Runs a task spec's steps in order (Backstage v1beta3 semantics, COMPAT.md §6.1): renders
 * each input in the scope of §6.2, checks it against the action's schema, runs `each` and
 * `if`, skips steps after a failure unless their `if` calls `always()`/`failure()`, and
 * finally renders `spec.output`. Every event body and output passes the secret masker first.
 *
 * Shared by the task runner, the dry-run route and `atrium template run`.
 */
/** As Backstage declares it: no action, resource type `scaffolder-action` (the action id). */
export const ACTION_EXECUTE: Permission = {
  name: 'scaffolder.action.execute',
  resourceType: 'scaffolder-action',
};

export async function executeSpec(req: ExecuteRequest): Promise<ExecuteResult> {
  const { spec, registry, signal } = req;
  // One total render-time budget for the whole run; renders stop when the run is aborted.
  const templater = req.templater.forTask({ signal });
  const masker = new SecretMasker([
    ...Object.values(req.secrets),
    ...Object.values(req.environment.secrets),
  ]);
  // Events and errors show paths relative to the workspace, no server paths, no stack traces.
  const scrubber = new LogScrubber(req.workspacePath);
  const createTemporaryDirectory = async () => {
    const dir = await req.createTemporaryDirectory();
    scrubber.add(dir);
    return dir;
  };
  // Event order matters (the log is read in id order); action loggers are synchronous.
  let queue: Promise<void> = Promise.resolve();
  // Closed once the run has ended: an aborted action that keeps logging cannot add events
  // after the completion.
  let closed = false;
  let emitError: unknown;
  const emit = (type: TaskEventType, body: JsonObject) => {
    if (closed) return queue;
    const masked = scrubber.json(masker.json(body));
    queue = queue
      .then(() => req.emit(type, masked))
      .catch((error: unknown) => {
        emitError ??= error;
      });
    return queue;
  };
  const log = (body: { message: string; stepId?: string; status?: StepStatus }) =>
    emit('log', body as JsonObject);

  const steps: Record<string, { output: JsonObject }> = {};
  let failed: { name: string; message: string; stepId: string } | undefined;
  let cancelledAt: string | undefined;

  // Plain data only: it is copied to a rendering worker, which adds `always()` and
  // `failure()` from `status` (see renderOptions).
  const scope = (withSecrets: boolean, each?: { key: string; value: JsonValue }) => ({
    parameters: spec.parameters,
    steps,
    user: spec.user,
    ...(withSecrets ? { secrets: req.secrets } : {}),
    environment: {
      parameters: req.environment.parameters,
      secrets: withSecrets ? req.environment.secrets : {},
    },
    context: { task: { id: req.taskId } },
    ...(each ? { each } : {}),
  });
  const renderOptions = (path: string) => ({ path, status: { failed: failed !== undefined } });
  const stepPath = new Map(spec.steps.map((step, i) => [step, `spec.steps[${i}]`]));
  const pathOf = (step: TaskStep) => stepPath.get(step) ?? `steps.${step.id}`;

  await log({ message: `Starting up task with ${spec.steps.length} steps` });

  for (const step of spec.steps) {
    if (signal.reason instanceof TaskInterruptedError) {
      await fail(step, signal.reason);
      break;
    }
    if (cancelledAt !== undefined || signal.aborted) {
      cancelledAt ??= step.id;
      await logCancelled(step);
      continue;
    }
    const reused = req.reuse?.get(step.id);
    if (reused) {
      steps[step.id] = { output: reused.output };
      await log({
        message: `Step ${step.name} already completed in task ${reused.from}; reusing its output`,
        stepId: step.id,
        status: 'completed',
      });
      continue;
    }
    if (failed && !(typeof step.if === 'string' && STATUS_FUNCTION.test(step.if))) {
      await skip(step, `Skipping step ${step.id} because an earlier step failed`);
      continue;
    }
    if (step.each === undefined && step.if !== undefined) {
      let run: boolean;
      try {
        run = await templater.isTruthy(step.if, scope(false), renderOptions(`${pathOf(step)}.if`));
      } catch (error) {
        if (signal.reason instanceof TaskInterruptedError) {
          await fail(step, signal.reason);
          break;
        }
        if (signal.aborted) {
          // Cancelled while its condition rendered: this step and the later ones are skipped.
          cancelledAt ??= step.id;
          await logCancelled(step);
          continue;
        }
        await fail(step, error);
        continue;
      }
      if (!run) {
        await skip(step, `Skipping step ${step.id} because its if condition was false`);
        continue;
      }
    }

    await log({ message: `Beginning step ${step.name}`, stepId: step.id, status: 'processing' });
    await req.onStep?.(step.id, 'processing');
    try {
      const output = await runStep(step);
      steps[step.id] = { output };
      await log({ message: `Finished step ${step.name}`, stepId: step.id, status: 'completed' });
      await queue;
      await req.onStep?.(step.id, 'completed', masker.json(output));
    } catch (error) {
      if (signal.reason instanceof TaskInterruptedError) {
        await fail(step, signal.reason);
        break;
      }
      if (error instanceof StepCancelled || signal.aborted) {
        cancelledAt = step.id;
        await log({
          message: `Step ${step.id} has been cancelled.`,
          stepId: step.id,
          status: 'cancelled',
        });
        await emit('cancelled', {
          message: `Step ${step.id} has been cancelled.`,
          stepId: step.id,
          status: 'cancelled',
        });
        await queue;
        await req.onStep?.(step.id, 'cancelled');
      } else {
        await fail(step, error);
      }
    }
  }
  await queue;
  closed = true;
  // A log that could not be stored (database gone) fails the run rather than hiding it.
  if (emitError) throw emitError;

  if (cancelledAt !== undefined) {
    return {
      status: 'cancelled',
      stepId: cancelledAt,
      error: {
        name: 'TaskCancelledError',
        message: `The task was cancelled at step ${cancelledAt}`,
      },
    };
  }
  if (failed) {
    const { stepId, ...error } = failed;
    return { status: 'failed', error: scrubber.json(masker.json(error)), stepId };
  }
  try {
    return { status: 'completed', output: masker.json(await renderOutput()) };
  } catch (error) {
    if (signal.aborted && !(signal.reason instanceof TaskInterruptedError)) {
      return {
        status: 'cancelled',
        error: {
          name: 'TaskCancelledError',
          message: 'The task was cancelled while its output was rendered',
        },
      };
    }
    const e = error as Error;
    // A TemplatingError already names where in spec.output it was.
    const named = e instanceof TemplatingError && e.path.startsWith('spec.output');
    return {
      status: 'failed',
      error: scrubber.json(
        masker.json({
          name: e.name ?? 'Error',
          message: named ? e.message : `spec.output: ${e.message}`,
        }),
      ),
    };
  }

  /** A step not run because the task was cancelled (before it, or while its condition rendered). */
  function logCancelled(step: TaskStep) {
    return log({
      message: `Skipping step ${step.id}: the task was cancelled`,
      stepId: step.id,
      status: 'skipped',
    });
  }

  async function skip(step: TaskStep, message: string) {
    await log({ message, stepId: step.id, status: 'skipped' });
    await queue;
    await req.onStep?.(step.id, 'skipped');
  }

  async function fail(step: TaskStep, error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    if (e instanceof TaskInterruptedError) {
      const message = `${e.message}; retry to resume from step ${step.id}`;
      failed = { name: e.name, message, stepId: step.id };
      await log({ message, stepId: step.id, status: 'failed' });
      await queue;
      await req.onStep?.(step.id, 'failed');
      return;
    }
    failed = { name: e.name, message: e.message, stepId: step.id };
    await log({ message: e.stack ?? `${e.name}: ${e.message}`, stepId: step.id, status: 'failed' });
    await queue;
    await req.onStep?.(step.id, 'failed');
  }

  async function runStep(step: TaskStep): Promise<JsonObject> {
    const action = registry.get(step.action);
    if (step.each === undefined) {
      const output: JsonObject = {};
      await invoke(step, action, undefined, (name, value) => {
        output[name] = value;
      });
      return output;
    }
    const each = await templater.renderValue(
      step.each,
      scope(true),
      renderOptions(`${pathOf(step)}.each`),
    );
    if (each === null || typeof each !== 'object') {
      throw new InputError(
        `Invalid value on action ${step.action}.each parameter, "${typeof step.each === 'string' ? step.each : JSON.stringify(step.each)}" cannot be resolved to a value of type array or object`,
      );
    }
    const output: Record<string, JsonValue[]> = {};
    for (const [key, value] of Object.entries(each)) {
      const item = { key, value: value as JsonValue };
      const run = await templater.isTruthy(
        step.if,
        scope(true, item),
        renderOptions(`${pathOf(step)}.if`),
      );
      if (!run) {
        await log({
          message: `Skipping iteration ${key} of step ${step.id}: its if condition was false`,
          stepId: step.id,
        });
        continue;
      }
      await log({ message: `Running step ${step.id} for each.key ${key}`, stepId: step.id });
      const iteration: JsonObject = {};
      await invoke(step, action, item, (name, v) => {
        iteration[name] = v;
      });
      for (const [name, v] of Object.entries(iteration)) {
        const list = output[name] ?? [];
        list.push(v ?? null);
        output[name] = list;
      }
    }
    return output;
  }

  async function invoke(
    step: TaskStep,
    action: TemplateAction,
    each: { key: string; value: JsonValue } | undefined,
    output: (name: string, value: JsonValue) => void,
  ) {
    const rendered = await templater.renderValue(
      step.input ?? {},
      scope(true, each),
      renderOptions(`${pathOf(step)}.input`),
    );
    const input = (
      rendered && typeof rendered === 'object' && !Array.isArray(rendered) ? rendered : {}
    ) as JsonObject;
    registry.check(action.id, input);
    // Backstage's scaffolder.action.execute, asked per step as the task's creator, on the
    // action with its rendered input (conditions may look at both).
    await req.authorize?.(ACTION_EXECUTE, {
      ref: action.id,
      resource: { action: action.id, input } satisfies ScaffolderActionResource,
    });
    for (const key of registry.unknownInputs(action.id, input)) {
      await log({
        message: `warn: input.${key} is not an input of ${action.id}; ignored`,
        stepId: step.id,
      });
    }
    if (req.isDryRun && !action.supportsDryRun) {
      await log({
        message: `Skipping because ${action.id} does not support dry-run; its output is made up from its schema`,
        stepId: step.id,
      });
      for (const [name, value] of Object.entries(mockOutput(action.schema.output, step.id)))
        output(name, value ?? null);
      return;
    }
    const line = (level: string) => (message: string) => {
      void log({ message: `${level}: ${message}`, stepId: step.id });
    };
    const logger: TaskLogger = {
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
    };
    const ctx: ActionContext = {
      input,
      workspacePath: req.workspacePath,
      logger,
      output,
      createTemporaryDirectory,
      templateInfo: spec.templateInfo,
      user: spec.user.ref ? { entity: spec.user.entity, ref: spec.user.ref } : undefined,
      secrets: { ...req.secrets },
      isDryRun: req.isDryRun,
      signal,
      renderer: templater,
      task: { id: req.taskId },
      step: { id: step.id, name: step.name },
      ...(each ? { each } : {}),
      ...(req.authorize ? { authorize: req.authorize } : {}),
      ...(req.portalRequest && !req.isDryRun ? { portalRequest: req.portalRequest } : {}),
    };
    if (signal.aborted) throw new StepCancelled();
    await new Promise<void>((resolve, reject) => {
      // An action that ignores its signal still stops the task at once; whatever it does
      // afterwards can no longer reach the log (the queue is closed with the run).
      const onAbort = () => reject(new StepCancelled());
      signal.addEventListener('abort', onAbort, { once: true });
      action
        .handler(ctx)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
    await queue;
  }

  async function renderOutput(): Promise<TaskOutput> {
    const raw = spec.output ?? {};
    const out: TaskOutput = {};
    const s = scope(false);
    for (const [key, value] of Object.entries(raw)) {
      const path = /^[A-Za-z_$][\w$]*$/.test(key)
        ? `spec.output.${key}`
        : `spec.output[${JSON.stringify(key)}]`;
      if ((key === 'links' || key === 'text') && Array.isArray(value)) {
        const items: JsonObject[] = [];
        for (const [i, item] of value.entries()) {
          if (!item || typeof item !== 'object' || Array.isArray(item)) continue;
          const { if: condition, ...rest } = item as JsonObject;
          if (
            condition !== undefined &&
            !(await templater.isTruthy(condition, s, renderOptions(`${path}[${i}].if`)))
          ) {
            continue;
          }
          const rendered = await templater.renderValue(rest, s, renderOptions(`${path}[${i}]`));
          if (rendered && typeof rendered === 'object') items.push(rendered as JsonObject);
        }
        out[key] = items as never;
      } else {
        const rendered = await templater.renderValue(value, s, renderOptions(path));
        if (rendered !== undefined) out[key] = rendered;
      }
    }
    return out;
  }
}

/** Outputs for an action skipped in a dry run, made up from its output schema. */
export function mockOutput(schema: JsonObject | undefined, stepId: string): JsonObject {
  const properties = (schema?.properties ?? {}) as Record<string, JsonObject>;
  const out: JsonObject = {};
  for (const [name, prop] of Object.entries(properties))
    out[name] = mockValue(prop, `${stepId}.${name}`);
  return out;
}

function mockValue(schema: JsonObject, path: string): JsonValue {
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0]!;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0]!;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return mockOutput(schema, path);
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return schema.format === 'uri' || /url$/i.test(path)
        ? `https://dry-run.invalid/${path}`
        : `dry-run:${path}`;
    default:
      return null;
  }
}
