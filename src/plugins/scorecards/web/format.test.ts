import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import {
  describeDistribution,
  distributionKeys,
  formatValue,
  fullValue,
  levelHue,
  linkify,
  percent,
  rankOf,
  relativeDays,
} from './format.ts';
import { PlainText } from './ui.tsx';

describe('percent', () => {
  it('rounds, but never shows 100% for a rate below 1', () => {
    expect(percent(0.834)).toBe('83%');
    expect(percent(1)).toBe('100%');
    expect(percent(0.998)).toBe('99%');
    expect(percent(0)).toBe('0%');
    expect(percent(Number.NaN)).toBe('–');
  });
});

describe('levels', () => {
  it('ranks level names case-insensitively, 0 for none or an unknown name', () => {
    const levels = ['Bronze', 'Silver', 'Gold'];
    expect(rankOf(levels, 'gold')).toBe(3);
    expect(rankOf(levels, null)).toBe(0);
    expect(rankOf(levels, 'Platinum')).toBe(0);
  });

  it('gives each level of a scorecard its own hue, lowest to highest, and none no hue', () => {
    expect(levelHue(0, 3)).toBeUndefined();
    const hues = [1, 2, 3].map((r) => levelHue(r, 3)!);
    expect(hues[0]).toBeLessThan(hues[1]!);
    expect(hues[1]).toBeLessThan(hues[2]!);
    expect(hues[2]! - hues[0]!).toBeGreaterThan(120);
    expect(levelHue(1, 1)).toBeDefined();
  });

  it('orders a distribution highest level first and describes it in a sentence', () => {
    expect(distributionKeys(['Bronze', 'Silver', 'Gold'])).toEqual([
      'Gold',
      'Silver',
      'Bronze',
      'none',
    ]);
    expect(
      describeDistribution(['Bronze', 'Silver', 'Gold'], {
        Bronze: 4,
        Silver: 0,
        Gold: 2,
        none: 7,
      }),
    ).toBe('2 Gold, 4 Bronze, 7 with no level');
    expect(describeDistribution(['A'], { A: 0, none: 0 })).toBe('no entities');
  });
});

describe('values as seen', () => {
  it('keeps scalars, clips long text and describes lists and objects', () => {
    expect(formatValue(72)).toBe('72');
    expect(formatValue(false)).toBe('false');
    expect(formatValue('dir:.')).toBe('dir:.');
    expect(formatValue('x'.repeat(300))).toHaveLength(80);
    expect(formatValue(['go', 'kafka'])).toBe('[go, kafka]');
    expect(formatValue([{ url: 'https://a' }, { url: 'https://b' }])).toBe('a list of 2 items');
    expect(formatValue(undefined)).toBe('');
  });

  it('offers the whole value only when the shown one is shortened', () => {
    expect(fullValue([{ url: 'https://a' }])).toBe('[{"url":"https://a"}]');
    expect(fullValue('short')).toBeUndefined();
    expect(fullValue(3)).toBeUndefined();
  });
});

describe('relativeDays', () => {
  const now = new Date('2026-12-06T15:00:00Z');
  it('counts whole days from today', () => {
    expect(relativeDays('2026-12-06T01:00:00Z', now)).toBe('today');
    expect(relativeDays('2026-12-05', now)).toBe('yesterday');
    expect(relativeDays('2026-11-06', now)).toBe('30 days ago');
    expect(relativeDays('2027-03-31', now)).toBe('in 115 days');
  });
});

describe('fix texts', () => {
  it('finds http(s) links in plain text, leaving trailing punctuation out', () => {
    expect(linkify('See https://backstage.io/docs/x). Then retry.')).toEqual([
      { text: 'See ' },
      { text: 'https://backstage.io/docs/x', href: 'https://backstage.io/docs/x' },
      { text: '). Then retry.' },
    ]);
    expect(linkify('no links, javascript:alert(1)')).toEqual([
      { text: 'no links, javascript:alert(1)' },
    ]);
  });

  it('renders markup in a fix text as text, never as HTML', () => {
    const html = renderToStaticMarkup(
      createElement(PlainText, {
        text: '<img src=x onerror=alert(1)> see https://example.com/a?b=<script>',
      }),
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain(
      '<a href="https://example.com/a?b=" target="_blank" rel="noopener noreferrer">',
    );
  });
});
