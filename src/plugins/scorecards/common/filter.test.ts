import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../model/entity.ts';
import { compileFilter, matchesFilter } from './filter.ts';
import type { ScorecardError } from './types.ts';

const service: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments',
    namespace: 'default',
    tags: ['java', 'Payments'],
    annotations: { 'backstage.io/techdocs-ref': 'dir:.' },
    links: [{ url: 'https://dash.example.com', title: 'Dashboard' }],
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a', replicas: 3, public: true },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/team-a' }],
};

describe('matchesFilter', () => {
  it('compares values case-insensitively and requires every key', () => {
    expect(matchesFilter({ kind: 'component', 'spec.type': 'SERVICE' }, service)).toBe(true);
    expect(matchesFilter({ kind: 'Component', 'spec.type': 'website' }, service)).toBe(false);
  });

  it('treats a list of values as any of them, and a list of filters as any of them', () => {
    expect(matchesFilter({ 'spec.lifecycle': ['experimental', 'production'] }, service)).toBe(true);
    expect(matchesFilter({ 'spec.lifecycle': ['experimental', 'deprecated'] }, service)).toBe(
      false,
    );
    expect(matchesFilter([{ kind: 'API' }, { 'spec.type': 'service' }], service)).toBe(true);
    expect(matchesFilter([{ kind: 'API' }, { kind: 'Group' }], service)).toBe(false);
  });

  it('matches an array field when any item matches, and searches arrays of objects', () => {
    expect(matchesFilter({ 'metadata.tags': 'payments' }, service)).toBe(true);
    expect(matchesFilter({ 'metadata.tags': 'go' }, service)).toBe(false);
    expect(matchesFilter({ 'metadata.links.title': 'dashboard' }, service)).toBe(true);
  });

  it('reads keys holding dots, written plainly as Backstage does or in brackets', () => {
    expect(
      matchesFilter({ 'metadata.annotations.backstage.io/techdocs-ref': 'dir:.' }, service),
    ).toBe(true);
    expect(
      matchesFilter({ 'metadata.annotations["backstage.io/techdocs-ref"]': 'DIR:.' }, service),
    ).toBe(true);
  });

  it('compares numbers and booleans by their text, and keys case-insensitively', () => {
    expect(matchesFilter({ 'spec.replicas': 3, 'spec.public': 'true' }, service)).toBe(true);
    expect(matchesFilter({ 'Spec.Type': 'service' }, service)).toBe(true);
  });

  it('matches relations by type and target ref', () => {
    expect(matchesFilter({ 'relations.ownedby': 'Group:default/team-a' }, service)).toBe(true);
    expect(matchesFilter({ 'relations.ownedBy': 'group:default/team-b' }, service)).toBe(false);
    const relations = [{ type: 'partOf', targetRef: 'system:default/pay' }];
    expect(matchesFilter({ 'relations.partOf': 'system:default/pay' }, service, relations)).toBe(
      true,
    );
  });

  it('defaults a missing namespace to default', () => {
    const bare = { ...service, metadata: { name: 'x' } };
    expect(matchesFilter({ 'metadata.namespace': 'default' }, bare)).toBe(true);
    expect(matchesFilter({ 'metadata.namespace': 'other' }, bare)).toBe(false);
  });

  it('without a filter matches everything but scorecards, locations and templates', () => {
    expect(matchesFilter(undefined, service)).toBe(true);
    for (const kind of ['Scorecard', 'Location', 'Template']) {
      expect(matchesFilter(undefined, { ...service, kind })).toBe(false);
    }
    expect(matchesFilter({ kind: 'Scorecard' }, { ...service, kind: 'Scorecard' })).toBe(true);
  });
});

describe('compileFilter', () => {
  const errorsOf = (raw: unknown) => {
    const errors: ScorecardError[] = [];
    compileFilter(raw, 'spec.filter', errors);
    return errors;
  };

  it('names the field of each defect', () => {
    expect(errorsOf('Component')).toEqual([
      { path: 'spec.filter', message: expect.stringMatching(/must be an object like/) },
    ]);
    expect(errorsOf([])[0]?.message).toMatch(/empty list, which matches nothing/);
    expect(errorsOf({ kind: [] })).toEqual([
      { path: 'spec.filter.kind', message: expect.stringMatching(/non-empty list of strings/) },
    ]);
    expect(errorsOf([{ kind: 'A' }, { 'spec.type': { a: 1 } }])[0]?.path).toBe(
      'spec.filter[1]["spec.type"]',
    );
    expect(errorsOf({ 'a..b': 'x' })[0]?.message).toMatch(/empty part/);
  });

  it('describes a kind-only filter for reasons', () => {
    const errors: ScorecardError[] = [];
    expect(compileFilter({ kind: 'Group' }, 'x', errors)?.description).toBe('a Group');
    expect(compileFilter({ kind: ['API', 'Component'] }, 'x', errors)?.description).toBe(
      'an API or a Component',
    );
    expect(compileFilter({ 'spec.type': 'team' }, 'x', errors)?.description).toBe(
      'matching the filter',
    );
  });
});
