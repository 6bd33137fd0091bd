import nunjucks from 'nunjucks';
import type { JsonValue } from '../../../../model/entity.ts';
import { InputError } from '../../../../core/errors.ts';
import { backstageFilters, type TemplateFilter } from './filters.ts';
import type { ScmIntegrationsConfig } from './repo-url.ts';
import {
  ATTRIBUTE_FILTERS,
  assertSafeAttribute,
  compileSandboxed,
  plainData,
  sandboxGlobals,
} from './sandbox.ts';

/** A template string that could not be compiled or rendered; `path` names where it was. */
export class TemplatingError extends InputError {
  /** e.g. `spec.steps[0].input.url` or a skeleton file's path. */
  readonly path: string;
  /** The reason without the path, e.g. `line 3, column 5: filter not found: foo`. */
  readonly detail: string;
  constructor(path: string, detail: string) {
    super(path ? `${path}: ${detail}` : detail);
    this.path = path;
    this.detail = detail;
  }
}

export interface SkeletonOptions {
  /** `{{ }}` delimiters and `cookiecutter.*` instead of `values.*`, plus `jsonify` and `slugify`. */
  cookiecutterCompat?: boolean;
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  /** Named in errors, e.g. the skeleton file's path. */
  name?: string;
}

export interface SecureTemplaterOptions {
  integrations?: ScmIntegrationsConfig;
  /** Extra filters (module contributions); they run inside the same sandbox rules. */
  filters?: Record<string, TemplateFilter>;
  /**
   * Called before each string of a value is rendered, with its path (e.g.
   * `spec.steps[0].input.url`): the rendering worker uses it to name what was rendering when
   * a limit stopped it.
   */
  onString?: (path: string) => void;
}

interface Mode {
  cookiecutter: boolean;
  trimBlocks: boolean;
  lstripBlocks: boolean;
}

const DEFAULT_MODE: Mode = { cookiecutter: false, trimBlocks: false, lstripBlocks: false };

/**
 * A string that is exactly one `${{ expr }}` keeps the expression's type (Backstage's rule).
 * The inner part may hold `{ }` (object literals) but not another tag's delimiters.
 */
const WHOLE_EXPRESSION = /^\s*\$\{\{((?:(?!\}\}|\$\{\{|\{%|\{#)[\s\S])*)\}\}\s*$/;
const CAPTURE = '__atriumCaptureValue';
const FORBIDDEN_TAG = /\{%-?\s*(include|import|from|extends)\b/;
const CACHE_LIMIT = 20_000;

/** `{% include %}` & co would read other templates (files); the sandbox has none. */
function refuseTemplateLoading(
  name: string,
  _eager: unknown,
  _parent: unknown,
  _ignoreMissing: unknown,
  cb?: (err: Error) => void,
) {
  const error = new Error(
    `include/import/extends are not allowed in templates (tried to load '${name}')`,
  );
  if (cb) cb(error);
  else throw error;
}

interface NunjucksError {
  message: string;
  lineno?: number;
  colno?: number;
  cause?: Error;
}

/** `line 3, column 5: filter not found: foo` from nunjucks's error objects (built with `dev: true`). */
function describeError(error: unknown): string {
  const e = error as NunjucksError;
  let message = e.cause instanceof Error ? e.cause.message : String(e.message ?? error);
  // Errors raised inside nested calls arrive already wrapped; keep the innermost reason.
  message = message
    .replace(/^(\(unknown path\)\s*(\[[^\]]*\])?\s*|Template render error:\s*|Error:\s*)+/g, '')
    .trim();
  if (e.lineno && e.colno) return `line ${e.lineno}, column ${e.colno}: ${message}`;
  if (e.lineno) return `line ${e.lineno}: ${message}`;
  if (e.cause === undefined && e.lineno === undefined && /reading '/.test(message)) {
    // The nunjucks parser crashes with a TypeError on some unterminated expressions.
    return `could not parse template (${message})`;
  }
  return message;
}

/**
 * Splits text whose only tags are variable tags into literal text and `${{ … }}` sources
 * (alternating, text first), so each distinct expression is compiled once across all the
 * files of a skeleton instead of lexing every file. Returns undefined when the text needs the
 * whole engine: block or comment tags, whitespace control, regex literals, an unclosed tag.
 * Expressions without `{% set %}` cannot affect each other, so rendering them one by one
 * gives the same output (a test compares both paths).
 */
export function splitVariableTags(text: string, start: string): string[] | undefined {
  if (text.includes('{%') || text.includes('{#')) return undefined;
  const parts: string[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf(start, from);
    if (open === -1) {
      parts.push(text.slice(from));
      return parts;
    }
    parts.push(text.slice(from, open));
    let i = open + start.length;
    if (text[i] === '-') return undefined;
    let close = -1;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"' || ch === "'") {
        i++;
        while (i < text.length && text[i] !== ch) i += text[i] === '\\' ? 2 : 1;
        i++;
      } else if (ch === '}' && text[i + 1] === '}') {
        close = i;
        break;
      } else if (ch === 'r' && text[i + 1] === '/') {
        return undefined;
      } else {
        i++;
      }
    }
    if (close === -1 || text[close - 1] === '-') return undefined;
    parts.push(text.slice(open, close + 2));
    from = close + 2;
  }
}

/** Whether `text` has a tag at all; text without one renders to itself. */
export function hasTemplateTags(text: string, cookiecutter = false): boolean {
  return text.includes(cookiecutter ? '{{' : '${{') || text.includes('{%') || text.includes('{#');
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Plain JSON data out of whatever a template expression produced. */
function toJson(value: unknown): JsonValue | undefined {
  const plain = plainData(value);
  // A round trip turns NaN/Infinity into null and drops undefined, as JSON does.
  const text = plain === undefined ? undefined : JSON.stringify(plain);
  return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
}

/** nunjucks's `dump`, over {@link plainData}. */
function dump(value: unknown, spaces?: number | string): string | undefined {
  const plain = plainData(value);
  return plain === undefined ? undefined : JSON.stringify(plain, null, spaces);
}

/**
 * Cookiecutter's `slugify` filter (python-slugify's defaults): accents dropped, lower case,
 * every run of other characters one `-`, none at either end.
 */
function slugify(value: unknown, separator: unknown = '-'): string {
  const sep = typeof separator === 'string' ? separator : '-';
  return String(value ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['"]+/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .replaceAll(' ', sep);
}

/**
 * Renders `${{ }}` templates (nunjucks syntax) in a sandbox: no filesystem, no reaching
 * JavaScript internals from template text (see sandbox.ts). Compiled templates are cached
 * per source string, so a skeleton with many similar files compiles each distinct text once.
 */
export class SecureTemplater {
  private readonly envs = new Map<string, nunjucks.Environment>();
  private readonly cache = new Map<string, nunjucks.Template>();
  private readonly filters: Record<string, TemplateFilter>;
  private readonly onString: ((path: string) => void) | undefined;

  constructor(opts: SecureTemplaterOptions = {}) {
    this.filters = { ...backstageFilters(opts.integrations), ...opts.filters };
    this.onString = opts.onString;
  }

  /** How many compiled templates are cached (diagnostics and tests). */
  get compiledTemplates(): number {
    return this.cache.size;
  }

  /**
   * Renders every string inside `value`. A string that fails to render is kept as written
   * (Backstage semantics); use {@link renderValueStrict} to get the error instead. `path`
   * only names the value (see `onString`).
   */
  renderValue(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    path = '',
  ): JsonValue | undefined {
    return this.walk(value, scope, path, false);
  }

  /** Like {@link renderValue}, but throws a TemplatingError naming `path` (e.g. `steps[0].input`). */
  renderValueStrict(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    path = '',
  ): JsonValue | undefined {
    return this.walk(value, scope, path, true);
  }

  /**
   * Step `if`: booleans as they are, strings rendered; an empty array is falsy, the string
   * `"false"` truthy. An absent condition (undefined) means "run".
   */
  isTruthy(condition: unknown, scope: Record<string, unknown>): boolean {
    if (condition === undefined) return true;
    if (typeof condition === 'boolean') return condition;
    const rendered = this.renderValue(condition as JsonValue, scope);
    return Array.isArray(rendered) ? rendered.length > 0 : Boolean(rendered);
  }

  /** Renders one skeleton file (or file name) for `fetch:template`; throws TemplatingError. */
  renderSkeleton(
    text: string,
    values: Record<string, unknown>,
    opts: SkeletonOptions = {},
  ): string {
    const mode: Mode = {
      cookiecutter: Boolean(opts.cookiecutterCompat),
      trimBlocks: Boolean(opts.trimBlocks),
      lstripBlocks: Boolean(opts.lstripBlocks),
    };
    if (!this.hasTags(text, mode)) return text;
    const scope = mode.cookiecutter ? { cookiecutter: values } : { values };
    try {
      return this.renderText(text, scope, mode);
    } catch (error) {
      throw new TemplatingError(opts.name ?? '', describeError(error));
    }
  }

  /** Syntax errors (and forbidden tags) in every template string of `value`, without evaluating. */
  checkTemplate(value: unknown, path: string): Array<{ path: string; message: string }> {
    const problems: Array<{ path: string; message: string }> = [];
    const visit = (v: unknown, p: string) => {
      if (typeof v === 'string') {
        if (!this.hasTags(v, DEFAULT_MODE)) return;
        const tag = FORBIDDEN_TAG.exec(v);
        if (tag) {
          problems.push({ path: p, message: `{% ${tag[1]} %} is not allowed in templates` });
          return;
        }
        try {
          this.compile(v, DEFAULT_MODE);
        } catch (error) {
          problems.push({ path: p, message: describeError(error) });
        }
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => {
          visit(item, childPath(p, i));
        });
      } else if (v !== null && typeof v === 'object') {
        for (const [k, item] of Object.entries(v)) visit(item, childPath(p, k));
      }
    };
    visit(value, path);
    return problems;
  }

  private walk(
    value: JsonValue | undefined,
    scope: Record<string, unknown>,
    path: string,
    strict: boolean,
  ): JsonValue | undefined {
    if (typeof value === 'string') {
      this.onString?.(path);
      return this.renderString(value, scope, path, strict);
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        const out = this.walk(item, scope, childPath(path, i), strict);
        // JSON has no undefined inside arrays.
        return out === undefined ? null : out;
      });
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(value)) {
        const rendered = this.walk(item, scope, childPath(path, key), strict);
        if (rendered !== undefined) out[key] = rendered;
      }
      return out;
    }
    return value;
  }

  private renderString(
    text: string,
    scope: Record<string, unknown>,
    path: string,
    strict: boolean,
  ): JsonValue | undefined {
    if (!this.hasTags(text, DEFAULT_MODE)) return text;
    const whole = WHOLE_EXPRESSION.exec(text);
    if (whole) {
      let captured: unknown;
      const capture = (v: unknown) => {
        captured = v;
        return '';
      };
      try {
        this.compile(`\${{ ${CAPTURE}((${whole[1]})) }}`, DEFAULT_MODE).render({
          ...scope,
          [CAPTURE]: capture,
        });
        return toJson(captured);
      } catch {
        // e.g. `${{- x -}}` is not an expression on its own: render it as a string below.
      }
    }
    try {
      return this.renderText(text, scope, DEFAULT_MODE);
    } catch (error) {
      if (strict) throw new TemplatingError(path, describeError(error));
      return text;
    }
  }

  /** Output of `text`; errors come from the whole-text compile so positions are right. */
  private renderText(text: string, scope: Record<string, unknown>, mode: Mode): string {
    const parts = splitVariableTags(text, mode.cookiecutter ? '{{' : '${{');
    if (parts) {
      try {
        let out = parts[0]!;
        for (let i = 1; i < parts.length; i += 2) {
          out += this.compile(parts[i]!, mode).render(scope) + parts[i + 1]!;
        }
        return out;
      } catch {
        // fall through: the full compile reports the error with its line and column
      }
    }
    return this.compile(text, mode).render(scope);
  }

  private hasTags(text: string, mode: Mode): boolean {
    return hasTemplateTags(text, mode.cookiecutter);
  }

  private compile(source: string, mode: Mode): nunjucks.Template {
    const key = `${Number(mode.cookiecutter)}${Number(mode.trimBlocks)}${Number(mode.lstripBlocks)}${source}`;
    let template = this.cache.get(key);
    if (template) return template;
    template = compileSandboxed(source, this.environment(mode));
    if (this.cache.size >= CACHE_LIMIT) {
      // Oldest first: Map iteration follows insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, template);
    return template;
  }

  private environment(mode: Mode): nunjucks.Environment {
    const key = `${Number(mode.cookiecutter)}${Number(mode.trimBlocks)}${Number(mode.lstripBlocks)}`;
    let env = this.envs.get(key);
    if (env) return env;
    // An empty loader list: nunjucks would otherwise default to a FileSystemLoader.
    env = new nunjucks.Environment([], {
      autoescape: false,
      throwOnUndefined: false,
      trimBlocks: mode.trimBlocks,
      lstripBlocks: mode.lstripBlocks,
      // Keeps line/column on errors (describeError) instead of a flattened message.
      dev: true,
      tags: {
        variableStart: mode.cookiecutter ? '{{' : '${{',
        variableEnd: '}}',
        blockStart: '{%',
        blockEnd: '%}',
        commentStart: '{#',
        commentEnd: '#}',
      },
    });
    const internals = env as unknown as {
      globals: Record<string, unknown>;
      getTemplate: typeof refuseTemplateLoading;
    };
    internals.globals = sandboxGlobals();
    internals.getTemplate = refuseTemplateLoading;
    env.addFilter('dump', dump);
    for (const [name, index] of Object.entries(ATTRIBUTE_FILTERS)) {
      const stock = env.getFilter(name) as (...args: unknown[]) => unknown;
      env.addFilter(name, function (this: unknown, ...args: unknown[]) {
        for (const [i, arg] of args.entries()) {
          // `sort(attribute='x')` arrives as a keyword-arguments object.
          if (arg !== null && typeof arg === 'object' && Object.hasOwn(arg, '__keywords')) {
            assertSafeAttribute(name, (arg as Record<string, unknown>).attribute);
          } else if (i === index) {
            assertSafeAttribute(name, arg);
          }
        }
        return stock.apply(this, args);
      });
    }
    if (mode.cookiecutter) {
      env.addFilter('jsonify', dump);
      env.addFilter('slugify', slugify);
    }
    for (const [name, filter] of Object.entries(this.filters)) env.addFilter(name, filter);
    this.envs.set(key, env);
    return env;
  }
}
