import { InputError } from '../../../core/errors.ts';
import type { PluginEnvironment } from '../../../core/plugin-api.ts';
import type { Collator, IndexableDocument } from './api.ts';
import type { SearchEngine } from './engine/index.ts';

export interface ReindexProgress {
  type: string;
  /** Documents read from the collator so far. */
  indexed: number;
}

export interface ReindexSummary {
  types: Array<{ type: string; count: number; ms: number }>;
}

/** Full rebuilds from the collators; each type is replaced atomically (see engine.ts). */
export class Reindexer {
  readonly collators = new Map<string, Collator>();

  constructor(
    collators: Collator[],
    private readonly engine: SearchEngine,
    private readonly use: PluginEnvironment['use'],
  ) {
    for (const collator of collators) {
      if (this.collators.has(collator.type))
        throw new Error(`Two search collators produce documents of type '${collator.type}'`);
      this.collators.set(collator.type, collator);
    }
  }

  /** The types a reindex of `types` covers (all when absent); unknown ones are a 400. */
  resolveTypes(types: string[] | undefined): string[] {
    const wanted = types?.length ? [...new Set(types)] : [...this.collators.keys()];
    for (const type of wanted) {
      if (!this.collators.has(type))
        throw new InputError(
          `body.types: cannot reindex type '${type}': no collator produces it (types with a collator: ${[...this.collators.keys()].join(', ')})`,
        );
    }
    return wanted;
  }

  async reindex(
    types: string[] | undefined,
    onProgress?: (p: ReindexProgress) => void,
    /** Polled between documents; true abandons the rebuild (the live index stays). */
    cancelled: () => boolean = () => false,
  ): Promise<ReindexSummary> {
    const wanted = this.resolveTypes(types);
    const summary: ReindexSummary = { types: [] };
    for (const type of wanted) {
      const started = Date.now();
      const collator = this.collators.get(type)!;
      const use = this.use;
      let indexed = 0;
      async function* counted(): AsyncGenerator<IndexableDocument> {
        for await (const doc of collator.collect({ use })) {
          if (cancelled())
            throw new Error(`Reindex of '${type}' cancelled: the server is stopping`);
          indexed++;
          if (onProgress && indexed % 1000 === 0) onProgress({ type, indexed });
          yield doc;
        }
      }
      const { count } = await this.engine.replaceAll(type, counted());
      onProgress?.({ type, indexed });
      summary.types.push({ type, count, ms: Date.now() - started });
    }
    return summary;
  }
}
