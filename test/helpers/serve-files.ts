import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';

/** A tiny HTTP server on 127.0.0.1 serving fixed files (for `url` locations); 404 otherwise. */
export async function serveFiles(
  files: Record<string, string>,
): Promise<{ base: string; host: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const body = files[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/yaml' });
    response.end(body);
  });
  return listenOnLoopback(server);
}

/** A request that {@link serveDirectory} answered. */
export interface RecordedRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Serves the files under `root` (binary-safe) on 127.0.0.1, recording every request. Enough
 * for git's "dumb HTTP" protocol: serve the parent of a bare repository on which
 * `git update-server-info` ran, and `git fetch http://…/<name>.git` works.
 */
export async function serveDirectory(root: string): Promise<{
  base: string;
  host: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}> {
  const top = resolve(root);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', headers: { ...request.headers } });
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = resolve(top, `.${pathname}`);
    if (file !== top && !file.startsWith(top + sep)) {
      response.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(body);
      },
      () => {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found');
      },
    );
  });
  return {
    ...(await listenOnLoopback(server)),
    requests,
  };
}

/** Starts `server` on a free 127.0.0.1 port: its base URL, host and a close that ends it. */
export async function listenOnLoopback(
  server: Server,
): Promise<{ base: string; host: string; close(): Promise<void> }> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
