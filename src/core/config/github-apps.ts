import { createPrivateKey } from 'node:crypto';
import type { ConfigProblem } from './errors.ts';
import { formatKeyPath, type KeyPath } from './paths.ts';
import { inSources, type Provenance } from './provenance.ts';
import type { SchemaNode } from './schema.ts';

/*
 * `integrations.github[].apps`: GitHub Apps, with Backstage's keys. Requests to the host then
 * use an installation token of the app installed for the repository's owner.
 */

export interface GithubAppConfig {
  appId: number;
  /** PEM; `\n` written as two characters (one-line environment variables) already turned into newlines. Never logged. */
  privateKey: string;
  clientId?: string;
  /** Never logged. */
  clientSecret?: string;
  /** Never logged. */
  webhookSecret?: string;
  /** Owners (organisation or user logins) this app may be used for; absent: every installation. */
  allowedInstallationOwners?: string[];
}

const secret = (description: string): SchemaNode => ({
  type: 'string',
  minLength: 1,
  description: `${description} (use \`\${VAR}\` or \`$file\`); never logged.`,
});

export const GITHUB_APPS_SCHEMA: SchemaNode = {
  type: 'array',
  description:
    'GitHub Apps, as Backstage configures them. Catalog discovery, GitHub org data and reading catalog files on this host then use an installation token of the app installed for the owner (an organisation or user): a JWT signed with `privateKey` asks GitHub for a token valid one hour, kept until 5 minutes before it expires. With several apps, the first one installed for the owner is used (a provider’s `app` picks one); `token` is used when no app is installed there.',
  items: {
    type: 'object',
    required: ['appId', 'privateKey'],
    'x-valid':
      'an object {appId, privateKey, clientId?, clientSecret?, webhookSecret?, allowedInstallationOwners?}',
    properties: {
      appId: {
        type: ['integer', 'string'],
        pattern: '^[0-9]+$',
        'x-type': 'number',
        'x-valid': 'a GitHub App id (a number)',
        description: 'The app’s id, shown on its settings page.',
      },
      privateKey: secret(
        'The app’s private key in PEM form (`-----BEGIN RSA PRIVATE KEY-----`…); `\\n` written as two characters is read as a line break',
      ),
      clientId: {
        type: 'string',
        minLength: 1,
        description: 'The app’s client id: accepted for Backstage configs, not used.',
      },
      clientSecret: secret('The app’s client secret: accepted for Backstage configs, not used'),
      webhookSecret: secret(
        'The app’s webhook secret: accepted for Backstage configs; webhooks are verified with `events.modules.github.webhookSecret`',
      ),
      allowedInstallationOwners: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        'x-valid': 'a list of organisation or user logins',
        'x-default-text': 'every installation',
        description:
          'The owners (organisation or user logins, any case) this app may be used for; an installation of another owner is never used.',
      },
    },
  },
};

type Data = Record<string, unknown>;

/**
 * The apps of one `integrations.github` entry at `path`. A private key that is not a PEM key is
 * a config problem naming the key, never quoting it.
 */
export function normalizeGithubApps(
  value: unknown,
  path: KeyPath,
  ctx: { provenance: Provenance; problems: ConfigProblem[] },
): GithubAppConfig[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((raw: Data, i): GithubAppConfig => {
    const at: KeyPath = [...path, i];
    const privateKey = String(raw.privateKey).replace(/\\n/g, '\n');
    try {
      createPrivateKey(privateKey);
    } catch {
      const key = [...at, 'privateKey'];
      const sources = ctx.provenance.sourcesOf(key);
      ctx.problems.push({
        key: formatKeyPath(key),
        message: `${formatKeyPath(key)} of app ${raw.appId} is not a private key in PEM form (the file GitHub lets you download from the app’s settings, starting -----BEGIN RSA PRIVATE KEY-----)${inSources(sources)}`,
        sources,
      });
    }
    const text = (name: string) =>
      typeof raw[name] === 'string' && raw[name] ? { [name]: raw[name] as string } : {};
    return {
      appId: Number(raw.appId),
      privateKey,
      ...text('clientId'),
      ...text('clientSecret'),
      ...text('webhookSecret'),
      ...(Array.isArray(raw.allowedInstallationOwners)
        ? { allowedInstallationOwners: raw.allowedInstallationOwners.map(String) }
        : {}),
    };
  });
}
