import { stringify } from 'yaml';
import type { JsonObject, JsonValue } from '../../../../../model/entity.ts';
import type { ActionDeps, TemplateAction } from '../types.ts';
import { readWorkspaceText } from '../workspace-text-files.ts';
import { boundedLimits, runBounded } from './bounded-eval.ts';
import { parseStructured } from './fs-parse.ts';
import { yamlOptionsSchema, yamlToStringOptions } from './yaml-options.ts';

const expressionSchema = {
  title: 'Expression',
  description: 'JSONata expression to perform on the input (https://jsonata.org)',
  type: 'string',
  minLength: 1,
};

const asSchema = {
  title: 'As',
  description: 'Desired Result Type. Permitted values are: "string" (default) and "object"',
  type: 'string',
  enum: ['string', 'object'],
  default: 'string',
};

function resultOutput(description: string) {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { result: { title: 'Output result from JSONata', description } },
  };
}

/**
 * JSONata evaluation for the three actions: in a worker thread bounded by
 * `scaffolder.limits.renderTimeout`, `workerMemoryMb` and `renderOutputBytes`, as template
 * rendering is, since the expression is template input run on the server.
 */
function evaluate(
  deps: ActionDeps,
  ctx: { signal: AbortSignal },
  expression: string,
  data: unknown,
): Promise<JsonValue | undefined> {
  return runBounded(
    { kind: 'jsonata', expression, data },
    { limits: boundedLimits(deps), ctx, field: 'expression', what: 'the JSONata evaluation' },
  );
}

interface JsonataInput extends JsonObject {
  data?: JsonValue;
  expression: string;
}

/** `roadiehq:utils:jsonata`: a JSONata expression over `data`; the result is an output. */
export function roadieJsonataAction(deps: ActionDeps): TemplateAction<JsonataInput> {
  return {
    id: 'roadiehq:utils:jsonata',
    description:
      'Allows performing JSONata operations and transformations on input objects and produces the output result as a step output.',
    examples: [
      {
        description: 'Add an item to a list',
        example: `steps:
  - id: jsonata
    name: Transform
    action: roadiehq:utils:jsonata
    input:
      data:
        items:
          - item1
      expression: '$ ~> | $ | { "items": [items, "item2"] }|'
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['expression'],
        properties: {
          data: { title: 'Data', description: 'Input data to be transformed' },
          expression: expressionSchema,
        },
      },
      output: resultOutput('What the expression returned (absent when it matched nothing)'),
    },
    supportsDryRun: true,
    async handler(ctx) {
      const result = await evaluate(deps, ctx, ctx.input.expression, ctx.input.data);
      if (result !== undefined) ctx.output('result', result);
    },
  };
}

interface YamlTransformInput extends JsonObject {
  path: string;
  expression: string;
  options?: JsonObject;
  loadAll?: boolean;
  as?: 'string' | 'object';
}

/** `roadiehq:utils:jsonata:yaml:transform`: JSONata over a workspace YAML file. */
export function roadieYamlJsonataTransformAction(
  deps: ActionDeps,
): TemplateAction<YamlTransformInput> {
  return {
    id: 'roadiehq:utils:jsonata:yaml:transform',
    description:
      'Allows performing JSONata operations and transformations on a YAML file in the workspace. The result can be read from the `result` step output.',
    examples: [
      {
        description: 'Add an item to a list in a YAML file; the new YAML is the result',
        example: `steps:
  - id: transform
    name: Jsonata
    action: roadiehq:utils:jsonata:yaml:transform
    input:
      path: input-data.yaml
      expression: '$ ~> | $ | { "items": [items, "item2"] }|'
  - id: write
    action: roadiehq:utils:fs:write
    input:
      path: input-data.yaml
      content: \${{ steps.transform.output.result }}
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['path', 'expression'],
        properties: {
          path: {
            title: 'Path',
            description: 'Input path to read yaml file',
            type: 'string',
            minLength: 1,
          },
          expression: expressionSchema,
          options: yamlOptionsSchema,
          loadAll: {
            title: 'Load all',
            description: 'Use this if the yaml source file contains multiple yaml objects',
            type: 'boolean',
          },
          as: asSchema,
        },
      },
      output: resultOutput('YAML text (as: string) or the data itself (as: object)'),
    },
    supportsDryRun: true,
    async handler(ctx) {
      const { path, loadAll } = ctx.input;
      const { text } = await readWorkspaceText(ctx.workspacePath, path, 'path');
      const data = parseStructured(text, loadAll ? 'multiyaml' : 'yaml', path);
      const result = await evaluate(deps, ctx, ctx.input.expression, data);
      // No match gives no result (Roadie's output is then undefined as well).
      if (result === undefined) return;
      ctx.output(
        'result',
        ctx.input.as === 'object'
          ? result
          : stringify(result, yamlToStringOptions(ctx.input.options)),
      );
    },
  };
}

interface JsonTransformInput extends JsonObject {
  path: string;
  expression: string;
  replacer?: string[];
  space?: string;
  as?: 'string' | 'object';
}

/** `roadiehq:utils:jsonata:json:transform`: JSONata over a workspace JSON file. */
export function roadieJsonJsonataTransformAction(
  deps: ActionDeps,
): TemplateAction<JsonTransformInput> {
  return {
    id: 'roadiehq:utils:jsonata:json:transform',
    description:
      'Allows performing JSONata operations and transformations on a JSON file in the workspace. The result can be read from the `result` step output.',
    examples: [
      {
        description: 'Add an item to a list in a JSON file',
        example: `steps:
  - id: transform
    name: Jsonata
    action: roadiehq:utils:jsonata:json:transform
    input:
      path: input-data.json
      expression: '$ ~> | $ | { "items": [items, "item2"] }|'
      space: '  '
`,
      },
    ],
    schema: {
      input: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['path', 'expression'],
        properties: {
          path: {
            title: 'Path',
            description: 'Input path to read json file',
            type: 'string',
            minLength: 1,
          },
          expression: expressionSchema,
          replacer: {
            title: 'Replacer',
            description: 'Replacer array: the keys to keep when writing the JSON text',
            type: 'array',
            items: { type: 'string' },
          },
          space: {
            title: 'Space',
            description: 'Space character: the indentation of the JSON text',
            type: 'string',
          },
          as: asSchema,
        },
      },
      output: resultOutput('JSON text (as: string) or the data itself (as: object)'),
    },
    supportsDryRun: true,
    async handler(ctx) {
      const { path, replacer, space } = ctx.input;
      const { text } = await readWorkspaceText(ctx.workspacePath, path, 'path');
      const data = parseStructured(text, 'json', path);
      const result = await evaluate(deps, ctx, ctx.input.expression, data);
      if (ctx.input.as === 'object') {
        if (result !== undefined) ctx.output('result', result);
        return;
      }
      const json = JSON.stringify(result, replacer, space);
      if (json !== undefined) ctx.output('result', json);
    },
  };
}
