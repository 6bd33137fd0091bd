/**
 * A running or finished task: its steps with status and duration, the live log (from the
 * event stream, resumed with `after` when the connection drops), Cancel while it runs, Retry
 * after a failure, and the template's output at the end.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { usePageTitle } from '../../../web/plugin-api.ts';
import { ErrorState, formatTime, Loading } from '../../catalog/web/shared.tsx';
import type { StepStatus, TaskEvent, TaskStatus } from '../common/index.ts';
import { cancelTask, getTask, retryTask, taskEventStreamUrl } from './api.ts';
import { entityRefPath } from './links.ts';
import { TaskOutputView } from './TaskOutputView.tsx';
import { deriveTask, formatDuration, type StepView, stepDuration } from './task-events.ts';

const EVENT_TYPES = ['log', 'completion', 'cancelled', 'recovered'] as const;
const MAX_BACKOFF_MS = 10_000;

type Connection = 'connecting' | 'live' | 'reconnecting' | 'ended';

/**
 * The task's events from its event stream. The server sends no `id:` lines, so a dropped
 * connection is reopened here with `after=<last event id>` rather than by the browser.
 */
function useTaskEvents(taskId: string): { events: TaskEvent[]; connection: Connection } {
  const [events, setEvents] = useState<TaskEvent[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  useEffect(() => {
    setEvents([]);
    setConnection('connecting');
    const seen = new Set<number>();
    let lastId: number | undefined;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    let done = false;
    const receive = (message: MessageEvent<string>) => {
      let event: TaskEvent;
      try {
        event = JSON.parse(message.data) as TaskEvent;
      } catch {
        return;
      }
      if (typeof event.id !== 'number' || seen.has(event.id)) return;
      seen.add(event.id);
      lastId = Math.max(lastId ?? event.id, event.id);
      attempts = 0;
      setEvents((previous) => [...previous, event]);
      if (event.type === 'completion') {
        done = true;
        source?.close();
        setConnection('ended');
      }
    };
    const connect = () => {
      source = new EventSource(taskEventStreamUrl(taskId, lastId));
      for (const type of EVENT_TYPES) source.addEventListener(type, receive);
      source.onmessage = receive;
      source.onopen = () => setConnection('live');
      source.onerror = () => {
        source?.close();
        if (done) return;
        setConnection('reconnecting');
        timer = setTimeout(connect, Math.min(500 * 2 ** attempts++, MAX_BACKOFF_MS));
      };
    };
    connect();
    return () => {
      done = true;
      source?.close();
      clearTimeout(timer);
    };
  }, [taskId]);
  return { events, connection };
}

const STATUS_ICON: Record<StepStatus, string> = {
  open: '○',
  processing: '◔',
  completed: '✓',
  failed: '✗',
  skipped: '–',
  cancelled: '⊘',
};

const STATUS_LABEL: Record<StepStatus, string> = {
  open: 'pending',
  processing: 'running',
  completed: 'completed',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={`badge status status-${status}`} data-testid="task-status">
      {status === 'open' ? 'waiting' : status === 'processing' ? 'running' : status}
    </span>
  );
}

/** Re-renders every second while `active`, for the running step's clock. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function StepList({
  steps,
  selected,
  onSelect,
  now,
}: {
  steps: StepView[];
  selected: string | undefined;
  onSelect(id: string | undefined): void;
  now: number;
}) {
  return (
    <ol className="task-steps" aria-label="Steps">
      {steps.map((step) => {
        const ms = stepDuration(step, now);
        return (
          <li key={step.id} data-step={step.id} data-status={STATUS_LABEL[step.status]}>
            <button
              type="button"
              aria-pressed={selected === step.id}
              onClick={() => onSelect(selected === step.id ? undefined : step.id)}
              title="Show only this step's log"
            >
              <span className={`step-icon step-${step.status}`} aria-hidden="true">
                {STATUS_ICON[step.status]}
              </span>
              <span className="step-name">{step.name}</span>
              <span className="step-meta muted">
                <span className="visually-hidden">Status: </span>
                {STATUS_LABEL[step.status]}
                {ms !== undefined ? ` · ${formatDuration(ms)}` : ''}
              </span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}

/** Within this many pixels of the end, the log counts as scrolled to the end. */
const AT_END_PX = 24;

function LogView({
  lines,
  follow,
  onFollow,
}: {
  lines: Array<{ id: number; message: string; step?: string }>;
  follow: boolean;
  /** Scrolling up stops following the log; scrolling back to the end resumes it. */
  onFollow(follow: boolean): void;
}) {
  const ref = useRef<HTMLPreElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls when lines arrive
  useEffect(() => {
    if (follow && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines.length, follow]);
  return (
    <pre
      ref={ref}
      className="task-log"
      data-testid="task-log"
      onScroll={(e) => {
        const el = e.currentTarget;
        const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_PX;
        if (atEnd !== follow) onFollow(atEnd);
      }}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
      tabIndex={0}
    >
      {lines.length === 0 ? (
        <span className="muted">No log yet.</span>
      ) : (
        lines.map((line) => (
          <span key={line.id} className="log-line">
            {line.step && <span className="log-step">[{line.step}] </span>}
            {line.message}
            {'\n'}
          </span>
        ))
      )}
    </pre>
  );
}

export function TaskPage() {
  const { taskId = '' } = useParams();
  // A retry opens another task on the same route: start afresh (stream, buttons, filters).
  return <TaskView key={taskId} taskId={taskId} />;
}

function TaskView({ taskId }: { taskId: string }) {
  const navigate = useNavigate();
  const task = useQuery({
    queryKey: ['scaffolder-task', taskId],
    queryFn: ({ signal }) => getTask(taskId, signal),
  });
  const { events, connection } = useTaskEvents(taskId);
  const view = useMemo(
    () => deriveTask(task.data?.spec.steps ?? [], events, task.data?.status),
    [task.data, events],
  );
  const [selected, setSelected] = useState<string | undefined>();
  const [follow, setFollow] = useState(true);
  const now = useNow(!view.finished);
  const cancel = useMutation({ mutationFn: () => cancelTask(taskId) });
  const retry = useMutation({
    mutationFn: () => retryTask(taskId),
    onSuccess: ({ id }) => navigate(`/create/tasks/${encodeURIComponent(id)}`),
  });
  const templateMeta = task.data?.spec.templateInfo?.entity?.metadata as
    | { title?: string; name?: string }
    | undefined;
  const templateTitle =
    templateMeta?.title ?? templateMeta?.name ?? task.data?.spec.templateInfo?.entityRef;
  usePageTitle(templateTitle ? `${templateTitle} · task` : 'Task');

  if (task.isPending) return <Loading what="the task" />;
  if (task.isError) {
    return (
      <div className="page">
        <h1>Task {taskId}</h1>
        <ErrorState error={task.error} retry={() => task.refetch()} />
      </div>
    );
  }
  const names = new Map(view.steps.map((s) => [s.id, s.name]));
  const lines = view.log
    .filter((l) => !selected || l.stepId === selected)
    .map((l) => ({
      id: l.id,
      message: l.message,
      step: !selected && l.stepId ? (names.get(l.stepId) ?? l.stepId) : undefined,
    }));
  const running = !view.finished;
  const templateRef = task.data.spec.templateInfo?.entityRef;
  const templatePath = templateRef ? entityRefPath(templateRef) : undefined;
  const formPath = templatePath?.replace(
    /^\/catalog\/([^/]+)\/template\//,
    '/create/templates/$1/',
  );

  return (
    <div className="page task-page">
      <p className="muted">
        <Link to="/create/tasks">All tasks</Link>
      </p>
      <h1>{templateTitle ?? 'Task'}</h1>
      <dl className="props task-meta">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={view.status} />{' '}
          <span className="muted" aria-live="polite">
            {connection === 'reconnecting' ? 'connection lost, reconnecting…' : ''}
          </span>
        </dd>
        <dt>Task</dt>
        <dd>
          <code>{task.data.id}</code>
        </dd>
        <dt>Started</dt>
        <dd>
          {formatTime(task.data.createdAt)}
          {task.data.createdBy ? ` by ${task.data.createdBy}` : ''}
        </dd>
        {task.data.retryOf && (
          <>
            <dt>Retry of</dt>
            <dd>
              <Link to={`/create/tasks/${encodeURIComponent(task.data.retryOf)}`}>
                {task.data.retryOf}
              </Link>
            </dd>
          </>
        )}
      </dl>
      <div className="task-actions">
        {running && (
          <button
            type="button"
            onClick={() => cancel.mutate()}
            disabled={cancel.isPending || cancel.isSuccess}
          >
            {cancel.isSuccess ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
        {(view.status === 'failed' || view.status === 'cancelled') && (
          <button
            type="button"
            className="primary"
            onClick={() => retry.mutate()}
            disabled={retry.isPending}
          >
            Retry
          </button>
        )}
        {formPath && view.finished && <Link to={formPath}>Run the template again</Link>}
      </div>
      {cancel.isError && (
        <p role="alert" className="level-error">
          {cancel.error.message}
        </p>
      )}
      {retry.isError && (
        <p role="alert" className="level-error">
          {retry.error.message}
        </p>
      )}
      {view.error && (
        <div className="state state-error" role="alert" data-testid="task-error">
          <strong>The task failed.</strong>
          <p className="pre">
            {view.error.name}: {view.error.message}
          </p>
        </div>
      )}
      {view.status === 'completed' && <TaskOutputView output={view.output} />}
      <div className="task-layout">
        <section className="card" aria-labelledby="task-steps-title">
          <h2 id="task-steps-title">Steps</h2>
          <StepList steps={view.steps} selected={selected} onSelect={setSelected} now={now} />
        </section>
        <section className="card task-log-card" aria-labelledby="task-log-title">
          <div className="task-log-header">
            <h2 id="task-log-title">Log</h2>
            <label>
              Show the log of{' '}
              <select
                value={selected ?? ''}
                onChange={(e) => setSelected(e.target.value || undefined)}
              >
                <option value="">All steps</option>
                {view.steps.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="checkbox">
              <input
                type="checkbox"
                checked={follow}
                onChange={(e) => setFollow(e.target.checked)}
              />{' '}
              Follow
            </label>
          </div>
          <LogView lines={lines} follow={follow} onFollow={setFollow} />
        </section>
      </div>
    </div>
  );
}
