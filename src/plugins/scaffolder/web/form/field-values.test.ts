import { describe, expect, it } from 'vitest';
import {
  completeEntityRef,
  ENTITY_NAME_MESSAGE,
  fieldProblems,
  formatRepoUrl,
  humanizeRef,
  normalizeTag,
  parseRepoUrl,
  pickerFilters,
  type RepoUrlState,
  repoUrlPartsFor,
  repoUrlProblems,
  withRepoUrlDefaults,
} from './field-values.ts';

describe('pickerFilters', () => {
  it('turns catalogFilter into catalog filter strings', () => {
    expect(pickerFilters({ catalogFilter: { kind: 'Group', 'spec.type': 'team' } })).toEqual([
      'kind=Group,spec.type=team',
    ]);
    expect(
      pickerFilters({
        catalogFilter: [
          { kind: ['API', 'Component'] },
          { 'metadata.annotations.x': { exists: true } },
        ],
      }),
    ).toEqual(['kind=API,kind=Component', 'metadata.annotations.x']);
  });

  it('honours allowedKinds and the fallback kinds', () => {
    expect(pickerFilters({ allowedKinds: ['System'] })).toEqual(['kind=System']);
    expect(
      pickerFilters({ catalogFilter: { 'spec.type': 'team' }, allowedKinds: ['Group'] }),
    ).toEqual(['spec.type=team,kind=Group']);
    expect(pickerFilters({}, ['Group', 'User'])).toEqual(['kind=Group,kind=User']);
    // a template filter replaces the fallback
    expect(pickerFilters({ catalogFilter: { kind: 'Group' } }, ['Group', 'User'])).toEqual([
      'kind=Group',
    ]);
    expect(pickerFilters({})).toEqual([]);
  });
});

describe('refs and repository URLs', () => {
  it('shortens refs for people', () => {
    expect(humanizeRef('group:default/team-a', 'Group')).toBe('team-a');
    expect(humanizeRef('group:default/team-a')).toBe('group:team-a');
    expect(humanizeRef('system:payments/billing', 'system')).toBe('payments/billing');
    expect(humanizeRef('team-a', 'Group')).toBe('team-a');
  });

  it('leaves out the default namespace unless told otherwise, as humanizeEntityRef does', () => {
    expect(humanizeRef('group:payments/team-a', 'Group', 'payments')).toBe('team-a');
    expect(humanizeRef('group:default/team-a', 'Group', 'payments')).toBe('default/team-a');
    expect(humanizeRef('group:default/team-a', 'Group', false)).toBe('default/team-a');
  });

  it('completes typed refs with the default kind and namespace', () => {
    expect(completeEntityRef('team-a', 'Group')).toBe('group:default/team-a');
    expect(completeEntityRef(' team-a ', 'Group', 'payments')).toBe('group:payments/team-a');
    expect(completeEntityRef('user:alice', 'Group')).toBe('user:default/alice');
    expect(completeEntityRef('ops/team-b', 'Group', false)).toBe('group:ops/team-b');
    // no kind and no default kind: not a ref, kept as typed
    expect(completeEntityRef('just text')).toBe('just text');
  });

  it('normalizes tags as Backstage does before checking them', () => {
    expect(normalizeTag('  NodeJS ')).toBe('nodejs');
    expect(normalizeTag('java,')).toBe('java');
  });

  it('adds the caller conditions to every alternative of a filter', () => {
    const owned = { 'relations.ownedBy': ['user:default/alice', 'group:default/team-a'] };
    expect(pickerFilters({ allowedKinds: ['Component'] }, [], owned)).toEqual([
      'kind=Component,relations.ownedBy=user:default/alice,relations.ownedBy=group:default/team-a',
    ]);
    expect(
      pickerFilters({ catalogFilter: [{ kind: 'API' }, { kind: 'System' }] }, [], owned),
    ).toEqual([
      'kind=API,relations.ownedBy=user:default/alice,relations.ownedBy=group:default/team-a',
      'kind=System,relations.ownedBy=user:default/alice,relations.ownedBy=group:default/team-a',
    ]);
    // {exists: false} carries no condition
    expect(pickerFilters({ catalogFilter: { kind: 'API', 'spec.x': { exists: false } } })).toEqual([
      'kind=API',
    ]);
  });
});

const state = (s: Partial<RepoUrlState>): RepoUrlState => ({
  host: '',
  owner: '',
  repo: '',
  organization: '',
  workspace: '',
  project: '',
  extra: {},
  ...s,
});

describe('RepoUrlPicker values per kind of host', () => {
  const paramsOf = (type: Parameters<typeof repoUrlPartsFor>[0]) =>
    repoUrlPartsFor(type).map((p) => p.param);

  it('asks for the parts Backstage asks for', () => {
    expect(paramsOf('github')).toEqual(['owner', 'repo']);
    expect(paramsOf('gitea')).toEqual(['owner', 'repo']);
    expect(paramsOf('gitlab')).toEqual(['owner', 'repo']);
    expect(paramsOf('bitbucketCloud')).toEqual(['workspace', 'project', 'repo']);
    expect(paramsOf('bitbucketServer')).toEqual(['project', 'repo']);
    expect(paramsOf('azure')).toEqual(['organization', 'project', 'repo']);
    expect(paramsOf('gerrit')).toEqual(['owner', 'workspace', 'repo']);
    expect(repoUrlPartsFor('gerrit').map((p) => [p.label, p.required])).toEqual([
      ['Owner', false],
      ['Parent', true],
      ['Repository', true],
    ]);
    expect(paramsOf(undefined)).toEqual(['owner', 'repo']);
    // Bitbucket Cloud offers allowedOwners as its workspaces, as Backstage does
    expect(repoUrlPartsFor('bitbucketCloud')[0]!.allowedOption).toBe('allowedOwners');
  });

  it('writes host?params in Backstage order, with only the parts of the kind of host', () => {
    const all = state({
      host: 'x.example.com',
      owner: 'o',
      repo: 'r',
      organization: 'org',
      workspace: 'ws',
      project: 'p',
    });
    expect(formatRepoUrl(all, paramsOf('github'))).toBe('x.example.com?owner=o&repo=r');
    expect(formatRepoUrl(all, paramsOf('bitbucketCloud'))).toBe(
      'x.example.com?repo=r&workspace=ws&project=p',
    );
    expect(formatRepoUrl(all, paramsOf('bitbucketServer'))).toBe('x.example.com?repo=r&project=p');
    expect(formatRepoUrl(all, paramsOf('azure'))).toBe(
      'x.example.com?repo=r&organization=org&project=p',
    );
    expect(formatRepoUrl(all, paramsOf('gerrit'))).toBe(
      'x.example.com?owner=o&repo=r&workspace=ws',
    );
    expect(formatRepoUrl(all)).toBe(
      'x.example.com?owner=o&repo=r&organization=org&workspace=ws&project=p',
    );
    // GitLab nested groups stay one owner, encoded
    expect(
      formatRepoUrl(state({ host: 'gitlab.com', owner: 'acme/platform/tools', repo: 'r' })),
    ).toBe('gitlab.com?owner=acme%2Fplatform%2Ftools&repo=r');
    // a host alone is `host?`, nothing without a host
    expect(formatRepoUrl(state({ host: 'github.com' }))).toBe('github.com?');
    expect(formatRepoUrl(state({ owner: 'o', repo: 'r' }))).toBeUndefined();
  });

  it('reads values back, keeping parameters it does not know', () => {
    expect(parseRepoUrl('github.com?owner=kestrel&repo=parcel-locker')).toEqual(
      state({ host: 'github.com', owner: 'kestrel', repo: 'parcel-locker' }),
    );
    const cloud = parseRepoUrl('bitbucket.org?workspace=ws&project=PRJ&repo=r');
    expect(cloud).toEqual(
      state({ host: 'bitbucket.org', workspace: 'ws', project: 'PRJ', repo: 'r' }),
    );
    expect(formatRepoUrl(cloud, paramsOf('bitbucketCloud'))).toBe(
      'bitbucket.org?repo=r&workspace=ws&project=PRJ',
    );
    const azure = parseRepoUrl('dev.azure.com?organization=o&project=p&repo=r');
    expect(formatRepoUrl(azure, paramsOf('azure'))).toBe(
      'dev.azure.com?repo=r&organization=o&project=p',
    );
    const gitlab = parseRepoUrl('gitlab.com?owner=a%2Fb&repo=r&branch=main');
    expect(gitlab.owner).toBe('a/b');
    expect(gitlab.extra).toEqual({ branch: 'main' });
    expect(formatRepoUrl(gitlab, paramsOf('gitlab'))).toBe(
      'gitlab.com?owner=a%2Fb&repo=r&branch=main',
    );
    expect(parseRepoUrl(undefined)).toEqual(state({}));
  });

  it('preselects the first allowed host and the first of each allowed list', () => {
    const parts = repoUrlPartsFor('bitbucketCloud');
    expect(
      withRepoUrlDefaults(state({}), ['bitbucket.org', 'github.com'], parts, {
        allowedOwners: ['ws-a', 'ws-b'],
        allowedProjects: ['PRJ'],
      }),
    ).toEqual(state({ host: 'bitbucket.org', workspace: 'ws-a', project: 'PRJ' }));
    // what is there already stays
    expect(
      withRepoUrlDefaults(
        state({ host: 'github.com', owner: 'me' }),
        ['x.com'],
        repoUrlPartsFor('github'),
        {
          allowedOwners: ['acme'],
          allowedRepos: ['only-repo'],
        },
      ),
    ).toEqual(state({ host: 'github.com', owner: 'me', repo: 'only-repo' }));
  });

  it('names the parts a kind of host is missing', () => {
    expect(repoUrlProblems('github.com?owner=o&repo=r', 'github')).toEqual([]);
    expect(repoUrlProblems('github.com?', 'github')).toEqual([
      'is incomplete: the owner and repository must be filled in',
    ]);
    expect(repoUrlProblems('bitbucket.org?owner=o&repo=r', 'bitbucketCloud')).toEqual([
      'is incomplete: the workspace and project must be filled in',
    ]);
    expect(repoUrlProblems('bitbucket.org?workspace=w&project=P&repo=r', 'bitbucketCloud')).toEqual(
      [],
    );
    expect(repoUrlProblems('git.acme.com?project=P', 'bitbucketServer')).toEqual([
      'is incomplete: the repository must be filled in',
    ]);
    expect(repoUrlProblems('dev.azure.com?', 'azure')).toEqual([
      'is incomplete: the organization, project and repository must be filled in',
    ]);
    expect(repoUrlProblems('dev.azure.com?repo=r', 'azure')).toEqual([
      'is incomplete: the organization and project must be filled in',
    ]);
    expect(repoUrlProblems('dev.azure.com?organization=o&project=p&repo=r', 'azure')).toEqual([]);
    // Gerrit: the owner is optional, the parent is not
    expect(repoUrlProblems('review.acme.com?repo=r', 'gerrit')).toEqual([
      'is incomplete: the parent must be filled in',
    ]);
    expect(repoUrlProblems('review.acme.com?workspace=All-Projects&repo=r', 'gerrit')).toEqual([]);
    // GitLab: a project id stands for owner and repository
    expect(repoUrlProblems('gitlab.com?project=123', 'gitlab')).toEqual([]);
    // a host of unknown kind: a repository and somewhere to put it
    expect(repoUrlProblems('git.acme.com?workspace=w&repo=r', undefined)).toEqual([]);
    expect(repoUrlProblems('git.acme.com?repo=r', undefined)).toEqual([
      'is incomplete: the owner must be filled in',
    ]);
    expect(repoUrlProblems('not a host?owner=o&repo=r', 'github')[0]).toContain(
      'invalid host "not a host"',
    );
  });
});

describe('fieldProblems', () => {
  it('checks entity names, tags and repository locations', () => {
    expect(fieldProblems('EntityNamePicker', 'good-name')).toEqual([]);
    expect(fieldProblems('EntityNamePicker', 'bad name')).toEqual([ENTITY_NAME_MESSAGE]);
    expect(fieldProblems('EntityNamePicker', 'x'.repeat(64))).toEqual([ENTITY_NAME_MESSAGE]);
    expect(fieldProblems('EntityTagsPicker', ['ok', 'Not-OK', 'c++'])).toHaveLength(1);
    expect(fieldProblems('EntityTagsPicker', ['ok', 'Not-OK'])[0]).toContain('"Not-OK"');
    expect(fieldProblems('RepoUrlPicker', 'github.com?owner=o&repo=r')).toEqual([]);
    expect(fieldProblems('RepoUrlPicker', 'github.com?owner=o')[0]).toContain('repository');
    // the kind of host decides what is complete
    const hostType = (host: string) => (host === 'dev.azure.com' ? 'azure' : undefined);
    expect(fieldProblems('RepoUrlPicker', 'dev.azure.com?organization=o&repo=r')).toEqual([]);
    expect(
      fieldProblems('RepoUrlPicker', 'dev.azure.com?organization=o&repo=r', { hostType })[0],
    ).toBe('is incomplete: the project must be filled in');
    // empty values are for `required` to judge
    expect(fieldProblems('EntityNamePicker', '')).toEqual([]);
    expect(fieldProblems('SomethingElse', 'bad name')).toEqual([]);
  });
});
