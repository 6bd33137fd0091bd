import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from './helpers/server.ts';
import {
  completionOf,
  restartableSetup,
  scaffolderClient,
  stepStatus,
  type TaskEventJson,
} from './scaffolder-helpers.ts';

const SERVER_PROCESS = fileURLToPath(
  new URL('./fixtures/scaffolder/server-process.ts', import.meta.url),
);
const INTERRUPTED = 'interrupted by a server restart; retry to resume from step wait';

/** Starts Atrium in a child process; resolves with its URL and the process. */
function startChild(configFile: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_PROCESS, configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`server process exited (${code}): ${stderr}`)));
  });
  return { child, ready };
}

const fileNames = (events: TaskEventJson[]) =>
  (JSON.parse(String(completionOf(events)?.body.output?.files)) as Array<{ name: string }>).map(
    (f) => f.name,
  );

describe.each(ENGINES)('scaffolder runner across restarts and replicas (%s)', (engine) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('a task interrupted by a server stop ends failed with the reason; retry resumes at that step in its workspace', async () => {
    const setup = await restartableSetup({ engine });
    cleanups.push(async () => {
      await setup.cleanup();
      rmSync(setup.dir, { recursive: true, force: true });
    });
    const first = await setup.start();
    const api1 = scaffolderClient(first.url);
    const id = await api1.create('resumable', {}, { waitMs: '60000' });
    await api1.until(id, (_t, ev) => stepStatus(ev, 'wait').includes('processing'));
    await first.app.stop();

    const second = await setup.start();
    const api = scaffolderClient(second.url);
    const task = await api.task(id);
    expect(task.status).toBe('failed');
    const events = await api.finished(id);
    expect(stepStatus(events, 'before')).toEqual(['processing', 'completed']);
    expect(stepStatus(events, 'wait')).toEqual(['processing', 'failed']);
    expect(
      events.find((e) => e.body.stepId === 'wait' && e.body.status === 'failed')?.body.message,
    ).toBe(INTERRUPTED);
    expect(completionOf(events)?.body).toEqual({
      message: 'Run completed with status: failed',
      error: { name: 'TaskInterruptedError', message: INTERRUPTED },
    });
    // The failed task's workspace is kept for the retry.
    expect(existsSync(join(setup.dir, 'workspaces', id, 'workspace', 'first.yaml'))).toBe(true);

    const retry = await api.post(`/v2/tasks/${id}/retry`, { secrets: { waitMs: '10' } });
    expect(retry.status).toBe(201);
    const again = await api.finished(retry.body.id);
    expect(stepStatus(again, 'before')).toEqual(['completed']);
    expect(stepStatus(again, 'wait')).toEqual(['processing', 'completed']);
    expect(completionOf(again)?.body.message).toBe('Run completed with status: completed');
    // first.yaml comes from the interrupted run: the retry continued in its workspace.
    expect(fileNames(again)).toEqual(['first.yaml']);
    expect(existsSync(join(setup.dir, 'workspaces', id))).toBe(false);
  });

  it('a task left processing by a killed server (kill -9) is failed by the next one; retry completes it', async () => {
    const setup = await restartableSetup({ engine });
    cleanups.push(async () => {
      await setup.cleanup();
      rmSync(setup.dir, { recursive: true, force: true });
    });
    const { child, ready } = startChild(setup.configFile);
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const childApi = scaffolderClient(await ready);
    const id = await childApi.create('resumable', {}, { waitMs: '60000' });
    await childApi.until(id, (_t, ev) => stepStatus(ev, 'wait').includes('processing'));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    // Nobody is left to say the task stopped: the new server notices the stale heartbeat.
    const started = Date.now();
    const next = await setup.start({ staleAfterMs: 2_000 });
    const api = scaffolderClient(next.url);
    const { task, events } = await api.until(id, (t) => t.status === 'failed', 15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(task.status).toBe('failed');
    expect(stepStatus(events, 'wait')).toEqual(['processing', 'failed']);
    expect(completionOf(events)?.body.error).toEqual({
      name: 'TaskInterruptedError',
      message: INTERRUPTED,
    });

    const retry = await api.post(`/v2/tasks/${id}/retry`, { secrets: { waitMs: '1' } });
    expect(retry.status).toBe(201);
    const again = await api.finished(retry.body.id);
    expect(stepStatus(again, 'before')).toEqual(['completed']);
    expect(completionOf(again)?.body.message).toBe('Run completed with status: completed');
    expect(fileNames(again)).toEqual(['first.yaml']);
  });

  it('a server stops promptly while event streams are open; the task stays queued for another', async () => {
    const setup = await restartableSetup({ engine });
    cleanups.push(async () => {
      await setup.cleanup();
      rmSync(setup.dir, { recursive: true, force: true });
    });
    const apiOnly = await setup.start({ runTasks: false });
    const api = scaffolderClient(apiOnly.url);
    const id = await api.create('wait', { seconds: 0.1 });
    const stream = fetch(`${api.base}/v2/tasks/${id}/eventstream`).then((r) => r.text());
    const poll = api.get(`/v2/tasks/${id}/events?after=1000`);
    await new Promise((r) => setTimeout(r, 300));
    const stopping = Date.now();
    await apiOnly.app.stop();
    expect(Date.now() - stopping).toBeLessThan(3_000);
    await stream;
    expect((await poll).body).toEqual([]);
    // Nobody ran it: a server with a runner picks it up.
    const runner = await setup.start();
    const events = await scaffolderClient(runner.url).finished(id);
    expect(completionOf(events)?.body.message).toBe('Run completed with status: completed');
  });

  it('two replicas on one database run every task exactly once; a cancel reaches the replica running the task', async () => {
    const setup = await restartableSetup({
      engine,
      extraConfig: { scaffolder: { concurrency: 1 } },
    });
    cleanups.push(async () => {
      await setup.cleanup();
      rmSync(setup.dir, { recursive: true, force: true });
    });
    // The workspace dir comes from the config file; both replicas share it like one host would.
    const a = await setup.start({ heartbeatMs: 300 });
    const b = await setup.start({ heartbeatMs: 300 });
    const apiA = scaffolderClient(a.url);
    const apiB = scaffolderClient(b.url);
    const ids = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await (i % 2 ? apiA : apiB).create('wait', { seconds: 0.4 }));
    }
    const all = await Promise.all(ids.map((id) => apiA.finished(id)));
    for (const events of all) {
      expect(events.filter((e) => e.body.message.startsWith('Starting up task')).length).toBe(1);
      expect(stepStatus(events, 'wait')).toEqual(['processing', 'completed']);
      expect(completionOf(events)?.body.message).toBe('Run completed with status: completed');
    }
    // With one task at a time per replica, six 0.4 s waits overlap only if both replicas ran some.
    const spans = all.map((events) => {
      const at = (s: string) =>
        Date.parse(events.find((e) => e.body.stepId === 'wait' && e.body.status === s)!.createdAt);
      return [at('processing'), at('completed')] as const;
    });
    const overlapping = spans.some(([s1, e1], i) =>
      spans.some(([s2, e2], j) => i !== j && s1 < e2 && s2 < e1),
    );
    expect(overlapping).toBe(true);

    // An API-only replica: every task runs on `a`, so a cancel sent to `c` must travel
    // through the database to `a`.
    const c = await setup.start({ runTasks: false });
    const apiC = scaffolderClient(c.url);
    const id = await apiC.create('wait', { seconds: 60 });
    await apiC.until(id, (_t, ev) => stepStatus(ev, 'wait').includes('processing'));
    const cancelled = Date.now();
    expect((await apiC.post(`/v2/tasks/${id}/cancel`)).status).toBe(200);
    const events = await apiC.finished(id);
    expect(Date.now() - cancelled).toBeLessThan(5_000);
    expect(stepStatus(events, 'wait')).toEqual(['processing', 'cancelled']);
    expect((await apiC.task(id)).status).toBe('cancelled');
  });
});
