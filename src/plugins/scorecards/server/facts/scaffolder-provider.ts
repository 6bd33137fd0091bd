import type { Kysely } from 'kysely';
import type { Database, Logger } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import { parseEntityRef, stringifyEntityRef } from '../../../../model/ref.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { CatalogTables } from '../../../catalog/server/store/tables.ts';
import { Poller } from './poller.ts';
import { ChangeListeners, type CollectedFacts, type FactProvider } from './provider.ts';

export const SCAFFOLDER_FACTS = [
  'scaffolder.template',
  'scaffolder.templateVersion',
  'scaffolder.templateIsCurrent',
];

/** Written by the scaffolder's `catalog:write` action (as in Backstage). */
export const ANNOTATION_SOURCE_TEMPLATE = 'backstage.io/source-template';
/** A template may name its version; else the version is its content hash (etag) at run time. */
export const ANNOTATION_TEMPLATE_VERSION = 'backstage.io/template-version';

const CHUNK = 500;

/** The scaffolder's task records (its tables `scaffolder_tasks` and `scaffolder_task_steps`). */
interface TaskTables {
  scaffolder_tasks: { id: string; spec: string; template_ref: string | null };
  scaffolder_task_steps: { task_id: string; output: string | null; finished_at: string | null };
}

/** What the scaffolder recorded about the run that registered an entity. */
interface TaskRecord {
  templateRef: string;
  /** The template's `metadata.etag` (a content hash) when the task ran. */
  etag?: string;
  version?: string;
  finishedAt: string;
}

function normalTemplateRef(value: string): string | undefined {
  try {
    return stringifyEntityRef(parseEntityRef(value.trim(), { defaultKind: 'template' }));
  } catch {
    return undefined;
  }
}

function parseJson<T>(text: string | null): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * `scaffolder.template` (the ref of the template an entity was created from: its
 * `backstage.io/source-template` annotation, else the scaffolder task that registered it),
 * `scaffolder.templateVersion` (the template's `backstage.io/template-version` annotation,
 * else its content hash, as recorded by that task) and `scaffolder.templateIsCurrent` (the
 * template still exists and has not changed since: compared with the recorded hash, or,
 * without a task record, the template was not updated after the entity appeared).
 * Entities made without a template have none of them.
 *
 * Task records are indexed in memory (tasks are few), refreshed by polling what finished since
 * the last poll; templates that change are noticed by polling their update times, and the
 * entities made from them are rescored.
 */
export class ScaffolderFactProvider implements FactProvider {
  readonly id = 'scaffolder';
  readonly facts = ['scaffolder.'];
  private readonly tasks: Kysely<TaskTables>;
  private readonly catalogDb: Kysely<CatalogTables>;
  private readonly listeners = new ChangeListeners();
  private readonly poller: Poller;
  /** Registered entity ref → the latest task that registered it. */
  private readonly byEntity = new Map<string, TaskRecord>();
  private watermark: string | undefined;
  /** Template ref → its `updated_at`, at the last poll. */
  private templates: Map<string, string> | undefined;

  constructor(
    database: Database,
    private readonly catalog: () => CatalogApi,
    logger: Logger,
    options: { pollMs?: number } = {},
  ) {
    this.tasks = database.reader as Kysely<TaskTables>;
    this.catalogDb = database.reader as Kysely<CatalogTables>;
    this.poller = new Poller('scaffolder facts', options.pollMs ?? 60_000, logger, () =>
      this.poll(),
    );
  }

  subscribe(changed: (refs: string[]) => void): () => void {
    return this.listeners.subscribe(changed);
  }

  start(): void {
    this.poller.start();
  }

  async stop(): Promise<void> {
    await this.poller.stop();
  }

  /** Reads new task records and template changes now (tests; the poll does it on its own). */
  refresh(): Promise<void> {
    return this.poller.runNow();
  }

  async collect(entities: Entity[], factIds: string[]): Promise<CollectedFacts> {
    const out: CollectedFacts = new Map();
    const wanted = new Set(factIds);
    if (!SCAFFOLDER_FACTS.some((id) => wanted.has(id))) return out;
    if (this.watermark === undefined) await this.poller.runNow();

    const made: Array<{ ref: string; template: string; task?: TaskRecord }> = [];
    for (const entity of entities) {
      const ref = stringifyEntityRef(entity).toLowerCase();
      const annotated = entity.metadata.annotations?.[ANNOTATION_SOURCE_TEMPLATE];
      const fromAnnotation = annotated ? normalTemplateRef(annotated) : undefined;
      const task = this.byEntity.get(ref);
      const template = fromAnnotation ?? task?.templateRef;
      if (!template) continue;
      // A task for another template than the annotation names says nothing about this one.
      made.push({ ref, template, task: task?.templateRef === template ? task : undefined });
    }
    if (!made.length) return out;

    const current = wanted.has('scaffolder.templateIsCurrent')
      ? await this.currentTemplates([...new Set(made.map((m) => m.template))])
      : new Map<string, { etag?: string; created: string; updated: string }>();
    const createdAt = wanted.has('scaffolder.templateIsCurrent')
      ? await this.createdAt(made.filter((m) => !m.task?.etag).map((m) => m.ref))
      : new Map<string, string>();

    for (const { ref, template, task } of made) {
      const facts = new Map<string, unknown>();
      if (wanted.has('scaffolder.template')) facts.set('scaffolder.template', template);
      const version = task?.version ?? task?.etag;
      if (version !== undefined && wanted.has('scaffolder.templateVersion'))
        facts.set('scaffolder.templateVersion', version);
      if (wanted.has('scaffolder.templateIsCurrent')) {
        const now = current.get(template);
        let isCurrent = false;
        if (now && task?.etag) isCurrent = now.etag === task.etag;
        else if (now) {
          const created = createdAt.get(ref);
          isCurrent =
            now.updated === now.created || (created !== undefined && now.updated <= created);
        }
        facts.set('scaffolder.templateIsCurrent', isCurrent);
      }
      out.set(ref, facts);
    }
    return out;
  }

  private async currentTemplates(refs: string[]) {
    const out = new Map<string, { etag?: string; created: string; updated: string }>();
    for (let i = 0; i < refs.length; i += CHUNK) {
      const rows = await this.catalogDb
        .selectFrom('catalog_entities')
        .select(['entity_ref', 'body', 'created_at', 'updated_at'])
        .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) {
        const body = parseJson<Entity>(row.body);
        out.set(row.entity_ref, {
          ...(body?.metadata.etag ? { etag: body.metadata.etag } : {}),
          created: row.created_at,
          updated: row.updated_at,
        });
      }
    }
    return out;
  }

  private async createdAt(refs: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < refs.length; i += CHUNK) {
      const rows = await this.catalogDb
        .selectFrom('catalog_entities')
        .select(['entity_ref', 'created_at'])
        .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) out.set(row.entity_ref, row.created_at);
    }
    return out;
  }

  private async poll(): Promise<void> {
    const changed = new Set<string>();
    const first = this.watermark === undefined;
    for (const ref of await this.readTasks()) if (!first) changed.add(ref);
    for (const template of await this.changedTemplates()) {
      for (const [ref, task] of this.byEntity) if (task.templateRef === template) changed.add(ref);
      const annotated = await this.catalog().query.refsMatching({
        [`metadata.annotations.${ANNOTATION_SOURCE_TEMPLATE}`]: template,
      });
      for (const row of (await annotated.execute()) as Array<{ entity_ref: string }>)
        changed.add(row.entity_ref);
    }
    this.listeners.emit([...changed]);
  }

  /** Indexes the steps that registered an entity and finished since the last poll. */
  private async readTasks(): Promise<string[]> {
    let q = this.tasks
      .selectFrom('scaffolder_task_steps')
      .select(['task_id', 'output', 'finished_at'])
      .where('output', 'like', '%"entityRef"%');
    if (this.watermark) q = q.where('finished_at', '>', this.watermark);
    const steps = await q.execute();
    this.watermark ??= '';
    if (!steps.length) return [];
    const registered = new Map<string, { ref: string; finishedAt: string }[]>();
    for (const step of steps) {
      const finishedAt = step.finished_at ?? '';
      if (finishedAt > this.watermark) this.watermark = finishedAt;
      const output = parseJson<{ entityRef?: unknown }>(step.output);
      if (typeof output?.entityRef !== 'string') continue;
      const list = registered.get(step.task_id) ?? [];
      list.push({ ref: output.entityRef.toLowerCase(), finishedAt });
      registered.set(step.task_id, list);
    }
    const ids = [...registered.keys()];
    const refs: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const tasks = await this.tasks
        .selectFrom('scaffolder_tasks')
        .select(['id', 'spec', 'template_ref'])
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const task of tasks) {
        const spec = parseJson<{
          templateInfo?: { entityRef?: string; entity?: { metadata?: Entity['metadata'] } };
        }>(task.spec);
        const raw = task.template_ref ?? spec?.templateInfo?.entityRef;
        const templateRef = raw ? normalTemplateRef(raw) : undefined;
        if (!templateRef) continue;
        const metadata = spec?.templateInfo?.entity?.metadata;
        const version = metadata?.annotations?.[ANNOTATION_TEMPLATE_VERSION];
        for (const { ref, finishedAt } of registered.get(task.id) ?? []) {
          const known = this.byEntity.get(ref);
          if (known && known.finishedAt > finishedAt) continue;
          this.byEntity.set(ref, {
            templateRef,
            ...(metadata?.etag ? { etag: metadata.etag } : {}),
            ...(version ? { version } : {}),
            finishedAt,
          });
          refs.push(ref);
        }
      }
    }
    return refs;
  }

  /** Templates whose catalog row changed (or went) since the last poll; none on the first. */
  private async changedTemplates(): Promise<string[]> {
    const rows = await this.catalogDb
      .selectFrom('catalog_entities')
      .select(['entity_ref', 'updated_at'])
      .where('kind', '=', 'template')
      .execute();
    const now = new Map(rows.map((r) => [r.entity_ref, r.updated_at]));
    const before = this.templates;
    this.templates = now;
    if (!before) return [];
    const changed: string[] = [];
    for (const [ref, updated] of now) if (before.get(ref) !== updated) changed.push(ref);
    for (const ref of before.keys()) if (!now.has(ref)) changed.push(ref);
    return changed;
  }
}
