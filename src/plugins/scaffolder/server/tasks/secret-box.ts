import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Database } from '../../../../core/plugin-api.ts';

/** The environment variable that, when set, holds the key instead of the database. */
export const SECRETS_KEY_ENV = 'ATRIUM_SCAFFOLDER_SECRETS_KEY';
const KEY_SETTING = 'secrets-key';
const VERSION = 'v1';

/**
 * Encrypts task secrets at rest with AES-256-GCM (a fresh 96-bit IV per value, the tag
 * checked on decryption), so they never sit in the task table as plain text.
 *
 * The key is the 32 bytes in `ATRIUM_SCAFFOLDER_SECRETS_KEY` (base64 or hex) when that is set
 * — then a copy of the database alone cannot decrypt anything. Otherwise a random key is
 * created once and kept in `scaffolder_settings`, shared by all replicas of one database: that
 * keeps secrets out of task-table dumps and logs, but not from someone holding the whole
 * database. Secrets are deleted when their task ends either way.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static async open(database: Database, env = process.env): Promise<SecretBox> {
    const fromEnv = env[SECRETS_KEY_ENV];
    if (fromEnv) return new SecretBox(parseKey(fromEnv));
    const { db } = database;
    const read = async () =>
      (await db
        .selectFrom('scaffolder_settings')
        .select('value')
        .where('name', '=', KEY_SETTING)
        .executeTakeFirst()) as { value: string } | undefined;
    let row = await read();
    if (!row) {
      // Replicas starting together: the first insert wins, everybody reads the winner.
      await db
        .insertInto('scaffolder_settings')
        .values({ name: KEY_SETTING, value: randomBytes(32).toString('base64') })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      row = await read();
    }
    if (!row) throw new Error('Could not create the scaffolder secrets key');
    return new SecretBox(parseKey(row.value));
  }

  seal(secrets: Record<string, string>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
      .join(':');
  }

  open(sealed: string): Record<string, string> {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) {
      throw new Error('Stored task secrets are in an unknown format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const text = Buffer.concat([
      decipher.update(Buffer.from(data, 'base64')),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }
}

function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new Error(
      `${SECRETS_KEY_ENV} must be 32 bytes, written as 64 hex digits or base64 (got ${key.length} bytes)`,
    );
  }
  return key;
}
