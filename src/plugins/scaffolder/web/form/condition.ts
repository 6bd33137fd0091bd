/**
 * Evaluates a parameter page's `if` (`${{ parameters.cloudProvider === 'AWS' }}`) in the
 * browser, to show or skip the page. The templating engine runs on the server and cannot run
 * here (it compiles to JavaScript, which the CSP forbids), so this understands the
 * expressions page conditions are written in: `parameters.*` paths, literals, comparisons,
 * `not`/`!`, `and`/`&&`, `or`/`||`, parentheses. Anything else is reported as unsupported and
 * the page is shown, so that no question is silently skipped.
 */

type Value = unknown;

export type ConditionResult = { ok: true; value: boolean } | { ok: false; error: string };

/** Nunjucks truthiness: empty arrays are falsy (COMPAT.md §6.1); the string "false" is not. */
export function truthy(value: Value): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(===|!==|==|!=|<=|>=|&&|\|\||[<>!()[\].])|([A-Za-z_$][\w$]*))/y;

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'name'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    if (/^\s*$/.test(text.slice(position))) break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text);
    if (!match) throw new Error(`unexpected "${text.slice(position).trim().slice(0, 10)}"`);
    position = TOKEN.lastIndex;
    const [, num, str, op, name] = match;
    if (num !== undefined) tokens.push({ kind: 'number', value: Number(num) });
    else if (str !== undefined) tokens.push({ kind: 'string', value: unquote(str) });
    else if (op !== undefined) tokens.push({ kind: 'op', value: op });
    else if (name !== undefined) tokens.push({ kind: 'name', value: name });
  }
  return tokens;
}

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly scope: Record<string, Value>,
  ) {}

  parse(): Value {
    const value = this.or();
    if (this.index < this.tokens.length) throw new Error('unexpected text after the expression');
    return value;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private accept(...values: string[]): string | undefined {
    const t = this.peek();
    if (t && (t.kind === 'op' || t.kind === 'name') && values.includes(t.value)) {
      this.index++;
      return t.value;
    }
    return undefined;
  }

  private or(): Value {
    let left = this.and();
    while (this.accept('or', '||')) {
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private and(): Value {
    let left = this.not();
    while (this.accept('and', '&&')) {
      const right = this.not();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private not(): Value {
    if (this.accept('not', '!')) return !truthy(this.not());
    return this.comparison();
  }

  private comparison(): Value {
    const left = this.primary();
    const op = this.accept('===', '!==', '==', '!=', '<', '>', '<=', '>=');
    if (!op) return left;
    const right = this.primary();
    switch (op) {
      case '===':
        return left === right;
      case '!==':
        return left !== right;
      case '==':
        // biome-ignore lint/suspicious/noDoubleEquals: the template language's loose equality
        return left == right;
      case '!=':
        // biome-ignore lint/suspicious/noDoubleEquals: the template language's loose equality
        return left != right;
      case '<':
        return (left as number) < (right as number);
      case '>':
        return (left as number) > (right as number);
      case '<=':
        return (left as number) <= (right as number);
      default:
        return (left as number) >= (right as number);
    }
  }

  private primary(): Value {
    const t = this.peek();
    if (!t) throw new Error('the expression ends too early');
    this.index++;
    if (t.kind === 'number' || t.kind === 'string') return t.value;
    if (t.kind === 'op' && t.value === '(') {
      const value = this.or();
      if (!this.accept(')')) throw new Error('missing ")"');
      return value;
    }
    if (t.kind === 'name') {
      if (t.value === 'true' || t.value === 'True') return true;
      if (t.value === 'false' || t.value === 'False') return false;
      if (t.value === 'null' || t.value === 'none' || t.value === 'None') return null;
      if (t.value === 'undefined') return undefined;
      if (!(t.value in this.scope)) throw new Error(`unknown name "${t.value}"`);
      return this.path(this.scope[t.value]);
    }
    throw new Error(`unexpected "${t.value}"`);
  }

  private path(start: Value): Value {
    let value = start;
    for (;;) {
      if (this.accept('.')) {
        const t = this.peek();
        if (t?.kind !== 'name') throw new Error('expected a property name after "."');
        this.index++;
        value = member(value, t.value);
      } else if (this.accept('[')) {
        const t = this.peek();
        if (t?.kind !== 'string' && t?.kind !== 'number') {
          throw new Error('only literal keys are supported inside [ ]');
        }
        this.index++;
        if (!this.accept(']')) throw new Error('missing "]"');
        value = member(value, String(t.value));
      } else {
        return value;
      }
    }
  }
}

function member(value: Value, key: string): Value {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, Value>)[key] : undefined;
}

/**
 * Whether a page with this `if` is shown. A boolean is itself; a string is a template: one
 * `${{ expr }}` is evaluated, other text is a non-empty string and so truthy.
 */
export function evaluateCondition(
  condition: string | boolean | undefined,
  parameters: Record<string, unknown>,
): ConditionResult {
  if (condition === undefined) return { ok: true, value: true };
  if (typeof condition === 'boolean') return { ok: true, value: condition };
  const match = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(condition);
  if (!match) return { ok: true, value: truthy(condition) };
  try {
    const value = new Parser(tokenize(match[1]!), { parameters }).parse();
    return { ok: true, value: truthy(value) };
  } catch (error) {
    return { ok: false, error: `${(error as Error).message} in ${condition}` };
  }
}
