/**
 * The scorecards plugin's action for the actions registry (a tool of the MCP server): an
 * entity's scorecard results, as `GET /api/scorecards/entities/:namespace/:kind/:name` answers
 * them (the same code): scorecards and entities the caller may not read are not shown.
 */
import {
  actionsRegistryExtensionPoint,
  defineAction,
  type Extension,
  extend,
  InputError,
} from '../../../core/plugin-api.ts';
import { parseEntityRef } from '../../../model/ref.ts';
import { SCORECARD_PERMISSIONS, type ScorecardRoutes } from './routes.ts';

const string = { type: 'string' } as const;

/** The get-scorecard-results action. `routes` is read when it runs: made in setup. */
export function scorecardsActions(routes: () => ScorecardRoutes | undefined): Extension[] {
  const action = defineAction<{ entityRef: string }, { entityRef: string; items: object[] }>({
    id: 'get-scorecard-results',
    title: "Get an entity's scorecard results",
    description:
      'Returns how one entity scores on each scorecard that applies to it (maturity levels such as Bronze, Silver, Gold): its level, and every check with its status (passed, failed, unknown), the reason in one sentence, and how to fix it.',
    inputSchema: {
      type: 'object',
      properties: {
        entityRef: {
          type: 'string',
          minLength: 1,
          maxLength: 1024,
          description: 'The entity, kind:namespace/name, e.g. component:default/payments-api',
        },
      },
      required: ['entityRef'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: {
        entityRef: string,
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              scorecard: {
                type: 'object',
                properties: {
                  ref: string,
                  title: string,
                  levels: { type: 'array', items: string, description: 'Lowest first' },
                },
                required: ['ref', 'title', 'levels'],
              },
              level: { type: ['string', 'null'], description: 'null: not even the lowest' },
              rank: { type: 'integer' },
              scoredAt: string,
              levelSince: { type: ['string', 'null'] },
              checks: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: string,
                    title: string,
                    level: string,
                    description: string,
                    howToFix: string,
                    status: { type: 'string', enum: ['passed', 'failed', 'unknown'] },
                    value: {},
                    reason: string,
                  },
                  required: ['id', 'title', 'level', 'status', 'reason'],
                },
              },
            },
            required: ['scorecard', 'level', 'rank', 'checks'],
          },
        },
      },
      required: ['entityRef', 'items'],
    },
    permission: SCORECARD_PERMISSIONS.read,
    hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    destructive: false,
    async handler(input, ctx) {
      const r = routes();
      if (!r) throw new Error('The scorecards plugin is not set up');
      let p: { kind: string; namespace: string; name: string };
      try {
        p = parseEntityRef(input.entityRef.trim());
      } catch (error) {
        throw new InputError(`arguments.entityRef: ${(error as Error).message}`);
      }
      const { items } = await r.entityResults(ctx, p);
      return { entityRef: `${p.kind}:${p.namespace}/${p.name}`.toLowerCase(), items };
    },
  });
  return [extend(actionsRegistryExtensionPoint, action)];
}
