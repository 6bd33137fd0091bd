import { describe, expect, it } from 'vitest';
import { SNIPPET_WIDTH, sourceSnippet } from './source-snippet.ts';

describe('sourceSnippet', () => {
  it('shows the line with a caret under the column', () => {
    const content = 'a: 1\nmetadata:\n  name: x: y\n';
    expect(sourceSnippet(content, 3, 9)).toBe(['  3 |   name: x: y', '    |         ^'].join('\n'));
  });

  it('cuts a long line around the column, within the width', () => {
    const line = `${'x'.repeat(5000)}: bad: here${'y'.repeat(5000)}`;
    const snippet = sourceSnippet(`ok: 1\n${line}\n`, 2, 5003)!;
    const [text, caret] = snippet.split('\n');
    expect(text!.length).toBeLessThanOrEqual(SNIPPET_WIDTH + 10);
    expect(text).toContain('…');
    // The caret stands under the character the column names.
    expect(text![caret!.indexOf('^')]).toBe(line[5002]);
  });

  it('shows tabs and control characters as one visible column each', () => {
    const snippet = sourceSnippet('\tkey: \u001b[31mred\n', 1, 1)!;
    expect(snippet).toBe(['  1 | →key: ?[31mred', '    | ^'].join('\n'));
    expect(snippet).not.toContain('\u001b');
  });

  it('gives nothing for a line the file does not have, or an empty one', () => {
    expect(sourceSnippet('a: 1\n', 5, 1)).toBeUndefined();
    expect(sourceSnippet('a: "open\n', 2, 1)).toBeUndefined();
  });
});
