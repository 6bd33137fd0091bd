import type { ActionContribution } from '../types.ts';
import { fsAppendAction } from './append.ts';
import { fsDeleteAction } from './delete.ts';
import { fsReadAction } from './read.ts';
import { fsReaddirAction } from './readdir.ts';
import { fsRenameAction } from './rename.ts';

/**
 * `fs:delete`, `fs:rename`, `fs:readdir` (Backstage's) and `fs:read`, `fs:append` (Atrium's):
 * file operations confined to the task workspace.
 */
export const fsActions: ActionContribution[] = [
  fsDeleteAction,
  fsRenameAction,
  fsReaddirAction,
  fsReadAction,
  fsAppendAction,
];
