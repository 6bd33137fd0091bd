import { describe, expect, it } from 'vitest';
import { resultLink } from './location.ts';

const ORIGIN = 'http://portal.example:7007';

describe('resultLink', () => {
  it('opens portal paths with the router, keeping query and heading', () => {
    expect(resultLink('/catalog/default/component/a', ORIGIN)).toEqual({
      kind: 'internal',
      to: '/catalog/default/component/a',
    });
    expect(resultLink('/docs/default/component/a/guide/deploy/#roll-back', ORIGIN)).toEqual({
      kind: 'internal',
      to: '/docs/default/component/a/guide/deploy/#roll-back',
    });
    expect(resultLink('catalog/x?y=1', ORIGIN)).toEqual({ kind: 'internal', to: '/catalog/x?y=1' });
    // an absolute URL on the portal itself needs no reload either
    expect(resultLink(`${ORIGIN}/catalog/a`, ORIGIN)).toEqual({
      kind: 'internal',
      to: '/catalog/a',
    });
  });

  it('links other http(s) URLs as they are', () => {
    expect(resultLink('https://wiki.example/page', ORIGIN)).toEqual({
      kind: 'external',
      href: 'https://wiki.example/page',
    });
    // protocol-relative and backslash spellings leave the portal: external, not router paths
    expect(resultLink('//evil.example/x', ORIGIN)).toEqual({
      kind: 'external',
      href: 'http://evil.example/x',
    });
    expect(resultLink('/\\evil.example/x', ORIGIN)).toEqual({
      kind: 'external',
      href: 'http://evil.example/x',
    });
  });

  it('refuses every other scheme, however it is spelled', () => {
    for (const location of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'java\nscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'mailto:a@b.example',
      '',
      '   ',
      undefined,
      42,
      { toString: () => '/catalog' },
    ]) {
      expect(resultLink(location, ORIGIN), String(location)).toEqual({ kind: 'refused' });
    }
  });
});
