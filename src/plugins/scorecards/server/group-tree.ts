import type { Database } from '../../../core/plugin-api.ts';

/** Parent groups are followed at most this deep: a cycle in `spec.parent` must still end. */
const MAX_DEPTH = 50;
/** Refs whose ancestors (or descendants) a tree remembers. */
const MAX_MEMO = 50_000;

/** The group hierarchy (`childOf` relations between groups), read once per catalog version. */
export interface GroupTree {
  /** The group and every group below it, nearest first (shared: not to be changed). */
  descendants(ref: string): readonly string[];
  /** The group and every group above it, nearest first (shared: not to be changed). */
  ancestors(ref: string): readonly string[];
}

function walk(start: string, next: Map<string, string[]>): string[] {
  const seen = new Set<string>([start]);
  let frontier = [start];
  for (let depth = 0; frontier.length && depth < MAX_DEPTH; depth++) {
    const following: string[] = [];
    for (const ref of frontier) {
      for (const other of next.get(ref) ?? []) {
        if (seen.has(other)) continue;
        seen.add(other);
        following.push(other);
      }
    }
    frontier = following;
  }
  return [...seen];
}

export function buildGroupTree(edges: ReadonlyArray<{ child: string; parent: string }>): GroupTree {
  const children = new Map<string, string[]>();
  const parents = new Map<string, string[]>();
  for (const { child, parent } of edges) {
    children.set(parent, [...(children.get(parent) ?? []), child]);
    parents.set(child, [...(parents.get(child) ?? []), parent]);
  }
  // Kept with the tree (one per catalog generation): a roll-up asks for the ancestors of
  // every owner, each time its results change.
  const memo = (next: Map<string, string[]>) => {
    const seen = new Map<string, string[]>();
    return (ref: string) => {
      let out = seen.get(ref);
      if (!out) {
        // Refs come from query parameters too: the memo must not grow without end.
        if (seen.size >= MAX_MEMO) seen.clear();
        out = walk(ref, next);
        seen.set(ref, out);
      }
      return out;
    };
  };
  return { descendants: memo(children), ancestors: memo(parents) };
}

/** Reads the hierarchy, again only when the catalog's generation moved. */
export class GroupTreeCache {
  private cached: { generation: number; tree: GroupTree } | undefined;

  constructor(
    private readonly db: Database['reader'],
    private readonly generation: () => Promise<number>,
  ) {}

  async get(): Promise<GroupTree> {
    const generation = await this.generation();
    if (this.cached?.generation === generation) return this.cached.tree;
    const rows = (await this.db
      .selectFrom('catalog_relations')
      .select(['source_ref', 'target_ref'])
      .where('type', '=', 'childOf')
      .where('source_ref', 'like', 'group:%')
      .execute()) as Array<{ source_ref: string; target_ref: string }>;
    const tree = buildGroupTree(rows.map((r) => ({ child: r.source_ref, parent: r.target_ref })));
    this.cached = { generation, tree };
    return tree;
  }
}
