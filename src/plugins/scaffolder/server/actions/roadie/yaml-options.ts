import type { ToStringOptions } from 'yaml';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';

const stringTypes = ['BLOCK_FOLDED', 'BLOCK_LITERAL', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'PLAIN'];

/**
 * The `options` input of Roadie's YAML-writing actions: the `yaml` package's `toString`
 * options, as their module declares them.
 */
export const yamlOptionsSchema = {
  title: 'YAML options',
  description: "How the YAML is written (options of the `yaml` package's stringify)",
  type: 'object',
  properties: {
    blockQuote: {
      description: '(default: true) use block quote styles for scalar values where applicable',
      oneOf: [{ type: 'boolean' }, { type: 'string', enum: ['folded', 'literal'] }],
    },
    collectionStyle: {
      description:
        "(default: 'any') enforce 'block' or 'flow' style on maps and sequences; by default each collection keeps its own",
      type: 'string',
      enum: ['any', 'block', 'flow'],
    },
    defaultKeyType: {
      description: '(default: null) the string type used for keys',
      oneOf: [{ type: 'null' }, { type: 'string', enum: stringTypes }],
    },
    defaultStringType: {
      description: "(default: 'PLAIN') the default type of string literal used to stringify values",
      type: 'string',
      enum: stringTypes,
    },
    directives: {
      description:
        '(default: null) include directives in the output: true always writes the document-start marker ---, false never, null when required',
      type: ['boolean', 'null'],
    },
    doubleQuotedAsJSON: {
      description: '(default: false) restrict double-quoted strings to JSON-compatible syntax',
      type: 'boolean',
    },
    doubleQuotedMinMultiLineLength: {
      description:
        '(default: 40) minimum length for double-quoted strings to use multiple lines instead of escaping newlines',
      type: 'number',
    },
    falseStr: { description: "(default: 'false') how false is written", type: 'string' },
    flowCollectionPadding: {
      description:
        '(default: true) pad the inside of non-empty single-line flow collections with a space',
      type: 'boolean',
    },
    indent: {
      description: '(default: 2) spaces per indentation level',
      type: 'number',
      minimum: 1,
    },
    indentSeq: { description: '(default: true) indent block sequences', type: 'boolean' },
    lineWidth: {
      description: '(default: 80) maximum line width (0 disables folding); a soft limit',
      type: 'number',
      minimum: 0,
    },
    minContentWidth: {
      description: '(default: 20) minimum line width for highly indented content (0 disables)',
      type: 'number',
      minimum: 0,
    },
    nullStr: { description: "(default: 'null') how null is written", type: 'string' },
    simpleKeys: {
      description: '(default: false) require keys to be scalars, always written implicitly',
      type: 'boolean',
    },
    singleQuote: {
      description:
        '(default: null) prefer single quotes where applicable; false disables single quotes',
      type: ['boolean', 'null'],
    },
    trueStr: { description: "(default: 'true') how true is written", type: 'string' },
  },
} satisfies JsonObject;

/** The validated `options` input as the `yaml` package takes it. */
export function yamlToStringOptions(options: JsonObject | undefined): ToStringOptions | undefined {
  if (!options) return undefined;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InputError('options must be an object of YAML options');
  }
  return options as ToStringOptions;
}
