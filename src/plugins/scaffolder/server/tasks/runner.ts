import type { Permission, ResourceTarget } from '../../../../core/plugin-api.ts';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../../core/plugin-api.ts';
import type { JsonObject } from '../../../../model/entity.ts';
import type { TaskSpec } from '../../common/api-types.ts';
import type { ActionContext } from '../actions/types.ts';
import type { ActionRegistry } from '../actions/registry.ts';
import type { EventHub } from './event-hub.ts';
import {
  type ExecuteResult,
  executeSpec,
  TaskInterruptedError,
  type Templater,
} from './execute.ts';
import { LogScrubber } from './log-scrubber.ts';
import type { TaskRow, TaskStore } from './task-store.ts';

export interface RunnerOptions {
  store: TaskStore;
  registry: ActionRegistry;
  templater: Templater;
  hub: EventHub;
  logger: Logger;
  /** `scaffolder.workspaceDir`: each task works in `<workspaceDir>/<taskId>/workspace`. */
  workspaceRoot: string;
  concurrency: number;
  environment: { parameters: JsonObject; secrets: Record<string, string> };
  /** How often a running task's heartbeat is written and its cancel flag read. */
  heartbeatMs?: number;
  /** A `processing` task whose heartbeat is older than this was left by a dead process. */
  staleAfterMs?: number;
  /** How often the queue is checked for tasks created on other replicas. */
  pollMs?: number;
  /** How long a failed or cancelled task's workspace is kept for a retry. */
  keepWorkspaceMs?: number;
  /**
   * Checks a permission as the task's creator (`created_by`), throwing `NotAllowedError`
   * when denied. Absent, every step may run (apps assembled without access control).
   */
  authorizeAs?(
    userRef: string | null,
  ): (permission: Permission, resource?: string | ResourceTarget) => Promise<void>;
  /** Calls the portal's API as the task's creator; absent, `http:backstage:request` cannot run. */
  portalRequestAs?(userRef: string | null): ActionContext['portalRequest'];
}

export const INTERRUPTED = 'interrupted by a server restart';
const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type AbortReason = 'cancel' | 'lost' | TaskInterruptedError;

function completionBody(result: ExecuteResult): JsonObject {
  const message = `Run completed with status: ${result.status}`;
  if (result.status === 'completed')
    return { message, output: (result.output ?? {}) as JsonObject };
  return { message, error: result.error ?? { name: 'Error', message: 'Unknown failure' } };
}

/**
 * Runs queued tasks: claims `open` tasks one at a time (an atomic compare-and-set, so replicas
 * sharing a PostgreSQL database never run one task twice), at most `concurrency` at once,
 * each in its own workspace; writes heartbeats, picks up cancel requests made on any replica,
 * and fails tasks whose runner died (stale heartbeat) so none is left `processing` for ever.
 */
export class TaskRunner {
  readonly id = `runner-${randomUUID()}`;
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly pollMs: number;
  private readonly keepWorkspaceMs: number;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private filling = false;
  private fillAgain = false;

  constructor(private readonly options: RunnerOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 3_000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.keepWorkspaceMs = options.keepWorkspaceMs ?? 24 * 3600_000;
  }

  async start(): Promise<void> {
    await mkdir(this.options.workspaceRoot, { recursive: true });
    await this.recoverStale();
    await this.cleanWorkspaces();
    const every = (ms: number, fn: () => Promise<void>) => {
      const timer = setInterval(() => {
        if (!this.stopping)
          fn().catch((error) =>
            this.options.logger.error('Scaffolder background job failed', { error: String(error) }),
          );
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.pollMs, () => this.fill());
    every(Math.max(1_000, Math.floor(this.staleAfterMs / 3)), () => this.recoverStale());
    every(10 * 60_000, () => this.cleanWorkspaces());
    this.wake();
  }

  /** Looks for work now (after a task was created or a slot freed). */
  wake(): void {
    if (this.stopping) return;
    this.fill().catch((error) =>
      this.options.logger.error('Claiming scaffolder tasks failed', { error: String(error) }),
    );
  }

  /** Aborts the task's running step if this process runs it; `false` if it does not. */
  cancelLocal(taskId: string): boolean {
    const entry = this.running.get(taskId);
    if (!entry) return false;
    entry.controller.abort('cancel' satisfies AbortReason);
    return true;
  }

  /**
   * Stops claiming, interrupts running tasks (they end `failed`, resumable by a retry) and
   * waits for them to record that.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const { controller } of this.running.values()) {
      controller.abort(new TaskInterruptedError(INTERRUPTED));
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private async fill(): Promise<void> {
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    try {
      do {
        this.fillAgain = false;
        while (!this.stopping && this.running.size < this.options.concurrency) {
          const row = await this.options.store.claim(this.id);
          if (!row) break;
          this.launch(row);
        }
      } while (this.fillAgain && !this.stopping);
    } finally {
      this.filling = false;
    }
  }

  private launch(row: TaskRow): void {
    const controller = new AbortController();
    if (row.cancel_requested) controller.abort('cancel' satisfies AbortReason);
    const done = this.run(row, controller)
      .catch((error) =>
        this.options.logger.error(`Scaffolder task ${row.id} crashed`, { error: String(error) }),
      )
      .finally(() => {
        this.running.delete(row.id);
        this.wake();
      });
    this.running.set(row.id, { controller, done });
  }

  private async run(row: TaskRow, controller: AbortController): Promise<void> {
    const { store, hub } = this.options;
    const dir = join(this.options.workspaceRoot, row.id);
    const workspacePath = join(dir, 'workspace');
    // Once another process has ended this task (it looked dead), nothing more is written.
    const lost = () => controller.signal.reason === 'lost';
    const emit = async (type: Parameters<TaskStore['appendEvent']>[1], body: JsonObject) => {
      if (lost()) return;
      await store.appendEvent(row.id, type, body);
      hub.notify(row.id);
    };

    const heartbeat = setInterval(() => {
      store
        .heartbeat(row.id, this.id)
        .then(({ owned, cancelRequested }) => {
          if (!owned) controller.abort('lost' satisfies AbortReason);
          else if (cancelRequested) controller.abort('cancel' satisfies AbortReason);
        })
        .catch((error) =>
          this.options.logger.warn(`Heartbeat of task ${row.id} failed`, { error: String(error) }),
        );
    }, this.heartbeatMs);
    heartbeat.unref();

    let result: ExecuteResult;
    try {
      const spec = JSON.parse(row.spec) as TaskSpec;
      // A retry takes over the workspace its task left, so it resumes where that one stopped.
      let adopted = false;
      if (row.retry_of) {
        const previous = join(this.options.workspaceRoot, row.retry_of);
        if (TASK_ID.test(row.retry_of) && existsSync(join(previous, 'workspace'))) {
          await rm(dir, { recursive: true, force: true });
          await rename(previous, dir);
          adopted = true;
        }
      }
      await mkdir(workspacePath, { recursive: true });
      const reuse = new Map<string, { output: JsonObject; from: string }>();
      for (const step of await store.steps(row.id)) {
        if (step.reused_from && step.status === 'completed') {
          reuse.set(step.step_id, {
            output: JSON.parse(step.output ?? '{}') as JsonObject,
            from: step.reused_from,
          });
        }
      }
      if (row.retry_of) {
        const rerun: string[] = [];
        if (!adopted) {
          // Without the old workspace, steps that only build files there run again; steps
          // with effects elsewhere (publish, register) keep their recorded outputs.
          for (const step of spec.steps) {
            const reused = reuse.get(step.id);
            if (!reused || !this.options.registry.has(step.action)) continue;
            if (this.options.registry.get(step.action).supportsDryRun) {
              reuse.delete(step.id);
              rerun.push(step.id);
            }
          }
        }
        await emit('log', {
          message: adopted
            ? `Retry of task ${row.retry_of}: continuing in its workspace`
            : `Retry of task ${row.retry_of}: its workspace is gone${rerun.length ? `, so steps ${rerun.join(', ')} run again to rebuild it` : ''}`,
        });
      }
      const secrets = store.secretsOf(row);
      result = await executeSpec({
        taskId: row.id,
        spec,
        secrets,
        environment: this.options.environment,
        registry: this.options.registry,
        templater: this.options.templater,
        workspacePath,
        createTemporaryDirectory: async () => {
          await mkdir(join(dir, 'tmp'), { recursive: true });
          return mkdtemp(join(dir, 'tmp', 'scratch-'));
        },
        isDryRun: false,
        signal: controller.signal,
        emit,
        onStep: async (stepId, status, output) => {
          if (!lost()) await store.setStep(row.id, stepId, status, output);
        },
        reuse,
        authorize: this.options.authorizeAs?.(row.created_by),
        portalRequest: this.options.portalRequestAs?.(row.created_by),
      });
    } catch (error) {
      // Infrastructure failures (the database, the disk) rather than a step's; their messages
      // may name server paths, which the task log never shows.
      const e = error as Error;
      const message = new LogScrubber(workspacePath).text(e.message);
      result = { status: 'failed', error: { name: e.name ?? 'Error', message } };
    } finally {
      clearInterval(heartbeat);
    }

    if (lost()) {
      this.options.logger.warn(`Task ${row.id} was taken over or ended elsewhere; dropped here`);
      return;
    }
    // A completed task cannot be retried: its workspace goes before anyone sees it end.
    if (result.status === 'completed') await rm(dir, { recursive: true, force: true });
    await store.finish(row.id, result.status, completionBody(result), {
      from: ['processing'],
      runnerId: this.id,
    });
    hub.notify(row.id);
  }

  /** Fails tasks whose runner stopped sending heartbeats (crash, kill -9, lost machine). */
  async recoverStale(): Promise<void> {
    const { store, hub } = this.options;
    const cutoff = new Date(Date.now() - this.staleAfterMs).toISOString();
    for (const row of await store.stale(cutoff)) {
      if (this.running.has(row.id)) continue;
      const spec = JSON.parse(row.spec) as TaskSpec;
      const done = new Set(
        (await store.steps(row.id))
          .filter((s) => s.status === 'completed' || s.status === 'skipped')
          .map((s) => s.step_id),
      );
      const stepId = spec.steps.find((s) => !done.has(s.id))?.id ?? spec.steps.at(-1)?.id ?? '';
      const message = `${INTERRUPTED}; retry to resume from step ${stepId}`;
      const ok = await store.finish(
        row.id,
        'failed',
        {
          message: 'Run completed with status: failed',
          error: { name: 'TaskInterruptedError', message },
        },
        { from: ['processing'], heartbeatBefore: cutoff },
        [{ type: 'log', body: { message, stepId, status: 'failed' } }],
      );
      if (ok) {
        if (stepId) await store.setStep(row.id, stepId, 'failed');
        this.options.logger.warn(`Task ${row.id} was left running by a stopped server: ${message}`);
        hub.notify(row.id);
      }
    }
  }

  /** Removes workspaces of completed tasks, and of failed ones once their retry window passed. */
  async cleanWorkspaces(): Promise<void> {
    const root = this.options.workspaceRoot;
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    const ids = names.filter((n) => TASK_ID.test(n) && !this.running.has(n));
    const known = await this.options.store.endedBefore(ids);
    const cutoff = new Date(Date.now() - this.keepWorkspaceMs).toISOString();
    for (const [id, { status, finishedAt }] of known) {
      // Workspaces of tasks unknown to this database may belong to another server sharing
      // the directory: they are left alone.
      const remove =
        status === 'completed' ||
        ((status === 'failed' || status === 'cancelled') && (finishedAt ?? '') < cutoff);
      if (remove) await rm(join(root, id), { recursive: true, force: true });
    }
    for (const name of names.filter((n) => n.startsWith('dry-run-'))) {
      const info = await stat(join(root, name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > 3600_000)
        await rm(join(root, name), { recursive: true, force: true });
    }
  }
}
