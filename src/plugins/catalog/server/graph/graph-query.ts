/**
 * The dependency graph around one entity, computed in the database a level at a time.
 *
 * Traversal is breadth-first from the root over the chosen relation types: one relations
 * query per depth level (the frontier in chunks, on the `(source_ref, type, target_ref)`
 * index) and one summary query per level for the nodes it found. Nothing is read per node,
 * and whole entities are never loaded: nodes carry kind, namespace, name, title, type and
 * lifecycle only.
 *
 * Canonical edges: relations are stored in both directions (`A ownedBy B` and `B ownerOf A`);
 * the graph returns each pair once, named by its forward relation and pointing from the
 * entity that declares it to the one it names: `ownedBy`, `dependsOn`, `providesApi`,
 * `consumesApi`, `partOf`, `childOf`, `memberOf` for the built-in pairs. For custom kinds'
 * pairs the `relation` of the first ref field that declares the pair is the forward name; a
 * relation that is its own reverse points from the lower ref to the higher one.
 *
 * Near relations are followed from the root only, one step: a service's owner and system
 * belong in its picture, the owner's other entities and the system's other parts do not.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../../../../core/database/database.ts';
import type { KindDefinition, KindRegistry } from '../../../../model/index.ts';
import { chunks } from '../store/entity-store.ts';
import type { GraphEdge, GraphNode, GraphResponse } from '../../common/graph.ts';
export type { GraphEdge, GraphNode, GraphResponse };

// biome-ignore lint/suspicious/noExplicitAny: untyped catalog tables
type DB = Kysely<any>;

export const DEFAULT_GRAPH_RELATIONS = [
  'ownedBy',
  'ownerOf',
  'dependsOn',
  'dependencyOf',
  'providesApi',
  'apiProvidedBy',
  'consumesApi',
  'apiConsumedBy',
  'partOf',
  'hasPart',
  'parentOf',
  'childOf',
  'memberOf',
  'hasMember',
] as const;

/** Forward names of the built-in pairs: the direction edges are returned in. */
const BUILTIN_FORWARD = new Set([
  'ownedBy',
  'dependsOn',
  'providesApi',
  'consumesApi',
  'partOf',
  'childOf',
  'memberOf',
]);

export const GRAPH_DEFAULTS = { depth: 2, limit: 500, maxDepth: 10, maxLimit: 5000 } as const;

export type GraphDirection = 'both' | 'outgoing';
export type GraphRollup = 'none' | 'system' | 'domain';

export interface GraphRequest {
  /** Canonical lowercase ref of an existing entity. */
  root: string;
  /** Relation type names as stored (e.g. `ownedBy`), followed up to `depth`. */
  relations: readonly string[];
  /** Relation type names as stored, followed from the root only (one step). */
  nearRelations?: readonly string[];
  depth: number;
  direction: GraphDirection;
  limit: number;
  rollup: GraphRollup;
}

/** Relation names and their pairs, from every kind definition (built-in and custom). */
export class RelationCatalog {
  /** lowercase name → name as stored. */
  private readonly names = new Map<string, string>();
  private readonly reverse = new Map<string, string>();
  private readonly forward = new Set<string>();

  constructor(definitions: readonly KindDefinition[]) {
    for (const def of definitions) {
      for (const field of def.refFields) {
        this.names.set(field.relation.toLowerCase(), field.relation);
        this.names.set(field.reverse.toLowerCase(), field.reverse);
        if (!this.reverse.has(field.relation)) this.reverse.set(field.relation, field.reverse);
        if (!this.reverse.has(field.reverse)) this.reverse.set(field.reverse, field.relation);
      }
    }
    // Built-in forward names first, then the holder side of every pair not yet decided.
    for (const name of BUILTIN_FORWARD) this.forward.add(name);
    for (const def of definitions) {
      for (const field of def.refFields) {
        const decided = this.forward.has(field.relation) || this.forward.has(field.reverse);
        if (!decided) this.forward.add(field.relation);
      }
    }
  }

  static fromRegistry(registry: KindRegistry): RelationCatalog {
    return new RelationCatalog(registry.list());
  }

  /** The stored spelling of a relation type given in any case, if it is known. */
  lookup(name: string): string | undefined {
    return this.names.get(name.toLowerCase());
  }

  reverseOf(type: string): string | undefined {
    return this.reverse.get(type);
  }

  /** One direction per relation pair (see the file comment). */
  canonical(source: string, type: string, target: string): GraphEdge {
    const reverse = this.reverse.get(type);
    if (reverse === type) {
      return source <= target ? { source, type, target } : { source: target, type, target: source };
    }
    if (reverse !== undefined && !this.forward.has(type) && this.forward.has(reverse)) {
      return { source: target, type: reverse, target: source };
    }
    return { source, type, target };
  }
}

interface Summary {
  kind?: string;
  namespace?: string;
  name?: string;
  title?: string;
  type?: string;
  lifecycle?: string;
}

const SUMMARY_PATHS = [
  ['kind'],
  ['metadata', 'namespace'],
  ['metadata', 'name'],
  ['metadata', 'title'],
  ['spec', 'type'],
  ['spec', 'lifecycle'],
] as const;

/** Refs read per `in (...)` list. */
const CHUNK = 1000;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class GraphQuery {
  constructor(
    private readonly db: DB,
    private readonly dialect: Dialect,
    private readonly relations: RelationCatalog,
    private readonly registry: KindRegistry,
  ) {}

  /** The six summary fields as one JSON array, parsing each body once. */
  private summaryColumn(): RawBuilder<unknown> {
    if (this.dialect === 'sqlite') {
      const paths = SUMMARY_PATHS.map((p) => `$.${p.join('.')}`);
      return sql`json_extract(body, ${sql.join(paths.map((p) => sql.lit(p)))})`;
    }
    // `offset 0` keeps PostgreSQL from inlining the subquery and casting the body per field.
    const fields = SUMMARY_PATHS.map((p) => sql`j #>> ${sql.lit(`{${p.join(',')}}`)}`);
    return sql`(select json_build_array(${sql.join(fields)}) from (select body::jsonb as j offset 0) s)`;
  }

  /** Summaries of the given refs that exist; one query per chunk. */
  async summaries(refs: readonly string[]): Promise<Map<string, Summary>> {
    const out = new Map<string, Summary>();
    for (const part of chunks(refs, CHUNK)) {
      const rows = (await this.db
        .selectFrom('catalog_entities')
        .select(['entity_ref', this.summaryColumn().as('summary')])
        .where('entity_ref', 'in', part)
        .execute()) as Array<{ entity_ref: string; summary: unknown }>;
      for (const row of rows) {
        const values = (
          typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary
        ) as Array<unknown>;
        const text = (i: number) => {
          const v = values[i];
          return typeof v === 'string' && v !== '' ? v : undefined;
        };
        out.set(row.entity_ref, {
          kind: text(0),
          namespace: text(1),
          name: text(2),
          title: text(3),
          type: text(4),
          lifecycle: text(5),
        });
      }
    }
    return out;
  }

  /** Relations whose source is one of `refs` and whose type is one of `types`. */
  private async outgoing(refs: readonly string[], types: readonly string[]) {
    const rows: Array<{ source_ref: string; type: string; target_ref: string }> = [];
    for (const part of chunks(refs, CHUNK)) {
      rows.push(
        ...((await this.db
          .selectFrom('catalog_relations')
          .select(['source_ref', 'type', 'target_ref'])
          .where('source_ref', 'in', part)
          .where('type', 'in', types)
          .execute()) as typeof rows),
      );
    }
    // Code-unit order, so truncation keeps the same nodes on every engine.
    return rows.sort(
      (a, b) =>
        byCodeUnit(a.source_ref, b.source_ref) ||
        byCodeUnit(a.type, b.type) ||
        byCodeUnit(a.target_ref, b.target_ref),
    );
  }

  private node(ref: string, depth: number, summary: Summary | undefined): GraphNode {
    const colon = ref.indexOf(':');
    const slash = ref.indexOf('/', colon + 1);
    const refKind = ref.slice(0, colon);
    const node: GraphNode = {
      ref,
      kind: summary?.kind ?? this.registry.kindIgnoringCase(refKind) ?? refKind,
      namespace: summary?.namespace ?? ref.slice(colon + 1, slash),
      name: summary?.name ?? ref.slice(slash + 1),
      title: summary?.title,
      type: summary?.type,
      lifecycle: summary?.lifecycle,
      depth,
    };
    if (!summary) node.missing = true;
    return node;
  }

  /** `undefined` when the root entity does not exist. */
  async graph(request: GraphRequest): Promise<GraphResponse | undefined> {
    const { root, depth, limit } = request;
    const rootSummary = (await this.summaries([root])).get(root);
    if (!rootSummary) return undefined;

    // Incoming edges of type T are stored as outgoing edges of T's reverse.
    const withReverses = (names: readonly string[]) => {
      const types = new Set(names);
      if (request.direction === 'both') {
        for (const t of names) {
          const reverse = this.relations.reverseOf(t);
          if (reverse) types.add(reverse);
        }
      }
      return types;
    };
    const deep = withReverses(request.relations);
    const rootTypes = [...new Set([...deep, ...withReverses(request.nearRelations ?? [])])];
    const deepTypes = [...deep];

    const nodes = new Map<string, GraphNode>([[root, this.node(root, 0, rootSummary)]]);
    const edges = new Map<string, GraphEdge>();
    let truncated = false;
    let frontier = [root];
    // Level `depth` is still read, for edges between nodes already found (no new nodes).
    for (let level = 0; frontier.length && level <= depth; level++) {
      const typeList = level === 0 ? rootTypes : deepTypes;
      if (!typeList.length) break;
      const found = new Set<string>();
      for (const row of await this.outgoing(frontier, typeList)) {
        const target = row.target_ref;
        if (!nodes.has(target) && !found.has(target)) {
          if (level === depth) continue;
          if (nodes.size + found.size >= limit) {
            truncated = true;
            continue;
          }
          found.add(target);
        }
        const edge = this.relations.canonical(row.source_ref, row.type, target);
        edges.set(`${edge.source}\u0000${edge.type}\u0000${edge.target}`, edge);
      }
      frontier = [...found];
      const summaries = await this.summaries(frontier);
      for (const ref of frontier) nodes.set(ref, this.node(ref, level + 1, summaries.get(ref)));
    }

    let graph = { nodes: [...nodes.values()], edges: [...edges.values()] };
    if (request.rollup !== 'none') graph = await this.rollup(graph, root, request.rollup);
    graph.nodes.sort((a, b) => a.depth - b.depth || byCodeUnit(a.ref, b.ref));
    graph.edges.sort(
      (a, b) =>
        byCodeUnit(a.source, b.source) ||
        byCodeUnit(a.type, b.type) ||
        byCodeUnit(a.target, b.target),
    );
    return { root, nodes: graph.nodes, edges: graph.edges, truncated, limit };
  }

  /** The system (or domain) each of `refs` is `partOf`, when it is one. */
  private async parents(refs: readonly string[], parentKind: string) {
    const out = new Map<string, string>();
    for (const part of chunks(refs, CHUNK)) {
      const rows = (await this.db
        .selectFrom('catalog_relations')
        .select(['source_ref', 'target_ref'])
        .where('source_ref', 'in', part)
        .where('type', '=', 'partOf')
        .where('target_ref', 'like', `${parentKind}:%`)
        .execute()) as Array<{ source_ref: string; target_ref: string }>;
      rows.sort((a, b) => byCodeUnit(a.target_ref, b.target_ref));
      for (const r of rows) if (!out.has(r.source_ref)) out.set(r.source_ref, r.target_ref);
    }
    return out;
  }

  /**
   * Replaces components, APIs and resources by their system (and, for `domain`, systems by
   * their domain); the root stays itself. Edges are re-pointed, de-duplicated, self-loops
   * dropped; every node gets `count`, the number of traversed entities it stands for.
   */
  private async rollup(
    graph: { nodes: GraphNode[]; edges: GraphEdge[] },
    root: string,
    mode: 'system' | 'domain',
  ): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }> {
    const kindOf = (ref: string) => ref.slice(0, ref.indexOf(':'));
    const mapped = new Map<string, string>(graph.nodes.map((n) => [n.ref, n.ref]));
    const rollable = graph.nodes
      .map((n) => n.ref)
      .filter((ref) => ref !== root && ['component', 'api', 'resource'].includes(kindOf(ref)));
    for (const [ref, system] of await this.parents(rollable, 'system')) mapped.set(ref, system);
    if (mode === 'domain') {
      const systems = [...new Set(mapped.values())].filter(
        (ref) => ref !== root && kindOf(ref) === 'system',
      );
      const domains = await this.parents(systems, 'domain');
      for (const [ref, to] of mapped) {
        const domain = domains.get(to);
        if (domain && to !== root) mapped.set(ref, domain);
      }
    }

    const byRef = new Map(graph.nodes.map((n) => [n.ref, n]));
    const fresh = [...new Set(mapped.values())].filter((ref) => !byRef.has(ref));
    const summaries = await this.summaries(fresh);
    const out = new Map<string, GraphNode>();
    for (const node of graph.nodes) {
      const to = mapped.get(node.ref) ?? node.ref;
      let target = out.get(to);
      if (!target) {
        const existing = byRef.get(to);
        target = existing ? { ...existing } : this.node(to, node.depth, summaries.get(to));
        target.count = 0;
        out.set(to, target);
      }
      target.count = (target.count ?? 0) + 1;
      target.depth = Math.min(target.depth, node.depth);
    }
    const edges = new Map<string, GraphEdge>();
    for (const edge of graph.edges) {
      const source = mapped.get(edge.source) ?? edge.source;
      const target = mapped.get(edge.target) ?? edge.target;
      if (source === target) continue;
      edges.set(`${source}\u0000${edge.type}\u0000${target}`, { source, type: edge.type, target });
    }
    return { nodes: [...out.values()], edges: [...edges.values()] };
  }
}
