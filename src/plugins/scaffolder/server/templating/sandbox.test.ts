import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { SecureTemplater } from './index.ts';
import { sandboxRuntime } from './sandbox.ts';

/**
 * Known ways out of a nunjucks sandbox. None may yield a function, Node's `process`,
 * `require`, file contents, or a change to Object.prototype.
 */
const PAYLOADS = [
  '${{ range.constructor("return process")() }}',
  '${{ range.constructor("return process")().mainModule }}',
  '${{ "".constructor.constructor("return process")() }}',
  '${{ "".constructor.constructor("return this")().process }}',
  '${{ cycler.constructor("return process")() }}',
  '${{ cycler().next.constructor("return process")() }}',
  '${{ joiner.constructor("return process")() }}',
  '${{ joiner().constructor }}',
  '${{ lipsum.constructor("return process")() }}',
  '${{ [].constructor }}',
  '${{ [].constructor.constructor("return process")() }}',
  '${{ [].concat.constructor("return process")() }}',
  '${{ {}.constructor }}',
  '${{ parameters.constructor.constructor("return process")() }}',
  '${{ parameters["constructor"]["constructor"]("return process")() }}',
  '${{ parameters["con" + "structor"] }}',
  '${{ parameters.__proto__ }}',
  '${{ parameters.__proto__.constructor }}',
  '${{ parameters.__lookupGetter__("__proto__") }}',
  '${{ parameters.__defineGetter__("x", range) }}',
  '${{ parameters.hasOwnProperty.constructor }}',
  '${{ parameters.toString.constructor("return process")() }}',
  '${{ parameters.name.toString.constructor("return process")() }}',
  '${{ parameters.name.replace.constructor("return process")() }}',
  '${{ (parameters.name | safe).constructor }}',
  '${{ r/x/.constructor.constructor("return process")() }}',
  '${{ (parameters | dictsort).constructor }}',
  '${{ constructor }}',
  '${{ constructor.constructor("return process")() }}',
  '${{ __proto__ }}',
  '${{ prototype }}',
  '${{ range.prototype }}',
  '${{ range.call }}',
  '${{ range.apply(null, [3]).constructor }}',
  '${{ range.bind }}',
  '{% set x = "".constructor %}${{ x("return process") }}',
  '{% set x = "".constructor %}${{ x.constructor("return process")() }}',
  '{% set f = range %}${{ f.constructor("return process")() }}',
  '{% macro m() %}x{% endmacro %}${{ m.constructor("return process")() }}',
  '{% set o = {"__proto__": {"polluted": "yes"}} %}${{ o.polluted }}',
  '{% set parameters.__proto__.polluted = "yes" %}',
  '{% set __proto__ = {"polluted": "yes"} %}${{ polluted }}',
  '{% for k, v in parameters.__proto__ %}${{ k }}{% endfor %}',
  '${{ [{"k": "__proto__"}] | groupby("k") }}',
  '${{ [{}] | groupby("constructor.constructor") }}',
  '${{ [{}] | sum("constructor") }}',
  '${{ [{}] | join(",", "constructor") }}',
  '${{ [{}, {}] | sort(false, false, "constructor") | dump }}',
  '${{ [{}, {}] | sort(attribute="constructor.constructor") }}',
  '${{ [{a: 1}] | sum("toString") }}',
  '${{ parameters | pick("constructor.constructor") }}',
  '${{ parameters | pick("__proto__.polluted") }}',
  '{% include "/etc/passwd" %}',
  '{% include "/etc/passwd" ignore missing %}',
  '{% import "/etc/passwd" as x %}',
  '{% from "/etc/passwd" import x %}',
  '{% extends "/etc/passwd" %}',
  '${{ "x".padStart(1000000000) }}',
  '${{ range(100000000) | length }}',
];

const LEAKS = [/\[object process\]/, /native code/, /root:.*:0:0/, /function\s*\(/, /=>/];

function renderAll(payload: string, scope: Record<string, unknown>) {
  const templater = new SecureTemplater({});
  const lenient = templater.renderValue(payload, scope);
  let strict: unknown;
  try {
    strict = templater.renderValueStrict(payload, scope, 'input.x');
  } catch (error) {
    strict = (error as Error).message;
  }
  return { lenient, strict };
}

describe('template sandbox', () => {
  const scope = () => ({
    parameters: { name: 'svc', nested: { a: 1 } },
    secrets: { token: 's3cret' },
  });

  it.each(PAYLOADS)('contains %s', (payload) => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const { lenient, strict } = renderAll(payload, scope());
    for (const result of [lenient, strict]) {
      expect(typeof result).not.toBe('function');
      const text = JSON.stringify(result) ?? '';
      for (const leak of LEAKS) expect(text).not.toMatch(leak);
      expect(text).not.toContain('/home');
      expect(text).not.toContain('PATH=');
      // `process` serialised as data would carry these keys
      expect(text).not.toMatch(/"(pid|env|versions|mainModule)"/);
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'x')).toBe(false);
  });

  it('reports include/import/extends as errors, not empty output', () => {
    const templater = new SecureTemplater({});
    for (const payload of [
      '{% include "/etc/passwd" %}',
      '{% import "/etc/hosts" as h %}',
      '{% extends "/etc/passwd" %}',
    ]) {
      expect(() => templater.renderValueStrict(payload, {}, 'input.x')).toThrow(
        /input\.x: .*include\/import\/extends are not allowed/,
      );
      // Backstage semantics: a failing string is kept as written.
      expect(templater.renderValue(payload, {})).toBe(payload);
    }
    expect(templater.checkTemplate({ a: '{% include "x" %}' }, 'spec')).toEqual([
      { path: 'spec.a', message: '{% include %} is not allowed in templates' },
    ]);
  });

  it('neither reads nor serialises accessors (dump of a getter)', () => {
    let calls = 0;
    const withGetter = {
      plain: 1,
      get evil() {
        calls++;
        return process;
      },
    };
    const templater = new SecureTemplater({});
    const s = { parameters: withGetter };
    expect(templater.renderValue('${{ parameters.evil }}', s)).toBeUndefined();
    expect(templater.renderValue('${{ parameters | dump }}', s)).toBe('{"plain":1}');
    expect(templater.renderValue('${{ parameters }}', s)).toEqual({ plain: 1 });
    expect(calls).toBe(0);
  });

  it('leaves other nunjucks users untouched (no global patch)', () => {
    new SecureTemplater({}).renderValue('${{ "".constructor }}', {});
    const plain = new nunjucks.Environment([], { autoescape: false });
    // Stock nunjucks still follows the prototype chain: the sandbox did not patch it.
    expect(plain.renderString('{{ "".constructor.constructor("return 6*7")() }}', {})).toBe('42');
    expect((nunjucks.runtime as unknown as Record<string, unknown>).memberLookup).not.toBe(
      sandboxRuntime.memberLookup,
    );
  });

  it('keeps legitimate member access and method calls working', () => {
    const templater = new SecureTemplater({});
    const s = { parameters: { name: 'My-Svc', tags: ['a', 'b'], call: 'x', apply: 'y' } };
    expect(templater.renderValue('${{ parameters.name.toLowerCase() }}', s)).toBe('my-svc');
    expect(templater.renderValue('${{ parameters.name.split("-") }}', s)).toEqual(['My', 'Svc']);
    expect(templater.renderValue('${{ parameters.tags.join("+") }}', s)).toBe('a+b');
    expect(templater.renderValue('${{ parameters.tags.length }}', s)).toBe(2);
    expect(templater.renderValue('${{ parameters.tags[1] }}', s)).toBe('b');
    expect(templater.renderValue('${{ parameters.name.length }}', s)).toBe(6);
    // Data keys that merely share a name with Function members stay readable.
    expect(templater.renderValue('${{ parameters.call }}-${{ parameters.apply }}', s)).toBe('x-y');
    expect(
      templater.renderValue('{% set c = cycler(1, 2) %}${{ c.next() }}${{ c.next() }}', s),
    ).toBe('12');
    expect(templater.renderValue('{% set j = joiner("|") %}a${{ j() }}b${{ j() }}c', s)).toBe(
      'ab|c',
    );
    expect(
      templater.renderValue('{% macro tag(x) %}<${{ x }}>{% endmacro %}${{ tag("b") }}', s),
    ).toBe('<b>');
    expect(
      templater.renderValue(
        '{% macro wrap() %}[${{ caller() }}]{% endmacro %}{% call wrap() %}in{% endcall %}',
        s,
      ),
    ).toBe('[in]');
    expect(templater.renderValue('${{ "name" in parameters }}', s)).toBe(true);
    expect(templater.renderValue('${{ "toString" in parameters }}', s)).toBe(false);
  });

  it('refuses prototype members as filter attribute paths, keeps data attributes', () => {
    const templater = new SecureTemplater({});
    const s = {
      items: [
        { n: 'b', v: 2 },
        { n: 'a', v: 1 },
      ],
    };
    for (const payload of [
      '${{ items | sum("constructor") }}',
      '${{ items | sort(attribute="constructor.constructor") }}',
      '${{ items | groupby("__proto__") }}',
      '${{ items | join(",", "toString") }}',
    ]) {
      expect(() => templater.renderValueStrict(payload, s, 'x')).toThrow(/is not allowed/);
    }
    expect(templater.renderValue('${{ items | sum("v") }}', s)).toBe(3);
    expect(templater.renderValue('${{ items | sort(attribute="n") | join(",", "n") }}', s)).toBe(
      'a,b',
    );
    expect(templater.renderValue('${{ items | selectattr("v") | length }}', s)).toBe(2);
  });

  it('bounds range() instead of exhausting memory', () => {
    const templater = new SecureTemplater({});
    expect(templater.renderValue('${{ range(2, 8, 2) }}', {})).toEqual([2, 4, 6]);
    expect(templater.renderValue('${{ range(3, 0, -1) }}', {})).toEqual([3, 2, 1]);
    expect(() => templater.renderValueStrict('${{ range(100000000) }}', {}, 'x')).toThrow(
      /range\(\) of more than 100000 numbers/,
    );
  });
});
