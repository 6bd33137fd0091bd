import type { ActionContribution } from '../types.ts';
import { fsDeleteAction } from './delete.ts';
import { fsReaddirAction } from './readdir.ts';
import { fsRenameAction } from './rename.ts';

/** `fs:delete`, `fs:rename`, `fs:readdir`: file operations confined to the task workspace. */
export const fsActions: ActionContribution[] = [fsDeleteAction, fsRenameAction, fsReaddirAction];
