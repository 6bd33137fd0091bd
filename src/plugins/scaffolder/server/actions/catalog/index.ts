import type { ActionContribution } from '../types.ts';
import { createCatalogFetchAction } from './fetch.ts';
import { createCatalogRegisterAction } from './register.ts';
import { catalogTimestampingAction } from './timestamping.ts';
import { catalogWriteAction } from './write.ts';

/** `catalog:register`, `catalog:write`, `catalog:fetch`, `catalog:timestamping`. */
export const catalogActions: ActionContribution[] = [
  createCatalogRegisterAction,
  catalogWriteAction,
  createCatalogFetchAction,
  catalogTimestampingAction,
];
