import type { ActionContribution } from '../types.ts';
import { createCatalogFetchAction } from './fetch.ts';
import { createCatalogRegisterAction } from './register.ts';
import { catalogWriteAction } from './write.ts';

/** `catalog:register`, `catalog:write`, `catalog:fetch`. */
export const catalogActions: ActionContribution[] = [
  createCatalogRegisterAction,
  catalogWriteAction,
  createCatalogFetchAction,
];
