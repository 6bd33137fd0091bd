import type { ActionContribution } from '../types.ts';
import { fetchPlainAction, fetchPlainFileAction } from './plain.ts';
import { fetchTemplateAction } from './template.ts';
import { fetchTemplateFileAction } from './template-file.ts';

/**
 * `fetch:plain`, `fetch:plain:file`, `fetch:template`, `fetch:template:file`: content read
 * from next to the template (or any allowed git-hosted URL) into the task workspace.
 * Factories, because they read `backend.reading.allow` and `integrations` from config.
 */
export const fetchActions: ActionContribution[] = [
  fetchPlainAction,
  fetchPlainFileAction,
  fetchTemplateAction,
  fetchTemplateFileAction,
];
