import { describe, expect, it } from 'vitest';
import { formatFieldPath, parseFieldPath, valueAtPath } from './field-path.ts';

describe('parseFieldPath', () => {
  it('reads dotted keys, quoted keys in brackets and list indexes', () => {
    expect(parseFieldPath('metadata.description')).toEqual({
      segments: ['metadata', 'description'],
    });
    expect(parseFieldPath('metadata.annotations["backstage.io/techdocs-ref"]')).toEqual({
      segments: ['metadata', 'annotations', 'backstage.io/techdocs-ref'],
    });
    expect(parseFieldPath("metadata.labels['a.b/c']")).toEqual({
      segments: ['metadata', 'labels', 'a.b/c'],
    });
    expect(parseFieldPath('spec.tags[0]')).toEqual({ segments: ['spec', 'tags', 0] });
    expect(parseFieldPath('metadata.annotations["a\\"b"].x')).toEqual({
      segments: ['metadata', 'annotations', 'a"b', 'x'],
    });
  });

  it('refuses malformed paths, saying how to write keys with dots or slashes', () => {
    expect(parseFieldPath('metadata.annotations.backstage.io/techdocs-ref').error).toMatch(
      /has "\/" in a key; .*brackets and quotes.*metadata\.annotations\["backstage\.io\/techdocs-ref"\]/,
    );
    expect(parseFieldPath('').error).toMatch(/is empty/);
    expect(parseFieldPath('a..b').error).toMatch(/empty key/);
    expect(parseFieldPath('a.').error).toMatch(/ends with/);
    expect(parseFieldPath('a["b').error).toMatch(/unclosed quote/);
    expect(parseFieldPath('a[b]').error).toMatch(/quoted key .* or a list index/);
    expect(parseFieldPath('a["b"]c').error).toMatch(/needs "\." or "\["/);
  });

  it('formats paths back the way problems show them', () => {
    const parsed = parseFieldPath('metadata.annotations["backstage.io/techdocs-ref"]');
    expect(formatFieldPath(parsed.error === undefined ? parsed.segments : [])).toBe(
      'metadata.annotations["backstage.io/techdocs-ref"]',
    );
  });
});

describe('valueAtPath', () => {
  it('reads own properties and list items only', () => {
    const entity = { metadata: { tags: ['a', 'b'], annotations: { 'x.io/y': 'v' } } };
    expect(valueAtPath(entity, ['metadata', 'tags', 1])).toBe('b');
    expect(valueAtPath(entity, ['metadata', 'annotations', 'x.io/y'])).toBe('v');
    expect(valueAtPath(entity, ['metadata', 'constructor'])).toBeUndefined();
    expect(valueAtPath(entity, ['metadata', 'tags', 'length'])).toBeUndefined();
    expect(valueAtPath(entity, ['metadata', 'missing', 'deeper'])).toBeUndefined();
  });
});
