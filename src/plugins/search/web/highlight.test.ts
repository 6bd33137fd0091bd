import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Highlighted } from './highlight.tsx';

const PRE = '<0f3a>';
const POST = '</0f3a>';
const render = (value: string, preTag?: string, postTag?: string) =>
  renderToStaticMarkup(createElement(Highlighted, { value, preTag, postTag }));

describe('Highlighted', () => {
  it('marks the text between the tags', () => {
    expect(render(`Pay${PRE}ment${POST} Gateway and pay${PRE}ment${POST}s`, PRE, POST)).toBe(
      '<span>Pay</span><mark>ment</mark><span> Gateway and pay</span><mark>ment</mark><span>s</span>',
    );
  });

  it('renders markup in the text as text, inside and outside the marks', () => {
    const html = render(
      `Shim <img src=x ${PRE}onerror${POST}=alert(1)> <b>${PRE}x${POST}</b>`,
      PRE,
      POST,
    );
    expect(html).toBe(
      '<span>Shim &lt;img src=x </span><mark>onerror</mark><span>=alert(1)&gt; &lt;b&gt;</span><mark>x</mark><span>&lt;/b&gt;</span>',
    );
    expect(html).not.toContain('<img');
  });

  it('shows the text as it is without both tags', () => {
    expect(render(`a ${PRE}b${POST}`)).toBe(
      `a ${PRE.replace('<', '&lt;').replace('>', '&gt;')}b${POST.replace('<', '&lt;').replace('>', '&gt;')}`,
    );
    expect(render('plain', '', '')).toBe('plain');
  });
});
