import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKindRegistry } from '../../../../model/index.ts';
import { parseYamlFile } from './parse-yaml.ts';
import { validateText } from './validate-text.ts';

/** Fixed so that CI is repeatable; FC_SEED explores others (FC_RUNS multiplies the runs). */
const SEED = Number(process.env.FC_SEED ?? 20261205);
const RUNS = Number(process.env.FC_RUNS ?? 1);

/** Pieces of YAML that tend to combine into interesting (and broken) documents. */
const token = fc.constantFrom(
  'apiVersion: backstage.io/v1alpha1\n',
  'kind: Component\n',
  'kind: Location\n',
  'metadata:\n',
  '  name: a\n',
  '  name: *x\n',
  '  name: &x b\n',
  '  tags: [a, b\n',
  '  annotations: {a: 1}\n',
  'spec:\n',
  '  type: service\n',
  '  owner: group:default/x\n',
  '  targets: [./x.yaml, /etc/passwd]\n',
  '---\n',
  '...\n',
  '- item\n',
  '? complex\n',
  ': value\n',
  '!!binary aGVsbG8=\n',
  '!custom tag\n',
  '"unterminated\n',
  "'quoted'\n",
  '|\n  block\n',
  '>-\n  folded\n',
  '\t tab\n',
  '[[[[[[[[[[\n',
  ']]]]\n',
  '{{{{\n',
  '&a [*a]\n',
  '<<: *x\n',
  '# comment\n',
  '\u0000\n',
  '\uFEFF',
  '$text: ./x.md\n',
);
const yamlish = fc.oneof(
  fc.array(token, { maxLength: 40 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 300 }),
  fc
    .tuple(
      fc.array(token, { maxLength: 10 }),
      fc.string({ maxLength: 50 }),
      fc.array(token, { maxLength: 10 }),
    )
    .map(([a, s, b]) => [...a, s, ...b].join('')),
);

describe('YAML ingestion never throws (property)', () => {
  it('parseYamlFile gives each document a value or an error', () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        const parsed = parseYamlFile(text);
        for (const doc of parsed.documents) {
          expect(doc.error === undefined || doc.value === undefined).toBe(true);
          parsed.lineOf(doc.index, 'metadata.name');
        }
      }),
      { numRuns: 2000 * RUNS, seed: SEED },
    );
  });

  it('validating any text yields entities or problems, never an exception', async () => {
    const registry = createKindRegistry([]);
    await fc.assert(
      fc.asyncProperty(yamlish, async (text) => {
        const { entities, problems } = await validateText(text, 'catalog-info.yaml', {
          registry,
          processors: [],
        });
        expect(Array.isArray(entities) && Array.isArray(problems)).toBe(true);
        for (const problem of problems) {
          expect(problem.message.length).toBeGreaterThan(0);
          expect(problem.file).toBe('catalog-info.yaml');
        }
      }),
      { numRuns: 1000 * RUNS, seed: SEED },
    );
  });
});
