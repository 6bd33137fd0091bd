import { describe, expect, it } from 'vitest';
import { scmIntegrationSummaries } from './integration-routes.ts';

describe('scmIntegrationSummaries', () => {
  it('lists configured hosts by type, then the well-known ones, never a token', () => {
    const items = scmIntegrationSummaries({
      gitlab: [{ host: 'gitlab.acme.com', token: 'glpat-secret' }],
      bitbucketServer: [{ host: 'git.acme.com' }],
      azure: [{ host: 'dev.azure.com', token: 'azure-secret' }],
      gerrit: [{ host: 'review.acme.com' }],
    });
    expect(items).toEqual([
      { host: 'gitlab.acme.com', type: 'gitlab', title: 'gitlab.acme.com' },
      { host: 'git.acme.com', type: 'bitbucketServer', title: 'git.acme.com' },
      { host: 'dev.azure.com', type: 'azure', title: 'dev.azure.com' },
      { host: 'review.acme.com', type: 'gerrit', title: 'review.acme.com' },
      { host: 'github.com', type: 'github', title: 'github.com' },
      { host: 'gitlab.com', type: 'gitlab', title: 'gitlab.com' },
      { host: 'bitbucket.org', type: 'bitbucketCloud', title: 'bitbucket.org' },
    ]);
    expect(JSON.stringify(items)).not.toContain('secret');
  });

  it('knows the well-known hosts without configuration', () => {
    expect(scmIntegrationSummaries({}).map((i) => `${i.host}=${i.type}`)).toEqual([
      'github.com=github',
      'gitlab.com=gitlab',
      'bitbucket.org=bitbucketCloud',
      'dev.azure.com=azure',
    ]);
  });

  it('lets a configured host decide the type of a well-known name', () => {
    const items = scmIntegrationSummaries({ gitlab: [{ host: 'GitHub.com' }] });
    expect(items.filter((i) => i.host.toLowerCase() === 'github.com')).toEqual([
      { host: 'GitHub.com', type: 'gitlab', title: 'GitHub.com' },
    ]);
  });
});
