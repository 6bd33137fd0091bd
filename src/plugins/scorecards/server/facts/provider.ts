import { createExtensionPoint } from '../../../../core/plugin-api.ts';
import type { Entity } from '../../../../model/entity.ts';

/** Fact id -> value, per lowercased entity ref. An absent fact is unknown for that entity. */
export type CollectedFacts = Map<string, Map<string, unknown>>;

/**
 * A source of facts about entities (`techdocs.built`, `repo.readme`, pushed `ci.coverage`…),
 * which scorecard checks read with `{ fact: <id>, <op>: <arg> }`.
 */
export interface FactProvider {
  /** Short name used in logs: 'techdocs', 'push', ... */
  id: string;
  /** Fact ids or prefixes ending in '.' it answers, e.g. ['techdocs.']; '*' for pushed facts. */
  facts: string[];
  /** Facts for a batch of entities (at most 1000 per call), read in few SQL queries. */
  collect(entities: Entity[], factIds: string[]): Promise<CollectedFacts>;
  /** Tells the scorer which entities' facts changed (pushes, builds, scheduled scans). */
  subscribe?(changed: (refs: string[]) => void): () => void;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

/** Other plugins contribute fact providers here; the scorecards plugin owns the point. */
export const factProvidersExtensionPoint = createExtensionPoint<FactProvider>(
  'scorecards.fact-providers',
);

/** Whether `provider` answers `factId`: named exactly, by a prefix ending in '.', or '*'. */
export function providesFact(provider: Pick<FactProvider, 'facts'>, factId: string): boolean {
  return provider.facts.some(
    (p) => p === '*' || p === factId || (p.endsWith('.') && factId.startsWith(p)),
  );
}

/** A small listener set for `subscribe`, shared by the built-in providers. */
export class ChangeListeners {
  private readonly listeners = new Set<(refs: string[]) => void>();

  subscribe(listener: (refs: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(refs: string[]): void {
    if (!refs.length) return;
    for (const listener of this.listeners) listener(refs);
  }
}
