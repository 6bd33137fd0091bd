import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake API received, as the tests assert on it. */
export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  authorization?: string;
  privateToken?: string;
  /** Request headers, lower-cased. */
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GitRequest {
  method: string;
  path: string;
  authorization?: string;
  status: number;
}

/** What a route answers: JSON `body` (or nothing), with extra response headers. */
export interface RouteResult {
  status: number;
  body?: unknown;
  /** Sent as it is instead of `body` as JSON (Gerrit's `)]}'`-prefixed answers). */
  raw?: string;
  headers?: Record<string, string>;
}

type RouteHandler = (
  match: RegExpMatchArray,
  request: RecordedRequest,
) => RouteResult | Promise<RouteResult>;

export interface FakeScm {
  /** e.g. http://127.0.0.1:41234 */
  base: string;
  /** API requests (everything outside `/git/`). */
  requests: RecordedRequest[];
  /** Smart-HTTP git requests under `/git/`. */
  gitRequests: GitRequest[];
  /** Adds a route; `first` puts it before the others (to make one call fail, say). */
  route(
    method: string,
    pattern: RegExp,
    handler: RouteHandler,
    options?: { first?: boolean },
  ): void;
  /** Answers the next `times` requests matching `method pattern` with `result` instead. */
  failNext(method: string, pattern: RegExp, result: RouteResult, times?: number): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Serves one git smart-HTTP request by running the real `git http-backend` (CGI) on the
 * repositories under `root`: pushes land in real bare repositories.
 */
function serveGit(
  request: IncomingMessage,
  response: ServerResponse,
  root: string,
  pathInfo: string,
  query: string,
  user: string,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: pathInfo,
        QUERY_STRING: query,
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(request.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    request.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    let status = 200;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      response.writeHead(status, headers);
      response.write(head.subarray(end + 4));
    });
    child.on('close', () => {
      if (!headersDone) response.writeHead(500);
      response.end();
      resolve(status);
    });
  });
}

/**
 * A local stand-in for a source-code host (GitHub, GitLab, Bitbucket, Azure DevOps, Gerrit; the
 * provider models in fake-providers.testkit.ts fill in its routes): JSON API routes (every
 * request recorded with its auth headers and body), and real git smart HTTP under `/git/`
 * that demands HTTP basic credentials when `gitAuth` is set.
 */
export async function startFakeScm(options: {
  gitRoot: string;
  /** Basic credentials git must send; any of the passwords is accepted. */
  gitAuth?: { username?: string; password: string | string[] };
  /** A bearer token git must send instead (Bitbucket Server's HTTP access tokens). */
  gitBearer?: string;
}): Promise<FakeScm> {
  const requests: RecordedRequest[] = [];
  const gitRequests: GitRequest[] = [];
  const routes: Array<{ method: string; pattern: RegExp; handler: RouteHandler }> = [];
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const authorization = request.headers.authorization;
    if (url.pathname.startsWith('/git/')) {
      const record: GitRequest = {
        method: request.method ?? 'GET',
        path: url.pathname + url.search,
        authorization,
        status: 0,
      };
      gitRequests.push(record);
      if (options.gitBearer && authorization !== `Bearer ${options.gitBearer}`) {
        record.status = 401;
        response.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="fake-scm"' });
        response.end('unauthorized');
        return;
      }
      if (options.gitAuth) {
        const [scheme, encoded] = (authorization ?? '').split(' ');
        const [user, ...rest] = Buffer.from(encoded ?? '', 'base64')
          .toString('utf8')
          .split(':');
        const ok =
          scheme === 'Basic' &&
          [options.gitAuth.password].flat().includes(rest.join(':')) &&
          (options.gitAuth.username === undefined || user === options.gitAuth.username);
        if (!ok) {
          record.status = 401;
          response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake-scm"' });
          response.end('unauthorized');
          return;
        }
      }
      record.status = await serveGit(
        request,
        response,
        options.gitRoot,
        url.pathname.slice('/git'.length),
        url.search.slice(1),
        'publisher',
      );
      return;
    }
    const raw = await readBody(request);
    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname + url.search,
      authorization,
      privateToken: request.headers['private-token'] as string | undefined,
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
      body,
    };
    requests.push(recorded);
    for (const route of routes) {
      const match = route.method === recorded.method ? url.pathname.match(route.pattern) : null;
      if (!match) continue;
      const result = await route.handler(match, recorded);
      response.writeHead(result.status, {
        'content-type': 'application/json',
        ...result.headers,
      });
      response.end(result.raw ?? (result.body === undefined ? '' : JSON.stringify(result.body)));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ message: 'Not Found' }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    gitRequests,
    route(method, pattern, handler, routeOptions) {
      if (routeOptions?.first) routes.unshift({ method, pattern, handler });
      else routes.push({ method, pattern, handler });
    },
    failNext(method, pattern, result, times = 1) {
      let left = times;
      const entry = {
        method,
        pattern,
        handler: () => {
          left--;
          if (left <= 0) routes.splice(routes.indexOf(entry), 1);
          return result;
        },
      };
      routes.unshift(entry);
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
