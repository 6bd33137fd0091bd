import type { PrefetchedFiles } from '../ingest/readers.ts';

/**
 * The text of files a scan already holds, handed to the `url` reader for the read of their
 * location only: held while that read runs, dropped after, so memory never holds a whole
 * organisation's files and a later read goes to the source again.
 */
export class PrefetchStore implements PrefetchedFiles {
  private readonly files = new Map<string, { content: string }>();

  get(target: string): string | undefined {
    return this.files.get(target)?.content;
  }

  /** Runs `read` with `content` standing in for the file at `target`. */
  async during<T>(target: string, content: string, read: () => Promise<T>): Promise<T> {
    const entry = { content };
    this.files.set(target, entry);
    try {
      return await read();
    } finally {
      // A later `during` for the same target (a webhook racing a scan) keeps its own entry.
      if (this.files.get(target) === entry) this.files.delete(target);
    }
  }
}
