import { describe, expect, it } from 'vitest';
import {
  catalogLevelHref,
  levelCatalogFilter,
  levelFilterValue,
  parseLevelFilterValue,
} from './level-filter.ts';

describe('the explorer level filter', () => {
  it('writes a scorecard of the default namespace by name, others with their namespace', () => {
    expect(levelFilterValue({ namespace: 'default', name: 'production-readiness' }, 'Gold')).toBe(
      'production-readiness:Gold',
    );
    expect(levelFilterValue({ namespace: 'payments', name: 'pci' }, 'none')).toBe(
      'payments/pci:none',
    );
  });

  it('becomes the catalog API filter the scorecards plugin answers', () => {
    expect(levelCatalogFilter('production-readiness:Gold')).toBe(
      'scorecard.production-readiness.level=Gold',
    );
    expect(levelCatalogFilter('payments/pci:none')).toBe('scorecard.payments/pci.level=none');
  });

  it('ignores values it cannot turn into one condition', () => {
    for (const bad of ['', 'gold', ':Gold', 'x:', 'a,b:Gold', 'x:Gold,kind=api', 'x=y:Gold']) {
      expect(parseLevelFilterValue(bad), bad).toBeUndefined();
      expect(levelCatalogFilter(bad), bad).toBeUndefined();
    }
  });

  it('links a level to the explorer with the value encoded', () => {
    expect(catalogLevelHref({ namespace: 'team-x', name: 'docs' }, 'Very good')).toBe(
      '/catalog?level=team-x%2Fdocs%3AVery%20good',
    );
  });
});
