import type { Kysely } from 'kysely';
import type { Database, Logger } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import { Poller } from './poller.ts';
import { ChangeListeners, type CollectedFacts, type FactProvider } from './provider.ts';

export const TECHDOCS_FACTS = [
  'techdocs.built',
  'techdocs.buildFailed',
  'techdocs.lastBuildAgeDays',
];

const ANNOTATION_TECHDOCS_REF = 'backstage.io/techdocs-ref';
const DAY_MS = 86_400_000;
const CHUNK = 500;

/** The TechDocs plugin's record of each entity's last build (its table `techdocs_builds`). */
interface BuildTables {
  techdocs_builds: { entity_ref: string; status: string; finished_at: string };
}

function hasTechdocsRef(entity: Entity): boolean {
  const ref = entity.metadata.annotations?.[ANNOTATION_TECHDOCS_REF];
  return typeof ref === 'string' && ref.trim() !== '';
}

/** Whole days since `finishedAt` (a build of this morning is 0 days old). */
export function ageInDays(finishedAt: string, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(finishedAt)) / DAY_MS));
}

/**
 * `techdocs.built` (the last build published a site: it succeeded, with or without warnings),
 * `techdocs.buildFailed` (the last build failed) and `techdocs.lastBuildAgeDays` (whole days
 * since the last build finished; unknown before the first build), for entities with a
 * `backstage.io/techdocs-ref`; other entities have none of them (their checks are unknown).
 *
 * Read from the TechDocs plugin's build records, which every replica shares. New builds are
 * noticed by polling those records (a read of what finished since the last poll),
 * and once an hour the entities whose age just passed a whole day are rescored too.
 */
export class TechdocsFactProvider implements FactProvider {
  readonly id = 'techdocs';
  readonly facts = ['techdocs.'];
  private readonly db: Kysely<BuildTables>;
  private readonly listeners = new ChangeListeners();
  private readonly poller: Poller;
  /** The latest `finished_at` seen; builds after it are new. */
  private watermark: string | undefined;
  private agesCheckedAt = 0;

  constructor(
    database: Database,
    logger: Logger,
    private readonly options: { pollMs?: number; now?: () => number } = {},
  ) {
    this.db = database.reader as Kysely<BuildTables>;
    this.poller = new Poller('TechDocs facts', options.pollMs ?? 60_000, logger, () => this.poll());
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
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

  /** Looks for new builds now (tests; the poll does it on its own). */
  refresh(): Promise<void> {
    return this.poller.runNow();
  }

  async collect(entities: Entity[], factIds: string[]): Promise<CollectedFacts> {
    const out: CollectedFacts = new Map();
    const wanted = new Set(factIds);
    const refs = entities.filter(hasTechdocsRef).map((e) => stringifyEntityRef(e).toLowerCase());
    if (!refs.length || !TECHDOCS_FACTS.some((id) => wanted.has(id))) return out;
    const builds = new Map<string, { status: string; finished_at: string }>();
    for (let i = 0; i < refs.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('techdocs_builds')
        .select(['entity_ref', 'status', 'finished_at'])
        .where('entity_ref', 'in', refs.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) builds.set(row.entity_ref, row);
    }
    const now = this.now();
    for (const ref of refs) {
      const build = builds.get(ref);
      const facts = new Map<string, unknown>();
      if (wanted.has('techdocs.built'))
        facts.set('techdocs.built', build?.status === 'ok' || build?.status === 'warnings');
      if (wanted.has('techdocs.buildFailed'))
        facts.set('techdocs.buildFailed', build?.status === 'failed');
      if (build && wanted.has('techdocs.lastBuildAgeDays'))
        facts.set('techdocs.lastBuildAgeDays', ageInDays(build.finished_at, now));
      out.set(ref, facts);
    }
    return out;
  }

  private async poll(): Promise<void> {
    const now = this.now();
    if (this.watermark === undefined) {
      // The first poll only takes note: results scored before start already saw those builds.
      const row = await this.db
        .selectFrom('techdocs_builds')
        .select((eb) => eb.fn.max('finished_at').as('latest'))
        .executeTakeFirst();
      this.watermark = (row?.latest as string | null | undefined) ?? '';
      this.agesCheckedAt = now;
      return;
    }
    const fresh = await this.db
      .selectFrom('techdocs_builds')
      .select(['entity_ref', 'finished_at'])
      .where('finished_at', '>', this.watermark)
      .execute();
    for (const row of fresh) if (row.finished_at > this.watermark) this.watermark = row.finished_at;
    this.listeners.emit(fresh.map((r) => r.entity_ref));

    if (now - this.agesCheckedAt < 3_600_000) return;
    const since = this.agesCheckedAt;
    this.agesCheckedAt = now;
    const all = await this.db
      .selectFrom('techdocs_builds')
      .select(['entity_ref', 'finished_at'])
      .execute();
    this.listeners.emit(
      all
        .filter((r) => ageInDays(r.finished_at, since) !== ageInDays(r.finished_at, now))
        .map((r) => r.entity_ref),
    );
  }
}
