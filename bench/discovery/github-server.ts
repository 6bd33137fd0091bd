/**
 * An Atrium server (the compiled one, default configuration) whose catalog discovers the
 * GitHub stand-in's organisation: what the discovery and webhook benchmarks both measure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { GithubStandin } from '../../test/helpers/github-standin.ts';
import { freePort, type Server, startServer, waitListening } from '../catalog/harness.ts';

export async function startGithubDiscoveryServer(options: {
  dir: string;
  database: unknown;
  standin: GithubStandin;
  token: string;
  organization: string;
  /** The provider's other keys (catalogPath, schedule). */
  provider: Record<string, unknown>;
  /** More top-level config (events secrets). */
  config?: Record<string, unknown>;
  startTimeoutMs: number;
}): Promise<Server> {
  const { dir, standin } = options;
  const port = await freePort();
  const configFile = join(dir, 'app-config.yaml');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(
    configFile,
    stringify({
      backend: { listen: { host: '127.0.0.1', port }, database: options.database },
      integrations: {
        github: [{ host: standin.host, apiBaseUrl: standin.apiBaseUrl, token: options.token }],
      },
      catalog: {
        providers: {
          github: {
            bench: { organization: options.organization, host: standin.host, ...options.provider },
          },
        },
      },
      ...options.config,
      techdocs: {
        publisher: { type: 'local', local: { publishDirectory: join(dir, 'techdocs') } },
      },
    }),
  );
  const server = startServer(dir, configFile, port, 'server.log');
  await waitListening(server, options.startTimeoutMs);
  return server;
}
