import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A loopback port nobody listens on right now (the server binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (!address || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

/**
 * The environment a person's shell would give `npm start`: the test runner's own markers
 * (NODE_ENV=test, VITEST_*) would otherwise reach the server and any vitest started inside.
 */
export function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_ENV' || key === 'TEST' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface DemoServer {
  /** e.g. http://localhost:41234 */
  url: string;
  port: number;
  /** The config files the server read, in order (the repository's app-config.yaml first). */
  configFiles: string[];
  /** Everything the server printed so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts the demo portal with `npm start` in `root` (its app-config.yaml, the demo catalog and
 * policy) on a free port (`PORT`, which app-config.yaml reads). With `dataDir`, a second config
 * file puts every file the server writes there instead of ./data, so it can run beside a
 * developer's own `npm start`; `extraConfig` is merged last (e.g. an external-access token
 * for examples that need one). Without `dataDir` it is plain `PORT=… npm start`, which writes
 * ./data in `root`. Resolves when the catalog answers with the demo loaded.
 */
export async function startDemoServer(options: {
  root: string;
  dataDir?: string;
  /** Where the server's output goes (default: server.log in dataDir, else in root). */
  logFile?: string;
  extraConfig?: Record<string, unknown>;
  timeoutMs?: number;
}): Promise<DemoServer> {
  const { root, dataDir } = options;
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const configFiles = dataDir
    ? [join(root, 'app-config.yaml'), isolatedConfig(root, dataDir, url, options.extraConfig)]
    : [join(root, 'app-config.yaml')];
  const logFile = options.logFile ?? join(dataDir ?? root, 'server.log');
  const out = openSync(logFile, 'w');
  const args = dataDir ? ['--', ...configFiles.flatMap((file) => ['--config', file])] : [];
  // Its own process group, so that stop() ends npm, the shell it runs and the server alike.
  const child: ChildProcess = spawn('npm', ['start', ...args], {
    cwd: root,
    env: userEnvironment({ PORT: String(port) }),
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const log = () => readFileSync(logFile, 'utf8');
  let exited: number | null | undefined;
  const exit = new Promise<void>((done) =>
    child.on('exit', (code) => {
      exited = code;
      done();
    }),
  );

  const stop = async () => {
    if (exited !== undefined || !child.pid) return;
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (exited === undefined && child.pid) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`npm start exited with ${exited}:\n${log()}`);
    try {
      const response = await fetch(`${url}/api/catalog/entity-facets?facet=kind`);
      if (response.ok) {
        const body = (await response.json()) as { facets: { kind: unknown[] } };
        if (body.facets.kind.length > 0) break;
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not serve the demo catalog at ${url} in time:\n${log()}`);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return { url, port, configFiles, log, stop };
}

/** The config file that moves the server's files into `dir` and its URLs to `url`. */
function isolatedConfig(
  root: string,
  dir: string,
  url: string,
  extraConfig: Record<string, unknown> = {},
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'app-config.test.yaml');
  const { backend: extraBackend, ...extra } = extraConfig;
  writeFileSync(
    file,
    stringify({
      ...extra,
      app: { baseUrl: url },
      backend: {
        baseUrl: url,
        database: { connection: { filename: join(dir, 'atrium.sqlite') } },
        ...(extraBackend as object | undefined),
      },
      catalog: { locationRoots: [join(root, 'examples'), join(dir, 'repos')] },
      scaffolder: { localRepositoryRoots: [join(dir, 'repos')] },
      techdocs: {
        publisher: { type: 'local', local: { publishDirectory: join(dir, 'techdocs') } },
      },
    }),
  );
  return file;
}
