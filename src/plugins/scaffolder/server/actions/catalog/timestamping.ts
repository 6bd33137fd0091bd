import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { existingWorkspaceFile, writeWorkspaceText } from '../workspace-text-files.ts';

interface TimestampingInput extends JsonObject {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Record<string, string>;
  entityFilePath?: string;
  objectYaml?: JsonObject;
  writeToFile?: string;
}

export const CREATED_AT_ANNOTATION = 'backstage.io/createdAt';

/**
 * The annotator module's timestamp (`@backstage-community/…-scaffolder-backend-module-annotator`):
 * the server's local date, then the time in US English, e.g. `6/15/2024, 2:30:00 PM`. Kept
 * as it is, since catalogs already hold values written this way.
 */
export function annotatorTimestamp(date: Date = new Date()): string {
  return `${date.toLocaleDateString()}, ${date.toLocaleTimeString('en-US')}`;
}

const stringMap = (description: string) => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string' },
});

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `catalog:timestamping` of Red Hat Developer Hub's annotator module: adds
 * `backstage.io/createdAt` (plus any `annotations`, `labels` and `spec` given) to the entity in
 * `catalog-info.yaml` (or `entityFilePath`, or `objectYaml`) and writes it back (or to
 * `writeToFile`). Outputs the annotated entity as YAML text, as the module does.
 */
export const catalogTimestampingAction: TemplateAction<TimestampingInput> = {
  id: 'catalog:timestamping',
  description:
    'Annotates the entity in catalog-info.yaml with its creation time (backstage.io/createdAt).',
  examples: [
    {
      description: 'Add the creation time to the catalog file the skeleton wrote',
      example: `steps:
  - id: template
    action: fetch:template
    input:
      url: ./skeleton
  - id: timestamp
    name: Add Timestamp to catalog-info.yaml
    action: catalog:timestamping
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        labels: stringMap('Labels that will be applied to the `metadata.labels` of the entity'),
        annotations: stringMap(
          'Annotations that will be applied to the `metadata.annotations` of the entity',
        ),
        spec: stringMap('Key-value pairs that will be applied to the `spec` of the entity'),
        entityFilePath: {
          title: 'Entity File Path',
          description:
            'The entity file to annotate, relative to the workspace (default catalog-info.yaml)',
          type: 'string',
        },
        objectYaml: {
          title: 'Object Yaml',
          description: 'The entity to annotate, given as an object instead of a file',
          type: 'object',
        },
        writeToFile: {
          title: 'Write To File',
          description: 'Where to write the annotated entity (default ./catalog-info.yaml)',
          type: 'string',
        },
      },
    },
    output: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        annotatedObject: {
          type: 'string',
          description: 'The annotated entity, as YAML text',
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const input = ctx.input;
    let entity: JsonObject;
    if (input.objectYaml) {
      entity = { ...input.objectYaml };
    } else {
      const path = input.entityFilePath || './catalog-info.yaml';
      const target = await existingWorkspaceFile(ctx.workspacePath, path, 'entityFilePath');
      let parsed: unknown;
      try {
        parsed = parse(await readFile(target, 'utf8'));
      } catch (error) {
        throw new InputError(
          `entityFilePath: '${path}' is not valid YAML: ${(error as Error).message}`,
        );
      }
      if (!isObject(parsed)) {
        throw new InputError(`entityFilePath: '${path}' does not hold an entity (a YAML mapping)`);
      }
      entity = parsed;
    }
    const metadata = isObject(entity.metadata) ? entity.metadata : {};
    const annotated = {
      ...entity,
      metadata: {
        ...metadata,
        annotations: {
          ...(isObject(metadata.annotations) ? metadata.annotations : {}),
          [CREATED_AT_ANNOTATION]: annotatorTimestamp(),
          ...input.annotations,
        },
        labels: { ...(isObject(metadata.labels) ? metadata.labels : {}), ...input.labels },
      },
      spec: { ...(isObject(entity.spec) ? entity.spec : {}), ...input.spec },
    };
    const text = stringify(annotated);
    ctx.logger.info('Annotating catalog-info.yaml with current timestamp');
    await writeWorkspaceText(
      ctx.workspacePath,
      input.writeToFile || './catalog-info.yaml',
      text,
      'writeToFile',
    );
    ctx.output('annotatedObject', text);
  },
};
