import type { ActionContribution } from '../types.ts';
import { fetchCookiecutterAction } from './cookiecutter.ts';

/** `fetch:cookiecutter`, rendered in Node (Backstage's runs Python cookiecutter or Docker). */
export const cookiecutterActions: ActionContribution[] = [fetchCookiecutterAction];
