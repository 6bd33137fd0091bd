import { auditRecorderRef } from '../../../core/host-services.ts';
import { createServiceRef, definePlugin, type PluginDefinition } from '../../../core/plugin-api.ts';
import { type CatalogApi, catalogServiceRef } from '../../catalog/server/plugin.ts';
import { AuditStore } from './audit-store.ts';
import { ingestionRows } from './ingestion-events.ts';
import { auditMigrations } from './migrations.ts';
import { BufferedAuditRecorder, type RecorderOptions } from './recorder.ts';
import { startRetention } from './retention.ts';
import { registerAuditRoutes } from './routes.ts';

/** Changes of ingestion turned into rows per turn of the event loop (~6 ms each). */
const FEED_SLICE = 5000;

export interface AuditApi {
  store: AuditStore;
  recorder: BufferedAuditRecorder;
  /** Writes every event recorded so far (tests, `atrium` commands that exit). */
  flush(): Promise<void>;
  /** Deletes events past `audit.retention` now; resolves with how many. */
  applyRetention(): Promise<number>;
}
export const auditServiceRef = createServiceRef<AuditApi>('audit');

/**
 * The audit log. Listed first of the plugins, so that its recorder exists before any other
 * plugin is set up: the host sends every non-GET request and every denial to it, plugins
 * send their own events (`ctx.audit`, `env.audit`), and ingestion's changes come from the
 * catalog's change feed.
 */
export function auditPlugin(options: RecorderOptions = {}): PluginDefinition {
  return definePlugin({
    id: 'audit',
    migrations: auditMigrations,
    setup(env) {
      const store = new AuditStore(env.database);
      const recorder = new BufferedAuditRecorder(store, env.logger, options);
      env.provide(auditRecorderRef, recorder);
      registerAuditRoutes(env, store);

      let retention: ReturnType<typeof startRetention> | undefined;
      let unsubscribe: (() => void) | undefined;
      // Rows of ingestion still being built (see below); stop waits for them.
      let feed: Promise<void> = Promise.resolve();
      env.provide(auditServiceRef, {
        store,
        recorder,
        flush: async () => {
          await feed;
          await recorder.flush();
        },
        applyRetention: () => retention?.runNow() ?? Promise.resolve(0),
      });

      env.onStart(() => {
        // The catalog is set up after this plugin, so its service is looked up only now. Start
        // hooks run in plugin order: this runs before the catalog's, which does the first ingest.
        let catalog: CatalogApi | undefined;
        try {
          catalog = env.use(catalogServiceRef);
        } catch {
          env.logger.info('No catalog installed: ingestion is not audited');
        }
        unsubscribe = catalog?.service.onEntityChanges((batch) => {
          // Called right after the catalog's commit: a first ingest hands over 100,000 changes
          // at once, so rows are built a slice at a time, between other work.
          const now = Date.now();
          for (let i = 0; i < batch.changes.length; i += FEED_SLICE) {
            const slice = { cause: batch.cause, changes: batch.changes.slice(i, i + FEED_SLICE) };
            feed = feed.then(
              () =>
                new Promise<void>((resolve) =>
                  setImmediate(() => {
                    recorder.enqueue(ingestionRows(slice, now));
                    resolve();
                  }),
                ),
            );
          }
        });
        retention = startRetention(store, env.config.audit.retentionMs, env.logger);
      });
      // Stop hooks run in reverse plugin order: this one last, after every plugin's own.
      env.onStop(async () => {
        unsubscribe?.();
        await feed;
        await retention?.stop();
        await recorder.stop();
      });
    },
  });
}
