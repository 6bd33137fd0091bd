/**
 * Template rendering never blocks the server: a template whose rendering would take days
 * (two nested loops of 100,000) is stopped at `scaffolder.limits.renderTimeout`, with an
 * error naming that key, while the server keeps answering other requests promptly.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ENGINES, startTestServer, type TestServer } from './helpers/server.ts';
import { CATALOG, completionOf, scaffolderClient, stepStatus } from './scaffolder-helpers.ts';

const RENDER_TIMEOUT_MS = 1000;
/** Days of work if nothing stopped it. */
const NESTED_LOOPS =
  '{% for i in range(0, 100000) %}{% for j in range(0, 100000) %}{% endfor %}{% endfor %}done';

function template(name: string, steps: unknown[]) {
  return {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name, title: name },
    spec: {
      owner: 'team-a',
      type: 'service',
      parameters: [{ properties: { name: { type: 'string' } } }],
      steps,
    },
  };
}

const SPIN_INPUT = template('spin-input', [
  { id: 'spin', name: 'Spin', action: 'debug:log', input: { message: NESTED_LOOPS } },
]);
const SPIN_SKELETON = template('spin-skeleton', [
  { id: 'fetch', name: 'Fetch', action: 'fetch:template', input: { url: './skeleton' } },
]);
const QUICK = template('quick', [
  {
    id: 'hello',
    name: 'Hello',
    action: 'debug:log',
    input: { message: 'Hello ${{ parameters.name | upper }}' },
  },
]);

/**
 * Runs `work` while `GET /api/catalog/entities?limit=1` is sent every 50 ms; returns its
 * result and how long each of those requests took to answer.
 */
async function whilePolling<T>(
  url: string,
  work: () => Promise<T>,
): Promise<{ result: T; latencies: number[] }> {
  const pending: Array<Promise<number>> = [];
  const probe = async () => {
    const started = performance.now();
    const response = await fetch(`${url}/api/catalog/entities?limit=1`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`catalog answered ${response.status}`);
    return performance.now() - started;
  };
  const timer = setInterval(() => pending.push(probe()), 50);
  try {
    const result = await work();
    return { result, latencies: await Promise.all(pending) };
  } finally {
    clearInterval(timer);
  }
}

describe.each(ENGINES)('template rendering limits (%s)', (engine) => {
  let server: TestServer;
  let dir: string;
  let api: ReturnType<typeof scaffolderClient>;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'atrium-render-limits-')));
    const templates = join(dir, 'templates');
    mkdirSync(join(templates, 'skeleton'), { recursive: true });
    writeFileSync(
      join(templates, 'templates.yaml'),
      [SPIN_INPUT, SPIN_SKELETON, QUICK].map((t) => stringify(t)).join('---\n'),
    );
    writeFileSync(join(templates, 'skeleton', 'README.md'), '# ${{ values.name }}\n');
    writeFileSync(join(templates, 'skeleton', 'spin.txt'), NESTED_LOOPS);
    server = await startTestServer({
      engine,
      dir,
      catalog: {
        locations: [
          { type: 'file', target: CATALOG },
          { type: 'file', target: join(templates, 'templates.yaml') },
        ],
      },
      extraConfig: {
        scaffolder: {
          workspaceDir: join(dir, 'workspaces'),
          limits: { renderTimeout: `${RENDER_TIMEOUT_MS}ms`, taskRenderTime: '30s' },
        },
      },
    });
    api = scaffolderClient(server.url);
    // What is measured is rendering, not a cold server: the first requests of each kind
    // compile schemas and serializers on the main thread.
    await (await fetch(`${server.url}/api/catalog/entities?limit=1`)).arrayBuffer();
    const warm = await api.post('/v2/dry-run', {
      template: QUICK,
      values: { name: 'warm' },
      directoryContents: [],
    });
    expect(warm.body.status).toBe('completed');
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dry run with nested loops of 100,000 × 100,000 fails at renderTimeout; the server keeps answering', async () => {
    const started = performance.now();
    const { result, latencies } = await whilePolling(server.url, () =>
      api.post('/v2/dry-run', { template: SPIN_INPUT, values: {}, directoryContents: [] }),
    );
    const elapsed = performance.now() - started;

    expect(result.status).toBe(200);
    expect(result.body.status).toBe('failed');
    expect(result.body.error.name).toBe('TemplateLimitError');
    expect(result.body.error.message).toBe(
      'spec.steps[0].input.message: rendering took longer than scaffolder.limits.renderTimeout (1 s)',
    );
    const failed = result.body.log.find(
      (l: { body: { status?: string } }) => l.body.status === 'failed',
    );
    expect(failed.body.message).toContain('scaffolder.limits.renderTimeout');
    // Stopped at the budget, not long after it.
    expect(elapsed).toBeGreaterThanOrEqual(RENDER_TIMEOUT_MS);
    expect(elapsed, `answered after ${Math.round(elapsed)} ms`).toBeLessThan(
      RENDER_TIMEOUT_MS + 2500,
    );
    // The catalog answered all along.
    expect(latencies.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...latencies), `latencies ${latencies.map(Math.round)}`).toBeLessThan(250);
  });

  it('a task with nested loops ends failed with the limit on its step log; a later task still runs', async () => {
    const { result: events, latencies } = await whilePolling(server.url, async () => {
      const id = await api.create('template:default/spin-input', { name: 'svc' });
      return api.finished(id);
    });
    expect(latencies.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...latencies), `latencies ${latencies.map(Math.round)}`).toBeLessThan(250);

    const completion = completionOf(events);
    expect(completion?.body.message).toBe('Run completed with status: failed');
    expect(completion?.body.error).toEqual({
      name: 'TemplateLimitError',
      message:
        'spec.steps[0].input.message: rendering took longer than scaffolder.limits.renderTimeout (1 s)',
    });
    expect(stepStatus(events, 'spin')).toEqual(['processing', 'failed']);
    const stepLog = events.find((e) => e.body.stepId === 'spin' && e.body.status === 'failed');
    expect(stepLog?.body.message).toContain(
      'TemplateLimitError: spec.steps[0].input.message: rendering took longer than scaffolder.limits.renderTimeout (1 s)',
    );

    // The worker that was stopped is replaced: the next task renders normally.
    const next = await api.create('template:default/quick', { name: 'after' });
    const after = await api.finished(next);
    expect(completionOf(after)?.body.message).toBe('Run completed with status: completed');
    expect(after.some((e) => e.body.message === 'info: Hello AFTER')).toBe(true);
  });

  it('a skeleton file with nested loops fails fetch:template, naming the file', async () => {
    const { result: events, latencies } = await whilePolling(server.url, async () => {
      const id = await api.create('template:default/spin-skeleton', { name: 'svc' });
      return api.finished(id);
    });
    expect(Math.max(...latencies), `latencies ${latencies.map(Math.round)}`).toBeLessThan(250);
    expect(completionOf(events)?.body.error).toEqual({
      name: 'TemplateLimitError',
      message: 'spin.txt: rendering took longer than scaffolder.limits.renderTimeout (1 s)',
    });
    expect(stepStatus(events, 'fetch')).toEqual(['processing', 'failed']);
  });
});
