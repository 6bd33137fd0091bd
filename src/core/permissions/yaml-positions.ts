import { type Document, isAlias, isMap, isPair, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import {
  flowNestingBound,
  isStackOverflow,
  YAML_PACKAGE_MAX_FLOW_DEPTH,
} from '../../model/data-limits.ts';
import type { PolicyProblem } from './policy-model.ts';

/**
 * YAML for policy files: plain values to check, and the line of any field to name in a
 * problem. Policy files are small and written by people, so the `yaml` package (which keeps
 * positions) reads them alone; nothing here throws, whatever the text.
 */

export type FieldPath = (string | number)[];

/** `rules[2].when.isEntityOwner`, as problems name fields. */
export function fieldName(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

export interface PositionedDocument {
  value: unknown;
  /** 1-based line where the document's content starts. */
  line: number;
  /**
   * 1-based line of the field at `path`: of its key for a map entry, of the item for a list
   * entry. Where the path leaves the document, the line of the last part that exists.
   */
  lineOf(path: FieldPath): number;
}

/** Aliases in a policy file are legitimate (shared member lists) but bounded. */
const MAX_ALIASES = 1000;

function startOf(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}

function syntaxMessage(message: string): string {
  if (/call stack/i.test(message)) return 'This document is nested too deeply to read';
  return (message.split('\n')[0] ?? message)
    .replace(/ at line \d+, column \d+:?\s*$/, '')
    .replace(/:\s*$/, '');
}

export function readYamlDocuments(
  text: string,
  file: string,
): { documents: PositionedDocument[]; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  // The `yaml` package dies (out of memory, not an exception) on flow collections nested
  // some thousands deep; no policy comes near the bound.
  if (flowNestingBound(text) > YAML_PACKAGE_MAX_FLOW_DEPTH) {
    problems.push({
      file,
      line: 1,
      message: `The file nests [ ] or { } more than ${YAML_PACKAGE_MAX_FLOW_DEPTH} levels deep`,
    });
    return { documents: [], problems };
  }
  const lines = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lines,
      merge: false,
      schema: 'core',
      uniqueKeys: true,
    }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [];
  } catch (error) {
    problems.push({ file, line: 1, message: `Cannot read the file as YAML: ${describe(error)}` });
    return { documents: [], problems };
  }
  const lineAt = (offset: number | undefined): number =>
    offset === undefined ? 1 : lines.linePos(offset).line;
  const documents: PositionedDocument[] = [];
  for (const doc of docs) {
    const docLine = lineAt(startOf(doc.contents) ?? doc.range[0]);
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        problems.push({
          file,
          line: error.linePos?.[0]?.line ?? docLine,
          message: /call stack/i.test(error.message)
            ? syntaxMessage(error.message)
            : `YAML syntax error: ${syntaxMessage(error.message)}`,
        });
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (error) {
      problems.push({
        file,
        line: docLine,
        message: isStackOverflow(error)
          ? 'This document is nested too deeply to read'
          : /alias count/i.test(describe(error))
            ? `This document expands its aliases more than ${MAX_ALIASES} times`
            : `Cannot read this document: ${syntaxMessage(describe(error))}`,
      });
      continue;
    }
    documents.push({
      value,
      line: docLine,
      lineOf: (path) => lineAt(offsetOf(doc, path) ?? startOf(doc.contents) ?? doc.range[0]),
    });
  }
  return { documents, problems };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function offsetOf(doc: Document.Parsed, path: FieldPath): number | undefined {
  let node: unknown = doc.contents;
  let best = startOf(node);
  // Aliases may point back up the tree; a bounded walk cannot loop.
  let hops = 0;
  for (const part of path) {
    while (isAlias(node) && hops++ < 64) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(part));
      if (!pair) break;
      best = startOf(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      best = startOf(node) ?? best;
    } else break;
  }
  return best;
}

function keyText(key: unknown): string {
  if (key !== null && typeof key === 'object' && 'value' in key) {
    return String((key as { value: unknown }).value);
  }
  return String(key);
}
