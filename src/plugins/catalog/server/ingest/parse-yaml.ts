import * as jsYaml from 'js-yaml';
import {
  checkDataLimits,
  DATA_LIMIT_KEYS,
  DEFAULT_DATA_LIMITS,
  type DataLimits,
  flowNestingBound,
  isStackOverflow,
  YAML_PACKAGE_MAX_FLOW_DEPTH,
} from '../../../../model/data-limits.ts';
import { parsePath } from '../../../../model/path.ts';
import { isMap, isSeq, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';

export interface ParsedDocument {
  /** 0-based position of the document in its file. */
  index: number;
  /** 1-based line where the document starts, when known. */
  line?: number;
  value?: unknown;
  /** Syntax error, or a limit this document broke (`limit`); concerns this document only. */
  error?: { message: string; line?: number; column?: number; limit?: boolean };
}

export interface ParsedFile {
  documents: ParsedDocument[];
  /** 1-based line of a field (`spec.owner`, `metadata.tags[1]`) in document `index`. */
  lineOf(index: number, path?: string): number | undefined;
}

/** js-yaml's message without its source snippet, our config keys named for its limits. */
function jsYamlReason(error: unknown, limits: DataLimits): string {
  const reason = (error as { reason?: string }).reason ?? String((error as Error).message);
  if (/maxDepth/.test(reason))
    return `nested more than ${limits.maxDepth} levels deep (limit ${DATA_LIMIT_KEYS.maxDepth})`;
  if (/maxAliases|too many alias/i.test(reason))
    return `using more than ${limits.maxAliases} aliases (limit ${DATA_LIMIT_KEYS.maxAliases})`;
  return reason.split('\n')[0]!;
}

/**
 * The `yaml` package's first message line, without the trailing "at line 3, column 5:" that
 * introduces its snippet. Only that suffix goes: a colon that ends the reason itself belongs
 * to what it quotes (an alias or tag named `x:`), and cutting it left a dangling "…: ".
 */
function yamlReason(message: string): string {
  const reason = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?\s*$/, '');
  // "Unexpected scalar token in YAML stream: "<a whole paragraph>"": the token is the file's
  // text, which the server must not echo at length; a short one helps and stays.
  const quoted = /^(.*?): ("(?:[^"\\]|\\.)*")$/.exec(reason);
  if (quoted && quoted[2]!.length > MAX_QUOTED_TOKEN) return quoted[1]!;
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

/** Longest token of the file a syntax error's message may quote. */
const MAX_QUOTED_TOKEN = 40;
/** Longest syntax error message. */
const MAX_REASON = 200;

/** Checks one parsed value; the message names the limit. */
function limitError(value: unknown, limits: DataLimits): string | undefined {
  const broken = checkDataLimits(value, limits);
  return broken ? `This document is ${broken.message}` : undefined;
}

/**
 * Parses a multi-document YAML file. js-yaml is about three times faster, so it parses
 * first; source positions (for error messages) come from `yaml` only when asked, and `yaml`
 * takes over when a document has a syntax error, because it recovers per document.
 * The core schema keeps dates as strings and merge keys off, as Backstage reads YAML.
 *
 * Hostile input costs only its own document: aliases are counted and their expansion is
 * measured without copying (see data-limits.ts), nesting is bounded, and no exception
 * leaves this function.
 */
export function parseYamlFile(
  content: string,
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): ParsedFile {
  const yamlPackageSafe = flowNestingBound(content) <= YAML_PACKAGE_MAX_FLOW_DEPTH;
  const jsYamlOptions = {
    schema: jsYaml.CORE_SCHEMA,
    maxDepth: limits.maxDepth,
    maxAliases: limits.maxAliases,
  };
  let detailed: { docs: Document.Parsed[]; lines: LineCounter } | undefined;
  const detail = () => {
    if (!detailed) {
      const lines = new LineCounter();
      let docs: Document.Parsed[] = [];
      if (yamlPackageSafe) {
        try {
          const parsed = parseAllDocuments(content, {
            lineCounter: lines,
            merge: false,
            schema: 'core',
            uniqueKeys: true,
          });
          docs = Array.isArray(parsed) ? parsed : [];
        } catch {
          docs = [];
        }
      }
      detailed = { docs, lines };
    }
    return detailed;
  };
  const lineOf = (index: number, path?: string): number | undefined => {
    const { docs, lines } = detail();
    const doc = docs[index];
    if (!doc) return undefined;
    let node: unknown = doc.contents;
    let best = (node as { range?: [number] } | null)?.range?.[0];
    for (const segment of path ? parsePath(path) : []) {
      const part = String(segment);
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => String((p.key as { value?: unknown })?.value ?? p.key) === part,
        );
        if (!pair) break;
        const keyRange = (pair.key as { range?: [number] } | null)?.range;
        if (keyRange) best = keyRange[0];
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        const range = (node as { range?: [number] } | null)?.range;
        if (range) best = range[0];
      } else break;
    }
    if (best === undefined) best = doc.range[0];
    return lines.linePos(best).line;
  };

  let whole: unknown[] | undefined;
  let wholeError: unknown;
  try {
    whole = jsYaml.loadAll(content, null, jsYamlOptions) as unknown[];
  } catch (error) {
    wholeError = error;
  }
  if (whole) {
    // A trailing `---` yields an empty document that yaml's parser also reports; keep indexes aligned.
    return {
      documents: whole.map((value, index) => {
        const broken = limitError(value, limits);
        return {
          index,
          ...(broken ? { error: { message: broken, limit: true } } : { value }),
          get line() {
            return lineOf(index);
          },
        };
      }),
      lineOf: (index, path) => (whole[index] !== undefined ? lineOf(index, path) : undefined),
    };
  }
  const jsYamlLimit = /maxDepth|maxAliases/.test(String((wholeError as Error)?.message));
  if (!yamlPackageSafe || isStackOverflow(wholeError) || jsYamlLimit) {
    return { documents: splitAndLoad(content, jsYamlOptions, limits), lineOf: () => undefined };
  }
  const { docs, lines } = detail();
  const documents = docs.map((doc, index): ParsedDocument => {
    const line = lines.linePos(doc.range[0]).line;
    const error = doc.errors[0];
    if (error) {
      return {
        index,
        line,
        error: {
          message: yamlReason(error.message),
          line: error.linePos?.[0]?.line ?? line,
          ...(error.linePos?.[0]?.col ? { column: error.linePos[0].col } : {}),
        },
      };
    }
    try {
      // js-yaml refused the file, so this document's nesting and aliases are checked again here.
      const value = doc.toJS({ maxAliasCount: limits.maxAliases });
      const broken = limitError(value, limits);
      return broken
        ? { index, line, error: { message: broken, line, limit: true } }
        : { index, line, value };
    } catch (failure) {
      const reason = (failure as Error).message;
      const message = isStackOverflow(failure)
        ? `This document is nested too deeply to read (limit ${DATA_LIMIT_KEYS.maxDepth})`
        : /alias count/i.test(reason)
          ? `This document is using more than ${limits.maxAliases} aliases (limit ${DATA_LIMIT_KEYS.maxAliases})`
          : undefined;
      if (message) return { index, line, error: { message, line, limit: true } };
      return {
        index,
        line,
        error: { message: yamlReason(reason), line: aliasLine(doc, reason, lines) ?? line },
      };
    }
  });
  return { documents, lineOf };
}

/** The line of the alias an "Unresolved alias … : name" error is about. */
function aliasLine(doc: Document.Parsed, reason: string, lines: LineCounter): number | undefined {
  const name = /alias[^:]*:\s*(\S+)\s*$/i.exec(reason)?.[1];
  if (!name) return undefined;
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.source === name && node.range && line === undefined) {
        line = lines.linePos(node.range[0]).line;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return line;
}

/**
 * Per-document recovery without the `yaml` package (for text it cannot be given): the file
 * is cut at `---` lines and each piece is loaded on its own, so one hostile document does
 * not hide its neighbours.
 */
function splitAndLoad(
  content: string,
  options: jsYaml.LoadOptions,
  limits: DataLimits,
): ParsedDocument[] {
  const documents: ParsedDocument[] = [];
  const lines = content.split('\n');
  let start = 0;
  const flush = (end: number) => {
    const text = lines.slice(start, end).join('\n');
    const firstLine = start + 1;
    if (text.trim() !== '') {
      const index = documents.length;
      try {
        const values = jsYaml.loadAll(text, null, options) as unknown[];
        const value = values.find((v) => v !== undefined && v !== null) ?? null;
        const broken = limitError(value, limits);
        documents.push(
          broken
            ? { index, line: firstLine, error: { message: broken, line: firstLine, limit: true } }
            : { index, line: firstLine, value },
        );
      } catch (error) {
        const mark = (error as { mark?: { line?: number; column?: number } }).mark;
        const reason = isStackOverflow(error)
          ? `nested too deeply to read (limit ${DATA_LIMIT_KEYS.maxDepth})`
          : jsYamlReason(error, limits);
        const limit = reason.includes('(limit ');
        documents.push({
          index,
          line: firstLine,
          error: {
            message: limit ? `This document is ${reason}` : reason,
            line: mark?.line !== undefined ? firstLine + mark.line : firstLine,
            ...(mark?.line !== undefined && mark.column !== undefined && !limit
              ? { column: mark.column + 1 }
              : {}),
            ...(limit ? { limit: true } : {}),
          },
        });
      }
    }
  };
  for (let i = 0; i < lines.length; i++) {
    if (/^---(\s|$)/.test(lines[i]!)) {
      flush(i);
      start = i;
    }
  }
  flush(lines.length);
  return documents;
}
