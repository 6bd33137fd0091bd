import type { Entity, Problem } from '../../../../model/entity.ts';
import type { KindRegistry } from '../../../../model/index.ts';
import { type EntityProcessor, ingestLocation } from './ingest-location.ts';
import { hashText, type LocationReader, type ReadResult } from './readers.ts';
import { RuleSet } from './rules.ts';

/** Serves one in-memory file; nothing else can be read from pasted text. */
class PastedTextReader implements LocationReader {
  readonly type = 'pasted';
  constructor(
    private readonly name: string,
    private readonly content: string,
  ) {}

  async read(target: string): Promise<ReadResult> {
    if (target === this.name) {
      const hash = hashText(this.content);
      return {
        files: [
          { type: this.type, target, locationRef: `pasted:${target}`, content: this.content, hash },
        ],
        problems: [],
      };
    }
    return {
      files: [],
      problems: [
        {
          level: 'warning',
          message: `Location target ${target} is not followed when validating pasted text`,
          file: this.name,
        },
      ],
    };
  }

  resolve(_base: string, target: string): string {
    return target;
  }

  async readReferenced(): Promise<never> {
    throw new Error(
      'files referenced by placeholders cannot be read from pasted text; register the file to resolve them',
    );
  }
}

/**
 * Runs pasted catalog text through the same parsing, validation and processing as
 * ingestion, without reading anything else or storing anything.
 */
export async function validateText(
  content: string,
  name: string,
  ctx: { registry: KindRegistry; processors: EntityProcessor[] },
): Promise<{ entities: Entity[]; problems: Problem[] }> {
  const reader = new PastedTextReader(name, content);
  const outcome = await ingestLocation(
    { id: 'pasted', type: reader.type, target: name },
    {
      readers: new Map([[reader.type, reader]]),
      registry: ctx.registry,
      processors: ctx.processors,
      rules: new RuleSet(undefined),
      fingerprint: '',
    },
  );
  // The first entity is the generated Location standing for the pasted text itself.
  return { entities: outcome.entities.slice(1).map((e) => e.entity), problems: outcome.problems };
}
