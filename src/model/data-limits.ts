/**
 * Bounds on parsed data (YAML documents, JSON bodies) checked before anything copies,
 * validates or serialises it. A YAML parser keeps an alias as a second reference to the
 * anchored value, so a 500-byte file can stand for a billion nodes: harmless while shared,
 * fatal to the first deep copy or JSON.stringify. The walk here counts every value as often
 * as a copy would see it, but visits each shared value once (its size is memoised), so it
 * costs the size of the parsed data, not of its expansion.
 */

export interface DataLimits {
  /** Deepest nesting of lists and objects (the top-level value is depth 1). */
  maxDepth: number;
  /** Times one list or object may be referenced again (YAML aliases of collections). */
  maxAliases: number;
  /**
   * Size of the data once aliases are expanded, in approximate JSON bytes: each string
   * and key counts its length, every other value a few bytes.
   */
  maxExpandedBytes: number;
}

/** Safe defaults; the config keys under `backend.limits` override them. */
export const DEFAULT_DATA_LIMITS: DataLimits = {
  maxDepth: 200,
  maxAliases: 1000,
  maxExpandedBytes: 32 * 1024 * 1024,
};

/** Which limit a value broke, and a message that names it (and its config key). */
export interface DataLimitViolation {
  limit: 'maxDepth' | 'maxAliases' | 'maxExpandedBytes' | 'cycle';
  message: string;
}

/** The config key of each limit, named in messages so an operator knows what to raise. */
export const DATA_LIMIT_KEYS: Record<keyof DataLimits, string> = {
  maxDepth: 'backend.limits.nestingDepth',
  maxAliases: 'backend.limits.yamlAliases',
  maxExpandedBytes: 'backend.limits.expandedBytes',
};

const SCALAR_BYTES = 4;

function mib(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1048576).toFixed(bytes % 1048576 ? 1 : 0)} MiB`
    : `${bytes} bytes`;
}

interface Frame {
  value: object;
  children: unknown[];
  keys: number;
  next: number;
  bytes: number;
}

/**
 * Checks `value` against `limits` without recursion (a million-deep value is fine to ask
 * about). Returns the first limit broken, or undefined when the value is within all.
 */
export function checkDataLimits(
  value: unknown,
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): DataLimitViolation | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let aliases = 0;
  let total = 0;
  const frameOf = (v: object): Frame => {
    const children = Array.isArray(v) ? v : Object.values(v);
    let keys = 0;
    if (!Array.isArray(v)) for (const k of Object.keys(v)) keys += k.length + SCALAR_BYTES;
    return { value: v, children, keys, next: 0, bytes: SCALAR_BYTES + keys };
  };
  const stack: Frame[] = [frameOf(value)];
  open.add(value);
  total = stack[0]!.bytes;
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.children.length) {
      stack.pop();
      open.delete(frame.value);
      sizes.set(frame.value, frame.bytes);
      const parent = stack[stack.length - 1];
      if (parent) parent.bytes += frame.bytes;
      continue;
    }
    const child = frame.children[frame.next++];
    if (child === null || typeof child !== 'object') {
      const bytes = typeof child === 'string' ? child.length + 2 : SCALAR_BYTES;
      frame.bytes += bytes;
      total += bytes;
    } else if (open.has(child)) {
      return {
        limit: 'cycle',
        message: 'a value contains itself (a recursive YAML alias); such data cannot be stored',
      };
    } else {
      const known = sizes.get(child);
      if (known !== undefined) {
        aliases++;
        frame.bytes += known;
        total += known;
        if (aliases > limits.maxAliases) {
          return {
            limit: 'maxAliases',
            message: `more than ${limits.maxAliases} aliases of lists or objects (limit ${DATA_LIMIT_KEYS.maxAliases})`,
          };
        }
      } else {
        if (stack.length >= limits.maxDepth) {
          return {
            limit: 'maxDepth',
            message: `nested more than ${limits.maxDepth} levels deep (limit ${DATA_LIMIT_KEYS.maxDepth})`,
          };
        }
        const next = frameOf(child);
        open.add(child);
        total += next.bytes;
        stack.push(next);
      }
    }
    if (total > limits.maxExpandedBytes) {
      return {
        limit: 'maxExpandedBytes',
        message: `larger than ${mib(limits.maxExpandedBytes)} once its aliases are expanded (limit ${DATA_LIMIT_KEYS.maxExpandedBytes})`,
      };
    }
  }
  return undefined;
}

/** Whether an error is V8's stack overflow, which deeply nested input causes in parsers. */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/**
 * Flow collections nested deeper than this never reach the `yaml` package: it dies with a
 * fatal out-of-memory error (not an exception) at some thousands. No real file comes near it.
 */
export const YAML_PACKAGE_MAX_FLOW_DEPTH = 1000;

/**
 * An upper bound on how deeply `[` and `{` nest in YAML or JSON text, counted without
 * parsing (brackets inside strings count too, so it may overstate, never understate).
 * The `yaml` package dies with a fatal out-of-memory error, which no try/catch stops, on
 * flow collections nested some thousands deep: text is measured with this before it goes
 * there. A line `---` starts a new YAML document and resets the count.
 */
export function flowNestingBound(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (
      c === 0x2d &&
      (i === 0 || text.charCodeAt(i - 1) === 0x0a) &&
      text.startsWith('---', i)
    ) {
      depth = 0;
    }
  }
  return max;
}
