import { catalogActions } from './catalog/index.ts';
import { cookiecutterActions } from './cookiecutter/index.ts';
import { debugActions } from './debug/index.ts';
import { fetchActions } from './fetch/index.ts';
import { fsActions } from './fs/index.ts';
import { githubActions } from './github/index.ts';
import { gitlabActions } from './gitlab/index.ts';
import { httpActions } from './http/index.ts';
import { publishActions } from './publish/index.ts';
import { roadieActions } from './roadie/index.ts';
import type { ActionContribution } from './types.ts';

/** The actions every Atrium registers (COMPAT.md §6.3). */
export const builtinActions: ActionContribution[] = [
  ...fetchActions,
  ...cookiecutterActions,
  ...fsActions,
  ...debugActions,
  ...catalogActions,
  ...publishActions,
  ...githubActions,
  ...gitlabActions,
  ...roadieActions,
  ...httpActions,
];
