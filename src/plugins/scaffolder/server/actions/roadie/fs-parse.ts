import { parse, parseAllDocuments } from 'yaml';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject, JsonValue } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { readWorkspaceText } from '../workspace-text-files.ts';

type Parser = 'yaml' | 'json' | 'multiyaml';

interface ParseInput extends JsonObject {
  path: string;
  parser?: Parser;
}

/** Parses `text` read from `path`; a syntax error names the file (and YAML's line). */
export function parseStructured(text: string, parser: Parser, path: string): JsonValue {
  try {
    if (parser === 'json') return JSON.parse(text) as JsonValue;
    if (parser === 'yaml') return (parse(text) ?? null) as JsonValue;
    return parseAllDocuments(text).map((doc) => {
      if (doc.errors.length) throw doc.errors[0];
      return (doc.toJSON() ?? null) as JsonValue;
    });
  } catch (error) {
    const kind = parser === 'json' ? 'JSON' : 'YAML';
    throw new InputError(`path: '${path}' is not valid ${kind}: ${(error as Error).message}`);
  }
}

/** `roadiehq:utils:fs:parse`: a workspace file's content, as text or parsed. */
export const roadieParseFileAction: TemplateAction<ParseInput> = {
  id: 'roadiehq:utils:fs:parse',
  description: 'Reads a file from the workspace and optionally parses it',
  examples: [
    {
      description: 'Parse a YAML file of the workspace',
      example: `steps:
  - id: parsefile
    name: Parse File
    action: roadiehq:utils:fs:parse
    input:
      path: catalog-info.yaml
      parser: yaml
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['path'],
      properties: {
        path: {
          title: 'Path',
          description: 'Path to the file to read.',
          type: 'string',
          minLength: 1,
        },
        parser: {
          title: 'Parse',
          description:
            'Optionally parse the content to an object (`multiyaml`: a list, one item per YAML document).',
          type: 'string',
          enum: ['yaml', 'json', 'multiyaml'],
        },
      },
    },
    output: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        content: {
          title: 'Content of the file',
          description: 'The text, or what the parser made of it',
          type: ['string', 'object', 'array'],
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const { path, parser } = ctx.input;
    const { text } = await readWorkspaceText(ctx.workspacePath, path, 'path');
    ctx.output('content', parser ? parseStructured(text, parser, path) : text);
  },
};
