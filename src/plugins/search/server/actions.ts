/**
 * The search plugin's action for the actions registry (a tool of the MCP server): the same
 * query as `GET /api/search/query`, so results about entities the caller may not read are
 * never found, and counts count only what the caller may see.
 */
import {
  actionsRegistryExtensionPoint,
  defineAction,
  type Extension,
  extend,
  InputError,
} from '../../../core/plugin-api.ts';
import { SEARCH_TYPES } from '../common/types.ts';
import { decodeCursor } from './query-params.ts';
import { SEARCH_PERMISSIONS, type SearchRouteDeps, searchFor } from './routes.ts';

const string = { type: 'string' } as const;
/** Longest text of a result shown when the term matched elsewhere (the title, a filter). */
const TEXT_PREVIEW = 300;
const MAX_LIMIT = 100;

interface SearchInput {
  term: string;
  types?: string[];
  filters?: Record<string, string | string[]>;
  limit: number;
  cursor?: string;
}

/** The search action. `deps` is read when it runs: the plugin makes the engine in setup. */
export function searchActions(
  deps: () => (SearchRouteDeps & { maxTermLength: number }) | undefined,
): Extension[] {
  const action = defineAction<SearchInput, Record<string, unknown>>({
    id: 'search',
    title: 'Search the portal',
    description: `Full-text search over the software catalog (type '${SEARCH_TYPES.catalog}': services, APIs, libraries, teams, users) and the documentation (type 'techdocs': pages and sections of every docs site). Words are matched in any order; "quoted phrases" exactly. Narrow with types and filters (e.g. {"kind": "component", "lifecycle": "production"}). Matches are marked **like this**. Open a docs result with read-docs-page, an entity with get-catalog-entity.`,
    inputSchema: {
      type: 'object',
      properties: {
        term: { type: 'string', maxLength: 10_000, description: 'What to look for' },
        types: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: `Document types to search (default: all), e.g. ["${SEARCH_TYPES.catalog}", "techdocs"]`,
        },
        filters: {
          type: 'object',
          additionalProperties: {
            anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
          },
          description: 'Field values a result must have (kind, namespace, lifecycle, owner, type)',
        },
        limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 10 },
        cursor: { type: 'string', minLength: 1, description: 'nextCursor of a previous page' },
      },
      required: ['term'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: {
        results: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              type: string,
              title: string,
              text: { type: 'string', description: 'Where it matched, or the beginning' },
              location: { type: 'string', description: 'Where the result links to in the portal' },
              entityRef: string,
              rank: { type: 'integer' },
            },
            required: ['type', 'title', 'text', 'location'],
          },
        },
        numberOfResults: { type: 'integer' },
        numberOfResultsIsLowerBound: { type: 'boolean' },
        nextCursor: string,
      },
      required: ['results', 'numberOfResults'],
    },
    permission: SEARCH_PERMISSIONS.query,
    hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    destructive: false,
    async handler(input, ctx) {
      const d = deps();
      if (!d) throw new Error('The search plugin is not set up');
      const term = input.term.trim();
      if (term.length > d.maxTermLength) {
        throw new InputError(
          `arguments.term must be at most ${d.maxTermLength} characters (search.maxTermLength)`,
        );
      }
      const filters: Record<string, string[]> = {};
      for (const [key, value] of Object.entries(input.filters ?? {})) {
        filters[key] = Array.isArray(value) ? value : [value];
      }
      let page = 0;
      if (input.cursor) {
        try {
          page = decodeCursor(input.cursor);
        } catch {
          throw new InputError('arguments.cursor is not a cursor this server issued');
        }
      }
      const tags = { preTag: '**', postTag: '**' };
      let set: Awaited<ReturnType<typeof searchFor>>;
      try {
        set = await searchFor(
          d,
          ctx,
          { term, types: input.types ?? [], filters, page, pageLimit: input.limit },
          tags,
        );
      } catch (error) {
        // The query's own checks name the query string; here they are about the arguments.
        if (error instanceof InputError) {
          throw new InputError(error.message.replace(/^querystring\./, 'arguments.'));
        }
        throw error;
      }
      return {
        results: set.results.map((r) => {
          const doc = r.document;
          const text = r.highlight?.fields.text ?? preview(doc.text);
          return {
            type: r.type,
            title: doc.title,
            text,
            location: doc.location,
            ...(typeof doc.entityRef === 'string' ? { entityRef: doc.entityRef } : {}),
            ...(r.rank !== undefined ? { rank: r.rank } : {}),
          };
        }),
        numberOfResults: set.numberOfResults ?? set.results.length,
        ...(set.numberOfResultsIsLowerBound ? { numberOfResultsIsLowerBound: true } : {}),
        ...(set.nextPageCursor ? { nextCursor: set.nextPageCursor } : {}),
      };
    },
  });
  return [extend(actionsRegistryExtensionPoint, action)];
}

function preview(text: unknown): string {
  const value = typeof text === 'string' ? text : '';
  return value.length <= TEXT_PREVIEW ? value : `${value.slice(0, TEXT_PREVIEW)}…`;
}
