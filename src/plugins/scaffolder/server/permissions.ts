import type { PermissionRule, ResourceTypeDefinition } from '../../../core/plugin-api.ts';
import { valueAtDottedPath } from '../../../model/path.ts';

/**
 * The scaffolder's resource type `scaffolder-action` (a step about to run: its action id and
 * rendered input), with Backstage's rules, so `scaffolder.action.execute` may be conditional
 * ("only fetch:* actions", "publish only to repositories of this owner").
 */
export interface ScaffolderActionResource {
  action: string;
  input: Record<string, unknown>;
}

type Rule = PermissionRule<ScaffolderActionResource, ScaffolderActionResource>;

function property(name: string, type: 'boolean' | 'number' | 'string'): Rule {
  return {
    name,
    description: `Has the ${type} input property (with the value, when one is given)`,
    params: ['key'],
    apply(resource, params) {
      const value = valueAtDottedPath(resource.input, String(params.key));
      if (typeof value !== type) return false;
      return params.value === undefined || value === params.value;
    },
    // Steps are decided one at a time, never listed: there is no query to build.
    toQuery: () => ({ action: '', input: {} }),
    explainFailure: (params) =>
      `this step's input.${params.key} is not ${params.value === undefined ? `a ${type}` : JSON.stringify(params.value)}`,
  };
}

const hasActionId: Rule = {
  name: 'HAS_ACTION_ID',
  description: 'Runs the given action',
  params: ['actionId'],
  apply: (resource, params) => resource.action === params.actionId,
  toQuery: () => ({ action: '', input: {} }),
  explainFailure: (params) => `this step does not run ${params.actionId}`,
};

export function scaffolderActionResourceType(): ResourceTypeDefinition<
  ScaffolderActionResource,
  ScaffolderActionResource
> {
  return {
    type: 'scaffolder-action',
    rules: [
      hasActionId,
      property('HAS_BOOLEAN_PROPERTY', 'boolean'),
      property('HAS_NUMBER_PROPERTY', 'number'),
      property('HAS_STRING_PROPERTY', 'string'),
    ],
    // Steps are always decided with their resource in hand; a bare id has no input.
    load: async (refs) => refs.map((action) => ({ action, input: {} })),
  };
}
