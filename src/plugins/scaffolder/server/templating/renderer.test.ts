import { afterAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../../model/entity.ts';
import { LIMIT_KEYS, type RenderLimits, TemplateLimitError } from './limits.ts';
import { createTemplateRenderer, type TemplateRendererService } from './renderer.ts';
import { SecureTemplater, TemplatingError } from './secure-templater.ts';

const renderers: TemplateRendererService[] = [];
afterAll(async () => {
  await Promise.all(renderers.map((r) => r.close()));
});

function renderer(limits: Partial<RenderLimits> = {}) {
  const r = createTemplateRenderer({ limits });
  renderers.push(r);
  return r;
}

/** Days of work if nothing stopped it. */
const NESTED_LOOPS =
  '{% for i in range(0, 100000) %}{% for j in range(0, 100000) %}{% endfor %}{% endfor %}done';

/**
 * Keeps appending distinct 100 KB strings (upper-casing makes a real copy each time), so it
 * needs far more than a small heap long before any string gets too long.
 */
const GIANT_STRING =
  "{% set s = 'x'.padStart(100000, 'y') %}{% set acc = '' %}{% for i in range(0, 100000) %}{% set acc = acc ~ ((s ~ i) | upper) %}{% endfor %}${{ acc | length }}";

/** Milliseconds the main thread's timers were late at most while `work` ran. */
async function worstTimerLag<T>(work: Promise<T>): Promise<{ value: T; lag: number }> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  try {
    return { value: await work, lag: worst };
  } finally {
    clearInterval(timer);
  }
}

const scope = {
  parameters: {
    name: 'svc',
    count: 3,
    enabled: true,
    list: ['a', 'b'],
    empty: [],
    obj: { a: 1, b: [true, null] },
    owner: 'group:default/team-a',
    repoUrl: 'github.com?owner=acme&repo=svc',
  },
  steps: { publish: { output: { remoteUrl: 'https://example.com/acme/svc' } } },
  user: { ref: 'user:default/guest' },
};

describe('TemplateRenderer renders as SecureTemplater does', () => {
  const sync = new SecureTemplater({});
  const r = renderer();

  it('values, strict values and their errors', async () => {
    const values: JsonValue[] = [
      '${{ parameters.obj }}',
      '${{ parameters.count * 2 + 1 }}',
      '${{ parameters.missing }}',
      '  ${{ parameters.name | upper }}  ',
      '${{ parameters.name }}-${{ parameters.count }}',
      '{% if parameters.enabled %}on{% else %}off{% endif %}',
      "${{ steps['publish'].output.remoteUrl }}",
      '${{ parameters.owner | parseEntityRef | pick("name") }}',
      '${{ parameters.repoUrl | parseRepoUrl }}',
      '${{ parameters.list | dump }}',
      '${{ range.constructor("return process")() }}',
      '${{ "nope" | parseEntityRef }}',
      '{% for x in parameters.list %}',
      { url: './skeleton', values: { name: '${{ parameters.name }}', n: 2, z: null } },
      ['${{ parameters.count }}', '${{ parameters.missing }}', false],
    ];
    for (const value of values) {
      expect(await r.renderValue(value, scope)).toEqual(sync.renderValue(value, scope));
      let expected: unknown;
      try {
        expected = sync.renderValueStrict(value, scope, 'spec.steps[0].input');
      } catch (error) {
        expected = error;
      }
      const actual = await r
        .renderValueStrict(value, scope, { path: 'spec.steps[0].input' })
        .catch((error: unknown) => error);
      if (expected instanceof TemplatingError) {
        expect(actual).toBeInstanceOf(TemplatingError);
        expect(actual).toMatchObject({
          name: 'TemplatingError',
          message: expected.message,
          path: expected.path,
          detail: expected.detail,
        });
      } else {
        expect(actual).toEqual(expected);
      }
    }
  });

  it('conditions, with always() and failure() when a step status is given', async () => {
    const conditions: unknown[] = [
      undefined,
      true,
      false,
      '${{ parameters.enabled }}',
      '${{ parameters.empty }}',
      '${{ parameters.list }}',
      'false',
      '',
      '${{ parameters.missing }}',
    ];
    for (const condition of conditions) {
      expect(await r.isTruthy(condition, scope)).toBe(sync.isTruthy(condition, scope));
    }
    const failed = { failed: true };
    expect(await r.isTruthy('${{ failure() }}', scope, { status: failed })).toBe(true);
    expect(await r.isTruthy('${{ failure() }}', scope, { status: { failed: false } })).toBe(false);
    expect(await r.isTruthy('${{ always() }}', scope, { status: { failed: false } })).toBe(true);
    // Without a status the functions do not exist (a failed render keeps the text: truthy).
    expect(await r.renderValue('${{ always() }}', scope)).toBe('${{ always() }}');
  });

  it('skeleton files, one at a time and in batches, and their errors', async () => {
    const files = [
      { text: 'name: ${{ values.name | dump }} {{ x }}', name: 'a.yaml' },
      { text: 'no tags at all', name: 'b.txt' },
      { text: 'a\n  {% if values.on %}\n  b\n  {% endif %}\nc\n', name: 'c.txt' },
      { text: '${{ values.name }}/index.js', name: 'name of ${{ values.name }}/index.js' },
    ];
    const values = { name: 'svc', on: true };
    for (const options of [{}, { trimBlocks: true, lstripBlocks: true }]) {
      const batch = await r.renderSkeletonFiles(files, values, options);
      expect(batch).toEqual(files.map((f) => sync.renderSkeleton(f.text, values, options)));
      for (const f of files) {
        expect(await r.renderSkeleton(f.text, values, { ...options, name: f.name })).toBe(
          sync.renderSkeleton(f.text, values, options),
        );
      }
    }
    const cookiecutter = { cookiecutterCompat: true };
    expect(await r.renderSkeleton('{{ cookiecutter | jsonify }}', values, cookiecutter)).toBe(
      sync.renderSkeleton('{{ cookiecutter | jsonify }}', values, cookiecutter),
    );
    const broken = r.renderSkeletonFiles(
      [files[0]!, { text: 'line 1\nline 2 {% if %}\n', name: 'skeleton/README.md' }],
      values,
    );
    await expect(broken).rejects.toBeInstanceOf(TemplatingError);
    await expect(broken).rejects.toThrow(/^skeleton\/README\.md: line 2, column \d+: /);
  });

  it('template checks', async () => {
    const value = {
      ok: '${{ parameters.name }}',
      bad: '${{ parameters.name | }}',
      include: "{% include 'x' %}",
      nested: ['${{ 1 + }}'],
    };
    expect(await r.checkTemplate(value, 'spec.steps[0].input')).toEqual(
      sync.checkTemplate(value, 'spec.steps[0].input'),
    );
    expect(
      await r.checkTemplates([
        { value: 'fine ${{ x }}', path: 'a' },
        { value: '${{ (', path: 'b' },
      ]),
    ).toEqual([sync.checkTemplate('fine ${{ x }}', 'a'), sync.checkTemplate('${{ (', 'b')]);
  });

  it('refuses scope data that is not plain JSON', async () => {
    await expect(
      r.renderValue('${{ f() }}', { f: () => 1 }, { path: 'spec.steps[0].input' }),
    ).rejects.toThrow(/^spec\.steps\[0\]\.input: template data must be plain JSON/);
  });
});

describe('TemplateRenderer limits', () => {
  it('stops a render past renderTimeout, naming the limit and the value, without blocking this thread', async () => {
    const r = renderer({ renderTimeoutMs: 300 });
    const started = performance.now();
    const { value: error, lag } = await worstTimerLag(
      r
        .renderValue({ ok: '${{ parameters.name }}', spin: NESTED_LOOPS }, scope, {
          path: 'spec.steps[2].input',
        })
        .catch((e: unknown) => e),
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(TemplateLimitError);
    expect((error as TemplateLimitError).limit).toBe(LIMIT_KEYS.renderTimeout);
    expect((error as Error).message).toBe(
      'spec.steps[2].input.spin: rendering took longer than scaffolder.limits.renderTimeout (300 ms)',
    );
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2000);
    expect(lag).toBeLessThan(100);
    // A fresh worker takes over.
    expect(await r.renderValue('${{ parameters.count + 1 }}', scope)).toBe(4);
  });

  it('bounds the total render time of a task (taskRenderTime)', async () => {
    const r = renderer({ renderTimeoutMs: 10_000, taskRenderTimeMs: 400 });
    const task = r.forTask();
    const started = performance.now();
    const error = await task
      .renderSkeletonFiles([{ text: NESTED_LOOPS, name: 'spin.txt' }], {})
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(TemplateLimitError);
    expect((error as Error).message).toBe(
      'spin.txt: rendering in this task took longer in total than scaffolder.limits.taskRenderTime (400 ms)',
    );
    // The budget is spent: that task renders nothing more, another task has its own.
    await expect(task.renderValue('${{ 1 }}', {}, { path: 'spec.output.x' })).rejects.toThrow(
      'spec.output.x: rendering in this task took longer in total than scaffolder.limits.taskRenderTime',
    );
    expect(await r.forTask().renderValue('${{ 1 }}', {})).toBe(1);
  });

  it('fails an out-of-memory render, not the process (workerMemoryMb)', async () => {
    const r = renderer({ workerMemoryMb: 64, renderTimeoutMs: 30_000 });
    const error = await r
      .renderValue(GIANT_STRING, {}, { path: 'spec.steps[0].input.message' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateLimitError);
    expect((error as TemplateLimitError).limit).toBe(LIMIT_KEYS.workerMemoryMb);
    expect((error as Error).message).toBe(
      'spec.steps[0].input.message: rendering needed more memory than scaffolder.limits.workerMemoryMb (64 MB)',
    );
    const skeleton = await r
      .renderSkeletonFiles([{ text: GIANT_STRING, name: 'big.txt' }], {})
      .catch((e: unknown) => e);
    expect((skeleton as Error).message).toMatch(/^big\.txt: rendering needed more memory/);
    // This process is fine, and so is the next render.
    expect(await r.renderValue('${{ 6 * 7 }}', {})).toBe(42);
  });

  it('refuses output past renderOutputBytes', async () => {
    const r = renderer({ renderOutputBytes: 1024 });
    const big = "${{ 'x'.padStart(2000, 'y') }}";
    await expect(r.renderValue(big, {}, { path: 'spec.output.text' })).rejects.toThrow(
      'spec.output.text: the rendered output is larger than scaffolder.limits.renderOutputBytes (1 KiB)',
    );
    await expect(r.renderValue({ a: big }, {}, { path: 'spec.steps[0].input' })).rejects.toThrow(
      TemplateLimitError,
    );
    await expect(r.renderSkeletonFiles([{ text: big, name: 'big.txt' }], {})).rejects.toThrow(
      /^big\.txt: the rendered output is larger than scaffolder\.limits\.renderOutputBytes/,
    );
    // Multi-byte characters count as their UTF-8 bytes.
    await expect(r.renderSkeleton("${{ 'é'.padStart(600, 'é') }}", {})).rejects.toThrow(
      TemplateLimitError,
    );
    expect(await r.renderSkeleton("${{ 'x'.padStart(1000, 'y') }}", {})).toHaveLength(1000);
  });

  it('stops a render when its task is cancelled', async () => {
    const r = renderer({ renderTimeoutMs: 30_000 });
    const controller = new AbortController();
    const task = r.forTask({ signal: controller.signal });
    const started = performance.now();
    const pending = task.renderValue(NESTED_LOOPS, {}).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('cancelled by a test')), 200);
    expect(((await pending) as Error).message).toBe('cancelled by a test');
    expect(performance.now() - started).toBeLessThan(3000);
    await expect(task.renderValue('${{ 1 }}', {})).rejects.toThrow('cancelled by a test');
    expect(await r.renderValue('${{ 2 }}', {})).toBe(2);
  });

  it('renders on several workers at once (renderWorkers)', async () => {
    const r = renderer({ renderWorkers: 2, renderTimeoutMs: 1000 });
    // Two renders at once start both workers.
    expect(
      await Promise.all([r.renderValue('${{ 1 }}', {}), r.renderValue('${{ 2 }}', {})]),
    ).toEqual([1, 2]);
    // One worker is stuck; the other still answers.
    const stuck = r.renderValue(NESTED_LOOPS, {}).catch((e: unknown) => e);
    const started = performance.now();
    expect(await r.renderValue('${{ 3 }}', {})).toBe(3);
    expect(performance.now() - started).toBeLessThan(900);
    expect(await stuck).toBeInstanceOf(TemplateLimitError);
  });

  it('rejects renders once closed', async () => {
    const r = createTemplateRenderer();
    expect(await r.renderValue('${{ 1 }}', {})).toBe(1);
    await r.close();
    await expect(r.renderValue('${{ 1 }}', {})).rejects.toThrow('closed');
  });
});
