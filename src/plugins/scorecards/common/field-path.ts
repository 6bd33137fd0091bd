/**
 * Field paths in rules: dotted keys, with keys holding dots or slashes in brackets and quotes
 * (`metadata.annotations["backstage.io/techdocs-ref"]`) and list items by index (`spec.x[0]`).
 */
import { formatPath, type PathSegment } from '../../../model/path.ts';

export type { PathSegment };

const PLAIN = /[A-Za-z0-9_$-]/;

export type ParsedPath = { segments: PathSegment[]; error?: undefined } | { error: string };

/** Parses a rule's `field`; a malformed path gives an error saying what would be valid. */
export function parseFieldPath(text: string): ParsedPath {
  if (text.trim() === '') return { error: 'is empty; expected a path like metadata.description' };
  const segments: PathSegment[] = [];
  let i = 0;
  let expectKey = true;
  while (i < text.length) {
    const c = text[i];
    if (c === '[') {
      const parsed = readBracket(text, i);
      if ('error' in parsed) return { error: parsed.error };
      segments.push(parsed.segment);
      i = parsed.end;
      expectKey = false;
    } else if (c === '.') {
      if (expectKey) return { error: `has an empty key at character ${i + 1}` };
      expectKey = true;
      i++;
      if (i === text.length) return { error: 'ends with "."' };
    } else {
      if (!expectKey) {
        return { error: `needs "." or "[" before ${JSON.stringify(text.slice(i, i + 10))}` };
      }
      let j = i;
      while (j < text.length && PLAIN.test(text[j] as string)) j++;
      if (j < text.length && text[j] !== '.' && text[j] !== '[') {
        return {
          error: `has ${JSON.stringify(text[j])} in a key; write a key holding dots, slashes or other characters in brackets and quotes, e.g. metadata.annotations["backstage.io/techdocs-ref"]`,
        };
      }
      segments.push(text.slice(i, j));
      i = j;
      expectKey = false;
    }
  }
  return { segments };
}

function readBracket(
  text: string,
  start: number,
): { segment: PathSegment; end: number } | { error: string } {
  const open = text[start + 1];
  if (open === '"' || open === "'") {
    let j = start + 2;
    let key = '';
    while (j < text.length && text[j] !== open) {
      if (text[j] === '\\' && j + 1 < text.length) {
        key += text[j + 1];
        j += 2;
      } else {
        key += text[j];
        j++;
      }
    }
    if (j >= text.length) return { error: `has an unclosed quote at character ${start + 2}` };
    if (text[j + 1] !== ']')
      return { error: `needs "]" after the quoted key at character ${j + 2}` };
    return { segment: key, end: j + 2 };
  }
  const close = text.indexOf(']', start);
  if (close === -1) return { error: `has an unclosed "[" at character ${start + 1}` };
  const inner = text.slice(start + 1, close);
  if (!/^\d{1,9}$/.test(inner)) {
    return {
      error: `has [${inner}]; brackets hold a quoted key (["backstage.io/techdocs-ref"]) or a list index ([0])`,
    };
  }
  return { segment: Number(inner), end: close + 1 };
}

/** The canonical text of a parsed path, as problems and reasons show it. */
export function formatFieldPath(segments: readonly PathSegment[]): string {
  return formatPath(segments);
}

/** The value at `segments` below `root`, reading own properties only; undefined when absent. */
export function valueAtPath(root: unknown, segments: readonly PathSegment[]): unknown {
  let value = root;
  for (let i = 0; i < segments.length; i++) {
    if (value === null || typeof value !== 'object') return undefined;
    const segment = segments[i] as PathSegment;
    if (Array.isArray(value)) {
      if (typeof segment !== 'number') return undefined;
      value = value[segment];
    } else {
      const key = String(segment);
      if (!Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
  }
  return value;
}
