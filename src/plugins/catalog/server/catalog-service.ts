import { resolve } from 'node:path';
import type { Entity, Problem } from '../../../model/entity.ts';
import type { KindRegistry } from '../../../model/index.ts';
import { ConflictError, InputError, NotFoundError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
// Location URLs may carry a token (`?token=…`): the server log must not.
import { scrubText } from '../../../core/secret-scrub.ts';
import {
  type EntityProcessor,
  type FileOutcome,
  generatedLocationRef,
  type IngestOutcome,
  ingestLocation,
} from './ingest/ingest-location.ts';
import { assertFileTargetInRoots, type LocationReader } from './ingest/readers.ts';
import type { DataLimits } from '../../../model/data-limits.ts';
import { validateText } from './ingest/validate-text.ts';
import { type CatalogRule, RuleSet } from './ingest/rules.ts';
import type {
  ApplyResult,
  EntitiesChangedListener,
  EntityChangeCause,
  EntityChangeListener,
  EntityStore,
  LocationSink,
} from './store/entity-store.ts';
import {
  type LocationRow,
  type LocationStore,
  toStatus,
  type LocationStatus,
} from './store/location-store.ts';

export interface CatalogSettings {
  orphanStrategy: 'keep' | 'delete';
  rules: CatalogRule[] | undefined;
  /** Location types that `POST /locations` accepts. */
  registrableTypes: string[];
  readonly: boolean;
  fingerprint: string;
  /** `catalog.locationRoots`: where API-registered `file` locations may read. */
  locationRoots: string[];
  /** `backend.limits` for parsed documents. */
  limits: DataLimits;
}

export interface ConfigLocation {
  type: string;
  target: string;
  rules?: CatalogRule[];
}

export interface RefreshSummary extends ApplyResult {
  locationId: string;
  files: number;
  problems: number;
  ms: number;
}

export interface ProgressEvent {
  locationId: string;
  target: string;
  files: number;
  entities: number;
  file: string;
}

/**
 * Runs ingestion: reads locations, applies what they emit, keeps their status. Each
 * location is processed by one caller at a time; a refresh that finds one running waits
 * for it and then runs again, so a caller always sees a read that started after its call.
 */
export class CatalogService {
  private readonly running = new Map<string, Promise<RefreshSummary>>();
  private readonly listeners = new Set<(event: ProgressEvent) => void>();

  constructor(
    private readonly deps: {
      entities: EntityStore;
      locations: LocationStore;
      readers: Map<string, LocationReader>;
      registry: KindRegistry;
      processors: EntityProcessor[];
      settings: CatalogSettings;
      logger: Logger;
    },
  ) {}

  onProgress(listener: (event: ProgressEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Entities changed by a committed write (location read, removal, delete by uid, orphan
   * marking). The write's caller waits for the listener, so e.g. the search index is
   * current when `POST /locations` returns. Only writes made by this process are seen.
   */
  onEntitiesChanged(listener: EntitiesChangedListener): () => void {
    return this.deps.entities.onEntitiesChanged(listener);
  }

  /**
   * The change feed: each entity that a committed write created, updated (with the paths that
   * changed), orphaned or deleted, and the location that caused it. Called synchronously after
   * the commit; the audit log records ingestion from it.
   */
  onEntityChanges(listener: EntityChangeListener): () => void {
    return this.deps.entities.onEntityChanges(listener);
  }

  /** Makes the stored config locations match config; removed ones release their entities. */
  async syncConfigLocations(wanted: ConfigLocation[]): Promise<void> {
    const existing = (await this.deps.locations.list()).filter((l) => l.origin === 'config');
    const keys = new Set<string>();
    for (const location of wanted) {
      keys.add(`${location.type}:${location.target}`);
      const found = await this.deps.locations.find(location.type, location.target);
      const rules = location.rules?.length ? JSON.stringify(location.rules) : null;
      // Listed by a discovery provider first: the provider keeps it (and decides its reads).
      if (found?.origin === 'provider') continue;
      if (!found) {
        await this.deps.locations.create({
          type: location.type,
          target: location.target,
          origin: 'config',
          rules: location.rules,
        });
      } else if (found.rules !== rules) {
        await this.deps.locations.update(found.id, { rules });
        await this.deps.locations.clearFileCache(found.id);
      }
    }
    for (const row of existing) {
      if (!keys.has(`${row.type}:${row.target}`)) {
        this.deps.logger.info(
          `Location ${row.type}:${scrubText(row.target)} is no longer in config; releasing its entities`,
        );
        await this.removeLocationRow(row);
      }
    }
  }

  private ruleSet(row: LocationRow): RuleSet {
    return new RuleSet(
      this.deps.settings.rules,
      row.rules ? (JSON.parse(row.rules) as CatalogRule[]) : [],
    );
  }

  /** Reads a location; with a sink, entities stream into the store as files are read. */
  private read(
    row: LocationRow,
    cache: Map<string, FileOutcome>,
    sink?: LocationSink,
  ): Promise<IngestOutcome> {
    return ingestLocation(
      { id: row.id, type: row.type, target: row.target },
      {
        readers: this.deps.readers,
        registry: this.deps.registry,
        processors: this.deps.processors,
        rules: this.ruleSet(row),
        fingerprint: this.deps.settings.fingerprint,
        cache,
        sink,
        limits: this.deps.settings.limits,
        // Config and provider locations are the operator's; what API callers registered stays
        // in the roots.
        roots: row.origin === 'api' ? this.deps.settings.locationRoots : undefined,
        onProgress: (p) => {
          for (const l of this.listeners) l({ locationId: row.id, target: row.target, ...p });
        },
      },
    );
  }

  /** Reads one location and stores what it emits; returns when the result is queryable. */
  async refreshLocation(id: string, options: { force?: boolean } = {}): Promise<RefreshSummary> {
    const previous = this.running.get(id);
    if (previous) await previous.catch(() => undefined);
    const run = this.doRefresh(id, options.force ?? false);
    this.running.set(id, run);
    try {
      return await run;
    } finally {
      if (this.running.get(id) === run) this.running.delete(id);
    }
  }

  private async doRefresh(id: string, force: boolean): Promise<RefreshSummary> {
    const started = Date.now();
    const row = await this.deps.locations.get(id);
    if (!row) throw new NotFoundError(`Found no location with ID ${id}`);
    // Loaded before the write transaction: on SQLite that holds the only write connection.
    const cache = force
      ? new Map<string, FileOutcome>()
      : await this.deps.locations.loadFileCache(row.id);
    let outcome: IngestOutcome | undefined;
    const applied = await this.deps.entities.writeLocation(
      row.id,
      this.deps.settings.orphanStrategy,
      async (sink) => {
        outcome = await this.read(row, cache, sink);
      },
      causedBy(row),
    );
    if (!outcome) throw new Error('unreachable: the location was not read');
    const problems: Problem[] = [...outcome.problems];
    if (applied.conflicts.length) {
      const owners = new Map(
        (await this.deps.locations.list()).map((l) => [l.id, `${l.type}:${l.target}`]),
      );
      for (const c of applied.conflicts) {
        const file = c.file;
        problems.push({
          level: 'error',
          name: 'ConflictError',
          message: `Entity ${c.ref} is already emitted by location ${owners.get(c.ownerLocationId) ?? c.ownerLocationId}; the first location keeps it`,
          file: file?.replace(/^(file|url):/, ''),
        });
      }
    }
    await this.deps.locations.saveFileCache(row.id, cache, outcome.files);
    // Query plans depend on table statistics; after a bulk change they are stale.
    if (applied.inserted + applied.updated + applied.deleted > 1000)
      await this.deps.entities.analyze();
    const ms = Date.now() - started;
    await this.deps.locations.recordRead(row.id, {
      contentHash: outcome.contentHash,
      entityCount: outcome.entityCount + outcome.unchangedRefs.size - applied.conflicts.length,
      problems,
      readMs: ms,
    });
    const summary: RefreshSummary = {
      ...applied,
      locationId: row.id,
      files: outcome.fileCount,
      problems: problems.length,
      ms,
    };
    this.deps.logger.info(`Read ${row.type}:${scrubText(row.target)}`, {
      files: summary.files,
      inserted: summary.inserted,
      updated: summary.updated,
      unchanged: summary.unchanged,
      orphaned: summary.orphaned,
      deleted: summary.deleted,
      problems: summary.problems,
      ms,
    });
    return summary;
  }

  /**
   * Re-reads every location but those of discovery providers: their provider decides when
   * they are read (a scan, a webhook); 5,000 API reads every interval would spend the rate
   * limit on files that did not change.
   */
  async refreshAll(options: { force?: boolean } = {}): Promise<RefreshSummary[]> {
    const out: RefreshSummary[] = [];
    for (const row of await this.deps.locations.list()) {
      if (row.origin === 'provider') continue;
      try {
        out.push(await this.refreshLocation(row.id, options));
      } catch (error) {
        this.deps.logger.error(`Reading ${row.type}:${scrubText(row.target)} failed`, {
          error: scrubText((error as Error).message),
        });
      }
    }
    return out;
  }

  /** Re-reads the location that owns the entity; returns when the result is stored. */
  async refreshEntity(ref: string): Promise<void> {
    const row = await this.deps.entities.rowByRef(ref);
    if (!row) throw new NotFoundError(`No entity with ref ${ref}`);
    let locationId = row.location_id;
    if (!locationId) {
      // A generated root Location entity identifies its location by type and target.
      const body = JSON.parse(row.body) as Entity;
      const spec = body.spec as { type?: string; target?: string } | undefined;
      if (body.kind === 'Location' && spec?.type && spec.target)
        locationId = (await this.deps.locations.find(spec.type, spec.target))?.id ?? null;
    }
    // The file cache compares content and placeholder hashes, so a changed file is re-read
    // and an unchanged one costs a hash: no need to bypass it.
    if (locationId) await this.refreshLocation(locationId);
  }

  normaliseTarget(type: string, target: string, baseDir?: string): string {
    if (type === 'file') return resolve(baseDir ?? process.cwd(), target);
    return target;
  }

  async addLocation(
    input: { type: string; target: string },
    options: { dryRun?: boolean; onConflict?: 'reject' | 'refresh' } = {},
  ) {
    const { type } = input;
    if (!this.deps.settings.registrableTypes.includes(type)) {
      throw new InputError(
        `Registered locations must be of an allowed type ${JSON.stringify(this.deps.settings.registrableTypes)}`,
      );
    }
    if (!this.deps.readers.has(type)) throw new InputError(`Unknown location type '${type}'`);
    const target = this.normaliseTarget(type, input.target);
    if (type === 'file') await assertFileTargetInRoots(target, this.deps.settings.locationRoots);
    const existing = await this.deps.locations.find(type, target);
    const entityRef = generatedLocationRef(type, target);
    if (options.dryRun) {
      const row: LocationRow = existing ?? {
        id: `${type}:${target}`,
        seq: 0,
        type,
        target,
        origin: 'api',
        base_dir: null,
        rules: null,
        created_at: new Date().toISOString(),
        last_read_at: null,
        read_ms: null,
        content_hash: null,
        entity_count: 0,
        problems: '[]',
        provider_id: null,
        provider_source: null,
        provider_version: null,
      };
      const outcome = await this.read(row, new Map());
      const errors = outcome.problems.filter((p) => p.level === 'error');
      if (errors.length) {
        throw new InputError(
          `Location ${type}:${target} has errors: ${errors.map((p) => `${p.file ?? ''}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`,
        );
      }
      return {
        exists: Boolean(existing),
        location: { id: `${type}:${target}`, type, target, entityRef },
        entities: outcome.entities.map((e) => e.entity),
      };
    }
    if (existing) {
      if (options.onConflict !== 'refresh')
        throw new ConflictError(`Location ${type}:${target} already exists`);
      await this.refreshLocation(existing.id, { force: true });
      return { location: { id: existing.id, type, target, entityRef }, entities: [] as Entity[] };
    }
    const row = await this.deps.locations.create({ type, target, origin: 'api' });
    try {
      await this.refreshLocation(row.id);
    } catch (error) {
      // A registration that could not be read is not kept: nothing would ever read it again.
      await this.removeLocationRow(row).catch(() => undefined);
      throw error;
    }
    return { location: { id: row.id, type, target, entityRef }, entities: [] as Entity[] };
  }

  async updateLocation(id: string, input: { type: string; target: string }): Promise<LocationRow> {
    const row = await this.deps.locations.get(id);
    if (!row) throw new NotFoundError(`Found no location with ID ${id}`);
    const target = this.normaliseTarget(input.type, input.target);
    if (input.type === 'file')
      await assertFileTargetInRoots(target, this.deps.settings.locationRoots);
    const clash = await this.deps.locations.find(input.type, target);
    if (clash && clash.id !== id)
      throw new ConflictError(`Location ${input.type}:${target} already exists`);
    await this.deps.locations.update(id, { type: input.type, target });
    await this.deps.locations.clearFileCache(id);
    await this.refreshLocation(id, { force: true });
    return (await this.deps.locations.get(id))!;
  }

  /**
   * What registering a location would import (the "Register existing component" flow):
   * the entities found there and whether each is already in the catalog; when none are
   * found, a Component to generate, as Backstage's default analyzer proposes.
   */
  async analyzeLocation(location: { type: string; target: string }, catalogFilename?: string) {
    const reader = this.deps.readers.get(location.type);
    if (!reader) throw new InputError(`Unknown location type '${location.type}'`);
    let target = this.normaliseTarget(location.type, location.target);
    const looksLikeFile = /\.ya?ml$/i.test(target);
    if (!looksLikeFile)
      target = reader.resolve(
        target.endsWith('/') ? `${target}x` : `${target}/x`,
        catalogFilename ?? 'catalog-info.yaml',
      );
    const row: LocationRow = {
      id: `${location.type}:${target}`,
      seq: 0,
      type: location.type,
      target,
      origin: 'api',
      base_dir: null,
      rules: null,
      created_at: new Date().toISOString(),
      last_read_at: null,
      read_ms: null,
      content_hash: null,
      entity_count: 0,
      problems: '[]',
      provider_id: null,
      provider_source: null,
      provider_version: null,
    };
    const outcome = await this.read(row, new Map());
    const found = outcome.entities.filter((e) => !e.ref.startsWith('location:default/generated-'));
    if (found.length) {
      const registered = new Set<string>();
      for (const e of found) if (await this.deps.entities.rowByRef(e.ref)) registered.add(e.ref);
      return {
        existingEntityFiles: found.map((e) => ({
          entity: e.entity,
          isRegistered: registered.has(e.ref),
          location: {
            type: location.type,
            target:
              e.entity.metadata.annotations?.['backstage.io/managed-by-location']?.replace(
                /^[a-z]+:/,
                '',
              ) ?? target,
          },
        })),
        generateEntities: [],
        problems: outcome.problems,
      };
    }
    const base = location.target.replace(/\/+$/, '').replace(/\.git$/, '');
    const name =
      (base.split('/').pop() ?? 'component')
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .replace(/^[-_.]+|[-_.]+$/g, '') || 'component';
    const annotations: Record<string, string> = {};
    const gh = /^https?:\/\/github\.com\/([^/]+)\/([^/]+)/.exec(location.target);
    if (gh) annotations['github.com/project-slug'] = `${gh[1]}/${gh[2]!.replace(/\.git$/, '')}`;
    return {
      existingEntityFiles: [],
      generateEntities: [
        {
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name,
              namespace: 'default',
              ...(Object.keys(annotations).length ? { annotations } : {}),
            },
            spec: { type: 'other', lifecycle: 'unknown' },
          },
          fields: [
            {
              field: 'spec.owner',
              state: 'needsUserInput',
              value: '',
              description: 'Entity reference of the group or user that owns this component',
            },
          ],
        },
      ],
      problems: outcome.problems,
    };
  }

  /** Checks pasted catalog text as ingestion would, without storing anything. */
  validateText(content: string, name: string) {
    return validateText(content, name, {
      registry: this.deps.registry,
      processors: this.deps.processors,
    });
  }

  /**
   * Removes a location and releases its entities (orphaned or deleted as `orphanStrategy`
   * says; `deleteEntities` deletes them whatever it says, as a provider's removal does).
   * Returns how many entities it owned.
   */
  async removeLocation(id: string, options: { deleteEntities?: boolean } = {}): Promise<number> {
    const row = await this.deps.locations.get(id);
    if (!row) throw new NotFoundError(`Found no location with ID ${id}`);
    return this.removeLocationRow(row, options.deleteEntities ? 'delete' : undefined);
  }

  private async removeLocationRow(
    row: LocationRow,
    strategy: 'keep' | 'delete' = this.deps.settings.orphanStrategy,
  ): Promise<number> {
    const pending = this.running.get(row.id);
    if (pending) await pending.catch(() => undefined);
    await this.deps.locations.delete(row.id);
    const count = await this.deps.entities.releaseLocation(row.id, strategy, causedBy(row));
    // The generated Location entity stands for the registration itself, so it goes with it
    // (counted above: the location owned it).
    const generated = await this.deps.entities.rowByRef(generatedLocationRef(row.type, row.target));
    if (generated) await this.deps.entities.deleteByUid(generated.id, causedBy(row));
    return count;
  }

  async locationStatus(id: string): Promise<LocationStatus> {
    const row = await this.deps.locations.get(id);
    if (!row) throw new NotFoundError(`Found no location with ID ${id}`);
    return toStatus(row);
  }
}

function causedBy(row: LocationRow): EntityChangeCause {
  return {
    type: 'location',
    location: {
      id: row.id,
      type: row.type,
      target: row.target,
      origin: row.provider_id ? `provider:${row.provider_id}` : row.origin,
    },
  };
}
