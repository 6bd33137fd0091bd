import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';
import { cleanUpTempDirs, dirWith } from './temp-dirs.testkit.ts';

cleanUpTempDirs();

async function load(yaml: string) {
  const cwd = await dirWith({ 'app-config.yaml': yaml });
  return loadConfig({ cwd, env: {} });
}

async function errorFor(yaml: string): Promise<ConfigError> {
  const result = await load(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(ConfigError);
  return result as ConfigError;
}

describe('catalog.providers.githubOrg', () => {
  it("reads Backstage's single-object form; one provider with one org keeps groups in default", async () => {
    const { config, warnings } = await load(`
catalog:
  providers:
    githubOrg:
      id: production
      githubUrl: https://github.com/
      orgs: [acme]
      schedule:
        frequency: { minutes: 30 }
        timeout: PT5M
        initialDelay: { seconds: 10 }
        scope: global
`);
    expect(warnings).toEqual([]);
    expect(config.catalog.providers.githubOrg).toEqual([
      {
        id: 'production',
        githubUrl: 'https://github.com',
        orgs: ['acme'],
        schedule: { frequencyMs: 30 * 60_000, timeoutMs: 5 * 60_000, initialDelayMs: 10_000 },
        groupsInDefaultNamespace: true,
      },
    ]);
  });

  it('reads the list form with transformers; several orgs namespace their groups', async () => {
    const { config } = await load(`
catalog:
  providers:
    githubOrg:
      - id: a
        githubUrl: https://ghe.example.com
        orgs: [one, two]
        schedule: { frequency: false }
        userTransformer:
          name: '{email|localpart|lower}'
          annotations: { example.com/login: '{login}' }
        teamTransformer: { name: '{org}-{slug}' }
      - id: b
        githubUrl: https://github.com
`);
    const [a, b] = config.catalog.providers.githubOrg;
    expect(a).toMatchObject({
      orgs: ['one', 'two'],
      schedule: { frequencyMs: null, timeoutMs: 15 * 60_000, initialDelayMs: 0 },
      userTransformer: {
        name: '{email|localpart|lower}',
        annotations: { 'example.com/login': '{login}' },
      },
      teamTransformer: { name: '{org}-{slug}' },
      groupsInDefaultNamespace: false,
    });
    expect(b).toMatchObject({
      orgs: [],
      schedule: { frequencyMs: 3_600_000 },
      groupsInDefaultNamespace: false,
    });
  });

  it('names the key of a missing id, a bad template, an unknown field and a duplicate id', async () => {
    const missing = await errorFor(
      'catalog:\n  providers:\n    githubOrg:\n      githubUrl: https://github.com\n',
    );
    expect(missing.message).toContain('catalog.providers.githubOrg.id is missing');

    const filter = await errorFor(`
catalog:
  providers:
    githubOrg: [{ id: a, githubUrl: https://github.com, userTransformer: { name: '{login|shout}' } }]
`);
    expect(filter.message).toContain(
      'catalog.providers.githubOrg[0].userTransformer.name must be a template',
    );

    const field = await errorFor(`
catalog:
  providers:
    githubOrg:
      - { id: a, githubUrl: https://github.com, userTransformer: { name: '{username}' }, teamTransformer: { name: '{team}' } }
      - { id: a, githubUrl: https://github.com }
`);
    expect(field.problems.map((p) => p.message)).toEqual([
      'catalog.providers.githubOrg[0].teamTransformer.name uses {team}, which is not a team field; there are slug, name, org, combinedSlug, description in app-config.yaml',
      'catalog.providers.githubOrg[0].userTransformer.name uses {username}, which is not a profile field of this provider; it has login, name, email, avatarUrl, bio, company, location in app-config.yaml',
      "catalog.providers.githubOrg[1].id 'a' is already the id of catalog.providers.githubOrg[0]; ids must differ in app-config.yaml",
    ]);

    const cron = await errorFor(`
catalog:
  providers:
    githubOrg: { id: a, githubUrl: https://github.com, schedule: { frequency: { cron: '0 * * * *' } } }
`);
    expect(cron.message).toContain('catalog.providers.githubOrg.schedule.frequency must be');
  });
});
