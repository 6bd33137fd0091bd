import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './serve-files.ts';

/** One request a {@link startRecordingServer} received. */
export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RecordingServer {
  /** e.g. http://127.0.0.1:41234 */
  base: string;
  /** e.g. 127.0.0.1:41234 */
  host: string;
  /** Every request received, in order, whatever it asked for. */
  requests: Recorded[];
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that records every request it receives (the stand-in for an
 * internal service that user-steered requests must never reach). Answers with `handle`, or
 * 200 `ok` by default.
 */
export async function startRecordingServer(
  handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) =>
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
): Promise<RecordingServer> {
  const requests: Recorded[] = [];
  const server = createServer((request, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: { ...request.headers },
    });
    handle(request, response);
  });
  return { ...(await listenOnLoopback(server)), requests };
}

/** A {@link startRecordingServer} that redirects every request to `to` + the request's path. */
export function startRedirectingServer(to: () => string, status = 302): Promise<RecordingServer> {
  return startRecordingServer((request, response) => {
    response.writeHead(status, { location: `${to()}${request.url ?? '/'}` }).end();
  });
}
