import { describe, expect, it } from 'vitest';
import { evaluateCondition, truthy } from './condition.ts';

const run = (condition: string | boolean | undefined, parameters: Record<string, unknown> = {}) =>
  evaluateCondition(condition, parameters);

describe('page conditions', () => {
  it('evaluates the forms templates use', () => {
    const p = { cloud: 'AWS', monitoring: true, count: 3, tags: [], nested: { a: { b: 'x' } } };
    expect(run("${{ parameters.cloud === 'AWS' }}", p)).toEqual({ ok: true, value: true });
    expect(run('${{ parameters.cloud === "GCP" }}', p)).toEqual({ ok: true, value: false });
    expect(
      run('${{ parameters.cloud !== "GCP" }}', p).ok && run('${{ parameters.cloud != "GCP" }}', p),
    ).toEqual({ ok: true, value: true });
    expect(run('${{ parameters.monitoring }}', p)).toEqual({ ok: true, value: true });
    expect(run('${{ not parameters.monitoring }}', p)).toEqual({ ok: true, value: false });
    expect(run('${{ !parameters.missing }}', p)).toEqual({ ok: true, value: true });
    expect(run('${{ parameters.count > 2 and parameters.cloud == "AWS" }}', p).ok).toBe(true);
    expect(run('${{ parameters.count > 2 and parameters.cloud == "AWS" }}', p)).toMatchObject({
      value: true,
    });
    expect(run('${{ parameters.count >= 4 || parameters.monitoring }}', p)).toMatchObject({
      value: true,
    });
    expect(run('${{ (parameters.count < 2) or (parameters.cloud === "x") }}', p)).toMatchObject({
      value: false,
    });
    expect(run("${{ parameters.nested.a['b'] === 'x' }}", p)).toMatchObject({ value: true });
    // an empty list is falsy (Nunjucks), the string "false" is not
    expect(run('${{ parameters.tags }}', p)).toMatchObject({ value: false });
    expect(run('false', p)).toMatchObject({ value: true });
    expect(run(false, p)).toMatchObject({ value: false });
    expect(run(undefined, p)).toMatchObject({ value: true });
  });

  it('says what it cannot evaluate instead of guessing', () => {
    const result = run('${{ parameters.name | length > 3 }}', { name: 'abcd' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('parameters.name | length');
    expect(run('${{ user.entity }}').ok).toBe(false);
    expect(run('${{ parameters.a. }}').ok).toBe(false);
    expect(run('${{ parameters.__proto__.polluted }}', {})).toMatchObject({ value: false });
  });

  it('uses Nunjucks truthiness', () => {
    expect([[], [0], '', 'x', 0, 1, null, {}].map(truthy)).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });
});
