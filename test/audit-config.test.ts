/** `audit.retention`: the duration forms other keys accept, `false`, and a clear error. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config/index.ts';
import { cleanUpTempDirs, dirWith } from '../src/core/config/temp-dirs.testkit.ts';

cleanUpTempDirs();

const DAY = 24 * 3600 * 1000;

async function retention(yaml: string) {
  const cwd = await dirWith({ 'app-config.yaml': yaml });
  return (await loadConfig({ cwd, env: {} })).config.audit.retentionMs;
}

describe('audit.retention', () => {
  it('defaults to 365 days and reads every duration form', async () => {
    expect(await retention('app: { title: x }\n')).toBe(365 * DAY);
    expect(await retention('audit: { retention: 90 days }\n')).toBe(90 * DAY);
    expect(await retention('audit: { retention: P6M }\n')).toBe(180 * DAY);
    expect(await retention('audit: { retention: { weeks: 2 } }\n')).toBe(14 * DAY);
    expect(await retention('audit: { retention: false }\n')).toBeNull();
  });

  it('names the key, the file and what is valid for a bad value', async () => {
    await expect(retention('audit: { retention: soon }\n')).rejects.toThrow(
      /audit\.retention.*app-config\.yaml/s,
    );
    await expect(retention('audit: { retention: -5 }\n')).rejects.toThrow(/audit\.retention/);
  });
});
