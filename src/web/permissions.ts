import { useQuery } from '@tanstack/react-query';
import { ApiError, fetchJson } from './api-client.ts';

/**
 * Access control in the web app: "may I?" before a button is pressed (the permission plugin's
 * `POST /api/permission/authorize`), and "why not?" after the server refused (the permission
 * and reason every 403 carries in its body).
 */

export interface DenialReason {
  message: string;
  rule?: string;
  source?: string;
}

export interface Denial {
  permission: string;
  reason: DenialReason;
}

/** The permission and reason of a request the server refused with 403; undefined otherwise. */
export function denialOf(error: unknown): Denial | undefined {
  if (!(error instanceof ApiError) || error.status !== 403) return undefined;
  const body = (error.body as { error?: { permission?: unknown; reason?: unknown } } | undefined)
    ?.error;
  const reason = body?.reason as DenialReason | undefined;
  if (typeof body?.permission !== 'string' || typeof reason?.message !== 'string') return undefined;
  return { permission: body.permission, reason };
}

/**
 * One sentence a person can act on: "You need catalog.entity.delete; the rule 'x' did not
 * match because you do not own this entity". Other errors give their own message.
 */
export function explainError(error: unknown): string {
  const denial = denialOf(error);
  if (denial) return `You need ${denial.permission}; ${denial.reason.message}`;
  return error instanceof Error ? error.message : String(error);
}

export interface PermissionQuestion {
  permission: string;
  resourceRef?: string;
}

export interface PermissionAnswer {
  permission: string;
  resourceRef?: string;
  result: 'ALLOW' | 'DENY' | 'CONDITIONAL';
  reason?: DenialReason;
}

/**
 * The caller's decisions, in the order asked. `undefined` while loading, and when no
 * permission plugin answers (an app without one enforces nothing to ask about).
 */
export function usePermissions(questions: PermissionQuestion[]): PermissionAnswer[] | undefined {
  const query = useQuery({
    queryKey: ['permission-authorize', questions],
    enabled: questions.length > 0,
    staleTime: 30_000,
    queryFn: async ({ signal }) => {
      try {
        const answer = await fetchJson<{ items: PermissionAnswer[] }>('/api/permission/authorize', {
          method: 'POST',
          body: { items: questions },
          signal,
        });
        return answer.items;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  return query.data ?? undefined;
}
