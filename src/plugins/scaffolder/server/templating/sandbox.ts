/**
 * The hardened runtime that compiled templates run against.
 *
 * Nunjucks compiles a template to JavaScript that reaches data only through a handful of
 * runtime functions (`memberLookup` for `a.b`/`a[b]`, `callWrap` for calls,
 * `contextOrFrameLookup` for names, `inOperator`). Its stock versions follow the JavaScript
 * prototype chain, so `range.constructor("return process")()` builds a Function. Template
 * input is written by whoever can register a template, so it must not run code on the host.
 *
 * The stock runtime is NOT patched: nunjucks hands the runtime to the compiled `root` function
 * as an argument, so each compiled template's `root` is wrapped to receive this runtime
 * instead (see `compileSandboxed`). Other users of nunjucks in the process are unaffected.
 *
 * Rules enforced here:
 * - functions are opaque: no member of a function can be read (no `.constructor`, `.call`);
 * - objects expose their own data properties only, never accessors nor inherited members;
 * - strings, arrays and numbers expose `length`, indexes and an allowlist of side-effect-free
 *   methods, bound to the value;
 * - names such as `constructor`, `__proto__`, `prototype` are unreachable everywhere;
 * - the Function constructors and `eval` are refused by `callWrap` even if one leaked in.
 */
import nunjucks from 'nunjucks';

interface NunjucksRuntime {
  SafeString: new (value: string) => { val: string; length: number };
  [name: string]: unknown;
}

const stockRuntime = (nunjucks as unknown as { runtime: NunjucksRuntime }).runtime;
const SafeString = stockRuntime.SafeString;

const BLOCKED_NAMES = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const STRING_METHODS = new Set([
  'at',
  'charAt',
  'charCodeAt',
  'codePointAt',
  'concat',
  'endsWith',
  'includes',
  'indexOf',
  'lastIndexOf',
  'localeCompare',
  'match',
  'normalize',
  'padEnd',
  'padStart',
  'replace',
  'replaceAll',
  'search',
  'slice',
  'split',
  'startsWith',
  'substr',
  'substring',
  'toLowerCase',
  'toString',
  'toUpperCase',
  'trim',
  'trimEnd',
  'trimStart',
]);

/** Non-mutating array methods that take no callback. */
const ARRAY_METHODS = new Set([
  'at',
  'concat',
  'includes',
  'indexOf',
  'join',
  'lastIndexOf',
  'slice',
]);

const NUMBER_METHODS = new Set(['toFixed', 'toPrecision', 'toString']);

/** `padStart(1e9)` and friends would exhaust memory; skeleton files are far smaller. */
const MAX_PAD = 100_000;

const FORBIDDEN_CALLEES = new Set<unknown>([
  Function,
  // biome-ignore lint/complexity/useArrowFunction: the constructor of a non-arrow async function is what must be refused
  Object.getPrototypeOf(async function () {}).constructor,
  Object.getPrototypeOf(function* () {}).constructor,
  Object.getPrototypeOf(async function* () {}).constructor,
  // biome-ignore lint/security/noGlobalEval: listed to be refused, never called
  eval,
]);

function isIndex(key: string): boolean {
  return /^(0|[1-9]\d{0,9})$/.test(key);
}

function boundMethod(target: unknown, method: string): (...args: unknown[]) => unknown {
  const fn = (Object.getPrototypeOf(target) as Record<string, unknown>)[method] as (
    ...args: unknown[]
  ) => unknown;
  return (...args: unknown[]) => {
    if ((method === 'padStart' || method === 'padEnd') && Number(args[0]) > MAX_PAD) {
      throw new Error(`${method}() to more than ${MAX_PAD} characters is not allowed`);
    }
    return fn.apply(target, args);
  };
}

/** `a.b` / `a[b]` for templates. */
export function safeMemberLookup(obj: unknown, rawKey: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  if (typeof obj === 'function' || typeof obj === 'symbol') return undefined;
  if (typeof rawKey === 'symbol') return undefined;
  // Coerced once, so an object key whose toString changes between calls cannot slip through.
  const key = String(rawKey);
  if (BLOCKED_NAMES.has(key)) return undefined;

  if (typeof obj === 'string' || obj instanceof SafeString) {
    const text = String(obj);
    if (key === 'length') return text.length;
    if (isIndex(key)) return text[Number(key)];
    return STRING_METHODS.has(key) ? boundMethod(text, key) : undefined;
  }
  if (typeof obj === 'number') {
    return NUMBER_METHODS.has(key) ? boundMethod(obj, key) : undefined;
  }
  if (typeof obj !== 'object') return undefined;
  if (Array.isArray(obj)) {
    if (key === 'length') return obj.length;
    if (isIndex(key)) return obj[Number(key)];
    if (ARRAY_METHODS.has(key)) return boundMethod(obj, key);
  }
  const descriptor = Object.getOwnPropertyDescriptor(obj, key);
  // Accessors would run code the template author chose through `__defineGetter__` & co.
  if (!descriptor || !('value' in descriptor)) return undefined;
  const value: unknown = descriptor.value;
  if (typeof value === 'function') {
    // e.g. `cycler(...).next()`: callable, bound to its object, but itself opaque.
    return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(obj, args);
  }
  return value;
}

/** `f(args)` for templates. */
export function safeCallWrap(obj: unknown, name: string, context: unknown, args: unknown[]) {
  if (!obj) {
    throw new Error(`Unable to call \`${name}\`, which is undefined or falsey`);
  }
  if (typeof obj !== 'function') {
    throw new Error(`Unable to call \`${name}\`, which is not a function`);
  }
  if (FORBIDDEN_CALLEES.has(obj)) {
    throw new Error(`Calling \`${name}\` is not allowed in templates`);
  }
  return (obj as (...a: unknown[]) => unknown).apply(context, args);
}

interface NunjucksFrame {
  lookup(name: string): unknown;
}
interface NunjucksContext {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

/** A bare name: template variables, then the render scope's own keys, then the globals. */
export function safeContextOrFrameLookup(
  context: NunjucksContext,
  frame: NunjucksFrame,
  name: string,
): unknown {
  if (BLOCKED_NAMES.has(name)) return undefined;
  const fromFrame = frame.lookup(name);
  if (fromFrame !== undefined) return fromFrame;
  if (Object.hasOwn(context.ctx, name)) return context.ctx[name];
  if (Object.hasOwn(context.env.globals, name)) return context.env.globals[name];
  return undefined;
}

/** `a in b`, looking at own keys of objects only. */
export function safeInOperator(key: unknown, value: unknown): boolean {
  if (Array.isArray(value) || typeof value === 'string') {
    return (value as unknown[]).indexOf(key) !== -1;
  }
  if (value instanceof SafeString) return String(value).indexOf(String(key)) !== -1;
  if (value !== null && typeof value === 'object') {
    return Object.hasOwn(value, String(key));
  }
  throw new Error(`Cannot use "in" operator to search for "${String(key)}" in unexpected types.`);
}

/** The runtime object handed to compiled templates in place of nunjucks's own. */
export const sandboxRuntime: Readonly<Record<string, unknown>> = Object.freeze({
  ...stockRuntime,
  memberLookup: safeMemberLookup,
  callWrap: safeCallWrap,
  contextOrFrameLookup: safeContextOrFrameLookup,
  inOperator: safeInOperator,
});

export const MAX_RANGE = 100_000;

/**
 * Template globals, rebuilt per environment on a null prototype: `range` (bounded, so
 * `range(1e12)` fails instead of exhausting memory), `cycler`, `joiner`. They are ordinary
 * functions and reach nothing else, because functions are opaque in the sandbox.
 */
export function sandboxGlobals(): Record<string, unknown> {
  const globals = Object.create(null) as Record<string, unknown>;
  globals.range = (start: number, stop?: number, step?: number) => {
    let from = Number(start);
    let to = Number(stop);
    let by = Number(step);
    if (stop === undefined) {
      to = from;
      from = 0;
      by = 1;
    } else if (!by) {
      by = 1;
    }
    const count = Math.ceil((to - from) / by);
    if (!(count <= MAX_RANGE)) {
      if (Number.isNaN(count)) return [];
      throw new Error(`range() of more than ${MAX_RANGE} numbers is not allowed`);
    }
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(from + i * by);
    return out;
  };
  globals.cycler = (...items: unknown[]) => {
    let index = -1;
    const cycler: { current: unknown; next: () => unknown; reset: () => void } = {
      current: null,
      next() {
        index = (index + 1) % Math.max(items.length, 1);
        cycler.current = items[index];
        return cycler.current;
      },
      reset() {
        index = -1;
        cycler.current = null;
      },
    };
    return cycler;
  };
  globals.joiner = (sep?: string) => {
    const separator = sep ?? ',';
    let first = true;
    return () => {
      const out = first ? '' : separator;
      first = false;
      return out;
    };
  };
  return globals;
}

const INHERITED_NAMES = new Set(
  [Object.prototype, Function.prototype, Array.prototype, String.prototype, Number.prototype]
    .flatMap((proto) => Object.getOwnPropertyNames(proto))
    .filter((name) => name !== 'length'),
);

/**
 * Nunjucks filters that take an attribute path (`sum('a.b')`, `groupby`, `sort`, ...) read it
 * with plain `obj[name]`, bypassing memberLookup. They only compare or stringify what they
 * read, but `sum('constructor')` would still print a function's source: refuse such paths.
 */
export function assertSafeAttribute(filter: string, attribute: unknown): void {
  if (attribute === undefined || attribute === null || typeof attribute === 'number') return;
  for (const segment of String(attribute).split('.')) {
    if (BLOCKED_NAMES.has(segment) || INHERITED_NAMES.has(segment)) {
      throw new Error(`${filter}: attribute '${String(attribute)}' is not allowed`);
    }
  }
}

/** Filter name → index of its attribute argument (counting the filtered value as 0). */
export const ATTRIBUTE_FILTERS: Record<string, number> = {
  sort: 3,
  groupby: 1,
  join: 2,
  selectattr: 1,
  rejectattr: 1,
  sum: 1,
};

interface CompiledProps {
  root: (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: unknown) => void;
  [block: string]: unknown;
}

/**
 * Compiles template source for `env`, with every entry point (root and blocks) receiving the
 * sandbox runtime. Returns a nunjucks Template ready to `render(ctx)`.
 */
export function compileSandboxed(source: string, env: nunjucks.Environment): nunjucks.Template {
  const internals = nunjucks as unknown as {
    compiler: {
      compile(src: string, af: unknown, ext: unknown, name: string, opts: unknown): string;
    };
  };
  const envInternals = env as unknown as {
    asyncFilters: unknown;
    extensionsList: unknown;
    opts: unknown;
  };
  const code = internals.compiler.compile(
    source,
    envInternals.asyncFilters,
    envInternals.extensionsList,
    '',
    envInternals.opts,
  );
  // The generated code is nunjucks's own output for this source; it is run exactly as
  // nunjucks itself runs it (`new Function`), only the runtime it sees is swapped.
  const props = new Function(code)() as CompiledProps;
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(props)) {
    wrapped[name] =
      typeof fn === 'function' && (name === 'root' || name.startsWith('b_'))
        ? (e: unknown, c: unknown, f: unknown, _runtime: unknown, cb: unknown) =>
            (fn as CompiledProps['root'])(e, c, f, sandboxRuntime, cb)
        : fn;
  }
  return new nunjucks.Template({ type: 'code', obj: wrapped } as never, env);
}

/**
 * A JSON-safe copy of template data: own enumerable data properties only (accessors are
 * skipped, never invoked), rendered strings as strings, functions dropped. Used by `dump`
 * and for whole-expression values, so neither can serialize more than a template may read.
 */
export function plainData(value: unknown, seen: Set<object> = new Set()): unknown {
  if (value instanceof SafeString) return String(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  }
  if (seen.has(value)) throw new Error('cannot serialize a value that contains itself');
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => plainData(item, seen));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (!descriptor || !('value' in descriptor)) continue;
      const item = plainData(descriptor.value, seen);
      if (item !== undefined) out[key] = item;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
