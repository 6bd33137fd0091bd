import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/core/config/index.ts';
import { createLogger } from '../../src/core/logger.ts';
import { readingPolicy } from '../../src/core/reading/allow-list.ts';
import type { ProviderContext } from '../../src/plugins/catalog/server/providers/types.ts';
import type { GitlabStandin } from './gitlab-standin.ts';

/**
 * The context a GitLab provider factory gets in the catalog, from a real config file: the
 * stand-in configured under `integrations.gitlab` and `catalog.providers.gitlab` as written.
 */
export async function gitlabProviderContext(
  standin: GitlabStandin,
  gitlab: unknown,
  token = standin.tokens[0],
): Promise<ProviderContext> {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-gitlab-config-'));
  try {
    const file = join(dir, 'app-config.yaml');
    writeFileSync(
      file,
      stringify({
        integrations: { gitlab: [{ host: standin.host, apiBaseUrl: standin.api, token }] },
        catalog: { providers: { gitlab } },
      }),
    );
    const { config } = await loadConfig({ configPaths: [file], cwd: dir, env: {} });
    return {
      config,
      logger: createLogger({ level: 'error' }),
      policy: () => readingPolicy(config),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
