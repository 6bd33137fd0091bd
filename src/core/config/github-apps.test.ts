import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSecretKey } from '../secret-scrub.ts';
import { ConfigError, loadConfig } from './index.ts';
import { cleanUpTempDirs, dirWith } from './temp-dirs.testkit.ts';

cleanUpTempDirs();

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

async function load(yaml: string, env: Record<string, string> = {}) {
  const cwd = await dirWith({ 'app-config.yaml': yaml });
  return loadConfig({ cwd, env });
}

describe('integrations.github[].apps', () => {
  it("reads Backstage's keys, the id from a string and the key from one line with \\n", async () => {
    const { config, warnings } = await load(
      `
integrations:
  github:
    - host: github.com
      apps:
        - appId: \${APP_ID}
          privateKey: \${APP_KEY}
          clientId: Iv1.abc
          clientSecret: \${APP_SECRET}
          webhookSecret: hook
          allowedInstallationOwners: [acme, Octocat]
    - host: ghe.example.com
      token: t
`,
      { APP_ID: '123', APP_KEY: PEM.replace(/\n/g, '\\n'), APP_SECRET: 's3cret' },
    );
    expect(warnings).toEqual([]);
    expect(config.integrations.github).toEqual([
      {
        host: 'github.com',
        apiBaseUrl: 'https://api.github.com',
        apps: [
          {
            appId: 123,
            privateKey: PEM,
            clientId: 'Iv1.abc',
            clientSecret: 's3cret',
            webhookSecret: 'hook',
            allowedInstallationOwners: ['acme', 'Octocat'],
          },
        ],
      },
      // Entries without apps stay as they were.
      { host: 'ghe.example.com', token: 't', apiBaseUrl: 'https://ghe.example.com/api/v3' },
    ]);
  });

  it('names its secrets so that records drop them', () => {
    for (const key of ['privateKey', 'clientSecret', 'webhookSecret']) {
      expect(isSecretKey(key)).toBe(true);
    }
  });

  it('names the key of a private key that is not PEM, without quoting it', async () => {
    const error = await load(`
integrations:
  github:
    - host: github.com
      apps:
        - appId: 7
          privateKey: not-a-key-but-secret-text
`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(
      /integrations\.github\[0\]\.apps\[0\]\.privateKey of app 7 is not a private key in PEM form .* in app-config\.yaml/,
    );
    expect(message).not.toContain('secret-text');
  });

  it('requires appId and privateKey', async () => {
    const error = await load(`
integrations:
  github:
    - host: github.com
      apps:
        - appId: abc
        - privateKey: x
`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('integrations.github[0].apps[0].appId must be a GitHub App id');
    expect(message).toContain('integrations.github[0].apps[0].privateKey is missing');
    expect(message).toContain('integrations.github[0].apps[1].appId is missing');
  });
});
