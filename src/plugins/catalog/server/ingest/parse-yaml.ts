import * as jsYaml from 'js-yaml';
import { parsePath } from '../../../../model/path.ts';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';

export interface ParsedDocument {
  /** 0-based position of the document in its file. */
  index: number;
  /** 1-based line where the document starts, when known. */
  line?: number;
  value?: unknown;
  /** Syntax error of this document only. */
  error?: { message: string; line?: number };
}

export interface ParsedFile {
  documents: ParsedDocument[];
  /** 1-based line of a field (`spec.owner`, `metadata.tags[1]`) in document `index`. */
  lineOf(index: number, path?: string): number | undefined;
}

/**
 * Parses a multi-document YAML file. js-yaml is about three times faster, so it parses
 * first; source positions (for error messages) come from `yaml` only when asked, and `yaml`
 * takes over when a document has a syntax error, because it recovers per document.
 * The core schema keeps dates as strings and merge keys off, as Backstage reads YAML.
 */
export function parseYamlFile(content: string): ParsedFile {
  let detailed: { docs: Document.Parsed[]; lines: LineCounter } | undefined;
  const detail = () => {
    if (!detailed) {
      const lines = new LineCounter();
      const docs = parseAllDocuments(content, {
        lineCounter: lines,
        merge: false,
        schema: 'core',
        uniqueKeys: true,
      });
      detailed = { docs: Array.isArray(docs) ? docs : [], lines };
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

  try {
    const values = jsYaml.loadAll(content, null, { schema: jsYaml.CORE_SCHEMA }) as unknown[];
    // A trailing `---` yields an empty document that yaml's parser also reports; keep indexes aligned.
    return {
      documents: values.map((value, index) => ({
        index,
        value,
        get line() {
          return lineOf(index);
        },
      })),
      lineOf,
    };
  } catch {
    const { docs, lines } = detail();
    const documents = docs.map((doc, index): ParsedDocument => {
      const line = lines.linePos(doc.range[0]).line;
      const error = doc.errors[0];
      if (error) {
        return {
          index,
          line,
          error: {
            message: error.message.split('\n')[0] ?? error.message,
            line: error.linePos?.[0]?.line ?? line,
          },
        };
      }
      return { index, line, value: doc.toJS({ maxAliasCount: 100 }) };
    });
    return { documents, lineOf };
  }
}
