import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../../core/plugin-api.ts';
import type { JsonObject, JsonValue } from '../../../../model/entity.ts';
import type {
  SerializedTask,
  StepStatus,
  TaskEvent,
  TaskEventType,
  TaskSpec,
  TaskStatus,
} from '../../common/api-types.ts';
import type { SecretBox } from './secret-box.ts';

export interface TaskRow {
  id: string;
  spec: string;
  status: TaskStatus;
  template_ref: string | null;
  created_at: string;
  created_by: string | null;
  last_heartbeat_at: string | null;
  finished_at: string | null;
  claimed_by: string | null;
  cancel_requested: number;
  secrets: string | null;
  secrets_schema: string | null;
  retry_of: string | null;
}

interface EventRow {
  id: number;
  task_id: string;
  type: TaskEventType;
  body: string;
  created_at: string;
}

export interface StepRow {
  task_id: string;
  step_id: string;
  status: StepStatus;
  output: string | null;
  started_at: string | null;
  finished_at: string | null;
  reused_from: string | null;
}

interface Tables {
  scaffolder_tasks: TaskRow;
  scaffolder_task_events: EventRow;
  scaffolder_task_steps: StepRow;
}

export const TERMINAL: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export interface ListTasksRequest {
  createdBy?: string[];
  status?: string[];
  limit?: number;
  offset?: number;
  order?: Array<{ field: 'created_at' | 'created_by' | 'status'; order: 'asc' | 'desc' }>;
}

/** A step result handed over from an earlier task (retry). */
export interface CarriedStep {
  stepId: string;
  output: JsonObject;
  from: string;
}

const now = () => new Date().toISOString();

/**
 * Tasks, their events and step state, on SQLite or PostgreSQL. Every change of a task's
 * status is a compare-and-set on the status it expects, so two replicas sharing one database
 * can never both claim, finish or fail the same task.
 */
export class TaskStore {
  private readonly db: Kysely<Tables>;
  private readonly reader: Kysely<Tables>;

  constructor(
    database: Database,
    private readonly box: SecretBox,
  ) {
    this.db = database.db as Kysely<Tables>;
    // Status reads must see this process's own writes at once; the SQLite reader connection
    // does too (WAL, same file), so it is safe for reads.
    this.reader = database.reader as Kysely<Tables>;
  }

  async create(input: {
    spec: TaskSpec;
    createdBy?: string;
    templateRef?: string;
    secrets?: Record<string, string>;
    secretsSchema?: JsonObject;
    retryOf?: string;
    carried?: CarriedStep[];
  }): Promise<string> {
    const id = randomUUID();
    const createdAt = now();
    const hasSecrets = input.secrets && Object.keys(input.secrets).length > 0;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('scaffolder_tasks')
        .values({
          id,
          spec: JSON.stringify(input.spec),
          status: 'open',
          template_ref: input.templateRef ?? null,
          created_at: createdAt,
          created_by: input.createdBy ?? null,
          last_heartbeat_at: null,
          finished_at: null,
          claimed_by: null,
          cancel_requested: 0,
          secrets: hasSecrets ? this.box.seal(input.secrets!) : null,
          secrets_schema: input.secretsSchema ? JSON.stringify(input.secretsSchema) : null,
          retry_of: input.retryOf ?? null,
        })
        .execute();
      for (const step of input.carried ?? []) {
        await trx
          .insertInto('scaffolder_task_steps')
          .values({
            task_id: id,
            step_id: step.stepId,
            status: 'completed',
            output: JSON.stringify(step.output),
            started_at: null,
            finished_at: createdAt,
            reused_from: step.from,
          })
          .execute();
      }
    });
    return id;
  }

  async row(id: string): Promise<TaskRow | undefined> {
    return this.db
      .selectFrom('scaffolder_tasks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async get(id: string): Promise<SerializedTask | undefined> {
    const row = await this.row(id);
    return row ? serialize(row) : undefined;
  }

  async list(request: ListTasksRequest): Promise<{ tasks: SerializedTask[]; totalTasks: number }> {
    let q = this.reader.selectFrom('scaffolder_tasks');
    if (request.createdBy?.length) q = q.where('created_by', 'in', request.createdBy);
    if (request.status?.length) q = q.where('status', 'in', request.status as TaskStatus[]);
    const total = await q
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    let rows = q.selectAll();
    const order = request.order?.length
      ? request.order
      : [{ field: 'created_at' as const, order: 'desc' as const }];
    for (const o of order) rows = rows.orderBy(o.field, o.order);
    rows = rows.orderBy('id');
    if (request.limit !== undefined) rows = rows.limit(request.limit);
    if (request.offset) {
      if (request.limit === undefined) rows = rows.limit(2_147_483_647);
      rows = rows.offset(request.offset);
    }
    return { tasks: (await rows.execute()).map(serialize), totalTasks: Number(total.n) };
  }

  /** Takes the oldest open task for `runnerId`, or nothing when another runner got it first. */
  async claim(runnerId: string): Promise<TaskRow | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const candidate = await this.db
        .selectFrom('scaffolder_tasks')
        .select('id')
        .where('status', '=', 'open')
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      const stamp = now();
      const result = await this.db
        .updateTable('scaffolder_tasks')
        .set({ status: 'processing', claimed_by: runnerId, last_heartbeat_at: stamp })
        .where('id', '=', candidate.id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return this.row(candidate.id);
    }
    return undefined;
  }

  /** Records that `runnerId` still works on the task; says whether a cancel was asked for. */
  async heartbeat(
    id: string,
    runnerId: string,
  ): Promise<{ owned: boolean; cancelRequested: boolean }> {
    const result = await this.db
      .updateTable('scaffolder_tasks')
      .set({ last_heartbeat_at: now() })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .where('claimed_by', '=', runnerId)
      .executeTakeFirst();
    const owned = Number(result.numUpdatedRows) === 1;
    if (!owned) return { owned, cancelRequested: false };
    const row = await this.db
      .selectFrom('scaffolder_tasks')
      .select('cancel_requested')
      .where('id', '=', id)
      .executeTakeFirst();
    return { owned, cancelRequested: Boolean(row?.cancel_requested) };
  }

  secretsOf(row: TaskRow): Record<string, string> {
    return row.secrets ? this.box.open(row.secrets) : {};
  }

  async appendEvent(taskId: string, type: TaskEventType, body: JsonObject): Promise<TaskEvent> {
    return this.insertEvent(this.db, taskId, type, body);
  }

  private async insertEvent(
    executor: Kysely<Tables>,
    taskId: string,
    type: TaskEventType,
    body: JsonObject,
  ): Promise<TaskEvent> {
    const createdAt = now();
    const text = JSON.stringify(body);
    const inserted = await executor
      .insertInto('scaffolder_task_events')
      .values({ task_id: taskId, type, body: text, created_at: createdAt } as EventRow)
      .returning('id')
      .executeTakeFirstOrThrow();
    return {
      id: Number(inserted.id),
      taskId,
      type,
      body,
      createdAt,
    } as TaskEvent;
  }

  async events(taskId: string, after?: number): Promise<TaskEvent[]> {
    let q = this.db
      .selectFrom('scaffolder_task_events')
      .selectAll()
      .where('task_id', '=', taskId)
      .orderBy('id');
    if (after !== undefined) q = q.where('id', '>', after);
    return (await q.execute()).map(toEvent);
  }

  async completionEvent(taskId: string): Promise<TaskEvent | undefined> {
    const row = await this.db
      .selectFrom('scaffolder_task_events')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('type', '=', 'completion')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toEvent(row) : undefined;
  }

  async setStep(
    taskId: string,
    stepId: string,
    status: StepStatus,
    output?: JsonObject,
  ): Promise<void> {
    const stamp = now();
    const finished = status !== 'processing' && status !== 'open';
    const values = {
      status,
      output: output === undefined ? null : JSON.stringify(output),
      finished_at: finished ? stamp : null,
    };
    await this.db
      .insertInto('scaffolder_task_steps')
      .values({
        task_id: taskId,
        step_id: stepId,
        started_at: stamp,
        reused_from: null,
        ...values,
      })
      .onConflict((oc) => oc.columns(['task_id', 'step_id']).doUpdateSet(values))
      .execute();
  }

  async steps(taskId: string): Promise<StepRow[]> {
    return this.db
      .selectFrom('scaffolder_task_steps')
      .selectAll()
      .where('task_id', '=', taskId)
      .execute();
  }

  /**
   * Ends a task: status, the completion event, secrets deleted — in one transaction and only
   * if the task is still in one of `from` (and, when given, still held by `runnerId`).
   */
  async finish(
    id: string,
    status: 'completed' | 'failed' | 'cancelled',
    completion: JsonObject,
    guard: { from: TaskStatus[]; runnerId?: string; heartbeatBefore?: string },
    before: Array<{ type: TaskEventType; body: JsonObject }> = [],
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .updateTable('scaffolder_tasks')
        .set({ status, finished_at: now(), secrets: null, claimed_by: null })
        .where('id', '=', id)
        .where('status', 'in', guard.from);
      if (guard.runnerId) q = q.where('claimed_by', '=', guard.runnerId);
      if (guard.heartbeatBefore) q = q.where('last_heartbeat_at', '<', guard.heartbeatBefore);
      const result = await q.executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      for (const event of before) await this.insertEvent(trx, id, event.type, event.body);
      await this.insertEvent(trx, id, 'completion', completion);
      return true;
    });
  }

  /** Marks a cancel request; the runner holding the task sees it on its next heartbeat. */
  async requestCancel(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('scaffolder_tasks')
      .set({ cancel_requested: 1 })
      .where('id', '=', id)
      .where('status', 'in', ['open', 'processing'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Tasks marked `processing` whose runner has not been heard of since `before`. */
  async stale(before: string): Promise<TaskRow[]> {
    return this.db
      .selectFrom('scaffolder_tasks')
      .selectAll()
      .where('status', '=', 'processing')
      .where((eb) =>
        eb.or([eb('last_heartbeat_at', '<', before), eb('last_heartbeat_at', 'is', null)]),
      )
      .execute();
  }

  /** Ended tasks' ids and end times (workspace clean-up). */
  async endedBefore(
    ids: string[],
  ): Promise<Map<string, { status: TaskStatus; finishedAt: string | null }>> {
    const out = new Map<string, { status: TaskStatus; finishedAt: string | null }>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db
        .selectFrom('scaffolder_tasks')
        .select(['id', 'status', 'finished_at'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.id, { status: r.status, finishedAt: r.finished_at });
    }
    return out;
  }
}

function toEvent(row: EventRow): TaskEvent {
  return {
    id: Number(row.id),
    taskId: row.task_id,
    type: row.type,
    body: JSON.parse(row.body) as JsonValue,
    createdAt: row.created_at,
  } as TaskEvent;
}

export function serialize(row: TaskRow): SerializedTask {
  return {
    id: row.id,
    spec: JSON.parse(row.spec) as TaskSpec,
    status: row.status,
    createdAt: row.created_at,
    ...(row.last_heartbeat_at ? { lastHeartbeatAt: row.last_heartbeat_at } : {}),
    ...(row.created_by ? { createdBy: row.created_by } : {}),
    ...(row.retry_of ? { retryOf: row.retry_of } : {}),
  };
}
