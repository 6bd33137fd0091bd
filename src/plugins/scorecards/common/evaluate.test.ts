import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../model/entity.ts';
import {
  campaignMatches,
  compileScorecard,
  factIdsOf,
  levelRank,
  ruleTexts,
  ScorecardErrors,
  scoreEntity,
  scorecardMatches,
  validateScorecard,
} from './evaluate.ts';
import type { CheckSpec, RuleSpec, ScoringInput } from './types.ts';

function scorecard(spec: Record<string, unknown>, name = 'card'): Entity {
  return {
    apiVersion: 'atrium.io/v1alpha1',
    kind: 'Scorecard',
    metadata: { name, namespace: 'default', title: 'A card' },
    spec: spec as never,
  };
}

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments',
    namespace: 'default',
    description: 'Takes money',
    tags: ['java', 'pci'],
    annotations: { 'backstage.io/techdocs-ref': 'dir:.' },
    labels: {},
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a', replicas: '3', blank: '  ' },
};

function input(overrides: Partial<ScoringInput> = {}): ScoringInput {
  return { entity, relations: [], targets: new Map(), facts: new Map(), ...overrides };
}

/** Scores one rule as a single check; returns the check's result. */
function run(rule: RuleSpec, over: Partial<ScoringInput> = {}) {
  const card = compileScorecard(
    scorecard({ levels: ['Bronze'], checks: [{ id: 'c', level: 'Bronze', rule }] }),
  );
  return scoreEntity(card, input(over)).checks[0];
}

describe('operators', () => {
  it.each<[string, RuleSpec, string, string]>([
    [
      'exists: true',
      { field: 'metadata.description', exists: true },
      'passed',
      'metadata.description is set',
    ],
    [
      'exists: true, absent',
      { field: 'metadata.title', exists: true },
      'failed',
      'metadata.title is missing',
    ],
    [
      'exists: true, blank',
      { field: 'spec.blank', exists: true },
      'failed',
      'spec.blank is missing',
    ],
    [
      'exists: false, absent',
      { field: 'metadata.title', exists: false },
      'passed',
      'metadata.title is not set',
    ],
    [
      'exists: false, present',
      { field: 'spec.type', exists: false },
      'failed',
      'spec.type is set to "service", must be absent',
    ],
    [
      'equals',
      { field: 'spec.lifecycle', equals: 'production' },
      'passed',
      'spec.lifecycle is "production"',
    ],
    [
      'equals, other',
      { field: 'spec.lifecycle', equals: 'experimental' },
      'failed',
      'spec.lifecycle is "production", needs "experimental"',
    ],
    [
      'equals, absent',
      { field: 'spec.system', equals: 'pay' },
      'failed',
      'spec.system is missing, needs "pay"',
    ],
    [
      'equals a list',
      { field: 'metadata.tags', equals: ['java', 'pci'] },
      'passed',
      'metadata.tags is [java, pci]',
    ],
    ['in', { field: 'spec.type', in: ['service', 'website'] }, 'passed', 'spec.type is "service"'],
    [
      'in, other',
      { field: 'spec.type', in: ['library', 'website'] },
      'failed',
      'spec.type is "service", needs one of "library", "website"',
    ],
    [
      'matches',
      { field: 'metadata.name', matches: '^[a-z]+$' },
      'passed',
      'metadata.name matches /^[a-z]+$/',
    ],
    [
      'matches, other',
      { field: 'metadata.name', matches: '^svc-' },
      'failed',
      'metadata.name is "payments", needs to match /^svc-/',
    ],
    [
      'matches a list item',
      { field: 'metadata.tags', matches: '^pc' },
      'passed',
      'metadata.tags matches /^pc/',
    ],
    [
      'matches, absent',
      { field: 'spec.system', matches: 'x' },
      'failed',
      'spec.system is missing, needs to match /x/',
    ],
    [
      'contains in a list',
      { field: 'metadata.tags', contains: 'pci' },
      'passed',
      'metadata.tags contains "pci"',
    ],
    [
      'contains, not in list',
      { field: 'metadata.tags', contains: 'go' },
      'failed',
      'metadata.tags does not contain "go"',
    ],
    [
      'contains in text',
      { field: 'metadata.description', contains: 'money' },
      'passed',
      'metadata.description contains "money"',
    ],
    [
      'contains, wrong type',
      { field: 'metadata.annotations', contains: 'x' },
      'failed',
      'metadata.annotations is an object, needs a list or text containing "x"',
    ],
    ['minItems', { field: 'metadata.tags', minItems: 2 }, 'passed', 'metadata.tags has 2 items'],
    [
      'minItems, too few',
      { field: 'metadata.tags', minItems: 3 },
      'failed',
      'metadata.tags has 2 items, needs at least 3',
    ],
    [
      'minItems, absent',
      { field: 'metadata.links', minItems: 1 },
      'failed',
      'metadata.links is missing, needs at least 1 item',
    ],
    [
      'minItems of a map',
      { field: 'metadata.labels', minItems: 1 },
      'failed',
      'metadata.labels has 0 items, needs at least 1',
    ],
    ['gt', { field: 'spec.replicas', gt: 2 }, 'passed', 'spec.replicas is 3 (> 2)'],
    ['gte, equal', { field: 'spec.replicas', gte: 3 }, 'passed', 'spec.replicas is 3 (≥ 3)'],
    ['lt, too high', { field: 'spec.replicas', lt: 3 }, 'failed', 'spec.replicas is 3, needs < 3'],
    ['lte', { field: 'spec.replicas', lte: 3 }, 'passed', 'spec.replicas is 3 (≤ 3)'],
    [
      'gte, not a number',
      { field: 'spec.type', gte: 1 },
      'failed',
      'spec.type is "service", needs a number ≥ 1',
    ],
    [
      'gte, absent',
      { field: 'spec.size', gte: 1 },
      'failed',
      'spec.size is missing, needs a number ≥ 1',
    ],
  ])('%s', (_name, rule, status, reason) => {
    const result = run(rule);
    expect(result?.status).toBe(status);
    expect(result?.reason).toBe(reason);
  });

  it('reads keys with dots and slashes written in brackets', () => {
    const result = run({
      field: 'metadata.annotations["backstage.io/techdocs-ref"]',
      exists: true,
    });
    expect(result).toEqual({
      id: 'c',
      status: 'passed',
      value: 'dir:.',
      reason: 'metadata.annotations["backstage.io/techdocs-ref"] is set',
    });
  });

  it('keeps what was seen as the value, bounded', () => {
    expect(run({ field: 'metadata.tags', minItems: 1 })?.value).toEqual(['java', 'pci']);
    const long = { ...entity, metadata: { ...entity.metadata, description: 'x'.repeat(5000) } };
    const value = run({ field: 'metadata.description', exists: true }, { entity: long })?.value;
    expect(typeof value === 'string' && value.length).toBe(500);
  });

  it('runs a regex on at most 10,000 characters', () => {
    const long = {
      ...entity,
      metadata: { ...entity.metadata, description: `${'a'.repeat(10_000)}END` },
    };
    expect(run({ field: 'metadata.description', matches: 'END' }, { entity: long })?.status).toBe(
      'failed',
    );
  });
});

describe('facts', () => {
  it('a fact nobody knows is unknown, not failed, and says so', () => {
    expect(run({ fact: 'ci.coverage', gte: 80 })).toEqual({
      id: 'c',
      status: 'unknown',
      reason: "fact 'ci.coverage' is not known for this entity",
    });
  });

  it('a known fact is compared like a field', () => {
    const facts = new Map<string, unknown>([['ci.coverage', 72]]);
    expect(run({ fact: 'ci.coverage', gte: 80 }, { facts })).toEqual({
      id: 'c',
      status: 'failed',
      value: 72,
      reason: 'ci.coverage is 72, needs ≥ 80',
    });
    const known = new Map<string, unknown>([['ci.coverage', 81]]);
    expect(run({ fact: 'ci.coverage', gte: 80 }, { facts: known })?.status).toBe('passed');
  });

  it('a fact known to be null is known: it fails exists: true', () => {
    const facts = new Map<string, unknown>([['security.scan', null]]);
    expect(run({ fact: 'security.scan', exists: true }, { facts })?.status).toBe('failed');
  });
});

describe('allOf, anyOf, not', () => {
  const known = { fact: 'a', equals: true };
  const unknownRule = { fact: 'nobody.knows', equals: true };
  const failing = { field: 'spec.type', equals: 'website' };
  const passing = { field: 'spec.type', equals: 'service' };
  const facts = new Map<string, unknown>([['a', true]]);

  it('allOf: failed if any failed, else unknown if any unknown, else passed', () => {
    expect(run({ allOf: [passing, failing, unknownRule] }, { facts })?.status).toBe('failed');
    expect(run({ allOf: [passing, unknownRule] }, { facts })?.status).toBe('unknown');
    expect(run({ allOf: [passing, known] }, { facts })?.status).toBe('passed');
    expect(run({ allOf: [passing, failing] })?.reason).toBe(
      'spec.type is "service", needs "website"',
    );
  });

  it('anyOf: passed if any passed, else unknown if any unknown, else failed', () => {
    expect(run({ anyOf: [failing, unknownRule, passing] })?.status).toBe('passed');
    expect(run({ anyOf: [failing, unknownRule] })?.status).toBe('unknown');
    const failed = run({ anyOf: [failing, { field: 'metadata.title', exists: true }] });
    expect(failed?.status).toBe('failed');
    expect(failed?.reason).toBe(
      'none passed: spec.type is "service", needs "website"; metadata.title is missing',
    );
  });

  it('not: swaps passed and failed, keeps unknown', () => {
    expect(run({ not: failing })?.status).toBe('passed');
    const forbidden = run({ not: passing });
    expect(forbidden?.status).toBe('failed');
    expect(forbidden?.reason).toBe('spec.type is "service", which this check forbids');
    expect(run({ not: unknownRule })?.status).toBe('unknown');
  });
});

describe('relation rules', () => {
  const group = (name: string): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default' },
    spec: { type: 'team', children: [] },
  });
  const user: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'ann', namespace: 'default' },
    spec: {},
  };
  const targets = new Map<string, Entity>([
    ['group:default/team-a', group('team-a')],
    ['group:default/team-b', group('team-b')],
    ['user:default/ann', user],
  ]);
  const relations = [
    { type: 'ownedBy', targetRef: 'group:default/team-a' },
    { type: 'ownedBy', targetRef: 'user:default/ann' },
    { type: 'ownedBy', targetRef: 'group:default/ghost' },
    { type: 'dependsOn', targetRef: 'group:default/team-b' },
  ];

  it('counts relations of the type to targets that exist and match the target filter', () => {
    expect(
      run({ relation: 'ownedBy', minCount: 1, target: { kind: 'Group' } }, { relations, targets }),
    ).toEqual({
      id: 'c',
      status: 'passed',
      value: 1,
      reason: '1 ownedBy relation to a Group, needs at least 1',
    });
    expect(run({ relation: 'OWNEDBY' }, { relations, targets })?.value).toBe(2);
  });

  it('does not count targets missing from the catalog, and names them', () => {
    const result = run(
      { relation: 'ownedBy', minCount: 1, target: { kind: 'Group' } },
      { relations: [{ type: 'ownedBy', targetRef: 'group:default/ghost' }], targets },
    );
    expect(result).toEqual({
      id: 'c',
      status: 'failed',
      value: 0,
      reason:
        '0 ownedBy relations to a Group, needs at least 1 (group:default/ghost is not in the catalog)',
    });
  });

  it('applies minCount and maxCount', () => {
    expect(run({ relation: 'ownedBy', maxCount: 1 }, { relations, targets })).toMatchObject({
      status: 'failed',
      reason: '2 ownedBy relations, needs at most 1',
    });
    expect(
      run({ relation: 'ownedBy', minCount: 2, maxCount: 2 }, { relations, targets })?.status,
    ).toBe('passed');
    expect(run({ relation: 'providesApi', maxCount: 0 }, { relations, targets })?.status).toBe(
      'passed',
    );
    expect(run({ relation: 'providesApi' }, { relations, targets })?.reason).toBe(
      '0 providesApi relations, needs at least 1',
    );
  });

  it('counts a target once however often it appears', () => {
    const twice = [...relations, { type: 'ownedBy', targetRef: 'GROUP:default/team-a' }];
    expect(run({ relation: 'ownedBy' }, { relations: twice, targets })?.value).toBe(2);
  });
});

describe('levels', () => {
  const check = (id: string, level: string, passes: boolean | 'unknown'): CheckSpec => ({
    id,
    level,
    rule:
      passes === 'unknown'
        ? { fact: 'nobody.knows', exists: true }
        : { field: 'spec.type', equals: passes ? 'service' : 'website' },
  });
  const levelOf = (checks: CheckSpec[]) => {
    const card = compileScorecard(scorecard({ levels: ['Bronze', 'Silver', 'Gold'], checks }));
    const { level, rank } = scoreEntity(card, input());
    return { level, rank };
  };

  it('is the highest level whose checks and all lower ones pass', () => {
    expect(
      levelOf([check('a', 'Bronze', true), check('b', 'Silver', true), check('c', 'Gold', false)]),
    ).toEqual({ level: 'Silver', rank: 2 });
    expect(
      levelOf([check('a', 'Bronze', true), check('b', 'Silver', true), check('c', 'Gold', true)]),
    ).toEqual({ level: 'Gold', rank: 3 });
  });

  it('has gaps: a passing Gold with a failing Bronze is no level', () => {
    expect(
      levelOf([check('a', 'Bronze', false), check('b', 'Silver', true), check('c', 'Gold', true)]),
    ).toEqual({ level: null, rank: 0 });
  });

  it('does not count unknown as passed', () => {
    expect(
      levelOf([
        check('a', 'Bronze', true),
        check('b', 'Silver', 'unknown'),
        check('c', 'Gold', true),
      ]),
    ).toEqual({ level: 'Bronze', rank: 1 });
  });

  it('passes a level without checks when the levels below it pass', () => {
    expect(levelOf([check('a', 'Bronze', true), check('c', 'Gold', true)])).toEqual({
      level: 'Gold',
      rank: 3,
    });
  });
});

describe('compileScorecard', () => {
  const valid = {
    owner: 'group:default/platform',
    filter: { kind: 'Component', 'spec.type': 'service' },
    levels: ['Bronze', 'Silver', 'Gold'],
    checks: [
      { id: 'described', level: 'Bronze', rule: { field: 'metadata.description', exists: true } },
      { id: 'coverage', level: 'Gold', rule: { fact: 'ci.coverage', gte: 80 } },
      {
        id: 'secure',
        level: 'Gold',
        rule: {
          anyOf: [
            { fact: 'security.critical', equals: 0 },
            { fact: 'ci.coverage', gte: 90 },
          ],
        },
      },
    ],
    campaigns: [
      {
        id: 'gold-by-q1',
        title: 'Gold',
        level: 'Gold',
        filter: { 'spec.lifecycle': 'production' },
        deadline: '2027-03-31',
      },
    ],
  };

  it('reads a valid scorecard into its ref, title and spec, and lists the facts it reads', () => {
    const card = compileScorecard(scorecard(valid, 'production-readiness'));
    expect(card).toMatchObject({
      ref: 'scorecard:default/production-readiness',
      name: 'production-readiness',
      namespace: 'default',
      title: 'A card',
    });
    expect(factIdsOf(card)).toEqual(['ci.coverage', 'security.critical']);
    expect(levelRank(card, 'Silver')).toBe(2);
    expect(levelRank(card, 'Platinum')).toBe(0);
    expect(ruleTexts(card).get('coverage')).toBe('ci.coverage ≥ 80');
    expect(scorecardMatches(card, entity)).toBe(true);
    expect(scorecardMatches(card, { ...entity, kind: 'API' })).toBe(false);
    expect(campaignMatches(card, 'gold-by-q1', entity)).toBe(true);
    expect(campaignMatches(card, 'gold-by-q1', { ...entity, spec: { lifecycle: 'beta' } })).toBe(
      false,
    );
    expect(campaignMatches(card, 'no-such-campaign', entity)).toBe(false);
  });

  it('scores a copy of the scorecard (sent over the wire) the same', () => {
    const card = compileScorecard(scorecard(valid));
    const copy = JSON.parse(JSON.stringify(card));
    expect(scoreEntity(copy, input())).toEqual(scoreEntity(card, input()));
  });

  it('reports every defect at its field path', () => {
    const errors = validateScorecard(
      scorecard({
        levels: ['Bronze', 'Silver'],
        extra: 1,
        checks: [
          { id: 'Bad Id', level: 'Bronze', rule: { field: 'metadata.description', exists: true } },
          { id: 'dup', level: 'silver', rule: { fact: 'ci.coverage', gte: 'eighty' } },
          { id: 'dup', level: 'Silver', rule: { field: 'metadata.name', matches: '(a+)+' } },
          { id: 'two', level: 'Silver', rule: { field: 'a', exists: true, equals: 1 } },
          { id: 'none', level: 'Silver', rule: { field: 'a' } },
          { id: 'kinds', level: 'Silver', rule: { field: 'a', fact: 'b', exists: true } },
          { id: 'rel', level: 'Silver', rule: { relation: 'owned by', minCount: 3, maxCount: 1 } },
          { id: 'deep', level: 'Silver', rule: { allOf: [{ not: { field: 'x', bogus: 1 } }] } },
          { id: 'norule', level: 'Silver' },
        ],
        campaigns: [{ id: 'c', level: 'Gold', deadline: '2027-02-30' }],
      }),
    );
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.message]));
    expect(Object.keys(byPath)).toEqual([
      'spec.extra',
      'spec.checks[0].id',
      'spec.checks[1].level',
      'spec.checks[1].rule.gte',
      'spec.checks[2].id',
      'spec.checks[2].rule.matches',
      'spec.checks[3].rule.equals',
      'spec.checks[4].rule',
      'spec.checks[5].rule',
      'spec.checks[6].rule.relation',
      'spec.checks[6].rule.maxCount',
      'spec.checks[7].rule.allOf[0].not.bogus',
      'spec.checks[8].rule',
      'spec.campaigns[0].level',
      'spec.campaigns[0].deadline',
    ]);
    expect(byPath['spec.checks[1].level']).toMatch(
      /one of the levels Bronze, Silver .* did you mean/,
    );
    expect(byPath['spec.checks[1].rule.gte']).toBe(
      '"spec.checks[1].rule.gte" must be a number but found "eighty"',
    );
    expect(byPath['spec.checks[2].id']).toMatch(/used twice/);
    expect(byPath['spec.checks[2].rule.matches']).toMatch(/could backtrack catastrophically/);
    expect(byPath['spec.checks[3].rule.equals']).toMatch(/has both exists and equals/);
    expect(byPath['spec.checks[4].rule']).toMatch(/needs an operator/);
    expect(byPath['spec.checks[5].rule']).toMatch(/has both field and fact/);
    expect(byPath['spec.checks[6].rule.maxCount']).toMatch(/below minCount/);
    expect(byPath['spec.checks[7].rule.allOf[0].not.bogus']).toMatch(/is not an operator/);
    expect(byPath['spec.campaigns[0].deadline']).toMatch(/YYYY-MM-DD/);
  });

  it('requires levels and checks within their limits', () => {
    const paths = (spec: Record<string, unknown>) =>
      validateScorecard(scorecard(spec)).map((e) => e.path);
    expect(paths({})).toEqual(['spec.levels', 'spec.checks']);
    expect(paths({ levels: Array.from({ length: 11 }, (_, i) => `L${i}`), checks: [] })).toEqual([
      'spec.levels',
      'spec.checks',
    ]);
    expect(
      paths({
        levels: ['A', 'a'],
        checks: [{ id: 'x', level: 'A', rule: { relation: 'partOf' } }],
      }),
    ).toEqual(['spec.levels[1]']);
  });

  it('throws the list of defects', () => {
    let thrown: unknown;
    try {
      compileScorecard(scorecard({ levels: [], checks: [] }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScorecardErrors);
    expect(Array.isArray(thrown)).toBe(true);
    expect((thrown as ScorecardErrors).map((e) => e.path)).toEqual(['spec.levels', 'spec.checks']);
    expect((thrown as ScorecardErrors).message).toMatch(/^Invalid scorecard: spec\.levels: /);
  });
});
