/**
 * TechDocs' action for the actions registry (a tool of the MCP server): a docs page as text.
 * It reads what the reader page reads, through the same checks: the docs of an entity the
 * caller may not read are not found, and a local site out of date is built first, as opening
 * it in the portal would.
 */
import {
  actionsRegistryExtensionPoint,
  AtriumError,
  defineAction,
  type Extension,
  extend,
  InputError,
  NotFoundError,
} from '../../../core/plugin-api.ts';
import { parseEntityRef } from '../../../model/ref.ts';
import { locationPath } from '../common/index.ts';
import { readSearchIndex } from './collator.ts';
import { entityOr404, P, type RouteDeps } from './routes/shared.ts';

const string = { type: 'string' } as const;
/** Longest page text returned; longer pages end with a note. */
const MAX_TEXT = 100_000;

/** The read-docs-page action. `deps` is read when it runs: the plugin makes them in setup. */
export function techdocsActions(deps: () => RouteDeps | undefined): Extension[] {
  const action = defineAction<{ entityRef: string; path: string }, Record<string, unknown>>({
    id: 'read-docs-page',
    title: 'Read a documentation page',
    description:
      "Returns one page of an entity's documentation (TechDocs) as plain text, with the titles of its sections and the list of the site's pages. `path` is the page's path in the site ('' for the home page, e.g. 'guides/deploy'), as the pages list and search results (type techdocs, location /docs/<namespace>/<kind>/<name>/<path>/) give it.",
    inputSchema: {
      type: 'object',
      properties: {
        entityRef: {
          type: 'string',
          minLength: 1,
          maxLength: 1024,
          description: 'The entity whose docs to read, kind:namespace/name',
        },
        path: { type: 'string', maxLength: 1024, default: '', description: "'' = home page" },
      },
      required: ['entityRef'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: {
        entityRef: string,
        siteName: string,
        path: string,
        title: string,
        text: string,
        truncated: { type: 'boolean' },
        sections: {
          type: 'array',
          items: {
            type: 'object',
            properties: { title: string, anchor: string },
            required: ['title', 'anchor'],
          },
        },
        pages: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: string, title: string },
            required: ['path', 'title'],
          },
        },
      },
      required: ['entityRef', 'path', 'title', 'text', 'sections', 'pages'],
    },
    // Reading docs is reading the entity: its handler decides on the entity itself.
    permission: P.read,
    hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    destructive: false,
    async handler(input, ctx) {
      const d = deps();
      if (!d) throw new Error('The techdocs plugin is not set up');
      let parsed: { kind: string; namespace: string; name: string };
      try {
        parsed = parseEntityRef(input.entityRef.trim());
      } catch (error) {
        throw new InputError(`arguments.entityRef: ${(error as Error).message}`);
      }
      const { entity, triplet, entityRef } = await entityOr404(d, ctx, parsed);
      const sync = d.sync.sync({ entity, entityRef, triplet, source: d.resolveSource(entity) });
      let buildError: string | undefined;
      try {
        await sync.outcome;
      } catch (error) {
        // A failed build leaves the last published site, if any, as the reader page shows it.
        buildError = error instanceof AtriumError ? error.message : (error as Error).message;
      }
      const [metadata, index] = await Promise.all([
        d.storage.getMetadata(triplet),
        readSearchIndex(d.storage, triplet),
      ]);
      if (!metadata || !index) {
        throw new NotFoundError(
          `No docs site is published for ${entityRef}${buildError ? `: ${buildError}` : ''}`,
        );
      }
      const wanted = input.path.replace(/^\/+|\/+$/g, '').replace(/#.*$/, '');
      const pages: Array<{ path: string; title: string; text: string }> = [];
      const sections = new Map<string, Array<{ title: string; anchor: string }>>();
      for (const doc of index.docs) {
        const { path, hash } = locationPath(doc.location);
        if (hash) {
          const list = sections.get(path) ?? [];
          list.push({ title: doc.title, anchor: hash });
          sections.set(path, list);
        } else {
          pages.push({ path, title: doc.title, text: doc.text });
        }
      }
      const page = pages.find((p) => p.path === wanted);
      if (!page) {
        throw new NotFoundError(
          `The docs of ${entityRef} have no page '${wanted}'; its pages are: ${pages
            .map((p) => `'${p.path}'`)
            .join(', ')}`,
        );
      }
      const truncated = page.text.length > MAX_TEXT;
      return {
        entityRef,
        siteName: metadata.site_name,
        path: page.path,
        title: page.title,
        text: truncated ? `${page.text.slice(0, MAX_TEXT)}…` : page.text,
        ...(truncated ? { truncated } : {}),
        sections: sections.get(page.path) ?? [],
        pages: pages.map(({ path, title }) => ({ path, title })),
      };
    },
  });
  return [extend(actionsRegistryExtensionPoint, action)];
}
