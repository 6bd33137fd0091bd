/** The source-code hosts the server knows, and their kinds, for RepoUrlPicker and its checks. */
import { useQuery } from '@tanstack/react-query';
import { fetchJson } from '../../../../web/plugin-api.ts';
import type { ScmHostType, ScmIntegrationsResponse } from '../../common/scm-integrations.ts';
import { SCAFFOLDER_API } from '../api.ts';

export function useScmIntegrations(enabled = true) {
  return useQuery({
    queryKey: ['scaffolder-integrations'],
    queryFn: ({ signal }) =>
      fetchJson<ScmIntegrationsResponse>(`${SCAFFOLDER_API}/v2/integrations`, { signal }),
    // Configuration: it changes only with a restart.
    staleTime: Number.POSITIVE_INFINITY,
    retry: 1,
    enabled,
  });
}

/** The kind of a host in a list from the server; `undefined` when it is not in it. */
export function hostTypeIn(
  response: ScmIntegrationsResponse | undefined,
  host: string,
): ScmHostType | undefined {
  const wanted = host.toLowerCase();
  return response?.items.find((i) => i.host.toLowerCase() === wanted)?.type;
}
