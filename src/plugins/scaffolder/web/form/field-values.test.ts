import { describe, expect, it } from 'vitest';
import {
  ENTITY_NAME_MESSAGE,
  fieldProblems,
  formatRepoUrl,
  humanizeRef,
  parseRepoUrl,
  pickerFilters,
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

  it('reads and writes RepoUrlPicker values', () => {
    const parts = parseRepoUrl('github.com?owner=kestrel&repo=parcel-locker');
    expect(parts).toEqual({
      host: 'github.com',
      owner: 'kestrel',
      repo: 'parcel-locker',
      extra: {},
    });
    expect(formatRepoUrl(parts)).toBe('github.com?owner=kestrel&repo=parcel-locker');
    const azure = parseRepoUrl('dev.azure.com?organization=o&project=p&repo=r');
    expect(azure.extra).toEqual({ organization: 'o', project: 'p' });
    expect(formatRepoUrl(azure)).toBe('dev.azure.com?repo=r&organization=o&project=p');
    expect(formatRepoUrl({ host: '', owner: '', repo: '', extra: {} })).toBeUndefined();
    expect(parseRepoUrl(undefined)).toEqual({ host: '', owner: '', repo: '', extra: {} });
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
    expect(fieldProblems('RepoUrlPicker', 'dev.azure.com?organization=o&repo=r')).toEqual([]);
    // empty values are for `required` to judge
    expect(fieldProblems('EntityNamePicker', '')).toEqual([]);
    expect(fieldProblems('SomethingElse', 'bad name')).toEqual([]);
  });
});
