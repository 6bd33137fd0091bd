import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { BUILTIN_KINDS, createKindRegistry, type KindDefinition } from '../../../model/index.ts';
import { toKindDefinitions } from '../../../core/config/index.ts';
import {
  createExtensionPoint,
  createServiceRef,
  definePlugin,
  extend,
  type PluginDefinition,
  type RouteContext,
} from '../../../core/plugin-api.ts';
import type { Predicate } from './query/predicate.ts';
import type { QueryField } from './query/query-fields.ts';
import { P, readFilter } from './routes/shared.ts';
import { type ReadingPolicy, readingPolicy } from '../../../core/reading/allow-list.ts';
import { type CatalogActionDeps, catalogActions } from './actions.ts';
import { CatalogService } from './catalog-service.ts';
import type { EntityProcessor } from './ingest/ingest-location.ts';
import {
  DEFAULT_FILE_READER_LIMITS,
  FileReader,
  type LocationReader,
  UrlReader,
} from './ingest/readers.ts';
import { dataLimits } from '../../../core/input-limits.ts';
import { EntityQuery } from './query/entity-query.ts';
import { registerCatalogRoutes } from './routes/index.ts';
import { EntityStore } from './store/entity-store.ts';
import { LocationStore } from './store/location-store.ts';
import { UserDirectory } from './user-directory.ts';
import { catalogEntityResourceType } from './permissions.ts';
import { catalogMigrations } from './store/migrations.ts';
import { setupCatalogHistory } from './history/catalog-history.ts';
import type {
  CatalogProvider,
  CatalogProviderFactory,
  ProviderContext,
} from './providers/types.ts';
import { PrefetchStore } from './providers/prefetch.ts';
import { setupProviders } from './providers/setup.ts';
import { githubDiscoveryFactory } from './providers/github/discovery.ts';
import { githubOrgFactory } from './providers/github-org/org.ts';
import { gitlabDiscoveryFactory } from './providers/gitlab/discovery.ts';
import { gitlabOrgFactory } from './providers/gitlab/org.ts';
import { githubFileRequestFor } from './providers/github/file-url.ts';
import { gitlabFileRequest } from './providers/gitlab/file-url.ts';
import { ScmHttpClient } from '../../../core/reading/scm-http.ts';
import { githubCredentials } from '../../../core/reading/github-credentials.ts';
import type { ScmIntegrationsConfig } from '../../../core/reading/integrations.ts';

/** Location readers by type (`file`, `url`, or a provider's own such as `github-discovery`). */
export const locationReadersExtensionPoint = createExtensionPoint<LocationReader>(
  'catalog.location-readers',
);
/**
 * Filter keys another plugin answers from its own tables (`scorecard.<name>.level=Gold`), for
 * lists, counts and by-query of the catalog API.
 */
export const queryFieldsExtensionPoint = createExtensionPoint<QueryField>('catalog.query-fields');
/** Processors run on each valid entity before relations are derived. */
export const entityProcessorsExtensionPoint = createExtensionPoint<EntityProcessor>(
  'catalog.entity-processors',
);

/** Kinds contributed by plugins (e.g. Scorecard), accepted beside config's `catalog.kinds`. */
export const kindsExtensionPoint = createExtensionPoint<KindDefinition>('catalog.kinds');

/**
 * Discovery providers (GitHub, GitLab, their org data): each factory creates the providers its
 * config section declares; the catalog schedules their scans, owns the locations they list and
 * applies their webhook effects.
 */
export const catalogProvidersExtensionPoint =
  createExtensionPoint<CatalogProviderFactory>('catalog.providers');

export interface CatalogApi {
  service: CatalogService;
  query: EntityQuery;
  store: EntityStore;
  /** Users and their groups, for sign-in and access control. */
  users: UserDirectory;
  /**
   * What the caller of a route may read, as a filter predicate (undefined: everything).
   * Use with `query.refsMatching` to filter other tables by it inside SQL.
   */
  readFilter(ctx: RouteContext): Promise<Predicate | undefined>;
}
/** The catalog's services for other plugins (scaffolder, search, docs). */
export const catalogServiceRef = createServiceRef<CatalogApi>('catalog');

export function catalogPlugin(): PluginDefinition {
  // Readers need config, which only exists at setup; they read it through this holder.
  let policy: () => ReadingPolicy = () => ({ allow: [] });
  let fileLimits = () => DEFAULT_FILE_READER_LIMITS;
  let actionDeps: CatalogActionDeps | undefined;
  let integrations: ScmIntegrationsConfig = {};
  // Blob URLs on integration hosts are read through their APIs with this client (ETags, limits).
  let scmClient: ScmHttpClient | undefined;
  const prefetch = new PrefetchStore();
  const urlReader = new UrlReader(() => policy(), 15_000, {
    prefetched: prefetch,
    blobResolvers: () => [
      (target) =>
        githubFileRequestFor(
          target,
          integrations,
          githubCredentials(() => policy()),
        ),
      (target) => gitlabFileRequest(target, integrations),
    ],
    scmClient: () => scmClient,
  });
  return definePlugin({
    id: 'catalog',
    migrations: catalogMigrations,
    extensionPoints: [
      locationReadersExtensionPoint,
      entityProcessorsExtensionPoint,
      queryFieldsExtensionPoint,
      kindsExtensionPoint,
      catalogProvidersExtensionPoint,
    ],
    extensions: [
      extend(locationReadersExtensionPoint, new FileReader(() => fileLimits())),
      extend(locationReadersExtensionPoint, urlReader),
      extend(catalogProvidersExtensionPoint, githubDiscoveryFactory),
      extend(catalogProvidersExtensionPoint, githubOrgFactory),
      extend(catalogProvidersExtensionPoint, gitlabDiscoveryFactory),
      extend(catalogProvidersExtensionPoint, gitlabOrgFactory),
      ...catalogActions(() => actionDeps),
    ],
    async setup(env) {
      const { config, logger, database } = env;
      policy = () => readingPolicy(config);
      integrations = config.integrations;
      scmClient = new ScmHttpClient({ policy: () => policy(), maxWaitMs: 15_000, logger });
      fileLimits = () => config.catalog.limits;
      const contributed = env.extensions(kindsExtensionPoint);
      const custom = [...toKindDefinitions(config.catalog.kinds), ...contributed];
      const registry = createKindRegistry(custom);
      const readers = new Map<string, LocationReader>();
      for (const reader of env.extensions(locationReadersExtensionPoint)) {
        if (readers.has(reader.type))
          throw new Error(`Two location readers handle type '${reader.type}'`);
        readers.set(reader.type, reader);
      }
      const providers = createProviders(env.extensions(catalogProvidersExtensionPoint), readers, {
        config,
        logger,
        policy: () => policy(),
        prefetched: prefetch,
      });
      const relationTypes = new Map<string, string>();
      for (const def of [...BUILTIN_KINDS, ...custom]) {
        for (const field of def.refFields) {
          relationTypes.set(field.relation.toLowerCase(), field.relation);
          relationTypes.set(field.reverse.toLowerCase(), field.reverse);
        }
      }
      const store = new EntityStore(database);
      const locations = new LocationStore(database);
      const query = new EntityQuery(
        database.reader,
        store,
        (t) => relationTypes.get(t),
        env.extensions(queryFieldsExtensionPoint),
      );
      const settings = {
        orphanStrategy: config.catalog.orphanStrategy,
        rules: config.catalog.rules,
        registrableTypes: config.catalog.locationTypes,
        readonly: config.catalog.readonly,
        locationRoots: config.catalog.locationRoots,
        limits: dataLimits(config),
        // Anything here changes how files turn into entities, so it invalidates the file cache.
        fingerprint: createHash('sha256')
          .update(
            JSON.stringify([
              config.catalog.kinds,
              contributed.map((d) => [d.kind, d.apiVersions, d.specSchema, d.refFields]),
              config.catalog.rules,
              config.backend.reading.allow,
              // Integration hosts may be read too ($text placeholders, url locations).
              [...config.integrations.github, ...config.integrations.gitlab].map((entry) => [
                entry.host,
                entry.apiBaseUrl,
              ]),
              config.backend.limits,
              1,
            ]),
          )
          .digest('hex'),
      };
      const service = new CatalogService({
        entities: store,
        locations,
        readers,
        registry,
        processors: env.extensions(entityProcessorsExtensionPoint),
        settings,
        logger,
      });
      const entityResource = catalogEntityResourceType(() => query);
      env.resourceType(entityResource);
      // Backstage's, checked by no route here (entities come from locations); declared so
      // policies written for Backstage or RHDH may name it.
      env.permissions([P.create]);
      const routeDeps = {
        entityResource,
        service,
        store,
        locations,
        query,
        registry,
        readonly: config.catalog.readonly,
        history: setupCatalogHistory(env, store),
      };
      registerCatalogRoutes(env, routeDeps);
      actionDeps = { ...routeDeps, database };
      env.provide(catalogServiceRef, {
        service,
        query,
        store,
        users: new UserDirectory(database.reader as never),
        readFilter: (ctx) => readFilter(ctx, { entityResource }),
      });

      let timer: NodeJS.Timeout | undefined;
      let stopping = false;
      env.onStart(async () => {
        await service.syncConfigLocations(
          config.catalog.locations.map((l) => ({
            type: l.type,
            target:
              l.type === 'file' && !isAbsolute(l.target) ? resolve(l.baseDir, l.target) : l.target,
            rules: l.rules,
          })),
        );
        await service.refreshAll();
        const interval = config.catalog.refresh.intervalMs;
        if (interval) {
          const tick = async () => {
            if (stopping) return;
            await service
              .refreshAll()
              .catch((error) => logger.error('Refresh failed', { error: String(error) }));
            if (!stopping) timer = setTimeout(tick, interval);
          };
          timer = setTimeout(tick, interval);
          timer.unref();
        }
      });
      env.onStop(() => {
        stopping = true;
        if (timer) clearTimeout(timer);
      });
      // After the hooks above: providers start scanning once config locations are read.
      setupProviders(env, { providers, service, locations, prefetch });
    },
  });
}

/**
 * Calls each factory once, adding the readers it brings to `readers`; a reader type already
 * handled or a provider id already taken stops the start, naming the factories involved.
 */
export function createProviders(
  factories: CatalogProviderFactory[],
  readers: Map<string, LocationReader>,
  ctx: ProviderContext,
): CatalogProvider[] {
  const owners = new Map<string, string>();
  const providers: CatalogProvider[] = [];
  for (const factory of factories) {
    const created = factory.create(ctx);
    for (const reader of created.readers ?? []) {
      if (readers.has(reader.type))
        throw new Error(
          `Provider factory '${factory.name}' brings a reader for type '${reader.type}', which another reader handles already`,
        );
      readers.set(reader.type, reader);
    }
    for (const provider of created.providers) {
      const owner = owners.get(provider.id);
      if (owner)
        throw new Error(
          `Provider id '${provider.id}' is created by both factory '${owner}' and factory '${factory.name}'`,
        );
      owners.set(provider.id, factory.name);
      providers.push(provider);
    }
  }
  return providers;
}
