import { describe, expect, it } from 'vitest';
import { searchEntries } from './search-text.ts';
import { renderForTest } from './render.testkit.ts';

describe('search entries', () => {
  it('indexes the page and each h2/h3 section as plain text with entities decoded', () => {
    const { html } = renderForTest(
      '# Deploy\n\nIntro &amp; <b>bold</b> "q".\n\n## Roll back\n\nRun `a < b`.\n\n### Undo step\n\nx&nbsp;y\n\n#### Deep\n\nstill undo\n\n## Last\n\n| a | b |\n|---|---|\n| c | d |\n',
    );
    expect(searchEntries('guide/deploy', 'Deploy', html)).toEqual([
      {
        location: 'guide/deploy/',
        title: 'Deploy',
        text: 'Deploy Intro & bold "q". Roll back Run a < b. Undo step x y Deep still undo Last a b c d',
      },
      { location: 'guide/deploy/#roll-back', title: 'Roll back', text: 'Run a < b.' },
      { location: 'guide/deploy/#undo-step', title: 'Undo step', text: 'x y Deep still undo' },
      { location: 'guide/deploy/#last', title: 'Last', text: 'a b c d' },
    ]);
  });

  it('uses an empty location for the home page', () => {
    const { html } = renderForTest('## A\n\nb');
    expect(searchEntries('', 'Home', html).map((doc) => doc.location)).toEqual(['', '#a']);
  });
});
