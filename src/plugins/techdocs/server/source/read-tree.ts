import type { AtriumConfig } from '../../../../core/config/index.ts';
import { readTree } from '../../../../core/reading/tree.ts';
import type { ReadTreeResult } from '../sync/docs-sync.ts';

/**
 * Reads the folder a `url` docs source names (a folder of a git repository) into a scratch
 * folder, with the same host allowlist and integration tokens as catalog URL reading.
 */
export function readDocsTree(
  url: string,
  options: { signal?: AbortSignal; config: AtriumConfig },
): Promise<ReadTreeResult> {
  return readTree(url, {
    allow: options.config.backend.reading.allow,
    integrations: options.config.integrations,
    signal: options.signal,
  });
}
