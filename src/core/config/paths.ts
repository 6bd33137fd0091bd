/** A key path as segments: object keys are strings, array indices numbers. */
export type KeyPath = readonly (string | number)[];

/** `['catalog', 'locations', 0, 'target']` -> `catalog.locations[0].target`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/** A map keyed by key paths that can answer "nearest ancestor" and "all descendants" questions. */
export class PathMap<T> {
  private readonly entries = new Map<string, { path: KeyPath; value: T }>();

  private static key(path: KeyPath): string {
    return JSON.stringify(path);
  }

  set(path: KeyPath, value: T): void {
    this.entries.set(PathMap.key(path), { path: [...path], value });
  }

  get(path: KeyPath): T | undefined {
    return this.entries.get(PathMap.key(path))?.value;
  }

  /** Removes every entry strictly below `path`. */
  deleteBelow(path: KeyPath): void {
    for (const [k, e] of this.entries) {
      if (e.path.length > path.length && isPrefix(path, e.path)) this.entries.delete(k);
    }
  }

  /** The entry at `path` or at its nearest ancestor, with the path it was found at. */
  nearest(path: KeyPath): { path: KeyPath; value: T } | undefined {
    for (let n = path.length; n >= 0; n--) {
      const e = this.entries.get(PathMap.key(path.slice(0, n)));
      if (e) return e;
    }
    return undefined;
  }

  /** Entries strictly below `path`. */
  below(path: KeyPath): { path: KeyPath; value: T }[] {
    const out: { path: KeyPath; value: T }[] = [];
    for (const e of this.entries.values()) {
      if (e.path.length > path.length && isPrefix(path, e.path)) out.push(e);
    }
    return out;
  }
}

export function isPrefix(prefix: KeyPath, path: KeyPath): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((seg, i) => seg === path[i]);
}
