import type { ActionContribution } from '../types.ts';
import { roadieAppendFileAction, roadieWriteFileAction } from './fs-write.ts';
import { roadieParseFileAction } from './fs-parse.ts';
import { roadieReplaceInFileAction } from './fs-replace.ts';
import {
  roadieJsonataAction,
  roadieJsonJsonataTransformAction,
  roadieYamlJsonataTransformAction,
} from './jsonata.ts';
import { roadieMergeAction, roadieMergeJsonAction } from './merge.ts';

/**
 * The file and data actions of `@roadiehq/scaffolder-backend-module-utils` that real
 * templates use, under Roadie's ids, inputs and outputs, confined to the workspace.
 */
export const roadieActions: ActionContribution[] = [
  roadieWriteFileAction,
  roadieAppendFileAction,
  roadieReplaceInFileAction,
  roadieParseFileAction,
  roadieMergeAction,
  roadieMergeJsonAction,
  roadieJsonataAction,
  roadieYamlJsonataTransformAction,
  roadieJsonJsonataTransformAction,
];
