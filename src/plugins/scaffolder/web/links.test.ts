import { describe, expect, it } from 'vitest';
import { entityRefPath, linkTarget } from './links.ts';

describe('output links', () => {
  const sections = ['', 'catalog', 'create', 'docs'];

  it('links http(s) URLs and pages of the portal, nothing else', () => {
    expect(linkTarget('https://github.com/o/r', sections)).toEqual({
      external: 'https://github.com/o/r',
    });
    expect(linkTarget('http://localhost:7007/x', sections)).toEqual({
      external: 'http://localhost:7007/x',
    });
    expect(linkTarget('/catalog/default/component/x', sections)).toEqual({
      internal: '/catalog/default/component/x',
    });
    expect(linkTarget('/', sections)).toEqual({ internal: '/' });
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      '//evil.example.com/x',
      '/\\evil.example.com',
      '/tmp/repos/x.git',
      'file:///etc/passwd',
      'vbscript:x',
      undefined,
      42,
    ]) {
      expect(linkTarget(bad, sections), String(bad)).toBeUndefined();
    }
  });

  it('turns entity refs into entity page paths', () => {
    expect(entityRefPath('component:default/parcel-locker')).toBe(
      '/catalog/default/component/parcel-locker',
    );
    expect(entityRefPath('Group:Ops/Team A')).toBe('/catalog/ops/group/Team%20A');
    expect(entityRefPath('parcel-locker')).toBe('/catalog/default/component/parcel-locker');
    expect(entityRefPath('')).toBeUndefined();
    expect(entityRefPath('a:')).toBeUndefined();
  });
});
