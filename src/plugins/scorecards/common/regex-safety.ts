/**
 * A conservative check that a regular expression cannot backtrack catastrophically, so a
 * scorecard author cannot stall scoring with `(a+)+` or `(a|a)*`. JavaScript regexes have no
 * time limit, so unsafe patterns are refused when the scorecard is read.
 *
 * The pattern is parsed into a small tree. Every repeated part (a quantifier that may repeat
 * its body twice or more) is checked for the two sources of exponential backtracking:
 * - an alternation whose branches may start with the same character (or match nothing), so
 *   each repetition can choose a branch in more than one way;
 * - a variable-length piece (`x*`, `x+`, `x?`, `x{1,3}`) that can meet another variable piece
 *   over the same characters — within the body or across two repetitions — with no
 *   mandatory separator between them that neither can match (as `.` in `(\.\w+)*`).
 * Patterns it cannot prove safe are refused; a rewrite is always possible.
 */

/** Characters a part may match: ASCII as a bitmap, everything else as one flag. */
class CharSet {
  constructor(
    readonly bits: Uint32Array = new Uint32Array(4),
    public other = false,
  ) {}
  static all(): CharSet {
    return new CharSet(new Uint32Array([~0, ~0, ~0, ~0]), true);
  }
  addCode(code: number): void {
    if (code < 128) (this.bits[code >> 5] as number) |= 1 << (code & 31);
    else this.other = true;
  }
  addRange(from: number, to: number): void {
    for (let c = from; c <= Math.min(to, 127); c++) this.addCode(c);
    if (to >= 128) this.other = true;
  }
  addSet(set: CharSet): void {
    for (let i = 0; i < 4; i++) (this.bits[i] as number) |= set.bits[i] as number;
    this.other ||= set.other;
  }
  complement(): CharSet {
    const bits = new Uint32Array(4);
    for (let i = 0; i < 4; i++) bits[i] = ~(this.bits[i] as number);
    // The complement of any set of non-ASCII characters may still hold non-ASCII ones.
    return new CharSet(bits, true);
  }
  overlaps(set: CharSet): boolean {
    if (this.other && set.other) return true;
    for (let i = 0; i < 4; i++)
      if (((this.bits[i] as number) & (set.bits[i] as number)) !== 0) return true;
    return false;
  }
  isEmpty(): boolean {
    return !this.other && this.bits.every((b) => b === 0);
  }
}

type Node =
  | { t: 'chars'; set: CharSet }
  | { t: 'empty' } // anchors, lookarounds and word boundaries: match no character
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; branches: Node[] }
  | { t: 'repeat'; body: Node; min: number; max: number };

class Unsafe extends Error {}
class Unsupported extends Error {}

function escapeSet(letter: string): CharSet | undefined {
  const set = new CharSet();
  switch (letter) {
    case 'd':
      set.addRange(48, 57);
      return set;
    case 'w':
      set.addRange(48, 57);
      set.addRange(65, 90);
      set.addRange(97, 122);
      set.addCode(95);
      return set;
    case 's':
      for (const c of [9, 10, 11, 12, 13, 32]) set.addCode(c);
      set.other = true;
      return set;
    case 'D':
    case 'W':
    case 'S':
      return (escapeSet(letter.toLowerCase()) as CharSet).complement();
    default:
      return undefined;
  }
}

const SIMPLE_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    return this.alternation();
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): Node {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? (branches[0] as Node) : { t: 'alt', branches };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.peek() === '?') this.i++;
    return { t: 'repeat', body: atom, min, max };
  }

  private atom(): Node {
    const c = this.src[this.i++] as string;
    switch (c) {
      case '^':
      case '$':
        return { t: 'empty' };
      case '.':
        return { t: 'chars', set: CharSet.all() };
      case '[':
        return { t: 'chars', set: this.charClass() };
      case '(':
        return this.group();
      case '\\':
        return this.escape();
      default: {
        const set = new CharSet();
        set.addCode(c.codePointAt(0) as number);
        return { t: 'chars', set };
      }
    }
  }

  private group(): Node {
    let zeroWidth = false;
    if (this.src.startsWith('?:', this.i)) this.i += 2;
    else if (this.src.startsWith('?=', this.i) || this.src.startsWith('?!', this.i)) {
      this.i += 2;
      zeroWidth = true;
    } else if (this.src.startsWith('?<=', this.i) || this.src.startsWith('?<!', this.i)) {
      this.i += 3;
      zeroWidth = true;
    } else if (this.src.startsWith('?<', this.i)) {
      const close = this.src.indexOf('>', this.i);
      this.i = close + 1;
    }
    const body = this.alternation();
    this.i++; // ')'
    // A lookaround's body is checked on its own; around it, it matches no character.
    if (zeroWidth) {
      checkNode(body);
      return { t: 'empty' };
    }
    return body;
  }

  private escape(): Node {
    const c = this.src[this.i++] as string;
    const set = escapeSet(c);
    if (set) return { t: 'chars', set };
    if (c === 'b' || c === 'B') return { t: 'empty' };
    if (/[1-9]/.test(c) || (c === 'k' && this.peek() === '<')) {
      throw new Unsupported(
        'uses a back-reference, which is not allowed because matching one can take exponential time',
      );
    }
    const one = new CharSet();
    if (c === 'x' && /^[0-9a-fA-F]{2}/.test(this.src.slice(this.i))) {
      one.addCode(Number.parseInt(this.src.slice(this.i, this.i + 2), 16));
      this.i += 2;
    } else if (c === 'u' && /^[0-9a-fA-F]{4}/.test(this.src.slice(this.i))) {
      one.addCode(Number.parseInt(this.src.slice(this.i, this.i + 4), 16));
      this.i += 4;
    } else if (c === 'c' && /^[A-Za-z]/.test(this.src.slice(this.i))) {
      one.addCode((this.src.charCodeAt(this.i) as number) % 32);
      this.i++;
    } else if (SIMPLE_ESCAPES[c] !== undefined) one.addCode(SIMPLE_ESCAPES[c] as number);
    else one.addCode(c.codePointAt(0) as number);
    return { t: 'chars', set: one };
  }

  private charClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const set = new CharSet();
    while (this.i < this.src.length && this.peek() !== ']') {
      const start = this.classAtom();
      if (typeof start !== 'number') {
        set.addSet(start);
        continue;
      }
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        const end = this.classAtom();
        if (typeof end === 'number') set.addRange(start, end);
        else {
          set.addCode(start);
          set.addCode(45);
          set.addSet(end);
        }
      } else set.addCode(start);
    }
    this.i++; // ']'
    return negated ? set.complement() : set;
  }

  /** A code point, or a set for `\d`-like escapes. */
  private classAtom(): number | CharSet {
    const c = this.src[this.i++] as string;
    if (c !== '\\') return c.codePointAt(0) as number;
    const e = this.src[this.i++] as string;
    const set = escapeSet(e);
    if (set) return set;
    if (e === 'b') return 8;
    if (e === 'x' && /^[0-9a-fA-F]{2}/.test(this.src.slice(this.i))) {
      this.i += 2;
      return Number.parseInt(this.src.slice(this.i - 2, this.i), 16);
    }
    if (e === 'u' && /^[0-9a-fA-F]{4}/.test(this.src.slice(this.i))) {
      this.i += 4;
      return Number.parseInt(this.src.slice(this.i - 4, this.i), 16);
    }
    if (SIMPLE_ESCAPES[e] !== undefined) return SIMPLE_ESCAPES[e] as number;
    return e.codePointAt(0) as number;
  }
}

// ---------------------------------------------------------------------------------------
// Properties of parts.

function nullable(node: Node): boolean {
  switch (node.t) {
    case 'chars':
      return false;
    case 'empty':
      return true;
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.branches.some(nullable);
    case 'repeat':
      return node.min === 0 || nullable(node.body);
  }
}

function allChars(node: Node, into = new CharSet()): CharSet {
  switch (node.t) {
    case 'chars':
      into.addSet(node.set);
      break;
    case 'seq':
      for (const item of node.items) allChars(item, into);
      break;
    case 'alt':
      for (const branch of node.branches) allChars(branch, into);
      break;
    case 'repeat':
      if (node.max > 0) allChars(node.body, into);
      break;
  }
  return into;
}

function firstChars(node: Node, into = new CharSet()): CharSet {
  switch (node.t) {
    case 'chars':
      into.addSet(node.set);
      break;
    case 'seq':
      for (const item of node.items) {
        firstChars(item, into);
        if (!nullable(item)) break;
      }
      break;
    case 'alt':
      for (const branch of node.branches) firstChars(branch, into);
      break;
    case 'repeat':
      if (node.max > 0) firstChars(node.body, into);
      break;
  }
  return into;
}

/** Whether the part can match strings of different lengths (or in different ways). */
function variable(node: Node): boolean {
  switch (node.t) {
    case 'chars':
    case 'empty':
      return false;
    case 'seq':
      return node.items.some(variable);
    case 'alt':
      return node.branches.some(variable) || !deterministicAlternation(node);
    case 'repeat':
      return node.max > node.min || variable(node.body);
  }
}

function deterministicAlternation(node: Extract<Node, { t: 'alt' }>): boolean {
  const firsts: CharSet[] = [];
  for (const branch of node.branches) {
    if (nullable(branch)) return false;
    const first = firstChars(branch);
    if (firsts.some((f) => f.overlaps(first))) return false;
    firsts.push(first);
  }
  return true;
}

interface Token {
  chars: CharSet;
  variable: boolean;
  nullable: boolean;
}

/** The body of a repeat as a line of pieces: fixed ones, and variable ones seen as a whole. */
function tokens(node: Node, out: Token[] = []): Token[] {
  switch (node.t) {
    case 'empty':
      break;
    case 'chars':
      out.push({ chars: node.set, variable: false, nullable: false });
      break;
    case 'seq':
      for (const item of node.items) tokens(item, out);
      break;
    case 'repeat':
      if (node.max === 0) break;
      if (node.min === node.max && !variable(node.body)) tokens(node.body, out);
      else out.push({ chars: allChars(node), variable: true, nullable: nullable(node) });
      break;
    case 'alt':
      out.push({ chars: allChars(node), variable: variable(node), nullable: nullable(node) });
      break;
  }
  return out;
}

function checkRepeatedBody(body: Node): void {
  const walk = (node: Node): void => {
    if (node.t === 'alt' && !deterministicAlternation(node)) {
      throw new Unsafe(
        'an alternation inside a repetition has branches that can match the same text (as in (a|ab)*)',
      );
    }
    if (node.t === 'seq') node.items.forEach(walk);
    if (node.t === 'alt') node.branches.forEach(walk);
    if (node.t === 'repeat') walk(node.body);
  };
  walk(body);
  const line = tokens(body);
  for (let i = 0; i < line.length; i++) {
    const from = line[i] as Token;
    if (!from.variable) continue;
    // Walk on, around into the next repetition, until a piece that `from` cannot enter and
    // that must match something: past it, `from` and what follows cannot trade characters.
    for (let step = 1; step <= line.length; step++) {
      const next = line[(i + step) % line.length] as Token;
      if (next.variable && next.chars.overlaps(from.chars)) {
        throw new Unsafe(
          'it repeats a part that can match the same text in more than one way (as in (a+)+ or (\\w+\\s?)*)',
        );
      }
      if (!next.nullable && !next.chars.overlaps(from.chars)) break;
    }
  }
}

function checkNode(node: Node): void {
  switch (node.t) {
    case 'seq':
      node.items.forEach(checkNode);
      break;
    case 'alt':
      node.branches.forEach(checkNode);
      break;
    case 'repeat':
      if (node.max >= 2) checkRepeatedBody(node.body);
      checkNode(node.body);
      break;
    default:
      break;
  }
}

/** Longest pattern accepted; longer ones are rarely hand-written and costly to check. */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * Compiles `source` (no flags) if it is a valid and safe pattern; otherwise returns why not,
 * as a phrase that fits after "the pattern …".
 */
export function compileSafeRegex(source: string): { regex: RegExp } | { error: string } {
  if (source.length > MAX_PATTERN_LENGTH) {
    return {
      error: `is ${source.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`,
    };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source);
  } catch (error) {
    return { error: `is not a valid regular expression: ${(error as Error).message}` };
  }
  try {
    checkNode(new Parser(source).parse());
  } catch (error) {
    if (error instanceof Unsupported) return { error: error.message };
    if (error instanceof Unsafe) {
      return {
        error: `could backtrack catastrophically: ${error.message}; rewrite it so each character can be matched only one way, e.g. (\\.\\w+)* instead of (\\w+\\.?)*`,
      };
    }
    return { error: 'could not be checked for catastrophic backtracking; simplify it' };
  }
  return { regex };
}
