import { describe, expect, it } from 'vitest';
import { compileSafeRegex } from './regex-safety.ts';

const refused = (source: string) => {
  const result = compileSafeRegex(source);
  return 'error' in result ? result.error : undefined;
};

describe('compileSafeRegex', () => {
  it.each([
    '(a+)+',
    '(a+)+$',
    '(a*)*',
    '(a|a)*',
    '(a|ab)*c',
    '^(\\w+\\s?)*$',
    '(\\w+\\.\\w+)*',
    '(a*b*)*',
    '(.*,)*x',
    '(?:x+x+)+y',
    '([a-z]+)*$',
    '(\\d+|\\w+)+',
    '(?=(a+)+b)',
    '(a{1,3}){2,}',
  ])('refuses %s as catastrophic', (source) => {
    expect(refused(source)).toMatch(/could backtrack catastrophically/);
  });

  it.each([
    '^[a-z0-9-]+$',
    '^\\w+(\\.\\w+)*$',
    '^(\\d{1,3}\\.){3}\\d{1,3}$',
    '(a+b+)*',
    '(a|b)*',
    '^(foo|bar)+$',
    '^https://github\\.com/[^/]+/[^/]+$',
    '^v\\d+\\.\\d+\\.\\d+(-[a-z0-9.]+)?$',
    '^([a-z]+-)*[a-z]+$',
    'payments',
    '.*',
  ])('accepts %s', (source) => {
    const result = compileSafeRegex(source);
    expect('regex' in result && result.regex.source).toBe(new RegExp(source).source);
  });

  it('refuses back-references and invalid patterns with their own message', () => {
    expect(refused('(a)\\1')).toMatch(/back-reference/);
    expect(refused('[')).toMatch(/is not a valid regular expression/);
    expect(refused('a'.repeat(1001))).toMatch(/at most 1000/);
  });
});
