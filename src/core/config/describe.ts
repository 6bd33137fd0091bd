import { CONFIG_SCHEMA, type SchemaNode } from './schema.ts';
import { isPlainObject } from './validate.ts';

/** One documented config key. */
export interface ConfigKeyDescription {
  /** Dotted key path; `[]` marks list items, e.g. `catalog.locations[].target`. */
  key: string;
  /** Type as shown in docs, e.g. `string`, `integer`, `"keep" | "delete"`, `duration | false`. */
  type: string;
  /** Default as shown in docs; `''` when the key has none. */
  default: string;
  /** What the key does. */
  description: string;
  /** Whether the key must be present when its parent is (e.g. `catalog.locations[].target`). */
  required: boolean;
}

/**
 * Every key Atrium reads, in schema order, derived from `CONFIG_SCHEMA` (the same schema that
 * validates config and supplies defaults). Used to generate the configuration reference.
 */
export function describeConfigKeys(): ConfigKeyDescription[] {
  const rows: ConfigKeyDescription[] = [];
  visitChildren([{ node: CONFIG_SCHEMA, conditional: false }], '', rows);
  return rows;
}

interface Branch {
  node: SchemaNode;
  /** Reached through `then`/`else`: its `required` holds only in some cases. */
  conditional: boolean;
}

/** A node with its `allOf` members and `then`/`else` branches. */
function expand(node: SchemaNode, conditional: boolean): Branch[] {
  const out: Branch[] = [{ node, conditional }];
  if (Array.isArray(node.allOf)) {
    for (const s of node.allOf) if (isPlainObject(s)) out.push(...expand(s, conditional));
  }
  if (isPlainObject(node.then)) out.push(...expand(node.then, true));
  if (isPlainObject(node.else)) out.push(...expand(node.else, true));
  return out;
}

function visitChildren(parents: Branch[], prefix: string, rows: ConfigKeyDescription[]): void {
  const children = new Map<string, { nodes: Branch[]; required: boolean }>();
  for (const { node, conditional } of parents.flatMap((b) => expand(b.node, b.conditional))) {
    if (!isPlainObject(node.properties)) continue;
    const required = Array.isArray(node.required) ? (node.required as string[]) : [];
    for (const [name, child] of Object.entries(node.properties)) {
      if (!isPlainObject(child)) continue;
      const entry = children.get(name) ?? { nodes: [], required: false };
      entry.nodes.push({ node: child, conditional });
      entry.required ||= !conditional && required.includes(name);
      children.set(name, entry);
    }
  }
  for (const [name, { nodes, required }] of children) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    const all = nodes.flatMap((b) => expand(b.node, b.conditional)).map((b) => b.node);
    const described = all.find((n) => typeof n.description === 'string');
    rows.push({
      key,
      type: typeLabel(all),
      default: defaultLabel(all),
      description: described ? String(described.description) : '',
      required,
    });
    visitChildren(nodes, key, rows);
    const items = all.map((n) => n.items).filter(isPlainObject);
    if (items.length > 0)
      visitChildren(
        items.map((node) => ({ node, conditional: false })),
        `${key}[]`,
        rows,
      );
  }
}

function typeLabel(nodes: SchemaNode[]): string {
  const explicit = nodes.find((n) => typeof n['x-type'] === 'string');
  if (explicit) return String(explicit['x-type']);
  const withEnum = nodes.find((n) => Array.isArray(n.enum));
  if (withEnum) return (withEnum.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  const typed = nodes.find((n) => n.type !== undefined);
  if (!typed) return '';
  const types = Array.isArray(typed.type) ? typed.type.map(String) : [String(typed.type)];
  return types
    .map((t) => {
      if (t !== 'array' || !isPlainObject(typed.items)) return t;
      const itemLabel = typeLabel([typed.items]);
      return itemLabel.includes(' ') ? `(${itemLabel})[]` : `${itemLabel}[]`;
    })
    .join(' | ');
}

function defaultLabel(nodes: SchemaNode[]): string {
  const text = nodes.find((n) => typeof n['x-default-text'] === 'string');
  if (text) return String(text['x-default-text']);
  const withDefault = nodes.find((n) => 'default' in n);
  if (!withDefault) return '';
  const d = withDefault.default;
  return typeof d === 'string' ? d : JSON.stringify(d);
}
