import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';
import { cleanUpTempDirs, dirWith } from './temp-dirs.testkit.ts';

cleanUpTempDirs();

async function load(yaml: string) {
  const cwd = await dirWith({ 'app-config.yaml': yaml });
  return loadConfig({ cwd, env: {} });
}

async function errorFor(yaml: string): Promise<string> {
  const result = await load(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(ConfigError);
  return (result as ConfigError).message;
}

describe('catalog.providers.github', () => {
  it("reads Backstage's single-object form as the provider `default`, with Backstage's defaults", async () => {
    const { config, warnings } = await load(`
catalog:
  providers:
    github:
      organization: acme
`);
    expect(warnings).toEqual([]);
    expect(config.catalog.providers.github).toEqual([
      {
        id: 'default',
        organization: 'acme',
        host: 'github.com',
        catalogPath: 'catalog-info.yaml',
        filters: { topic: {}, visibility: [], allowForks: true, allowArchived: false },
        validateLocationsExist: false,
        schedule: { frequencyMs: 30 * 60_000, timeoutMs: 15 * 60_000, initialDelayMs: 0 },
      },
    ]);
  });

  it('reads the map of ids with every filter and schedule form', async () => {
    const { config, warnings } = await load(`
catalog:
  providers:
    github:
      prod:
        organization: acme
        host: ghe.example.com
        catalogPath: '**/catalog-info.yaml'
        filters:
          branch: develop
          repository: 'api-.*'
          topic: { include: [backstage], exclude: [experimental] }
          visibility: [private, internal]
          allowForks: false
          allowArchived: true
        schedule: { frequency: PT10M, timeout: { minutes: 3 }, initialDelay: 15, scope: global }
      other:
        organization: beta
        schedule: { frequency: false }
`);
    expect(warnings).toEqual([]);
    expect(config.catalog.providers.github).toEqual([
      {
        id: 'prod',
        organization: 'acme',
        host: 'ghe.example.com',
        catalogPath: '**/catalog-info.yaml',
        filters: {
          branch: 'develop',
          repository: 'api-.*',
          topic: { include: ['backstage'], exclude: ['experimental'] },
          visibility: ['private', 'internal'],
          allowForks: false,
          allowArchived: true,
        },
        validateLocationsExist: false,
        schedule: { frequencyMs: 600_000, timeoutMs: 180_000, initialDelayMs: 15_000 },
      },
      expect.objectContaining({
        id: 'other',
        organization: 'beta',
        schedule: expect.objectContaining({ frequencyMs: null }),
      }),
    ]);
  });

  it('names the key of a bad value', async () => {
    expect(
      await errorFor(`
catalog:
  providers:
    github:
      acme:
        organization: acme
        filters: { visibility: [secret] }
`),
    ).toMatch(/catalog\.providers\.github\.acme\.filters\.visibility\[0\] must be one of/);
    expect(
      await errorFor(`
catalog:
  providers:
    github:
      acme:
        organization: acme
        filters: { repository: '(' }
`),
    ).toMatch(
      /catalog\.providers\.github\.acme\.filters\.repository is not a valid regular expression/,
    );
    expect(
      await errorFor(`
catalog:
  providers:
    github:
      organization: acme
      catalogPath: '/services/*/catalog-info.yaml'
      validateLocationsExist: true
`),
    ).toMatch(
      /catalog\.providers\.github\.validateLocationsExist cannot be true while catalogPath/,
    );
  });

  it('accepts a GitHub App without an organisation, and names both when neither is set', async () => {
    const { config } = await load(`
catalog:
  providers:
    github:
      app: 12345
`);
    expect(config.catalog.providers.github).toMatchObject([{ id: 'default', app: 12345 }]);
    expect(config.catalog.providers.github[0]!.organization).toBeUndefined();
    expect(
      await errorFor(`
catalog:
  providers:
    github:
      acme:
        host: github.com
`),
    ).toMatch(
      /catalog\.providers\.github\.acme\.organization is missing; it must be a GitHub organisation login \(or set app/,
    );
  });
});
