import { catalogActions } from './catalog/index.ts';
import { debugActions } from './debug/index.ts';
import { fetchActions } from './fetch/index.ts';
import { fsActions } from './fs/index.ts';
import { publishActions } from './publish/index.ts';
import type { ActionContribution } from './types.ts';

/** The actions every Atrium registers (COMPAT.md §6.3). */
export const builtinActions: ActionContribution[] = [
  ...fetchActions,
  ...fsActions,
  ...debugActions,
  ...catalogActions,
  ...publishActions,
];
