import { fetchJson } from '../../../web/plugin-api.ts';
import type {
  ExplainRequest,
  ExplainResponse,
  PolicyView,
  RoleInput,
  RoleView,
} from '../common/index.ts';

export function getPolicy(signal?: AbortSignal): Promise<PolicyView> {
  return fetchJson('/api/permission/policy', { signal });
}

export function saveRole(name: string, role: RoleInput): Promise<RoleView> {
  return fetchJson(`/api/permission/roles/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: role,
  });
}

export function deleteRole(name: string): Promise<void> {
  return fetchJson(`/api/permission/roles/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export function explainDecision(request: ExplainRequest): Promise<ExplainResponse> {
  return fetchJson('/api/permission/explain', { method: 'POST', body: request });
}
