import { useEffect, useState } from 'react';
import { ApiError } from '../../../web/plugin-api.ts';
import { type BuildLogLine, parseLogLine } from '../common/api-types.ts';
import type { DocsTriplet } from '../common/index.ts';
import { getDocsEntity, syncUrl } from './api.ts';

export type SyncState =
  | { phase: 'running'; lines: BuildLogLine[] }
  | { phase: 'done'; updated: boolean; lines: BuildLogLine[] }
  | { phase: 'error'; message: string; status?: number; lines: BuildLogLine[] };

/**
 * Asks the server to bring the entity's docs up to date (GET /sync, Server-Sent Events) and
 * follows its log. Runs once per entity (and again when `attempt` changes).
 */
export function useDocsSync(triplet: DocsTriplet, attempt = 0): SyncState {
  const [state, setState] = useState<SyncState>({ phase: 'running', lines: [] });
  const url = syncUrl(triplet);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` restarts the sync
  useEffect(() => {
    let closed = false;
    const lines: BuildLogLine[] = [];
    setState({ phase: 'running', lines: [] });
    const source = new EventSource(url);
    const finish = (next: SyncState) => {
      if (closed) return;
      closed = true;
      source.close();
      setState(next);
    };
    source.addEventListener('log', (event) => {
      if (closed) return;
      try {
        lines.push(parseLogLine(JSON.parse((event as MessageEvent<string>).data) as string));
      } catch {
        return;
      }
      setState({ phase: 'running', lines: [...lines] });
    });
    source.addEventListener('finish', (event) => {
      let updated = false;
      try {
        updated = Boolean(JSON.parse((event as MessageEvent<string>).data)?.updated);
      } catch {
        // a finish without a body still ends the sync
      }
      finish({ phase: 'done', updated, lines: [...lines] });
    });
    source.addEventListener('error', (event) => {
      const data = (event as MessageEvent<string>).data;
      if (typeof data === 'string' && data !== '') {
        let message = data;
        try {
          message = String(JSON.parse(data));
        } catch {
          // plain text message
        }
        finish({ phase: 'error', message, lines: [...lines] });
        return;
      }
      // No data: the connection failed or the server answered with an HTTP error (no
      // annotation, a bad ref…). EventSource hides the answer, so ask the metadata route.
      if (closed) return;
      source.close();
      getDocsEntity(triplet)
        .then(() =>
          finish({
            phase: 'error',
            message: 'The connection to the server was lost while the docs were being built.',
            lines: [...lines],
          }),
        )
        .catch((error: unknown) =>
          finish({
            phase: 'error',
            message: error instanceof Error ? error.message : String(error),
            status: error instanceof ApiError ? error.status : undefined,
            lines: [...lines],
          }),
        );
    });
    return () => {
      closed = true;
      source.close();
    };
  }, [url, attempt]);
  return state;
}
