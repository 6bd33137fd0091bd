import { dirname } from 'node:path';
import { PathMap, type KeyPath } from './paths.ts';

/** One config source: a file, or one `APP_CONFIG_*` variable. */
export interface ConfigSource {
  /** As shown to people: a file path (relative to cwd when inside it) or `environment variable X`. */
  label: string;
  /** Base directory for relative paths written in this source. */
  dir: string;
  /** `$include` points inside this source: key path -> absolute included file. */
  includes: PathMap<string>;
}

/**
 * Remembers which source set each part of the merged config, so that messages can name the
 * file a bad value came from and relative paths can be resolved against the right directory.
 */
export class Provenance {
  private readonly origins = new PathMap<ConfigSource>();

  constructor(private readonly showFile: (file: string) => string) {}

  /** Records that `source` set the whole value at `path` (replacing whatever was below it). */
  set(path: KeyPath, source: ConfigSource): void {
    this.origins.set(path, source);
    this.origins.deleteBelow(path);
  }

  /** Labels of every source that contributed to the value at `path`. */
  sourcesOf(path: KeyPath): string[] {
    const found: { path: KeyPath; value: ConfigSource }[] = [];
    const nearest = this.origins.nearest(path);
    if (nearest) found.push({ path, value: nearest.value });
    found.push(...this.origins.below(path));
    const labels = found.map(({ path: p, value: source }) => {
      const inc = source.includes.nearest(p);
      return inc ? `${this.showFile(inc.value)} ($include in ${source.label})` : source.label;
    });
    return [...new Set(labels)];
  }

  /** Directory that relative paths in the value at `path` are relative to, if it came from a source. */
  dirOf(path: KeyPath): string | undefined {
    const nearest = this.origins.nearest(path);
    if (!nearest) return undefined;
    const inc = nearest.value.includes.nearest(path);
    return inc ? dirname(inc.value) : nearest.value.dir;
  }
}

/** ` in a.yaml` / ` in a.yaml and b.yaml` / `` (no sources). */
export function inSources(sources: string[]): string {
  return sources.length === 0 ? '' : ` in ${sources.join(' and ')}`;
}
