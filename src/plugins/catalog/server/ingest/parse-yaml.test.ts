import { describe, expect, it } from 'vitest';
import { parseYamlFile } from './parse-yaml.ts';

const file = [
  'apiVersion: backstage.io/v1alpha1', // 1
  'kind: Component', // 2
  'metadata:', // 3
  '  name: a', // 4
  '  annotations:', // 5
  '    backstage.io/view-url: x', // 6
  '  tags:', // 7
  '    - one', // 8
  '    - Two', // 9
  '---', // 10
  'when: 2021-01-01', // 11
  'merge: { <<: { a: 1 } }', // 12
].join('\n');

describe('parseYamlFile', () => {
  it('maps field paths to lines, including keys with dots and list items', () => {
    const parsed = parseYamlFile(file);
    expect(parsed.documents).toHaveLength(2);
    expect(parsed.lineOf(0, 'metadata["annotations"]["backstage.io/view-url"]')).toBe(6);
    expect(parsed.lineOf(0, 'metadata.tags[1]')).toBe(9);
    expect(parsed.lineOf(0, 'spec.owner')).toBe(1);
    expect(parsed.documents[1]!.line).toBe(11);
  });

  it('keeps dates as strings and merge keys as plain keys, as Backstage reads YAML', () => {
    const [, second] = parseYamlFile(file).documents;
    expect(second!.value).toEqual({ when: '2021-01-01', merge: { '<<': { a: 1 } } });
  });

  it('recovers after a document with a syntax error', () => {
    const parsed = parseYamlFile(['a: 1', '---', 'b: [unclosed', 'c: 2', '---', 'd: 3'].join('\n'));
    expect(parsed.documents.map((d) => d.value ?? null)).toEqual([{ a: 1 }, null, { d: 3 }]);
    expect(parsed.documents[1]!.error?.line).toBeGreaterThanOrEqual(3);
  });
});

describe('parseYamlFile syntax errors', () => {
  it('gives the column, and keeps a colon that belongs to what the message quotes', () => {
    expect(parseYamlFile('a: 1\nb: c: d\n').documents[0]!.error).toEqual({
      message: 'Nested mappings are not allowed in compact mappings',
      line: 2,
      column: 4,
    });
    // The reason ends in the tag's own colon: cutting it used to leave "…: " dangling.
    expect(parseYamlFile('x: !!!!str:\n').documents[0]!.error?.message).toBe(
      'Could not resolve tag: !!!!str:',
    );
  });

  it('does not echo a long stretch of the file in the message', () => {
    const paragraph = 'This is prose, not YAML, and it goes on for a while about nothing.';
    // Markdown: a paragraph, a heading (a YAML comment), another paragraph.
    const { message } = parseYamlFile(`Intro.\n\n## Part\n\n${paragraph}\n${paragraph}\n`)
      .documents[0]!.error!;
    expect(message).toBe('Unexpected scalar token in YAML stream');
    expect(message.length).toBeLessThanOrEqual(200);
  });
});
