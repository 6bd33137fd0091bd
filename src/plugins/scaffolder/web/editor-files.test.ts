import { describe, expect, it } from 'vitest';
import { bytesToBase64, decodeFile, fileTree, parseTemplateYaml } from './editor-files.ts';

describe('parseTemplateYaml', () => {
  it('reports a syntax error with its line', () => {
    const { template, problems } = parseTemplateYaml('kind: Template\nspec:\n  steps: [\n');
    expect(template).toBeUndefined();
    expect(problems[0]?.line).toBeGreaterThanOrEqual(3);
    expect(problems[0]?.message).toBeTruthy();
  });

  it('names the line of a wrong kind or apiVersion', () => {
    const { template, problems } = parseTemplateYaml(
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nspec:\n  steps: []\n',
    );
    expect(template?.kind).toBe('Component');
    expect(problems).toEqual([
      { line: 2, message: 'kind must be "Template", not "Component"' },
      { line: 1, message: 'apiVersion must be "scaffolder.backstage.io/v1beta3"' },
    ]);
  });

  it('accepts a template', () => {
    const { template, problems } = parseTemplateYaml(
      'apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec:\n  steps: []\n',
    );
    expect(problems).toEqual([]);
    expect(template?.metadata).toEqual({ name: 'x' });
    expect(parseTemplateYaml('- a\n- b\n').problems[0]?.message).toContain('mapping');
    expect(parseTemplateYaml('   ').problems[0]?.message).toContain('Paste');
  });
});

describe('dry-run files', () => {
  it('builds a tree, folders first', () => {
    expect(fileTree(['b.txt', 'src/z.js', 'src/a/x.js', 'a.txt'])).toEqual([
      {
        name: 'src',
        path: 'src',
        children: [
          { name: 'a', path: 'src/a', children: [{ name: 'x.js', path: 'src/a/x.js' }] },
          { name: 'z.js', path: 'src/z.js' },
        ],
      },
      { name: 'a.txt', path: 'a.txt' },
      { name: 'b.txt', path: 'b.txt' },
    ]);
  });

  it('decodes UTF-8 text and marks binary content', () => {
    const text = bytesToBase64(new TextEncoder().encode('name: café ✓\n'));
    expect(decodeFile(text)).toEqual({ text: 'name: café ✓\n' });
    expect(decodeFile(bytesToBase64(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1])))).toEqual({
      binary: 6,
    });
    expect(decodeFile(bytesToBase64(new Uint8Array([0xff, 0xfe, 0x41])))).toEqual({ binary: 3 });
    const big = new Uint8Array(100_000).fill(65);
    expect(decodeFile(bytesToBase64(big))).toEqual({ text: 'A'.repeat(100_000) });
  });
});
