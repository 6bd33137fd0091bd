/**
 * A task as the task page shows it, derived from its spec and its events alone (there is no
 * steps endpoint): each step's status and timing from the step lifecycle log lines, the log,
 * and the outcome from the completion event. Pure, so it is tested without a browser.
 */
import type {
  CompletionEventBody,
  StepStatus,
  TaskEvent,
  TaskOutput,
  TaskStatus,
  TaskStep,
} from '../common/index.ts';

export interface StepView {
  id: string;
  name: string;
  action: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
}

export interface LogLine {
  id: number;
  stepId?: string;
  message: string;
  createdAt: string;
}

export interface TaskView {
  steps: StepView[];
  log: LogLine[];
  status: TaskStatus;
  output?: TaskOutput;
  error?: { name: string; message: string };
  finished: boolean;
}

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Action log lines may carry terminal colour codes; the page shows plain text. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function completionStatus(body: CompletionEventBody): TaskStatus {
  const match = /status: (\w+)/.exec(body.message ?? '');
  const status = match?.[1];
  if (status === 'completed' || status === 'failed' || status === 'cancelled') return status;
  return body.error ? 'failed' : 'completed';
}

export function deriveTask(
  specSteps: TaskStep[],
  events: TaskEvent[],
  serverStatus?: TaskStatus,
): TaskView {
  const steps = new Map<string, StepView>(
    specSteps.map((s) => [s.id, { id: s.id, name: s.name, action: s.action, status: 'open' }]),
  );
  const log: LogLine[] = [];
  let completion: CompletionEventBody | undefined;
  let cancelled = false;
  const ordered = [...events].sort((a, b) => a.id - b.id);
  for (const event of ordered) {
    if (event.type === 'log') {
      const { message, stepId, status } = event.body;
      log.push({
        id: event.id,
        stepId,
        message: stripAnsi(String(message ?? '')),
        createdAt: event.createdAt,
      });
      const step = stepId ? steps.get(stepId) : undefined;
      if (step && status) {
        step.status = status;
        if (status === 'processing') step.startedAt ??= event.createdAt;
        if (TERMINAL.has(status)) step.endedAt = event.createdAt;
      }
    } else if (event.type === 'cancelled') {
      cancelled = true;
      log.push({
        id: event.id,
        stepId: event.body.stepId,
        message: event.body.message,
        createdAt: event.createdAt,
      });
      const step = event.body.stepId ? steps.get(event.body.stepId) : undefined;
      if (step && !TERMINAL.has(step.status)) {
        step.status = 'cancelled';
        step.endedAt = event.createdAt;
      }
    } else if (event.type === 'completion') {
      completion = event.body;
      if (event.body.error?.message) {
        log.push({
          id: event.id,
          message: `${event.body.error.name ?? 'Error'}: ${event.body.error.message}`,
          createdAt: event.createdAt,
        });
      }
    } else if (event.type === 'recovered') {
      log.push({ id: event.id, message: event.body.message, createdAt: event.createdAt });
    }
  }
  let status: TaskStatus = completion
    ? completionStatus(completion)
    : (serverStatus ?? (events.length ? 'processing' : 'open'));
  if (cancelled && status === 'failed') status = 'cancelled';
  const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
  // Steps are settled by the completion event only: a finished task's earlier events may
  // still be arriving.
  if (completion) {
    const end = ordered[ordered.length - 1]?.createdAt;
    for (const step of steps.values()) {
      // A step still running when the task ended went down with it; one never started
      // was skipped.
      if (step.status === 'processing') {
        step.status =
          status === 'completed' ? 'completed' : status === 'cancelled' ? 'cancelled' : 'failed';
        step.endedAt ??= end;
      } else if (step.status === 'open') {
        step.status = 'skipped';
      }
    }
  }
  return {
    steps: [...steps.values()],
    log,
    status,
    output: completion?.output,
    error: completion?.error,
    finished,
  };
}

/** `850 ms`, `12.3 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

/** How long a step ran, or has been running at `now`. */
export function stepDuration(step: StepView, now: number): number | undefined {
  if (!step.startedAt) return undefined;
  const start = Date.parse(step.startedAt);
  const end = step.endedAt ? Date.parse(step.endedAt) : now;
  return end - start;
}
