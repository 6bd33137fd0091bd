import type { PluginEnvironment } from '../../../../core/plugin-api.ts';
import type { DocsSite, DocsSitesResponse } from '../../common/api-types.ts';
import type { SiteMetadata } from '../../common/index.ts';
import type { Entity } from '../../../../model/entity.ts';
import type { Predicate } from '../../../catalog/server/query/predicate.ts';
import { ANNOTATION_TECHDOCS_REF } from '../source/docs-ref.ts';
import { addressOf, noQuery, P, type RouteDeps } from './shared.ts';

/** Metadata files read at once while listing sites. */
const PARALLEL_READS = 16;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** `GET /sites`: every entity with a techdocs-ref, with its site and last build (Docs section). */
export function registerSitesRoutes(env: PluginEnvironment, deps: RouteDeps) {
  env.route({
    method: 'GET',
    url: '/sites',
    permission: P.read,
    schema: { querystring: noQuery },
    async handler(_request, _reply, ctx): Promise<DocsSitesResponse> {
      const catalog = deps.catalog();
      const documented: Predicate = {
        [`metadata.annotations.${ANNOTATION_TECHDOCS_REF}`]: { $exists: true },
      };
      // Only the sites of entities the caller may read, filtered in the catalog's query.
      const readable = await catalog.readFilter(ctx);
      const entities: Entity[] = [];
      for await (const page of catalog.query.listAll({
        filter: readable ? { $all: [documented, readable] } : documented,
        fields: ['kind', 'metadata', 'spec.type', 'spec.owner', 'spec.lifecycle'],
      })) {
        entities.push(...(page as Entity[]));
      }
      const addresses = entities.map((e) =>
        addressOf({
          namespace: e.metadata.namespace ?? 'default',
          kind: e.kind,
          name: e.metadata.name,
        }),
      );
      const [metadata, builds] = await Promise.all([
        mapLimit(addresses, PARALLEL_READS, (a) =>
          deps.storage.getMetadata(a.triplet).catch((): SiteMetadata | undefined => undefined),
        ),
        deps.records.summaries(addresses.map((a) => a.entityRef)),
      ]);
      const items = entities.map((entity, i): DocsSite => {
        const { triplet, entityRef } = addresses[i]!;
        const site = metadata[i];
        const build = builds.get(entityRef);
        return {
          entityRef,
          ...triplet,
          title: entity.metadata.title ?? entity.metadata.name,
          ...(str(entity.metadata.description) ? { description: entity.metadata.description } : {}),
          ...(str(entity.spec?.owner) ? { owner: entity.spec!.owner as string } : {}),
          ...(str(entity.spec?.type) ? { type: entity.spec!.type as string } : {}),
          ...(str(entity.spec?.lifecycle) ? { lifecycle: entity.spec!.lifecycle as string } : {}),
          published: site !== undefined,
          ...(site ? { siteName: site.site_name, buildTimestamp: site.build_timestamp } : {}),
          status: build?.status ?? 'never',
          building: (build?.building ?? false) || deps.sync.isBuilding(entityRef),
          problemCount: build?.problems.length ?? 0,
        };
      });
      items.sort(
        (a, b) => a.title.localeCompare(b.title) || a.entityRef.localeCompare(b.entityRef),
      );
      return { items };
    },
  });
}
