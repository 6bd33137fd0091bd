import type { ActionContribution } from '../types.ts';
import { httpBackstageRequestAction } from './backstage-request.ts';

/** Roadie's `http:backstage:request`: a step calling this portal's own API as the task creator. */
export const httpActions: ActionContribution[] = [httpBackstageRequestAction];
