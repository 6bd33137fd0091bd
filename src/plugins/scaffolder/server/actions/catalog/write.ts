import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { InputError } from '../../../../../core/errors.ts';
import type { JsonObject } from '../../../../../model/entity.ts';
import type { TemplateAction } from '../types.ts';
import { resolveSafeChildPath } from '../workspace-paths.ts';

interface WriteInput extends JsonObject {
  entity: JsonObject;
  filePath?: string;
}

export const SOURCE_TEMPLATE_ANNOTATION = 'backstage.io/source-template';

export const catalogWriteAction: TemplateAction<WriteInput> = {
  id: 'catalog:write',
  description:
    "Writes a catalog descriptor file (YAML) into the workspace, annotated with the template's entity ref.",
  examples: [
    {
      description: 'Write a catalog-info.yaml',
      example: `steps:
  - id: create-catalog-info-file
    action: catalog:write
    name: Create catalog file
    input:
      entity:
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: \${{ parameters.name }}
          annotations: {}
        spec:
          type: service
          lifecycle: production
          owner: \${{ parameters.owner }}
`,
    },
  ],
  schema: {
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['entity'],
      properties: {
        filePath: {
          title: 'Catalog file path',
          description: 'Where to write, relative to the workspace',
          type: 'string',
          default: 'catalog-info.yaml',
        },
        entity: {
          title: 'Entity to write',
          description: 'The entity, as an object',
          type: 'object',
        },
      },
    },
  },
  supportsDryRun: true,
  async handler(ctx) {
    const filePath = ctx.input.filePath ?? 'catalog-info.yaml';
    const target = resolveSafeChildPath(ctx.workspacePath, filePath, 'filePath');
    // A dangling symlink passes the path check (nothing to resolve yet), but writing would
    // follow it; the workspace gets a real file or nothing.
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink()) {
      throw new InputError(
        `filePath: '${filePath}' is a symbolic link; refusing to write through it`,
      );
    }
    if (existing?.isDirectory()) throw new InputError(`filePath: '${filePath}' is a directory`);
    const { entity } = ctx.input;
    const metadata = (
      entity.metadata && typeof entity.metadata === 'object' && !Array.isArray(entity.metadata)
        ? entity.metadata
        : {}
    ) as JsonObject;
    const templateRef = ctx.templateInfo?.entityRef;
    const annotations = metadata.annotations as JsonObject | undefined;
    const written = {
      ...entity,
      metadata: {
        ...metadata,
        ...(templateRef
          ? { annotations: { ...annotations, [SOURCE_TEMPLATE_ANNOTATION]: templateRef } }
          : {}),
      },
    };
    ctx.logger.info(`Writing ${filePath}`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, stringify(written));
  },
};
