import type { Worker } from 'node:worker_threads';
import { InputError } from '../../../../core/errors.ts';
import { startWorker } from '../../../../core/worker-threads.ts';
import type { JsonValue } from '../../../../model/entity.ts';
import {
  DEFAULT_RENDER_LIMITS,
  formatDuration,
  LIMIT_KEYS,
  type RenderLimits,
  TemplateLimitError,
} from './limits.ts';
import {
  type JobMessage,
  PROGRESS,
  type RenderErrorData,
  type RenderRequest,
  type RenderResult,
  type RenderWorkerData,
  type StepStatus,
  type WorkerMessage,
} from './render-protocol.ts';
import type { ScmIntegrationsConfig } from './repo-url.ts';
import { hasTemplateTags, type SkeletonOptions, TemplatingError } from './secure-templater.ts';

export interface RenderOptions {
  /** Names the value in errors, e.g. `spec.steps[0].input`. */
  path?: string;
  /** Gives the scope Backstage's `always()` and `failure()` (step `if`s and inputs). */
  status?: StepStatus;
}

/**
 * `${{ }}` rendering off the thread that answers requests: each call is rendered by a worker
 * thread under the `scaffolder.limits.*` bounds, and fails with a TemplateLimitError naming
 * the bound it exceeded. Scopes and values must be plain JSON data (they are copied to the
 * worker); `always()`/`failure()` are added there when `options.status` is given.
 * The semantics are SecureTemplater's (see its methods).
 */
export interface TemplateRenderer {
  renderValue(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    options?: RenderOptions,
  ): Promise<JsonValue | undefined>;
  renderValueStrict(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    options?: RenderOptions,
  ): Promise<JsonValue | undefined>;
  isTruthy(
    condition: unknown,
    scope: Record<string, unknown>,
    options?: RenderOptions,
  ): Promise<boolean>;
  /** One skeleton file (or file name); throws TemplatingError. */
  renderSkeleton(
    text: string,
    values: Record<string, unknown>,
    options?: SkeletonOptions,
  ): Promise<string>;
  /**
   * Many skeleton texts in one worker call (each still bounded by `renderTimeout` on its
   * own); throws the first file's TemplatingError.
   */
  renderSkeletonFiles(
    files: Array<{ text: string; name: string }>,
    values: Record<string, unknown>,
    options?: Omit<SkeletonOptions, 'name'>,
  ): Promise<string[]>;
  checkTemplate(value: unknown, path: string): Promise<Array<{ path: string; message: string }>>;
  /** {@link checkTemplate} of several values in one worker call. */
  checkTemplates(
    items: Array<{ value: unknown; path: string }>,
  ): Promise<Array<Array<{ path: string; message: string }>>>;
  /**
   * A view for one task (or dry run): its renders share one total-time budget
   * (`scaffolder.limits.taskRenderTime`) and stop when `signal` aborts. Called on a task's
   * view, it keeps that task's budget.
   */
  forTask(options?: { signal?: AbortSignal }): TemplateRenderer;
}

/** The pool behind a renderer: `close()` stops its workers. */
export interface TemplateRendererService extends TemplateRenderer {
  /** Starts a worker now, so the first render does not wait for one to load. */
  warm(): void;
  close(): Promise<void>;
  readonly limits: RenderLimits;
}

export interface TemplateRendererOptions {
  integrations?: ScmIntegrationsConfig;
  limits?: Partial<RenderLimits>;
}

export function createTemplateRenderer(
  options: TemplateRendererOptions = {},
): TemplateRendererService {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  const pool = new RenderPool(limits, options.integrations);
  const renderer = new PoolRenderer(pool, undefined, undefined);
  return Object.assign(renderer, {
    limits,
    warm: () => pool.warm(),
    close: () => pool.close(),
  });
}

/** The time one task's renders have used. */
class RenderBudget {
  spentMs = 0;
  constructor(readonly totalMs: number | null) {}
  remaining(): number {
    return this.totalMs === null ? Number.POSITIVE_INFINITY : this.totalMs - this.spentMs;
  }
}

class PoolRenderer implements TemplateRenderer {
  constructor(
    private readonly pool: RenderPool,
    private readonly budget: RenderBudget | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  forTask(options: { signal?: AbortSignal } = {}): TemplateRenderer {
    // A view of a task's view keeps that task's budget.
    return new PoolRenderer(
      this.pool,
      this.budget ?? new RenderBudget(this.pool.limits.taskRenderTimeMs),
      options.signal ?? this.signal,
    );
  }

  private async run<R extends RenderResult>(request: RenderRequest, name: string): Promise<R> {
    return (await this.pool.run(request, { name, budget: this.budget, signal: this.signal })) as R;
  }

  async renderValue(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    options: RenderOptions = {},
  ): Promise<JsonValue | undefined> {
    const path = options.path ?? '';
    const request: RenderRequest = { op: 'value', value, scope, path, strict: false };
    if (options.status) request.status = options.status;
    return (await this.run<Extract<RenderResult, { op: 'value' }>>(request, path)).value;
  }

  async renderValueStrict(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    options: RenderOptions = {},
  ): Promise<JsonValue | undefined> {
    const path = options.path ?? '';
    const request: RenderRequest = { op: 'value', value, scope, path, strict: true };
    if (options.status) request.status = options.status;
    return (await this.run<Extract<RenderResult, { op: 'value' }>>(request, path)).value;
  }

  async isTruthy(
    condition: unknown,
    scope: Record<string, unknown>,
    options: RenderOptions = {},
  ): Promise<boolean> {
    // SecureTemplater.isTruthy's first two rules, without a trip to a worker.
    if (condition === undefined) return true;
    if (typeof condition === 'boolean') return condition;
    const path = options.path ?? '';
    const request: RenderRequest = { op: 'truthy', condition, scope, path };
    if (options.status) request.status = options.status;
    return (await this.run<Extract<RenderResult, { op: 'truthy' }>>(request, path)).value;
  }

  async renderSkeleton(
    text: string,
    values: Record<string, unknown>,
    options: SkeletonOptions = {},
  ): Promise<string> {
    const { name = '', ...rest } = options;
    const [out] = await this.renderSkeletonFiles([{ text, name }], values, rest);
    return out!;
  }

  async renderSkeletonFiles(
    files: Array<{ text: string; name: string }>,
    values: Record<string, unknown>,
    options: Omit<SkeletonOptions, 'name'> = {},
  ): Promise<string[]> {
    const out = files.map((f) => f.text);
    // Text without a tag renders to itself: only the others travel to the worker.
    const templated: number[] = [];
    for (const [i, f] of files.entries()) {
      if (hasTemplateTags(f.text, Boolean(options.cookiecutterCompat))) templated.push(i);
    }
    if (templated.length === 0) return out;
    const request: RenderRequest = {
      op: 'skeleton',
      files: templated.map((i) => files[i]!),
      values,
      options: {
        ...(options.cookiecutterCompat !== undefined
          ? { cookiecutterCompat: options.cookiecutterCompat }
          : {}),
        ...(options.trimBlocks !== undefined ? { trimBlocks: options.trimBlocks } : {}),
        ...(options.lstripBlocks !== undefined ? { lstripBlocks: options.lstripBlocks } : {}),
      },
    };
    const { value } = await this.run<Extract<RenderResult, { op: 'skeleton' }>>(
      request,
      files[templated[0]!]!.name,
    );
    for (const [k, i] of templated.entries()) out[i] = value[k]!;
    return out;
  }

  async checkTemplate(
    value: unknown,
    path: string,
  ): Promise<Array<{ path: string; message: string }>> {
    return (await this.checkTemplates([{ value, path }]))[0]!;
  }

  async checkTemplates(
    items: Array<{ value: unknown; path: string }>,
  ): Promise<Array<Array<{ path: string; message: string }>>> {
    if (items.length === 0) return [];
    const request: RenderRequest = { op: 'check', items };
    return (await this.run<Extract<RenderResult, { op: 'check' }>>(request, items[0]!.path)).value;
  }
}

interface Job {
  id: number;
  request: RenderRequest;
  /** What errors name until the worker reports a more precise path. */
  name: string;
  budget: RenderBudget | undefined;
  signal: AbortSignal | undefined;
  startedAt: number;
  resolve(result: RenderResult): void;
  reject(error: Error): void;
  detach(): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
  startedAt: Float64Array;
  pathLength: Int32Array;
  pathBytes: Uint8Array;
}

const encoder = new TextEncoder();

class RenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly limits: RenderLimits,
    private readonly integrations: ScmIntegrationsConfig | undefined,
  ) {}

  warm(): void {
    if (!this.closed && this.slots.length === 0) this.spawn();
  }

  run(
    request: RenderRequest,
    context: { name: string; budget?: RenderBudget; signal?: AbortSignal },
  ): Promise<RenderResult> {
    return new Promise<RenderResult>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('The template renderer has been closed'));
        return;
      }
      const { signal, budget } = context;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      if (budget && budget.remaining() <= 0) {
        reject(this.budgetError(context.name));
        return;
      }
      const job: Job = {
        id: this.nextId++,
        request,
        name: context.name,
        budget,
        signal,
        startedAt: 0,
        resolve,
        reject,
        detach: () => {},
      };
      if (signal) {
        const onAbort = () => this.abort(job);
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.detach();
      job.reject(new Error('The template renderer has been closed'));
    }
    await Promise.all(
      [...this.slots].map((slot) => {
        const job = slot.job;
        this.retire(slot);
        job?.detach();
        job?.reject(new Error('The template renderer has been closed'));
        return slot.worker.terminate().catch(() => {});
      }),
    );
  }

  private pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const idle = this.slots.find((s) => s.ready && !s.job);
      if (!idle) break;
      this.dispatch(idle, this.queue.shift()!);
    }
    const starting = this.slots.filter((s) => !s.ready).length;
    let wanted = this.queue.length - starting;
    while (wanted > 0 && this.slots.length < this.limits.renderWorkers) {
      this.spawn();
      wanted--;
    }
  }

  private spawn(): void {
    const progress = new SharedArrayBuffer(PROGRESS.bytes);
    const data: RenderWorkerData = {
      integrations: this.integrations,
      outputBytes: this.limits.renderOutputBytes,
      memoryMb: this.limits.workerMemoryMb,
      progress,
    };
    // render.worker.js beside this file when compiled, else render.worker.ts through tsx.
    const worker = startWorker(import.meta.url, './render.worker.ts', {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.workerMemoryMb },
      name: 'atrium-template-render',
    });
    const slot: Slot = {
      worker,
      ready: false,
      dead: false,
      startedAt: new Float64Array(progress, PROGRESS.startedAt, 1),
      pathLength: new Int32Array(progress, PROGRESS.pathLength, 1),
      pathBytes: new Uint8Array(progress, PROGRESS.path, PROGRESS.bytes - PROGRESS.path),
    };
    // An idle worker does not keep the process alive; a busy one does (see dispatch).
    worker.unref();
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error: Error & { code?: string }) => this.onFailure(slot, error));
    worker.on('exit', (code) => {
      if (!slot.dead) this.onFailure(slot, new Error(`exited with code ${code}`));
    });
    this.slots.push(slot);
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    job.startedAt = Date.now();
    slot.startedAt[0] = job.startedAt;
    Atomics.store(slot.pathLength, 0, encoder.encodeInto(job.name, slot.pathBytes).written);
    try {
      slot.worker.postMessage({ id: job.id, request: job.request } satisfies JobMessage);
    } catch (error) {
      // A function or class instance in a scope cannot be copied to the worker.
      slot.job = undefined;
      job.detach();
      job.reject(
        new TypeError(
          `${job.name ? `${job.name}: ` : ''}template data must be plain JSON to be rendered (${(error as Error).message})`,
        ),
      );
      this.pump();
      return;
    }
    slot.worker.ref();
    this.watch(slot);
  }

  /** Stops the worker once its current render is past `renderTimeout` or the task's budget. */
  private watch(slot: Slot): void {
    const job = slot.job;
    if (!job || slot.dead) return;
    const now = Date.now();
    let deadline = Math.max(slot.startedAt[0] ?? 0, job.startedAt) + this.limits.renderTimeoutMs;
    let overBudget = false;
    if (job.budget) {
      const end = job.startedAt + job.budget.remaining();
      if (end < deadline) {
        deadline = end;
        overBudget = true;
      }
    }
    if (now >= deadline) {
      const path = this.currentPath(slot) || job.name;
      this.kill(
        slot,
        overBudget
          ? this.budgetError(path)
          : new TemplateLimitError(
              path,
              `rendering took longer than ${LIMIT_KEYS.renderTimeout} (${formatDuration(this.limits.renderTimeoutMs)})`,
              LIMIT_KEYS.renderTimeout,
            ),
      );
      return;
    }
    // Looked at again at the deadline (at least every minute: timers cannot wait for ever).
    slot.timer = setTimeout(() => this.watch(slot), Math.min(deadline - now + 1, 60_000));
  }

  private budgetError(path: string): TemplateLimitError {
    return new TemplateLimitError(
      path,
      `rendering in this task took longer in total than ${LIMIT_KEYS.taskRenderTime} (${formatDuration(this.limits.taskRenderTimeMs ?? 0)})`,
      LIMIT_KEYS.taskRenderTime,
    );
  }

  private currentPath(slot: Slot): string {
    const length = Atomics.load(slot.pathLength, 0);
    // slice(): TextDecoder and Buffer refuse views of shared memory.
    return Buffer.from(slot.pathBytes.slice(0, length)).toString('utf8');
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.dead) return;
    if (message.type === 'ready') {
      slot.ready = true;
      this.pump();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    this.finish(slot);
    if (message.type === 'done') job.resolve(message.result);
    else job.reject(toError(message.error));
    this.pump();
  }

  /** The worker died: out of memory, or it could not even start. */
  private onFailure(slot: Slot, error: Error & { code?: string }): void {
    if (slot.dead) return;
    const job = slot.job;
    const wasReady = slot.ready;
    this.retire(slot);
    if (job) {
      job.detach();
      if (job.budget) job.budget.spentMs += Date.now() - job.startedAt;
      const path = this.currentPath(slot) || job.name;
      job.reject(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new TemplateLimitError(
              path,
              `rendering needed more memory than ${LIMIT_KEYS.workerMemoryMb} (${this.limits.workerMemoryMb} MB)`,
              LIMIT_KEYS.workerMemoryMb,
            )
          : new Error(
              `${path ? `${path}: ` : ''}the template rendering worker failed: ${error.message}`,
            ),
      );
    }
    void slot.worker.terminate().catch(() => {});
    if (!wasReady && !job) {
      // It could not start: later attempts would fail the same way, so the waiting renders
      // fail now instead of starting workers in a loop.
      for (const queued of this.queue.splice(0)) {
        queued.detach();
        queued.reject(new Error(`The template rendering worker could not start: ${error.message}`));
      }
      return;
    }
    this.pump();
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      job.reject(abortError(job.signal!));
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (slot) this.kill(slot, abortError(job.signal!));
  }

  /** Stops a worker in the middle of its render; a fresh one starts when work waits. */
  private kill(slot: Slot, error: Error): void {
    const job = slot.job;
    this.retire(slot);
    void slot.worker.terminate().catch(() => {});
    if (job) {
      job.detach();
      if (job.budget) job.budget.spentMs += Date.now() - job.startedAt;
      job.reject(error);
    }
    this.pump();
  }

  private finish(slot: Slot): void {
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.worker.unref();
    if (job) {
      job.detach();
      if (job.budget) job.budget.spentMs += Date.now() - job.startedAt;
    }
  }

  private retire(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.dead = true;
    slot.job = undefined;
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('Rendering was cancelled');
}

function toError(data: RenderErrorData): Error {
  if (data.path !== undefined && data.detail !== undefined) {
    if (data.limit) return new TemplateLimitError(data.path, data.detail, data.limit);
    const error = new TemplatingError(data.path, data.detail);
    return error;
  }
  const error = data.name === 'InputError' ? new InputError(data.message) : new Error(data.message);
  error.name = data.name;
  return error;
}
