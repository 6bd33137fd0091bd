import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withConfigReference } from './reference.ts';

describe('configuration reference in README.md', () => {
  it('matches the config schema (run `npm run docs:config` after changing the schema)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withConfigReference(readme));
    expect(readme).toContain('| `catalog.orphanStrategy` |');
  });
});
