import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import {
  definePlugin,
  extend,
  InputError,
  type JsonObject,
  scaffolderActionsExtensionPoint,
  type TemplateAction,
} from '@atrium/plugin-api';

interface CodeownersInput extends JsonObject {
  owners: string[];
  pattern?: string;
}

/**
 * `acme:codeowners:write`: a `.github/CODEOWNERS` that asks the new service's owners to review
 * every change. Atrium validates the input against `schema.input` before the handler runs,
 * so the handler can rely on its shape; what the schema cannot say is checked here, with the
 * field named.
 */
export const codeownersAction: TemplateAction<CodeownersInput> = {
  id: 'acme:codeowners:write',
  description: 'Writes .github/CODEOWNERS so that the given owners review every change.',
  examples: [
    {
      description: 'Make the owning team review every change',
      example: `steps:
  - id: codeowners
    name: Write CODEOWNERS
    action: acme:codeowners:write
    input:
      owners: ['@acme/\${{ parameters.owner | parseEntityRef | pick("name") }}']
`,
    },
  ],
  schema: {
    input: {
      type: 'object',
      required: ['owners'],
      properties: {
        owners: {
          title: 'Owners',
          description: 'GitHub users or teams (@user, @org/team) or e-mail addresses',
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1 },
        },
        pattern: {
          title: 'Pattern',
          description: 'The files the owners review (default: * for every file)',
          type: 'string',
          default: '*',
        },
      },
    },
    output: {
      type: 'object',
      properties: {
        path: { type: 'string', description: 'The file written, relative to the workspace' },
      },
    },
  },
  // It writes only inside the workspace, so dry runs may run it.
  supportsDryRun: true,
  async handler(ctx) {
    for (const [i, owner] of ctx.input.owners.entries()) {
      if (!/^@[\w.-]+(\/[\w.-]+)?$|^[^@\s]+@[^@\s]+$/.test(owner)) {
        throw new InputError(`owners[${i}]: '${owner}' is neither @user, @org/team nor an e-mail`);
      }
    }
    const workspace = await realpath(ctx.workspacePath);
    const dir = join(workspace, '.github');
    await mkdir(dir, { recursive: true });
    // A fetched skeleton could have made .github a link out of the workspace: stay inside.
    const rel = relative(workspace, await realpath(dir));
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new InputError('.github leads outside the workspace');
    }
    const line = `${ctx.input.pattern ?? '*'} ${ctx.input.owners.join(' ')}\n`;
    await writeFile(
      join(dir, 'CODEOWNERS'),
      `# Written by the template that created this\n${line}`,
    );
    ctx.logger.info(`CODEOWNERS: ${line.trim()}`);
    ctx.output('path', '.github/CODEOWNERS');
  },
};

/** The whole plugin: one contribution to the scaffolder's `scaffolder.actions` point. */
export default definePlugin({
  id: 'acme-scaffolder-actions',
  extensions: [extend(scaffolderActionsExtensionPoint, codeownersAction)],
  async setup() {},
});
