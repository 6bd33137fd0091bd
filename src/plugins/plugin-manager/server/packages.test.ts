import { describe, expect, it } from 'vitest';
import { isCompatible } from './compatibility.ts';
import { integrityMatches, sriOf } from './integrity.ts';
import { classifySource } from './packages.ts';

describe('classifySource', () => {
  it('tells folders, tarballs, URLs and registry specs apart', () => {
    const at = (spec: string) => classifySource(spec, '/app');
    expect(at('./plugins-src/links')).toEqual({
      kind: 'folder',
      spec: './plugins-src/links',
      target: '/app/plugins-src/links',
    });
    expect(at('../vendor/links-1.2.0.tgz')).toMatchObject({
      kind: 'tarball',
      target: '/vendor/links-1.2.0.tgz',
    });
    expect(at('file:vendor/links.tar.gz')).toMatchObject({
      kind: 'tarball',
      target: '/app/vendor/links.tar.gz',
    });
    expect(at('/opt/links')).toMatchObject({ kind: 'folder', target: '/opt/links' });
    expect(at('https://example.com/links-1.2.0.tgz').kind).toBe('url');
    expect(at('http://127.0.0.1:8080/links.tgz').kind).toBe('url');
    for (const spec of ['@acme/atrium-plugin-links@1.2.0', 'links', 'links@^1.2', 'x@latest']) {
      expect(at(spec), spec).toMatchObject({ kind: 'registry', target: spec });
    }
  });

  it('refuses plain http to other hosts and what is none of these', () => {
    expect(() => classifySource('http://example.com/links.tgz', '/app')).toThrow(
      'plugin tarballs are downloaded over https only',
    );
    expect(() => classifySource('plugins src/links', '/app')).toThrow(
      "'plugins src/links' is neither a path (start it with ./ or /)",
    );
  });
});

describe('integrity', () => {
  const bytes = Buffer.from('a tarball');

  it('matches any supported hash of an SRI list, as npm does', () => {
    const sha512 = sriOf(bytes);
    expect(sha512).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(integrityMatches(sha512, bytes)).toBe(true);
    expect(integrityMatches(`sha1-xyz ${sriOf(bytes, 'sha256')}`, bytes)).toBe(true);
    expect(integrityMatches(sriOf(Buffer.from('another')), bytes)).toBe(false);
    expect(integrityMatches('md5-abc', bytes)).toBe(false);
  });
});

describe('isCompatible', () => {
  it('takes the same major, not newer than the host', () => {
    expect(isCompatible('1.0.0', '1.0.0')).toBe(true);
    expect(isCompatible('1.0.0', '1.3.0')).toBe(true);
    expect(isCompatible('1.2.0', '1.3.1')).toBe(true);
    expect(isCompatible('1.4.0', '1.3.1')).toBe(false);
    expect(isCompatible('1.3.2', '1.3.1')).toBe(false);
    expect(isCompatible('2.0.0', '1.3.1')).toBe(false);
    expect(isCompatible('0.9.0', '1.0.0')).toBe(false);
    expect(isCompatible('one', '1.0.0')).toBe(false);
  });
});
