import * as jsYaml from 'js-yaml';
import { DEFAULT_DATA_LIMITS } from '../../../../model/data-limits.ts';
import type { Problem } from '../../../../model/entity.ts';
import type { LocationReader } from './readers.ts';

const KEYS = ['$text', '$json', '$yaml'] as const;

export interface Dependency {
  reader: string;
  target: string;
  hash: string;
}

/**
 * Replaces `{ $text | $json | $yaml: path-or-url }` values anywhere in a document with the
 * referenced content (COMPAT.md §1.3), reading through the same reader as the file itself
 * and never outside the location's root. A failing placeholder is a problem at its path;
 * the rest of the document is still processed.
 */
export async function resolvePlaceholders(
  doc: unknown,
  ctx: {
    /** Reads the file's own relative references. */
    reader: LocationReader;
    /** Reads absolute URLs (subject to backend.reading.allow), whatever the file's type. */
    urlReader?: LocationReader;
    base: string;
    root: string;
    hash: (s: string) => string;
  },
): Promise<{ value: unknown; problems: Problem[]; dependencies: Dependency[] }> {
  const problems: Problem[] = [];
  const dependencies: Dependency[] = [];
  const visit = async (value: unknown, path: string): Promise<unknown> => {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) out.push(await visit(value[i], `${path}[${i}]`));
      return out;
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const first = entries[0];
    if (entries.length === 1 && first && (KEYS as readonly string[]).includes(first[0])) {
      const [key, target] = first;
      if (typeof target !== 'string') {
        problems.push({
          level: 'error',
          name: 'InputError',
          path,
          message: `Placeholder ${key} must be a string path or URL`,
        });
        return value;
      }
      try {
        const reader = /^https?:\/\//i.test(target) ? ctx.urlReader : ctx.reader;
        if (!reader) throw new Error('URL placeholders cannot be read here');
        const read = await reader.readReferenced(ctx.base, target, ctx.root);
        dependencies.push({
          reader: reader.type,
          target: read.target,
          hash: ctx.hash(read.content),
        });
        if (key === '$text') return read.content;
        if (key === '$json') return parseJson(read.content);
        // Aliases stay shared here; the document with this value in it is measured after.
        const docs = loadYaml(read.content);
        if (docs.length !== 1)
          throw new Error(
            `${read.target} must hold exactly one YAML document, found ${docs.length}`,
          );
        return docs[0];
      } catch (error) {
        problems.push({
          level: 'error',
          name: 'InputError',
          path,
          message: `Placeholder ${key} ${target} could not be resolved: ${(error as Error).message}`,
        });
        return value;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = await visit(v, path ? `${path}.${k}` : k);
    return out;
  };
  return { value: await visit(doc, ''), problems, dependencies };
}

/**
 * Parse errors of referenced files say where, not what: the parsers' own messages quote the
 * file (js-yaml a snippet with a caret, V8 up to a line of JSON), and these messages reach API
 * callers, who may not otherwise read that file.
 */
function parseJson(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    let where = '';
    if (position !== undefined) {
      const before = content.slice(0, Number(position)).split('\n');
      where = ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
    }
    const reason = /Unexpected end of JSON input/.test(message) ? ' (it ends too early)' : '';
    throw new Error(`not valid JSON${where}${reason}`);
  }
}

function loadYaml(content: string): unknown[] {
  try {
    return jsYaml.loadAll(content, null, {
      schema: jsYaml.CORE_SCHEMA,
      maxDepth: DEFAULT_DATA_LIMITS.maxDepth,
    });
  } catch (error) {
    const { reason, mark } = error as { reason?: string; mark?: { line: number; column: number } };
    if (!reason) throw error;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    throw new Error(`not valid YAML${where}: ${reason.split('\n')[0]}`);
  }
}

/** Cheap pre-check so documents without placeholders skip the async walk. */
export function hasPlaceholder(content: string): boolean {
  return content.includes('$text') || content.includes('$json') || content.includes('$yaml');
}
