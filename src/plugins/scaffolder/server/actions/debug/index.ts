import type { ActionContribution } from '../types.ts';
import { debugLogAction } from './log.ts';
import { debugWaitAction } from './wait.ts';

/** `debug:log` and `debug:wait`, for writing and testing templates. */
export const debugActions: ActionContribution[] = [debugLogAction, debugWaitAction];
