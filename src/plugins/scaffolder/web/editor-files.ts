/**
 * The template editor's pure parts: parsing pasted template YAML with line numbers, and the
 * files of a dry run (base64 in, a tree and text or "binary" out).
 */
import { parseDocument } from 'yaml';
import type { JsonObject } from '../../../model/entity.ts';

export interface YamlProblem {
  line?: number;
  column?: number;
  message: string;
}

export interface ParsedTemplate {
  template?: JsonObject;
  problems: YamlProblem[];
}

const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';

/** Parses template.yaml; problems name the line (1-based) where the parser knows it. */
export function parseTemplateYaml(text: string): ParsedTemplate {
  if (!text.trim()) return { problems: [{ message: 'Paste a template.yaml to start.' }] };
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line,
        column: e.linePos?.[0]?.col,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      problems: [{ line: 1, message: 'The document must be a mapping (a Template entity).' }],
    };
  }
  const template = value as JsonObject;
  const problems: YamlProblem[] = [];
  const lineOf = (path: string[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
  };
  if (template.kind !== 'Template') {
    problems.push({
      line: lineOf(['kind']),
      message: `kind must be "Template", not ${JSON.stringify(template.kind ?? null)}`,
    });
  }
  if (template.apiVersion !== TEMPLATE_API_VERSION) {
    problems.push({
      line: lineOf(['apiVersion']),
      message: `apiVersion must be "${TEMPLATE_API_VERSION}"`,
    });
  }
  const spec = template.spec;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    problems.push({ line: lineOf(['spec']), message: 'spec is missing' });
  } else if (!Array.isArray((spec as JsonObject).steps)) {
    problems.push({ line: lineOf(['spec', 'steps']), message: 'spec.steps must be a list' });
  }
  return { template, problems };
}

export interface TreeNode {
  name: string;
  path: string;
  children?: TreeNode[];
}

/** Nested folders from flat paths, folders first, each level sorted by name. */
export function fileTree(paths: string[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', children: [] };
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean);
    let node = root;
    parts.forEach((part, i) => {
      const here = parts.slice(0, i + 1).join('/');
      const isFile = i === parts.length - 1;
      let child = node.children!.find((c) => c.name === part && Boolean(c.children) === !isFile);
      if (!child) {
        child = isFile ? { name: part, path: here } : { name: part, path: here, children: [] };
        node.children!.push(child);
      }
      node = child;
    });
  }
  const sort = (nodes: TreeNode[]): TreeNode[] =>
    nodes
      .sort((a, b) =>
        Boolean(a.children) === Boolean(b.children)
          ? a.name.localeCompare(b.name)
          : a.children
            ? -1
            : 1,
      )
      .map((n) => (n.children ? { ...n, children: sort(n.children) } : n));
  return sort(root.children!);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** Text if the bytes are UTF-8 without NUL characters; otherwise `binary` with the size. */
export function decodeFile(base64: string): { text: string } | { binary: number } {
  const bytes = base64ToBytes(base64);
  if (bytes.includes(0)) return { binary: bytes.length };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { binary: bytes.length };
  }
}
