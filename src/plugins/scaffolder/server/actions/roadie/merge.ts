import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  parse,
  parseAllDocuments,
  stringify,
  type ToStringOptions,
} from 'yaml';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TaskLogger, TemplateAction } from '../types.ts';
import { existingWorkspaceFile, writableWorkspaceFile } from '../workspace-text-files.ts';
import { deepMerge, isPlainObject } from './deep-merge.ts';
import { yamlOptionsSchema, yamlToStringOptions } from './yaml-options.ts';

interface MergeInput extends JsonObject {
  path: string;
  content: string | JsonObject;
  mergeArrays?: boolean;
  preserveYamlComments?: boolean;
  useDocumentIncludingField?: { key: string; value: string };
  options?: JsonObject;
}

const contentSchema = {
  title: 'Content',
  description:
    'This will be merged into to the file. Can be either an object or a string (JSON, or YAML for YAML files).',
  type: ['string', 'object'],
};

const mergeArraysSchema = {
  title: 'Merge arrays',
  description:
    'Where a value is an array the merge function should concatenate the provided array value with the target array',
  type: 'boolean',
};

const pathOutput = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    path: { title: 'Path', description: 'Path to the file that was written', type: 'string' },
  },
};

function parseContent(content: string | JsonObject, yaml: boolean): unknown {
  if (typeof content !== 'string') return content;
  try {
    return yaml ? parse(content) : JSON.parse(content);
  } catch (error) {
    throw new InputError(
      `content: not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
}

/** The value at a dotted path (`metadata.name`) of plain data, as text. */
function valueAt(data: unknown, path: string): string | undefined {
  let current = data;
  for (const key of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current === undefined || current === null ? undefined : String(current);
}

/**
 * Makes the YAML node `node` hold `value` (what the merge produced from it), keeping every
 * node whose value did not change, and so its comments and style.
 */
function updateNode(doc: Document, node: unknown, value: unknown): unknown {
  if (isMap(node) && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const pair = node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key,
      );
      if (pair) pair.value = updateNode(doc, pair.value, item);
      else node.add(doc.createPair(key, item));
    }
    return node;
  }
  if (isSeq(node) && Array.isArray(value)) {
    value.forEach((item, i) => {
      node.items[i] =
        i < node.items.length ? updateNode(doc, node.items[i], item) : doc.createNode(item);
    });
    node.items.splice(value.length);
    return node;
  }
  if (isScalar(node) && node.value === value) return node;
  const created = doc.createNode(value);
  if (isScalar(node) || isMap(node) || isSeq(node)) {
    created.comment = node.comment;
    created.commentBefore = node.commentBefore;
  }
  return created;
}

/** Roadie's YAML merge: one document, or the one `useDocumentIncludingField` picks. */
type YamlDocument = Document.Parsed | Document;

function mergeYaml(
  original: string,
  content: unknown,
  input: MergeInput,
  options: ToStringOptions | undefined,
  logger: TaskLogger,
): string {
  const docs = parseAllDocuments(original);
  if (!Array.isArray(docs) || docs.length === 0) {
    throw new InputError(
      `path: '${input.path}' holds no YAML document. Please provide a valid YAML file.`,
    );
  }
  for (const doc of docs) {
    if (doc.errors.length) {
      throw new InputError(`path: '${input.path}' is not valid YAML: ${doc.errors[0]!.message}`);
    }
  }
  let chosen: (doc: YamlDocument) => boolean = () => true;
  if (docs.length > 1) {
    const pick = input.useDocumentIncludingField;
    if (!pick) {
      throw new InputError(
        `useDocumentIncludingField: '${input.path}' holds ${docs.length} YAML documents; give the key and value of a field that names the one to merge into`,
      );
    }
    chosen = (doc) => valueAt(doc.toJSON(), pick.key) === pick.value;
    if (!docs.some(chosen)) {
      logger.warn(
        `useDocumentIncludingField: no document of '${input.path}' has ${pick.key}: ${pick.value}; nothing merged`,
      );
    }
  }
  return docs
    .map((doc: YamlDocument) => {
      if (!chosen(doc))
        return input.preserveYamlComments
          ? doc.toString(options)
          : stringify(doc.toJSON(), options);
      const merged = deepMerge(doc.toJSON(), content, input.mergeArrays);
      if (!input.preserveYamlComments) return stringify(merged, options);
      (doc as Document).contents = updateNode(doc, doc.contents, merged) as Document['contents'];
      return doc.toString(options);
    })
    .join('---\n');
}

/**
 * `roadiehq:utils:merge`: data merged into an existing JSON or YAML file (by its extension;
 * a file of another kind is left as it is, with a warning in the log).
 */
export const roadieMergeAction: TemplateAction<MergeInput> = {
  id: 'roadiehq:utils:merge',
  description: 'Merges data into an existing structured file.',
  examples: [
    {
      description: 'Add a dependency to package.json',
      example: `steps:
  - id: merge
    name: Merge dependency
    action: roadiehq:utils:merge
    input:
      path: package.json
      content:
        dependencies:
          lodash: ^4.17.21
`,
    },
    {
      description: 'Add a tag to one document of a multi-document YAML file, keeping comments',
      example: `steps:
  - id: merge
    action: roadiehq:utils:merge
    input:
      path: catalog-info.yaml
      preserveYamlComments: true
      mergeArrays: true
      useDocumentIncludingField:
        key: metadata.name
        value: \${{ parameters.name }}
      content:
        metadata:
          tags: [new]
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['content', 'path'],
      properties: {
        path: {
          title: 'Path',
          description: 'Path to existing file to append.',
          type: 'string',
          minLength: 1,
        },
        content: contentSchema,
        mergeArrays: mergeArraysSchema,
        preserveYamlComments: {
          title: 'Preserve YAML comments',
          description: 'Will preserve standalone and inline comments in YAML files',
          type: 'boolean',
        },
        useDocumentIncludingField: {
          title: 'Use document including field',
          description:
            'This option is only applicable to YAML files. It allows you to specify a field to use as a key to find the document to merge into.',
          type: 'object',
          required: ['key', 'value'],
          properties: {
            key: {
              type: 'string',
              description:
                'The key of the field to use to find the document to merge into (a dotted path such as metadata.name).',
            },
            value: {
              type: 'string',
              description: 'The value of the field to use to find the document to merge into.',
            },
          },
        },
        options: yamlOptionsSchema,
      },
    },
    output: pathOutput,
  },
  supportsDryRun: true,
  async handler(ctx) {
    const input = ctx.input;
    const target = await existingWorkspaceFile(ctx.workspacePath, input.path, 'path');
    const original = await readFile(target, 'utf8');
    let merged: string;
    switch (extname(target)) {
      case '.json': {
        let existing: unknown;
        try {
          existing = parse(original);
        } catch (error) {
          throw new InputError(
            `path: '${input.path}' is not valid JSON: ${(error as Error).message}`,
          );
        }
        merged = JSON.stringify(
          deepMerge(existing, parseContent(input.content, false), input.mergeArrays),
          null,
          2,
        );
        break;
      }
      case '.yml':
      case '.yaml':
        merged = mergeYaml(
          original,
          parseContent(input.content, true),
          input,
          yamlToStringOptions(input.options),
          ctx.logger,
        );
        break;
      default:
        ctx.logger.warn(
          `path: '${input.path}' is neither .json nor .yaml/.yml; roadiehq:utils:merge left it unchanged`,
        );
        return;
    }
    await writeFile(target, merged);
    ctx.output('path', target);
  },
};

interface MergeJsonInput extends JsonObject {
  path: string;
  content: string | JsonObject;
  mergeArrays?: boolean;
  matchFileIndent?: boolean;
}

/** The indentation of a JSON text: its first indented line's (2 when none is). */
function detectIndent(text: string): string | number {
  const match = /^([ \t]+)\S/m.exec(text);
  if (!match) return 2;
  return match[1]!.startsWith('\t') ? '\t' : match[1]!.length;
}

/** `roadiehq:utils:json:merge`: data merged into a JSON file, created when missing. */
export const roadieMergeJsonAction: TemplateAction<MergeJsonInput> = {
  id: 'roadiehq:utils:json:merge',
  description: 'Merge new data into an existing JSON file.',
  examples: [
    {
      description: 'Merge JSON into a file',
      example: `steps:
  - id: merge
    name: Merge JSON
    action: roadiehq:utils:json:merge
    input:
      path: \${{ parameters.path }}
      content: \${{ parameters.content }}
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['content', 'path'],
      properties: {
        path: {
          title: 'Path',
          description: 'Path to existing file to append.',
          type: 'string',
          minLength: 1,
        },
        content: contentSchema,
        mergeArrays: mergeArraysSchema,
        matchFileIndent: {
          title: 'Match file indent',
          description: 'Make the output file indentation match that of the specified input file.',
          type: 'boolean',
        },
      },
    },
    output: pathOutput,
  },
  supportsDryRun: true,
  async handler(ctx) {
    const input = ctx.input;
    const { target, exists } = await writableWorkspaceFile(ctx.workspacePath, input.path, 'path');
    let existing: unknown = {};
    let indent: string | number = 2;
    if (exists) {
      const text = await readFile(target, 'utf8');
      try {
        existing = JSON.parse(text);
      } catch (error) {
        throw new InputError(
          `path: '${input.path}' is not valid JSON: ${(error as Error).message}`,
        );
      }
      if (input.matchFileIndent) indent = detectIndent(text);
    } else {
      ctx.logger.info(`The file ${input.path} does not exist, creating it.`);
    }
    const merged = deepMerge(existing, parseContent(input.content, false), input.mergeArrays);
    await writeFile(target, JSON.stringify(merged, null, indent));
    ctx.output('path', target);
  },
};
