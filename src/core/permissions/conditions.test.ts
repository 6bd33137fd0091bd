import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testKnown } from '../../../test/fixtures/policies/known.ts';
import {
  checkPermissionPattern,
  knownNames,
  normalizeRef,
  suggest,
  withActions,
} from './conditions.ts';
import type { PolicyProblem } from './policy-model.ts';
import { parsePolicyYaml } from './policy-yaml.ts';
import { parseRhdhConditional } from './rhdh-conditional.ts';
import { parseRhdhCsv } from './rhdh-csv.ts';

/** Fixed so that CI is repeatable; FC_SEED explores others (FC_RUNS multiplies the runs). */
const SEED = Number(process.env.FC_SEED ?? 20261212);
const RUNS = Number(process.env.FC_RUNS ?? 1);

describe('permission patterns', () => {
  const known = testKnown();

  it('names exact permissions, prefix globs, * and resource types', () => {
    expect(checkPermissionPattern('catalog.entity.read', known)).toEqual({
      covered: ['catalog.entity.read'],
    });
    expect(checkPermissionPattern('search.*', known)).toEqual({
      covered: ['search.query', 'search.reindex'],
    });
    expect(checkPermissionPattern('scaffolder-template', known).covered?.sort()).toEqual([
      'scaffolder.template.parameter.read',
      'scaffolder.template.step.read',
    ]);
    expect(checkPermissionPattern('*', known).covered).toHaveLength(known.permissions.size);
  });

  it('narrows by action, a permission without one counting as use', () => {
    const all = [...known.permissions];
    expect(withActions(all, ['use'], known).sort()).toEqual([
      'catalog.entity.validate',
      'catalog.location.analyze',
      'scaffolder.action.execute',
      'scaffolder.task.cancel',
      'scaffolder.template.dry-run',
    ]);
  });

  it('cannot tell what a resource type covers without the permissions’ types', () => {
    const bare = {
      permissions: new Set(['catalog.entity.read']),
      resourceTypes: new Set(['catalog-entity']),
    };
    expect(checkPermissionPattern('catalog-entity', bare)).toEqual({});
  });

  it('collects the rules each resource type declares', () => {
    const names = knownNames([{ name: 'x.read', resourceType: 'x-thing' }], [], ['r']);
    expect(names.resourceTypes).toEqual(new Set(['x-thing']));
    expect(names.roles).toEqual(new Set(['r']));
  });
});

describe('refs and suggestions', () => {
  it('normalises user and group refs', () => {
    expect(normalizeRef(' Group:Team-A ', ['user', 'group'])).toBe('group:default/team-a');
    expect(normalizeRef('user:payments/ada', ['user', 'group'])).toBe('user:payments/ada');
    expect(normalizeRef('component:x', ['user', 'group'])).toBeUndefined();
    expect(normalizeRef('user:a/b/c', ['user', 'group'])).toBeUndefined();
    expect(normalizeRef(`user:${'a'.repeat(64)}`, ['user', 'group'])).toBeUndefined();
  });

  it('suggests only what is close', () => {
    expect(suggest('catalog.entity.reed', ['catalog.entity.read', 'search.query'])).toBe(
      'catalog.entity.read',
    );
    expect(suggest('kubernetes.proxy', ['catalog.entity.read', 'search.query'])).toBeUndefined();
  });
});

/** Every problem names the file, and a line within the text when it has one. */
function wellFormed(problems: PolicyProblem[], file: string, text: string) {
  const lines = text.split(/\r\n|\n|\r/).length;
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    if (p.line !== undefined) {
      expect(Number.isInteger(p.line)).toBe(true);
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.line).toBeLessThanOrEqual(lines + 1);
    }
  }
}

const PARSERS = {
  'Atrium YAML': parsePolicyYaml,
  'RHDH CSV': parseRhdhCsv,
  'RHDH conditional': parseRhdhConditional,
};

/** Values a policy file could plausibly hold, including the wrong ones. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom(
      'everyone',
      'catalog.entity.delete',
      'catalog.*',
      '*',
      'catalog-entity',
      'user:default/jane',
      'group:team-a',
      'role:default/a',
      '$ownerRefs',
      'isEntityOwner',
      'IS_ENTITY_OWNER',
      'read',
      'CONDITIONAL',
      null,
      true,
      false,
      0,
      -1,
    ),
    fc.string({ maxLength: 12 }),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'roles',
        'rules',
        'name',
        'members',
        'allow',
        'deny',
        'actions',
        'when',
        'not',
        'allOf',
        'anyOf',
        'isEntityOwner',
        'hasSpec',
        'rule',
        'params',
        'resourceType',
        'claims',
        'key',
        'result',
        'roleEntityRef',
        'pluginId',
        'permissionMapping',
        'conditions',
      ),
      fc.string({ maxLength: 8 }),
    ),
    tie('node'),
    { maxKeys: 5 },
  ),
})).node;

describe('parsing never throws', () => {
  for (const [label, parse] of Object.entries(PARSERS)) {
    it(`${label}: arbitrary text gives problems, never an exception`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.string({ unit: 'grapheme', maxLength: 200 }),
            fc
              .array(
                fc.constantFrom(
                  'p',
                  'g',
                  ',',
                  '"',
                  ' ',
                  '\n',
                  '#',
                  'role:default/a',
                  'read',
                  'allow',
                  ':',
                  '-',
                  '[',
                  '{',
                  '---\n',
                  '&a',
                  '*a',
                  '  ',
                ),
                { maxLength: 60 },
              )
              .map((parts) => parts.join('')),
          ),
          (text) => {
            const { policy, problems } = parse(text, 'f', testKnown());
            expect(Array.isArray(policy.rules)).toBe(true);
            wellFormed(problems, 'f', text);
          },
        ),
        { seed: SEED, numRuns: 400 * RUNS },
      );
    });

    it(`${label}: arbitrary YAML structures give problems, never an exception`, () => {
      fc.assert(
        fc.property(value, fc.boolean(), (data, multi) => {
          const text = multi ? `${stringify(data)}---\n${stringify(data)}` : stringify(data);
          const { problems } = parse(text, 'f', testKnown());
          wellFormed(problems, 'f', text);
        }),
        { seed: SEED, numRuns: 400 * RUNS },
      );
    });
  }

  it('hostile YAML: deep nesting and alias bombs', () => {
    const deepFlow = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const deepBlock = `${'- '.repeat(20000)}x\n`;
    const deepMaps = Array.from({ length: 2500 }, (_, i) => `${' '.repeat(i)}not:`).join('\n');
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
      'rules: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
    ].join('\n');
    for (const parse of Object.values(PARSERS)) {
      for (const text of [deepFlow, deepBlock, deepMaps, bomb]) {
        const { problems } = parse(text, 'f', testKnown());
        expect(problems.length).toBeGreaterThan(0);
        wellFormed(problems, 'f', text);
      }
    }
    expect(parsePolicyYaml(bomb, 'f', testKnown()).problems).toEqual([
      { file: 'f', line: 1, message: 'This document expands its aliases more than 1000 times' },
    ]);
  });
});
