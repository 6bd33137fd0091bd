import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../model/entity.ts';
import { compileScorecard, scoreEntity, scorecardMatches } from './evaluate.ts';

/** Fixed so that CI is repeatable; FC_SEED explores others (FC_RUNS multiplies the runs). */
const SEED = Number(process.env.FC_SEED ?? 20261214);
const RUNS = Number(process.env.FC_RUNS ?? 1);

const card = compileScorecard({
  apiVersion: 'atrium.io/v1alpha1',
  kind: 'Scorecard',
  metadata: { name: 'everything', namespace: 'default' },
  spec: {
    filter: [
      { kind: 'Component' },
      { 'metadata.tags': 'x', 'relations.ownedBy': 'group:default/a' },
    ],
    levels: ['One', 'Two', 'Three'],
    checks: [
      { id: 'a', level: 'One', rule: { field: 'metadata.description', exists: true } },
      {
        id: 'b',
        level: 'One',
        rule: { field: 'metadata.annotations["a.io/b"]', matches: '^[a-z]+$' },
      },
      { id: 'c', level: 'One', rule: { field: 'metadata.tags', contains: 'java' } },
      { id: 'd', level: 'Two', rule: { field: 'spec.replicas', gte: 2 } },
      { id: 'e', level: 'Two', rule: { field: 'metadata.tags', minItems: 1 } },
      { id: 'f', level: 'Two', rule: { field: 'spec.type', in: ['service', 'website'] } },
      { id: 'g', level: 'Two', rule: { field: 'spec', equals: { a: [1] } } },
      { id: 'h', level: 'Three', rule: { fact: 'ci.coverage', lt: 80 } },
      {
        id: 'i',
        level: 'Three',
        rule: {
          relation: 'ownedBy',
          minCount: 1,
          maxCount: 3,
          target: { kind: 'Group', 'metadata.links.url': 'x' },
        },
      },
      {
        id: 'j',
        level: 'Three',
        rule: {
          anyOf: [
            { not: { fact: 'x.y', exists: false } },
            {
              allOf: [
                { field: 'metadata.name', matches: 'a' },
                { fact: 'z', gt: 1 },
              ],
            },
          ],
        },
      },
    ],
  },
} as Entity);

describe('scoreEntity on arbitrary input', () => {
  it('never throws and always gives a level, a rank and every check', () => {
    const anyValue = fc.anything({ maxDepth: 4 });
    const entityLike = fc.oneof(
      anyValue,
      fc.record(
        {
          apiVersion: anyValue,
          kind: fc.oneof(fc.constantFrom('Component', 'Group'), anyValue),
          metadata: fc.oneof(
            anyValue,
            fc.record(
              {
                name: anyValue,
                description: anyValue,
                tags: fc.oneof(anyValue, fc.array(anyValue)),
                annotations: fc.oneof(anyValue, fc.dictionary(fc.string(), anyValue)),
                links: fc.array(anyValue),
              },
              { requiredKeys: [] },
            ),
          ),
          spec: anyValue,
          relations: anyValue,
        },
        { requiredKeys: [] },
      ),
    );
    const relation = fc.oneof(
      fc.record({ type: fc.constantFrom('ownedBy', 'OWNEDBY', 'partOf'), targetRef: fc.string() }),
      anyValue,
    );
    fc.assert(
      fc.property(
        entityLike,
        fc.array(relation, { maxLength: 6 }),
        fc.array(fc.tuple(fc.string(), entityLike), { maxLength: 4 }),
        fc.array(fc.tuple(fc.constantFrom('ci.coverage', 'x.y', 'z', 'other'), anyValue), {
          maxLength: 4,
        }),
        (entity, relations, targets, facts) => {
          const input = {
            entity: entity as Entity,
            relations: relations as never,
            targets: new Map(targets as [string, Entity][]),
            facts: new Map(facts),
          };
          scorecardMatches(card, entity as Entity);
          const score = scoreEntity(card, input);
          expect(score.checks.map((c) => c.id)).toEqual([
            'a',
            'b',
            'c',
            'd',
            'e',
            'f',
            'g',
            'h',
            'i',
            'j',
          ]);
          expect(score.rank).toBeGreaterThanOrEqual(0);
          expect(score.level).toBe(score.rank ? card.spec.levels[score.rank - 1] : null);
          for (const check of score.checks) {
            expect(['passed', 'failed', 'unknown']).toContain(check.status);
            expect(typeof check.reason).toBe('string');
            expect(check.reason).not.toMatch(/could not be evaluated/);
            // Values are stored as JSON.
            expect(() => JSON.stringify(check.value)).not.toThrow();
          }
        },
      ),
      { seed: SEED, numRuns: 500 * RUNS },
    );
  });
});
