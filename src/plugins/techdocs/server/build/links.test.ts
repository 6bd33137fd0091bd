import { describe, expect, it } from 'vitest';
import { resolveSitePath } from '../../common/index.ts';
import { LinkResolver } from './links.ts';

const pages = new Map([
  ['index.md', ''],
  ['guide/deploy.md', 'guide/deploy'],
  ['guide/rollback.md', 'guide/rollback'],
  ['guide/index.md', 'guide'],
  ['my page.md', 'my page'],
]);
const resolver = new LinkResolver(pages, new Set(['img/logo.png', 'guide/img/a b.png']));

describe('LinkResolver', () => {
  const from = (href: string, kind: 'link' | 'image' = 'link') =>
    resolver.resolve('guide/deploy.md', 'guide/deploy', href, kind);

  it('rewrites .md links to directory URLs relative to the page', () => {
    expect(from('rollback.md#undo')).toEqual({ href: '../rollback/#undo' });
    expect(from('../index.md')).toEqual({ href: '../../' });
    expect(from('index.md')).toEqual({ href: '../' });
    expect(from('./../my%20page.md?x=1#y')).toEqual({ href: '../../my%20page/?x=1#y' });
    expect(resolver.resolve('index.md', '', 'guide/deploy.md#a', 'link')).toEqual({
      href: 'guide/deploy/#a',
    });
  });

  it('keeps in-page anchors, links to the same page become anchors', () => {
    expect(from('#step-2')).toEqual({ href: '#step-2' });
    expect(from('deploy.md#step-2')).toEqual({ href: '#step-2' });
    expect(from('deploy.md')).toEqual({ href: './' });
  });

  it('rebases images and other files onto the page URL', () => {
    expect(from('../img/logo.png', 'image')).toEqual({ href: '../../img/logo.png' });
    expect(from('img/a%20b.png', 'image')).toEqual({ href: '../img/a%20b.png' });
  });

  it('leaves absolute URLs and directory URLs alone', () => {
    for (const href of ['https://x.example/a.md', 'mailto:a@b', '/docs/x', '//cdn/x', 'other/']) {
      expect(from(href)).toEqual({ href });
    }
  });

  it('reports missing pages, missing images and links leaving the docs', () => {
    expect(from('nope.md')).toEqual({ href: 'nope.md', problem: "link to missing page 'nope.md'" });
    expect(from('gone.png', 'image')).toEqual({
      href: '../gone.png',
      problem: "missing image 'gone.png'",
    });
    expect(from('../../src/main.ts').problem).toBe(
      "link '../../src/main.ts' points outside the docs folder",
    );
  });

  it('produces URLs the reader resolves back to the same site paths', () => {
    const href = from('rollback.md#undo').href;
    expect(resolveSitePath('guide/deploy', href)).toEqual({
      kind: 'page',
      path: 'guide/rollback',
      hash: 'undo',
    });
    expect(resolveSitePath('guide/deploy', from('../img/logo.png', 'image').href)).toEqual({
      kind: 'file',
      path: 'img/logo.png',
      hash: '',
    });
    expect(resolveSitePath('guide/deploy', '../../')).toEqual({ kind: 'page', path: '', hash: '' });
    expect(resolveSitePath('guide/deploy', '#x')).toEqual({
      kind: 'page',
      path: 'guide/deploy',
      hash: 'x',
    });
    expect(resolveSitePath('a', 'https://x.example')).toBeUndefined();
  });
});
