/**
 * The Scorecard kind as the catalog accepts it. The spec schema states the shape; the rules,
 * levels and filters are checked by `validate`, whose problems carry field paths that the
 * catalog turns into file lines.
 */
import type { KindDefinition } from '../../../model/kind-definition.ts';
import { validateScorecard } from './evaluate.ts';
import { SCORECARD_API_VERSION, SCORECARD_KIND } from './types.ts';

export const scorecardKind: KindDefinition = {
  kind: SCORECARD_KIND,
  apiVersions: [SCORECARD_API_VERSION],
  specRequired: true,
  specSchema: {
    type: 'object',
    required: ['levels', 'checks'],
    additionalProperties: false,
    properties: {
      owner: {
        type: 'string',
        minLength: 1,
        description: 'the group that maintains the scorecard, e.g. group:default/platform',
      },
      filter: {
        type: ['object', 'array'],
        description: 'which entities it scores, e.g. { kind: Component, spec.type: service }',
      },
      levels: {
        type: 'array',
        description: 'level names, lowest first, e.g. [Bronze, Silver, Gold]',
      },
      checks: { type: 'array', description: 'checks, each { id, level, rule }' },
      campaigns: { type: 'array', description: 'campaigns, each { id, level, deadline }' },
    },
  },
  refFields: [
    { path: 'spec.owner', defaultKind: 'Group', relation: 'ownedBy', reverse: 'ownerOf' },
  ],
  validate: (entity) => validateScorecard(entity),
};
