import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskStep } from '../common/index.ts';
import { deriveTask, formatDuration, stepDuration, stripAnsi } from './task-events.ts';

const STEPS: TaskStep[] = [
  { id: 'fetch', name: 'Fetch', action: 'fetch:template' },
  { id: 'publish', name: 'Publish', action: 'publish:git' },
  { id: 'register', name: 'Register', action: 'catalog:register' },
];

let nextId = 1;
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
function log(second: number, message: string, stepId?: string, status?: string): TaskEvent {
  return {
    id: nextId++,
    taskId: 't',
    type: 'log',
    body: { message, stepId, status: status as never },
    createdAt: at(second),
  };
}
function completion(second: number, body: TaskEvent['body']): TaskEvent {
  return {
    id: nextId++,
    taskId: 't',
    type: 'completion',
    body,
    createdAt: at(second),
  } as TaskEvent;
}

describe('deriveTask', () => {
  it('follows the steps through their lifecycle lines and times them', () => {
    const events = [
      log(0, 'Starting up task with 3 steps'),
      log(1, 'Beginning step Fetch', 'fetch', 'processing'),
      log(2, '\u001b[32minfo\u001b[39m: Fetching ./skeleton', 'fetch'),
      log(4, 'Finished step Fetch', 'fetch', 'completed'),
      log(4, 'Beginning step Publish', 'publish', 'processing'),
    ];
    const running = deriveTask(STEPS, events);
    expect(running.status).toBe('processing');
    expect(running.finished).toBe(false);
    expect(running.steps.map((s) => s.status)).toEqual(['completed', 'processing', 'open']);
    expect(stepDuration(running.steps[0]!, 0)).toBe(3000);
    expect(stepDuration(running.steps[1]!, Date.parse(at(10)))).toBe(6000);
    expect(running.log[2]).toMatchObject({ stepId: 'fetch', message: 'info: Fetching ./skeleton' });

    const done = deriveTask(STEPS, [
      ...events,
      log(6, 'Finished step Publish', 'publish', 'completed'),
      log(6, 'Beginning step Register', 'register', 'processing'),
      log(7, 'Finished step Register', 'register', 'completed'),
      completion(7, {
        message: 'Run completed with status: completed',
        output: { links: [{ title: 'Repo', url: 'https://x' }] },
      }),
    ]);
    expect(done.status).toBe('completed');
    expect(done.finished).toBe(true);
    expect(done.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(done.output?.links).toEqual([{ title: 'Repo', url: 'https://x' }]);
  });

  it('marks the running step failed and the rest skipped when the task fails', () => {
    const view = deriveTask(STEPS, [
      log(0, 'Beginning step Fetch', 'fetch', 'processing'),
      log(1, 'Finished step Fetch', 'fetch', 'completed'),
      log(1, 'Beginning step Publish', 'publish', 'processing'),
      completion(2, {
        message: 'Run completed with status: failed',
        error: { name: 'Error', message: 'push rejected' },
      }),
    ]);
    expect(view.status).toBe('failed');
    expect(view.error?.message).toBe('push rejected');
    expect(view.steps.map((s) => s.status)).toEqual(['completed', 'failed', 'skipped']);
    expect(view.log.at(-1)?.message).toBe('Error: push rejected');
  });

  it('reports a cancelled task as cancelled, whatever the completion says', () => {
    const view = deriveTask(STEPS, [
      log(0, 'Beginning step Fetch', 'fetch', 'processing'),
      {
        id: nextId++,
        taskId: 't',
        type: 'cancelled',
        body: { message: 'Step fetch has been cancelled.', stepId: 'fetch', status: 'cancelled' },
        createdAt: at(1),
      },
      completion(1, {
        message: 'Run completed with status: failed',
        error: { name: 'Error', message: 'aborted' },
      }),
    ]);
    expect(view.status).toBe('cancelled');
    expect(view.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped', 'skipped']);
  });

  it('orders events by id and keeps the server status before any completion', () => {
    const a = log(0, 'first');
    const b = log(1, 'second');
    const view = deriveTask(STEPS, [b, a], 'open');
    expect(view.log.map((l) => l.message)).toEqual(['first', 'second']);
    expect(view.status).toBe('open');
    expect(deriveTask(STEPS, []).status).toBe('open');
    // a finished task whose events are still arriving: its steps are not settled yet
    const loading = deriveTask(
      STEPS,
      [log(0, 'Beginning step Fetch', 'fetch', 'processing')],
      'completed',
    );
    expect(loading.status).toBe('completed');
    expect(loading.steps.map((s) => s.status)).toEqual(['processing', 'open', 'open']);
  });
});

describe('formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(-1)).toBe('');
  });

  it('strips terminal colours', () => {
    expect(stripAnsi('\u001b[31merror\u001b[0m: \u001b[1mbad\u001b[22m')).toBe('error: bad');
  });
});
