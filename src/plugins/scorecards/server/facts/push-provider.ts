import type { Logger } from '../../../../core/plugin-api.ts';
import { stringifyEntityRef } from '../../../../model/ref.ts';
import type { CatalogApi } from '../../../catalog/server/plugin.ts';
import type { FactStore } from './fact-store.ts';
import { ChangeListeners, type FactProvider } from './provider.ts';

/**
 * The pushed facts (`POST /api/scorecards/facts`): answers every id no other provider
 * answers, from the fact store; a push tells the scorer which entities changed. Facts of an
 * entity deleted from the catalog are deleted with it (a CI job pushes them again if it comes
 * back), so the table does not keep facts nobody can see.
 */
export class PushedFactProvider implements FactProvider {
  readonly id = 'push';
  readonly facts = ['*'];
  private readonly listeners = new ChangeListeners();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: FactStore,
    private readonly catalog: () => CatalogApi,
    private readonly logger: Logger,
  ) {}

  collect(entities: Parameters<FactProvider['collect']>[0], factIds: string[]) {
    return this.store.read(
      entities.map((e) => stringifyEntityRef(e).toLowerCase()),
      factIds,
    );
  }

  subscribe(changed: (refs: string[]) => void): () => void {
    return this.listeners.subscribe(changed);
  }

  start(): void {
    this.unsubscribe ??= this.catalog().service.onEntitiesChanged(async (event) => {
      if (!event.deleted.length) return;
      await this.store.forget(event.deleted).catch((error: Error) =>
        this.logger.warn('Deleting the facts of deleted entities failed', {
          error: error.message,
        }),
      );
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Called by the push route after a write committed. */
  changed(refs: string[]): void {
    this.listeners.emit(refs);
  }
}
