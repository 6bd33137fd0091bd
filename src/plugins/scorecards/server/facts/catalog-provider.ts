import type { Kysely } from 'kysely';
import type { Database, Logger } from '../../../../core/plugin-api.ts';
import {
  ANNOTATION_MANAGED_BY_LOCATION,
  ANNOTATION_ORPHAN,
  type Entity,
  type Problem,
} from '../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import type { CatalogTables } from '../../../catalog/server/store/tables.ts';
import {
  ChangeListeners,
  type CollectedFacts,
  type FactProvider,
  providesFact,
} from './provider.ts';
import { Poller } from './poller.ts';

export const CATALOG_FACTS = ['catalog.hasErrors', 'catalog.orphan'];

const CHUNK = 500;

/** Where a location's error-level problems are: the files named, or the whole location. */
interface LocationErrors {
  readAt: string | null;
  /** A problem with no file (the location itself could not be read) counts for every entity. */
  everywhere: boolean;
  files: Set<string>;
  /** Sorted `everywhere` + files, to tell whether anything changed between polls. */
  signature: string;
}

function locationErrors(readAt: string | null, problemsJson: string): LocationErrors {
  let problems: Problem[] = [];
  try {
    problems = JSON.parse(problemsJson) as Problem[];
  } catch {
    // An unreadable record says nothing about errors.
  }
  let everywhere = false;
  const files = new Set<string>();
  for (const p of problems) {
    if (p.level !== 'error') continue;
    if (p.file) files.add(p.file);
    else everywhere = true;
  }
  return { readAt, everywhere, files, signature: `${everywhere}|${[...files].sort().join('|')}` };
}

/** `file:/a/b.yaml` → `/a/b.yaml`, as problems name files (the target without its type). */
function targetOf(locationRef: string): string {
  const colon = locationRef.indexOf(':');
  return colon < 0 ? locationRef : locationRef.slice(colon + 1);
}

/**
 * `catalog.hasErrors` (the entity's processing errors, or errors in the file that defines it,
 * or its location could not be read) and `catalog.orphan` (no location emits it any more).
 * Read from the catalog's own rows, never from the files. The entity's own problems reach the
 * scorer as catalog changes; errors of its file (another document of the same file broke) are
 * noticed by polling the locations' problems, which stays cheap: one row per location.
 */
export class CatalogFactProvider implements FactProvider {
  readonly id = 'catalog';
  readonly facts = ['catalog.'];
  private readonly db: Kysely<CatalogTables>;
  private readonly listeners = new ChangeListeners();
  private readonly locations = new Map<string, LocationErrors>();
  private readonly poller: Poller;

  constructor(database: Database, logger: Logger, options: { pollMs?: number } = {}) {
    this.db = database.reader as Kysely<CatalogTables>;
    this.poller = new Poller('catalog facts', options.pollMs ?? 60_000, logger, () => this.poll());
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

  /** Compares the locations' problems now (tests; the poll does it on its own). */
  refresh(): Promise<void> {
    return this.poller.runNow();
  }

  async collect(entities: Entity[], factIds: string[]): Promise<CollectedFacts> {
    const out: CollectedFacts = new Map();
    const wantErrors = factIds.includes('catalog.hasErrors');
    const wantOrphan = factIds.includes('catalog.orphan');
    if (!factIds.some((id) => providesFact(this, id))) return out;
    const byRef = new Map(entities.map((e) => [stringifyEntityRef(e).toLowerCase(), e]));
    if (wantOrphan) {
      for (const [ref, entity] of byRef) {
        const orphan = entity.metadata.annotations?.[ANNOTATION_ORPHAN] === 'true';
        out.set(ref, new Map([['catalog.orphan', orphan]]));
      }
    }
    if (!wantErrors) return out;

    const rows: Array<{ entity_ref: string; location_id: string | null; problems: string | null }> =
      [];
    const refs = [...byRef.keys()];
    for (let i = 0; i < refs.length; i += CHUNK) {
      rows.push(
        ...(await this.db
          .selectFrom('catalog_entities')
          .select(['entity_ref', 'location_id', 'problems'])
          .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
          .execute()),
      );
    }
    const locationIds = [...new Set(rows.map((r) => r.location_id).filter((id) => id !== null))];
    const errors = await this.locationErrors(locationIds as string[]);
    for (const row of rows) {
      const entity = byRef.get(row.entity_ref);
      if (!entity) continue;
      let has = false;
      if (row.problems) {
        try {
          has = (JSON.parse(row.problems) as Array<{ level?: string }>).some(
            (p) => p.level === 'error',
          );
        } catch {
          has = false;
        }
      }
      const location = row.location_id ? errors.get(row.location_id) : undefined;
      if (!has && location) {
        const file = entity.metadata.annotations?.[ANNOTATION_MANAGED_BY_LOCATION];
        has =
          location.everywhere ||
          (file !== undefined && (location.files.has(file) || location.files.has(targetOf(file))));
      }
      const facts = out.get(row.entity_ref) ?? new Map<string, unknown>();
      facts.set('catalog.hasErrors', has);
      out.set(row.entity_ref, facts);
    }
    return out;
  }

  /** The error files of `ids`, re-reading a location's problems only after it was read again. */
  private async locationErrors(ids: string[]): Promise<Map<string, LocationErrors>> {
    const out = new Map<string, LocationErrors>();
    if (!ids.length) return out;
    const stamps = await this.db
      .selectFrom('catalog_locations')
      .select(['id', 'last_read_at'])
      .where('id', 'in', ids)
      .execute();
    const stale: string[] = [];
    for (const { id, last_read_at } of stamps) {
      const cached = this.locations.get(id);
      if (cached && cached.readAt === last_read_at) out.set(id, cached);
      else stale.push(id);
    }
    if (stale.length) {
      const rows = await this.db
        .selectFrom('catalog_locations')
        .select(['id', 'last_read_at', 'problems'])
        .where('id', 'in', stale)
        .execute();
      for (const row of rows) {
        const errors = locationErrors(row.last_read_at, row.problems);
        this.locations.set(row.id, errors);
        out.set(row.id, errors);
      }
    }
    return out;
  }

  /**
   * Compares every location's error files with the last poll and reports the entities of
   * locations whose errors changed. The first poll only takes note.
   */
  private async poll(): Promise<void> {
    const first = this.signatures === undefined;
    const previous = this.signatures ?? new Map<string, string>();
    const now = new Map<string, string>();
    const rows = await this.db
      .selectFrom('catalog_locations')
      .select(['id', 'last_read_at', 'problems'])
      .execute();
    const changed: string[] = [];
    for (const row of rows) {
      const errors = locationErrors(row.last_read_at, row.problems);
      this.locations.set(row.id, errors);
      now.set(row.id, errors.signature);
      if (!first && previous.get(row.id) !== errors.signature) changed.push(row.id);
    }
    this.signatures = now;
    for (let i = 0; i < changed.length; i += CHUNK) {
      const refs = await this.db
        .selectFrom('catalog_entities')
        .select('entity_ref')
        .where('location_id', 'in', changed.slice(i, i + CHUNK))
        .execute();
      this.listeners.emit(refs.map((r) => r.entity_ref));
    }
  }

  private signatures: Map<string, string> | undefined;
}
