/** The scaffolder's REST API (COMPAT.md §6.4) and the catalog look-ups its form fields make. */
import type { Entity } from '../../../model/entity.ts';
import { fetchJson, queryString } from '../../../web/plugin-api.ts';
import type {
  CreateTaskRequest,
  CreateTaskResponse,
  DryRunRequest,
  DryRunResponse,
  ParameterSchemaResponse,
  SerializedTask,
  TaskList,
  TaskStatus,
  TemplateListResponse,
} from '../common/index.ts';

export const SCAFFOLDER_API = '/api/scaffolder';
const enc = encodeURIComponent;

export function listTemplates(signal?: AbortSignal): Promise<TemplateListResponse> {
  return fetchJson(`${SCAFFOLDER_API}/v2/templates`, { signal });
}

export function getParameterSchema(
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<ParameterSchemaResponse> {
  return fetchJson(
    `${SCAFFOLDER_API}/v2/templates/${enc(namespace)}/template/${enc(name)}/parameter-schema`,
    { signal },
  );
}

/** The Template entity itself: its `spec.secrets` says which fields are secrets. */
export function getTemplateEntity(
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<Entity> {
  return fetchJson(`/api/catalog/entities/by-name/template/${enc(namespace)}/${enc(name)}`, {
    signal,
  });
}

export function createTask(request: CreateTaskRequest): Promise<CreateTaskResponse> {
  return fetchJson(`${SCAFFOLDER_API}/v2/tasks`, { method: 'POST', body: request });
}

export function getTask(id: string, signal?: AbortSignal): Promise<SerializedTask> {
  return fetchJson(`${SCAFFOLDER_API}/v2/tasks/${enc(id)}`, { signal });
}

export function listTasks(
  params: { status?: TaskStatus; limit: number; offset: number },
  signal?: AbortSignal,
): Promise<TaskList> {
  return fetchJson(
    `${SCAFFOLDER_API}/v2/tasks${queryString({
      status: params.status,
      limit: params.limit,
      offset: params.offset,
      order: 'desc:created_at',
    })}`,
    { signal },
  );
}

export function cancelTask(id: string): Promise<{ status: string }> {
  return fetchJson(`${SCAFFOLDER_API}/v2/tasks/${enc(id)}/cancel`, { method: 'POST', body: {} });
}

export function retryTask(id: string): Promise<CreateTaskResponse> {
  return fetchJson(`${SCAFFOLDER_API}/v2/tasks/${enc(id)}/retry`, { method: 'POST', body: {} });
}

export function taskEventStreamUrl(id: string, after?: number): string {
  return `${SCAFFOLDER_API}/v2/tasks/${enc(id)}/eventstream${queryString({ after })}`;
}

export function dryRun(request: DryRunRequest): Promise<DryRunResponse> {
  return fetchJson(`${SCAFFOLDER_API}/v2/dry-run`, { method: 'POST', body: request });
}

/** The few fields a picker shows of each suggestion. */
const PICKER_FIELDS = ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'];

/**
 * Entities for a picker: `filters` are catalog filter strings (`kind=Group,spec.type=team`;
 * several are alternatives), `text` searches names and titles.
 */
export function searchEntities(
  filters: string[],
  text: string,
  limit: number,
  signal?: AbortSignal,
): Promise<{ items: Entity[]; totalItems: number }> {
  const term = text.trim();
  return fetchJson(
    `/api/catalog/entities/by-query${queryString({
      filter: filters.length ? filters : undefined,
      fullTextFilterTerm: term || undefined,
      fullTextFilterFields: term ? 'metadata.name,metadata.title' : undefined,
      orderField: 'metadata.name,asc',
      limit,
      fields: PICKER_FIELDS.join(','),
    })}`,
    { signal },
  );
}

/** Tags used in the catalog, most used first, for tag suggestions. */
export async function catalogTags(
  kinds: string[] | undefined,
  signal?: AbortSignal,
): Promise<Array<{ value: string; count: number }>> {
  const filter = kinds?.length ? kinds.map((k) => `kind=${k}`).join(',') : undefined;
  const res = await fetchJson<{ facets: Record<string, Array<{ value: string; count: number }>> }>(
    `/api/catalog/entity-facets${queryString({ facet: 'metadata.tags', filter })}`,
    { signal },
  );
  return [...(res.facets['metadata.tags'] ?? [])].sort((a, b) => b.count - a.count);
}
